/**
 * ONNX Runtime's QOperator ops, one small synthetic graph each: x (float) → QuantizeLinear →
 * QLinear op → DequantizeLinear. The prepared graph is fed quantized values on the input grid and
 * its quantized output is compared with ONNX's definition of the op, `Q(op(DQ(x)))`, computed here
 * in float64 on the NCHW tensors: tinyml requantizes with TFLite's fixed-point multipliers, so a
 * result may differ from the exactly rounded one by one step, never more.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph, TensorData } from '../../src/ir/types.js';
import { validateGraph } from '../../src/passes/validate.js';
import { importOnnx } from '../../src/onnx/import.js';
import { prepareForInference } from '../../src/passes/index.js';
import { arr, buildModel, float, int, ints, randomValues, refConv, refGemm, type ModelSpec, type NodeSpec, type TensorSpec } from './onnx-builder.js';

type QType = 'int8' | 'uint8';
const ONNX_TYPE: Record<QType, number> = { int8: 3, uint8: 2 };
const RANGE: Record<QType, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

interface QParam {
  scale: number;
  zp: number;
}

/** Scale and zero point initializers named `${name}_scale` / `${name}_zp`. */
function qInit(name: string, p: QParam, t: QType): TensorSpec[] {
  return [
    { name: `${name}_scale`, dims: [], values: [p.scale] },
    { name: `${name}_zp`, dims: [], type: ONNX_TYPE[t], values: [p.zp] },
  ];
}

const qIn = (name: string): string[] => [name, `${name}_scale`, `${name}_zp`];

/** Random integers on the input grid of `t`. */
function gridValues(n: number, seed: number, t: QType): number[] {
  const [lo, hi] = RANGE[t];
  return randomValues(n, seed, lo, hi + 1).map((v) => Math.min(hi, Math.floor(v)));
}

function quantizeRef(y: ArrayLike<number>, p: QParam, t: QType): number[] {
  const [lo, hi] = RANGE[t];
  const f = Math.fround(p.scale);
  return Array.from(y, (v) => Math.max(lo, Math.min(hi, Math.round(v / f) + p.zp)));
}

const dq = (q: readonly number[], p: QParam): number[] => q.map((v) => Math.fround(p.scale) * (v - p.zp));

