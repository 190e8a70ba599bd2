/**
 * ONNX nodes that map onto issue #13's part D ops: Resize (mode linear) → RESIZE_BILINEAR, and
 * MatMul of two activations → BATCH_MATMUL (int8 once the QDQ pairs around it are folded).
 * Checked numerically against ONNX's own definitions computed here in doubles.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { importOnnx } from '../../src/onnx/import.js';
import { prepareForInference } from '../../src/passes/index.js';
import { buildModel, int, randomValues, str, type ModelSpec } from './onnx-builder.js';

function load(spec: ModelSpec): Graph {
  return importOnnx(buildModel(spec), 'synthetic');
}

/** ONNX Resize, linear, on one H x W plane: positions from the coordinate transformation, clamped to the input (ONNX's reference). */
function onnxBilinear(x: Float32Array, h: number, w: number, oh: number, ow: number, mode: string): number[] {
  const coord = (o: number, inSize: number, outSize: number): number => {
    const scale = outSize / inSize;
    if (mode === 'align_corners') return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    if (mode === 'asymmetric') return o / scale;
    return (o + 0.5) / scale - 0.5;
  };
  const out: number[] = [];
  for (let y = 0; y < oh; y++) {
    const fy = Math.min(Math.max(coord(y, h, oh), 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    for (let xx = 0; xx < ow; xx++) {
      const fx = Math.min(Math.max(coord(xx, w, ow), 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dy = fy - y0;
      const dx = fx - x0;
      out.push(x[y0 * w + x0] * (1 - dy) * (1 - dx) + x[y1 * w + x0] * dy * (1 - dx) + x[y0 * w + x1] * (1 - dy) * dx + x[y1 * w + x1] * dy * dx);
    }
  }
  return out;
}

function resizeSpec(mode: string, extra: Partial<{ scales: number[]; sizes: number[]; resizeMode: string }> = {}): ModelSpec {
  const sizes = extra.sizes ?? [];
  const scales = extra.scales ?? [];
  return {
    inputs: [{ name: 'x', shape: [1, 1, 3, 4] }],
    outputs: [{ name: 'y' }],
    initializers: [
      { name: 'roi', dims: [0], values: [] },
      { name: 'scales', dims: [scales.length], values: scales },
      { name: 'sizes', dims: [sizes.length], type: 7, values: sizes },
    ],
    nodes: [{ op: 'Resize', inputs: ['x', 'roi', 'scales', 'sizes'], outputs: ['y'], attrs: { mode: str(extra.resizeMode ?? 'linear'), coordinate_transformation_mode: str(mode) } }],
  };
}

describe('ONNX Resize (linear) → RESIZE_BILINEAR', () => {
  const x = Float32Array.from(randomValues(12, 41));
  for (const [mode, spec] of [
    ['half_pixel', { sizes: [1, 1, 7, 5] }],
    ['asymmetric', { scales: [1, 1, 2, 2] }],
    ['align_corners', { sizes: [1, 1, 5, 7] }],
  ] as const) {
    it(`${mode}: matches ONNX's definition`, () => {
      const g = load(resizeSpec(mode, spec));
      expect(g.ops.map((o) => o.type)).toEqual(['RESIZE_BILINEAR']);
      const [oh, ow] = 'sizes' in spec ? spec.sizes.slice(2) : [6, 8];
      const got = runGraph(prepareGraph(prepareForInference(g)), [x])[0] as Float32Array;
      const want = onnxBilinear(x, 3, 4, oh, ow, mode);
      expect(got.length).toBe(want.length);
      want.forEach((v, i) => expect(Math.abs(got[i] - v), `element ${i}`).toBeLessThan(1e-5));
    });
  }

  it('refuses other modes, coordinate transformations and run-time sizes with the node named', () => {
    expect(() => load(resizeSpec('half_pixel', { sizes: [1, 1, 6, 8], resizeMode: 'cubic' }))).toThrow(/mode 'cubic' is not supported/);
    expect(() => load(resizeSpec('tf_crop_and_resize', { sizes: [1, 1, 6, 8] }))).toThrow(/coordinate_transformation_mode 'tf_crop_and_resize'/);
    expect(() => load(resizeSpec('half_pixel', { sizes: [1, 2, 6, 8] }))).toThrow(UnsupportedOpError);
    const dyn: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, 1, 3, 4] }, { name: 's', shape: [4] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'roi', dims: [0], values: [] }],
      nodes: [{ op: 'Resize', inputs: ['x', 'roi', 's'], outputs: ['y'], attrs: { mode: str('linear') } }],
    };
    expect(() => load(dyn)).toThrow(UnsupportedOpError);
  });
});

describe('ONNX MatMul of two activations → BATCH_MATMUL', () => {
  const A = [2, 3, 4];
  const B = [1, 4, 5];
  const qdq = (name: string, s: string, z: string) => [
    { op: 'QuantizeLinear', inputs: [name, s, z], outputs: [`${name}_q`] },
    { op: 'DequantizeLinear', inputs: [`${name}_q`, s, z], outputs: [`${name}_d`] },
  ];
  const spec: ModelSpec = {
    inputs: [
      { name: 'a', shape: A },
      { name: 'b', shape: B },
    ],
    outputs: [{ name: 'y_d' }],
    initializers: [
      { name: 'sa', dims: [], values: [0.02] },
      { name: 'za', dims: [], type: 3, values: [3] },
      { name: 'sb', dims: [], values: [0.015] },
      { name: 'zb', dims: [], type: 3, values: [-4] },
      { name: 'sy', dims: [], values: [0.01] },
      { name: 'zy', dims: [], type: 3, values: [1] },
    ],
    nodes: [...qdq('a', 'sa', 'za'), ...qdq('b', 'sb', 'zb'), { op: 'MatMul', inputs: ['a_d', 'b_d'], outputs: ['y'] }, ...qdq('y', 'sy', 'zy')],
  };

  it('imports a float MatMul of two activations as BATCH_MATMUL with broadcast batches', () => {
    const g = load({ inputs: spec.inputs, outputs: [{ name: 'y' }], nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }] });
    expect(g.ops.map((o) => o.type)).toEqual(['BATCH_MATMUL']);
    expect(g.tensors[g.outputs[0]].shape).toEqual([2, 3, 5]);
  });

  it('QDQ: folds to an int8 BATCH_MATMUL within one output step of the float product', () => {
    const g = prepareForInference(load(spec));
    expect(g.ops.map((o) => o.type)).toContain('BATCH_MATMUL');
    const bm = g.ops.find((o) => o.type === 'BATCH_MATMUL')!;
    expect([...bm.inputs, ...bm.outputs].map((t) => g.tensors[t].dtype)).toEqual(['int8', 'int8', 'int8']);
    // The graph takes and gives the int8 values (the QDQ pairs at its boundary fold away).
    expect([...g.inputs, ...g.outputs].map((t) => g.tensors[t].dtype)).toEqual(['int8', 'int8', 'int8']);
    const a = Int8Array.from(randomValues(24, 5, -128, 127).map(Math.round));
    const b = Int8Array.from(randomValues(20, 6, -128, 127).map(Math.round));
    const got = runGraph(prepareGraph(g), [a, b])[0] as Int8Array;
    // The real product of the dequantized operands, quantized to the output: at most one step apart.
    let exact = 0;
    for (let bt = 0; bt < 2; bt++)
      for (let m = 0; m < 3; m++)
        for (let nn = 0; nn < 5; nn++) {
          let s = 0;
          for (let k = 0; k < 4; k++) s += 0.02 * (a[bt * 12 + m * 4 + k] - 3) * 0.015 * (b[k * 5 + nn] + 4);
          const want = Math.max(-128, Math.min(127, Math.round(s / 0.01) + 1));
          const d = Math.abs(got[bt * 15 + m * 5 + nn] - want);
          expect(d, `[${bt}, ${m}, ${nn}]`).toBeLessThanOrEqual(1);
          if (d === 0) exact++;
        }
    expect(exact).toBeGreaterThan(20);
  });

  it('refuses an NCHW rank-4 activation held as NHWC', () => {
    const bad: ModelSpec = {
      inputs: [
        { name: 'a', shape: [1, 2, 3, 4] },
        { name: 'w', shape: [2, 2, 2, 2] },
      ],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'k', dims: [2, 2, 1, 1], values: [1, 0, 0, 1] }],
      nodes: [
        { op: 'Conv', inputs: ['a', 'k'], outputs: ['c'] },
        { op: 'MatMul', inputs: ['c', 'w'], outputs: ['y'] },
      ],
    };
    expect(() => load(bad)).toThrow(/NCHW activation/);
  });
});