/** NCHW values → the IR's NHWC order. */
function nchwToNhwc(data: readonly number[], shape: number[]): number[] {
  if (shape.length !== 4) return [...data];
  const [N, C, H, W] = shape;
  const out = new Array<number>(data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[((n * H + h) * W + w) * C + c] = data[((n * C + c) * H + h) * W + w];
  return out;
}

/** Feeds ONNX-domain quantized values to a graph input: the model's uint8 input stays uint8. */
function feed(g: Graph, k: number, q: number[], t: QType): TensorData {
  expect(g.tensors[g.inputs[k]].dtype).toBe(t);
  return t === 'uint8' ? Uint8Array.from(q) : Int8Array.from(q);
}

function readOut(g: Graph, y: TensorData, t: QType): number[] {
  expect(g.tensors[g.outputs[0]].dtype).toBe(t);
  return Array.from(y as Int8Array | Uint8Array);
}

interface Case {
  spec: ModelSpec;
  inputs: { q: number[]; shape: number[] }[];
  want: number[];
  outShape: number[];
  t: QType;
}

/** Imports, prepares, runs; returns the prepared graph's op types. */
function check(c: Case): string[] {
  const raw = importOnnx(buildModel(c.spec), 'qlinear');
  validateGraph(raw);
  const g = prepareForInference(raw);
  const ins = c.inputs.map((x, k) => feed(g, k, nchwToNhwc(x.q, x.shape), c.t));
  const got = readOut(g, runGraph(prepareGraph(g), ins)[0], c.t);
  const want = nchwToNhwc(c.want, c.outShape);
  expect(got).toHaveLength(want.length);
  const diff = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
  expect(diff).toBeLessThanOrEqual(1);
  // not trivially equal: the output uses more than a couple of levels
  expect(new Set(got).size).toBeGreaterThan(3);
  return g.ops.map((o) => `${o.type}:${g.tensors[o.outputs[0]].dtype}`);
}

/** x → QuantizeLinear → `nodes` → DequantizeLinear; the model's inputs are float. */
function model(t: QType, inputs: { name: string; shape: number[]; p: QParam }[], nodes: NodeSpec[], out: { p: QParam; shape: number[] }, inits: TensorSpec[]): ModelSpec {
  return {
    inputs: inputs.map((i) => ({ name: i.name, shape: i.shape })),
    outputs: [{ name: 'y', shape: out.shape }],
    initializers: [...inputs.flatMap((i) => qInit(`${i.name}q`, i.p, t)), ...qInit('yq', out.p, t), ...inits],
    nodes: [
      ...inputs.map((i) => ({ op: 'QuantizeLinear', inputs: [i.name, `${i.name}q_scale`, `${i.name}q_zp`], outputs: [`${i.name}q`] })),
      ...nodes,
      { op: 'DequantizeLinear', inputs: qIn('yq'), outputs: ['y'] },
    ],
  };
}

const P_X: Record<QType, QParam> = { int8: { scale: 0.02, zp: -3 }, uint8: { scale: 0.02, zp: 125 } };
const P_Y: Record<QType, QParam> = { int8: { scale: 0.05, zp: 2 }, uint8: { scale: 0.05, zp: 130 } };

describe.each(['int8', 'uint8'] as const)('QOperator ops with %s activations', (t) => {
  const px = P_X[t];
  const py = P_Y[t];

  it('QLinearConv (per-channel int8 weights, int32 bias) → int8 CONV_2D', () => {
    const xShape = [1, 3, 6, 6];
    const xq = gridValues(3 * 36, 11, t);
    const wq = gridValues(4 * 3 * 9, 12, 'int8').map((v) => Math.max(-127, v));
    const ws = [0.01, 0.02, 0.005, 0.015];
    const bq = randomValues(4, 13, -500, 500).map(Math.round);
    const spec = model(t, [{ name: 'x', shape: xShape, p: px }], [
      { op: 'QLinearConv', inputs: [...qIn('xq'), 'w', 'w_scale', 'w_zp', 'yq_scale', 'yq_zp', 'b'], outputs: ['yq'], attrs: { pads: ints([1, 1, 1, 1]), kernel_shape: ints([3, 3]) } },
    ], { p: py, shape: [1, 4, 6, 6] }, [
      { name: 'w', dims: [4, 3, 3, 3], type: 3, values: wq },
      { name: 'w_scale', dims: [4], values: ws },
      { name: 'w_zp', dims: [4], type: 3, values: [0, 0, 0, 0] },
      { name: 'b', dims: [4], type: 6, values: bq },
    ]);
    const wf = wq.map((v, i) => Math.fround(ws[Math.floor(i / 27)]) * v);
    const bf = bq.map((v, c) => v * Math.fround(Math.fround(px.scale) * Math.fround(ws[c])));
    const y = refConv(arr(xShape, dq(xq, px)), arr([4, 3, 3, 3], wf), bf, { pads: [1, 1, 1, 1] });
    const ops = check({ spec, inputs: [{ q: xq, shape: xShape }], want: quantizeRef(y.data, py, t), outShape: y.shape, t });
    expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual(['CONV_2D:int8']);
  });

  it('QLinearMatMul → int8 FULLY_CONNECTED', () => {
    const xq = gridValues(8, 21, t);
    const wq = gridValues(8 * 5, 22, 'int8').map((v) => Math.max(-127, v));
    const spec = model(t, [{ name: 'x', shape: [1, 8], p: px }], [
      { op: 'QLinearMatMul', inputs: [...qIn('xq'), 'w', 'w_scale', 'w_zp', 'yq_scale', 'yq_zp'], outputs: ['yq'] },
    ], { p: py, shape: [1, 5] }, [
      { name: 'w', dims: [8, 5], type: 3, values: wq },
      { name: 'w_scale', dims: [], values: [0.03] },
      { name: 'w_zp', dims: [], type: 3, values: [0] },
    ]);
    const wOutIn = Array.from({ length: 40 }, (_, i) => Math.fround(0.03) * wq[(i % 8) * 5 + Math.floor(i / 8)]);
    const y = refGemm(arr([1, 8], dq(xq, px)), arr([5, 8], wOutIn));
    const ops = check({ spec, inputs: [{ q: xq, shape: [1, 8] }], want: quantizeRef(y.data, py, t), outShape: [1, 5], t });
    expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual(['FULLY_CONNECTED:int8']);
  });

  it('QGemm (com.microsoft, transB=1, per-channel weights, int32 bias) → int8 FULLY_CONNECTED', () => {
    const xq = gridValues(8, 31, t);
    const wq = gridValues(5 * 8, 32, 'int8').map((v) => Math.max(-127, v));
    const ws = [0.02, 0.03, 0.01, 0.04, 0.025];
    const bq = randomValues(5, 33, -300, 300).map(Math.round);
    const spec = model(t, [{ name: 'x', shape: [1, 8], p: px }], [
      { op: 'QGemm', domain: 'com.microsoft', inputs: [...qIn('xq'), 'w', 'w_scale', 'w_zp', 'b', 'yq_scale', 'yq_zp'], outputs: ['yq'], attrs: { transB: int(1), alpha: float(1) } },
    ], { p: py, shape: [1, 5] }, [
      { name: 'w', dims: [5, 8], type: 3, values: wq },
      { name: 'w_scale', dims: [5], values: ws },
      { name: 'w_zp', dims: [5], type: 3, values: [0, 0, 0, 0, 0] },
      { name: 'b', dims: [5], type: 6, values: bq },
    ]);
    const wf = wq.map((v, i) => Math.fround(ws[Math.floor(i / 8)]) * v);
    const bf = bq.map((v, c) => v * Math.fround(Math.fround(px.scale) * Math.fround(ws[c])));
    const y = refGemm(arr([1, 8], dq(xq, px)), arr([5, 8], wf), bf);
    const ops = check({ spec, inputs: [{ q: xq, shape: [1, 8] }], want: quantizeRef(y.data, py, t), outShape: [1, 5], t });
    expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual(['FULLY_CONNECTED:int8']);
  });

  for (const [op, type, f] of [
    ['QLinearAdd', 'ADD', (a: number, b: number) => a + b],
    ['QLinearMul', 'MUL', (a: number, b: number) => a * b],
  ] as const) {
    it(`${op} (com.microsoft) of two activations → int8 ${type}`, () => {
      const shape = [1, 4, 3, 3];
      const pb = { scale: t === 'int8' ? 0.03 : 0.03, zp: t === 'int8' ? 5 : 120 };
      const aq = gridValues(36, 41, t);
      const bq = gridValues(36, 42, t);
      const spec = model(t, [{ name: 'a', shape, p: px }, { name: 'b', shape, p: pb }], [
        { op, domain: 'com.microsoft', inputs: [...qIn('aq'), ...qIn('bq'), 'yq_scale', 'yq_zp'], outputs: ['yq'] },
      ], { p: py, shape }, []);
      const av = dq(aq, px);
      const bv = dq(bq, pb);
      const want = quantizeRef(av.map((v, i) => f(v, bv[i])), py, t);
      const ops = check({ spec, inputs: [{ q: aq, shape }, { q: bq, shape }], want, outShape: shape, t });
      expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual([`${type}:int8`]);
    });
  }

  it('QLinearGlobalAveragePool (com.microsoft) → int8 MEAN', () => {
    const shape = [1, 4, 5, 5];
    const xq = gridValues(100, 51, t);
    const spec = model(t, [{ name: 'x', shape, p: px }], [
      { op: 'QLinearGlobalAveragePool', domain: 'com.microsoft', inputs: [...qIn('xq'), 'yq_scale', 'yq_zp'], outputs: ['yq'], attrs: { channels_last: int(0) } },
    ], { p: { scale: 0.004, zp: py.zp }, shape: [1, 4, 1, 1] }, []);
    const xv = dq(xq, px);
    const mean = [0, 1, 2, 3].map((c) => xv.slice(c * 25, c * 25 + 25).reduce((s, v) => s + v, 0) / 25);
    const ops = check({ spec, inputs: [{ q: xq, shape }], want: quantizeRef(mean, { scale: 0.004, zp: py.zp }, t), outShape: [1, 4, 1, 1], t });
    expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual(['MEAN:int8']);
  });

  it('QLinearAveragePool (com.microsoft, 2x2 stride 2) → int8 AVERAGE_POOL_2D', () => {
    const shape = [1, 4, 4, 4];
    const xq = gridValues(64, 61, t);
    const spec = model(t, [{ name: 'x', shape, p: px }], [
      { op: 'QLinearAveragePool', domain: 'com.microsoft', inputs: [...qIn('xq'), 'yq_scale', 'yq_zp'], outputs: ['yq'], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } },
    ], { p: px, shape: [1, 4, 2, 2] }, []);
    const xv = dq(xq, px);
    const want: number[] = [];
    for (let c = 0; c < 4; c++)
      for (let oy = 0; oy < 2; oy++)
        for (let ox = 0; ox < 2; ox++) {
          let s = 0;
          for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 2; kx++) s += xv[c * 16 + (oy * 2 + ky) * 4 + ox * 2 + kx];
          want.push(s / 4);
        }
    const ops = check({ spec, inputs: [{ q: xq, shape }], want: quantizeRef(want, px, t), outShape: [1, 4, 2, 2], t });
    expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual(['AVERAGE_POOL_2D:int8']);
  });

  it('QLinearConcat (com.microsoft) of equally quantized inputs along channels → int8 CONCATENATION', () => {
    const shape = [1, 2, 3, 3];
    const aq = gridValues(18, 71, t);
    const bq = gridValues(18, 72, t);
    const spec = model(t, [{ name: 'a', shape, p: px }, { name: 'b', shape, p: px }], [
      { op: 'QLinearConcat', domain: 'com.microsoft', inputs: ['yq_scale', 'yq_zp', ...qIn('aq'), ...qIn('bq')], outputs: ['yq'], attrs: { axis: int(1) } },
    ], { p: px, shape: [1, 4, 3, 3] }, []);
    const ops = check({ spec, inputs: [{ q: aq, shape }, { q: bq, shape }], want: [...aq, ...bq], outShape: [1, 4, 3, 3], t });
    expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual(['CONCATENATION:int8']);
  });

  for (const [op, fn, attrs] of [
    ['QLinearSigmoid', (v: number) => 1 / (1 + Math.exp(-v)), {}],
    ['QLinearLeakyRelu', (v: number) => (v < 0 ? 0.1 * v : v), { alpha: float(0.1) }],
  ] as const) {
    it(`${op} (com.microsoft) imports and computes Q(f(DQ(x)))`, () => {
      const shape = [1, 4, 3, 3];
      const xq = gridValues(36, 81, t);
      const p = op === 'QLinearSigmoid' ? { scale: 1 / 256, zp: t === 'int8' ? -128 : 0 } : py;
      const spec = model(t, [{ name: 'x', shape, p: px }], [
        { op, domain: 'com.microsoft', inputs: [...qIn('xq'), 'yq_scale', 'yq_zp'], outputs: ['yq'], attrs },
      ], { p, shape }, []);
      const want = quantizeRef(dq(xq, px).map(fn), p, t);
      const ops = check({ spec, inputs: [{ q: xq, shape }], want, outShape: shape, t });
      expect(ops.filter((o) => !o.startsWith('QUANTIZE'))).toEqual([op === 'QLinearSigmoid' ? 'LOGISTIC:int8' : 'LEAKY_RELU:int8']);
    });
  }

  it('QLinearSigmoid with a calibrated output scale (not 1/256) → int8 LOGISTIC + requantization', () => {
    const shape = [1, 4, 3, 3];
    const xq = gridValues(36, 91, t);
    // what ONNX Runtime calibrates for sigmoid outputs spanning about [0, 1]
    const p = { scale: 1 / 255, zp: t === 'int8' ? -128 : 0 };
    const spec = model(t, [{ name: 'x', shape, p: px }], [
      { op: 'QLinearSigmoid', domain: 'com.microsoft', inputs: [...qIn('xq'), 'yq_scale', 'yq_zp'], outputs: ['yq'] },
    ], { p, shape }, []);
    const want = quantizeRef(dq(xq, px).map((v) => 1 / (1 + Math.exp(-v))), p, t);
    const ops = check({ spec, inputs: [{ q: xq, shape }], want, outShape: shape, t });
    const inner = t === 'uint8' ? ops.slice(1, -1) : ops;
    expect(inner).toEqual(['LOGISTIC:int8', 'QUANTIZE:int8']);
  });
});

describe('QOperator import errors', () => {
  it('one error lists every unsupported op with its node index, name and domain', () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Erf', inputs: ['r'], outputs: ['e'], name: 'my_erf' },
        { op: 'QAttention', inputs: ['e'], outputs: ['a'], name: 'attn', domain: 'com.microsoft' },
        { op: 'Erf', inputs: ['a'], outputs: ['y'], name: 'erf2' },
      ],
    });
    let err: unknown;
    try {
      importOnnx(bytes, 'm');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^3 ONNX nodes use ops tinyml does not support \(Erf, com\.microsoft\.QAttention\)/);
    expect(msg).toContain("node #1 'my_erf': op 'Erf'");
    expect(msg).toContain("node #2 'attn': op 'com.microsoft.QAttention'");
    expect(msg).toContain("node #3 'erf2': op 'Erf'");
    expect(msg).toContain('com.microsoft.QLinearConv'.replace('com.microsoft.', ''));
  });

  it('QLinearGlobalAveragePool with channels_last=1 is refused by name', () => {
    const spec = model('int8', [{ name: 'x', shape: [1, 4, 4, 3], p: P_X.int8 }], [
      { op: 'QLinearGlobalAveragePool', domain: 'com.microsoft', inputs: [...qIn('xq'), 'yq_scale', 'yq_zp'], outputs: ['yq'], attrs: { channels_last: int(1) } },
    ], { p: P_Y.int8, shape: [1, 1, 1, 3] }, []);
    expect(() => importOnnx(buildModel(spec), 'm')).toThrow(/QLinearGlobalAveragePool.*channels_last=1/);
  });
});
