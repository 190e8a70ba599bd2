import { describe, expect, it } from 'vitest';
import { ModelFormatError, UnsupportedOpError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { inferShapes, validateGraph } from '../../src/passes/validate.js';
import { importOnnx } from '../../src/onnx/import.js';
import { prepareForInference } from '../../src/passes/index.js';
import {
  arr,
  buildModel,
  float,
  floats,
  int,
  ints,
  maxRelError,
  randomValues,
  refConv,
  refGemm,
  refMaxPool,
  relu,
  str,
  tensorAttr,
  toNhwc,
  type ModelSpec,
} from './onnx-builder.js';

function load(spec: ModelSpec): Graph {
  return importOnnx(buildModel(spec), 'synthetic');
}

function run(g: Graph, input: Float32Array): Float32Array[] {
  return runGraph(prepareGraph(g), [input]) as Float32Array[];
}

function opTypes(g: Graph): string[] {
  return g.ops.map((o) => o.type);
}

describe('ONNX import: layout conversion, numerically against an NCHW reference', () => {
  // conv 3x3 pad 1 → relu → maxpool 2 → conv 3x3 stride 2 pad 1 (not TFLite SAME → PAD) →
  // depthwise x2 → flatten (spatial 2x2 > 1) → gemm
  const C0 = 3;
  const x = arr([1, C0, 8, 8], randomValues(C0 * 64, 1, 0, 1));
  const w1 = arr([4, C0, 3, 3], randomValues(4 * C0 * 9, 2));
  const b1 = randomValues(4, 3);
  const w2 = arr([6, 4, 3, 3], randomValues(6 * 4 * 9, 4));
  const w3 = arr([12, 1, 3, 3], randomValues(12 * 9, 5)); // depthwise, multiplier 2
  const b3 = randomValues(12, 6);
  const wf = arr([5, 12 * 2 * 2], randomValues(5 * 48, 7));
  const bf = randomValues(5, 8);
  const spec: ModelSpec = {
    inputs: [{ name: 'x', shape: ['N', C0, 8, 8] }],
    outputs: [{ name: 'y', shape: [1, 5] }],
    initializers: [
      { name: 'w1', dims: w1.shape, values: w1.data },
      { name: 'b1', dims: [4], values: b1 },
      { name: 'w2', dims: w2.shape, values: w2.data },
      { name: 'w3', dims: w3.shape, values: w3.data },
      { name: 'b3', dims: [12], values: b3 },
      { name: 'wf', dims: wf.shape, values: wf.data },
      { name: 'bf', dims: [5], values: bf },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: ints([1, 1, 1, 1]), kernel_shape: ints([3, 3]) } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } },
      { op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'], attrs: { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) } },
      { op: 'Conv', inputs: ['c2', 'w3', 'b3'], outputs: ['c3'], attrs: { pads: ints([1, 1, 1, 1]), group: int(6) } },
      { op: 'Flatten', inputs: ['c3'], outputs: ['f'], attrs: { axis: int(1) } },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: int(1) } },
    ],
  };

  it('maps ops and layouts', () => {
    const g = load(spec);
    expect(opTypes(g)).toEqual(['CONV_2D', 'RELU', 'MAX_POOL_2D', 'PAD', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'RESHAPE', 'FULLY_CONNECTED']);
    expect(g.tensors[g.inputs[0]].shape).toEqual([1, 8, 8, C0]); // NCHW input becomes NHWC; symbolic batch = 1
    const conv1 = g.ops[0];
    expect(conv1.attrs).toMatchObject({ padding: 'SAME', strideH: 1, strideW: 1 });
    expect(g.tensors[conv1.inputs[1]].shape).toEqual([4, 3, 3, C0]); // OIHW → OHWI
    const pad = g.ops[3];
    expect(Array.from(g.tensors[pad.inputs[1]].data as Int32Array)).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    expect(g.ops[4].attrs).toMatchObject({ padding: 'VALID', strideH: 2 });
    const dw = g.ops[5];
    expect(dw.attrs).toMatchObject({ depthMultiplier: 2, padding: 'SAME' });
    expect(g.tensors[dw.inputs[1]].shape).toEqual([1, 3, 3, 12]);
    expect(g.tensors[g.outputs[0]].shape).toEqual([1, 5]);
    validateGraph(g);
    inferShapes(g); // declared shapes agree with every op's shape rule
  });

  it('computes what the NCHW model computes (flatten before the dense layer permutes its weights)', () => {
    let r = refConv(x, w1, b1, { pads: [1, 1, 1, 1] });
    r = refMaxPool(relu(r), 2, 2);
    r = refConv(r, w2, undefined, { pads: [1, 1, 1, 1], strides: [2, 2] });
    r = refConv(r, w3, b3, { pads: [1, 1, 1, 1], group: 6 });
    const want = refGemm({ shape: [1, 48], data: r.data }, wf, bf);
    const [got] = run(load(spec), toNhwc(x));
    expect(maxRelError(got, want.data)).toBeLessThan(1e-5);
  });
});

describe('ONNX import: op mapping', () => {
  const inputs4 = [{ name: 'x', shape: [1, 2, 4, 4] }];
  const w = { name: 'w', dims: [2, 2, 1, 1], values: [1, 2, 3, 4] };

  it('BatchNormalization becomes per-channel MUL + ADD that the passes fold into the conv', () => {
    const spec: ModelSpec = {
      inputs: inputs4,
      outputs: [{ name: 'y' }],
      initializers: [
        w,
        { name: 'g', dims: [2], values: [0.5, 2] },
        { name: 'b', dims: [2], values: [0.1, -0.2] },
        { name: 'm', dims: [2], values: [0.3, -1] },
        { name: 'v', dims: [2], values: [4, 0.25] },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
        { op: 'BatchNormalization', inputs: ['c', 'g', 'b', 'm', 'v'], outputs: ['bn'], attrs: { epsilon: float(1e-5) } },
        { op: 'Relu', inputs: ['bn'], outputs: ['y'] },
      ],
    };
    const g = load(spec);
    expect(opTypes(g)).toEqual(['CONV_2D', 'MUL', 'ADD', 'RELU']);
    expect(g.tensors[g.ops[1].inputs[1]].shape).toEqual([2]);
    const input = Float32Array.from(randomValues(32, 9));
    const before = run(g, input)[0];
    const p = prepareForInference(g);
    expect(opTypes(p)).toEqual(['CONV_2D']);
    expect(p.ops[0].attrs).toMatchObject({ activation: 'RELU' });
    expect(maxRelError(run(p, input)[0], before)).toBeLessThan(1e-5);
  });

  it('Clip(0, 6) → RELU6, Clip(0, inf) → RELU, other ranges are unsupported', () => {
    const mk = (lo: number | undefined, hi: number | undefined): ModelSpec => ({
      inputs: inputs4,
      outputs: [{ name: 'y' }],
      initializers: [...(lo !== undefined ? [{ name: 'lo', dims: [], values: [lo] }] : []), ...(hi !== undefined ? [{ name: 'hi', dims: [], values: [hi] }] : [])],
      nodes: [{ op: 'Clip', inputs: ['x', lo !== undefined ? 'lo' : '', hi !== undefined ? 'hi' : ''], outputs: ['y'] }],
    });
    expect(opTypes(load(mk(0, 6)))).toEqual(['RELU6']);
    expect(opTypes(load(mk(0, undefined)))).toEqual(['RELU']);
    expect(() => load(mk(-1, 1))).toThrow(UnsupportedOpError);
  });

  it('Div by a constant becomes MUL by the reciprocal; Concat and Softmax axes are remapped to NHWC', () => {
    const g = load({
      inputs: inputs4,
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'd', dims: [1, 2, 1, 1], values: [2, 4] }],
      nodes: [
        { op: 'Div', inputs: ['x', 'd'], outputs: ['q'] },
        { op: 'Concat', inputs: ['q', 'x'], outputs: ['c'], attrs: { axis: int(1) } },
        { op: 'Softmax', inputs: ['c'], outputs: ['y'], attrs: { axis: int(1) } },
      ],
    });
    expect(opTypes(g)).toEqual(['MUL', 'CONCATENATION', 'SOFTMAX']);
    expect(Array.from(g.tensors[g.ops[0].inputs[1]].data as Float32Array)).toEqual([0.5, 0.25]);
    expect(g.tensors[g.ops[0].inputs[1]].shape).toEqual([2]);
    expect(g.ops[1].attrs).toMatchObject({ axis: 3 });
    expect(g.tensors[g.outputs[0]].shape).toEqual([1, 4, 4, 4]);
  });

  it('GlobalAveragePool → MEAN over H, W with keepDims; Gemm with transB=0, alpha and beta', () => {
    const wt = randomValues(2 * 3, 10);
    const g = load({
      inputs: inputs4,
      outputs: [{ name: 'y' }],
      initializers: [
        { name: 'B', dims: [2, 3], values: wt },
        { name: 'C', dims: [3], values: [1, 2, 3] },
      ],
      nodes: [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['gap'] },
        { op: 'Flatten', inputs: ['gap'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'B', 'C'], outputs: ['y'], attrs: { alpha: float(2), beta: float(0.5) } },
      ],
    });
    expect(opTypes(g)).toEqual(['MEAN', 'RESHAPE', 'FULLY_CONNECTED']);
    expect(Array.from(g.tensors[g.ops[0].inputs[1]].data as Int32Array)).toEqual([1, 2]);
    expect(g.ops[0].attrs).toEqual({ keepDims: true });
    const input = Float32Array.from(randomValues(32, 11));
    const xa = arr([1, 2, 4, 4], new Float32Array(32));
    // NHWC input → channel means
    const mean = [0, 1].map((c) => {
      let s = 0;
      for (let i = 0; i < 16; i++) s += input[i * 2 + c];
      return s / 16;
    });
    void xa;
    const want = [0, 1, 2].map((j) => 2 * (mean[0] * wt[j] + mean[1] * wt[3 + j]) + 0.5 * (j + 1));
    expect(maxRelError(run(g, input)[0], want)).toBeLessThan(1e-5);
  });

  it('MatMul by a constant → FULLY_CONNECTED; shape subgraphs on constants are evaluated at import', () => {
    const wt = randomValues(8 * 3, 12);
    const g = load({
      inputs: [{ name: 'x', shape: [1, 2, 2, 2] }],
      outputs: [{ name: 'y' }],
      initializers: [
        { name: 'W', dims: [8, 3], values: wt },
        { name: 'zero', dims: [], type: 7, values: [0] },
        { name: 'ax', dims: [1], type: 7, values: [0] },
        { name: 'minus1', dims: [1], type: 7, values: [-1] },
      ],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] },
        { op: 'Unsqueeze', inputs: ['n', 'ax'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: int(0) } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['f'] },
        { op: 'MatMul', inputs: ['f', 'W'], outputs: ['y'] },
      ],
    });
    expect(opTypes(g)).toEqual(['RESHAPE', 'FULLY_CONNECTED']);
    const xn = arr([1, 2, 2, 2], randomValues(8, 13));
    const want = [0, 1, 2].map((j) => xn.data.reduce((acc, v, k) => acc + v * wt[k * 3 + j], 0));
    expect(maxRelError(run(g, toNhwc(xn))[0], want)).toBeLessThan(1e-5);
  });

  it('AveragePool (SAME-matching pads, padding excluded), ReduceMean, Sigmoid and Pad compute what ONNX defines', () => {
    const x = arr([1, 2, 4, 4], randomValues(32, 21));
    const g = load({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'p', dims: [8], type: 7, values: [0, 0, 1, 0, 0, 0, 0, 2] }],
      nodes: [
        { op: 'AveragePool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) } },
        { op: 'Sigmoid', inputs: ['a'], outputs: ['s'] },
        { op: 'Pad', inputs: ['s', 'p'], outputs: ['q'] },
        { op: 'ReduceMean', inputs: ['q'], outputs: ['y'], attrs: { axes: ints([2, 3]), keepdims: int(0) } },
      ],
    });
    expect(opTypes(g)).toEqual(['AVERAGE_POOL_2D', 'LOGISTIC', 'PAD', 'MEAN']);
    expect(g.ops[0].attrs).toMatchObject({ padding: 'SAME', filterH: 3 });
    expect(Array.from(g.tensors[g.ops[2].inputs[1]].data as Int32Array)).toEqual([0, 0, 1, 0, 0, 2, 0, 0]);
    expect(g.tensors[g.outputs[0]].shape).toEqual([1, 2]);
    // reference in NCHW: average over the valid part of each 3x3 window, sigmoid, pad H by (1, 0) and W by (0, 2) with 0, mean over H, W
    const want = [0, 1].map((c) => {
      let total = 0;
      for (let h = 0; h < 4; h++)
        for (let w = 0; w < 4; w++) {
          let s = 0;
          let n = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const yy = h + dy;
              const xx = w + dx;
              if (yy < 0 || yy > 3 || xx < 0 || xx > 3) continue;
              s += x.data[(c * 4 + yy) * 4 + xx];
              n++;
            }
          total += 1 / (1 + Math.exp(-s / n));
        }
      return total / (5 * 6);
    });
    expect(maxRelError(run(g, toNhwc(x))[0], want)).toBeLessThan(1e-5);
  });

  it('QuantizeLinear/DequantizeLinear: uint8 activations become int8 (zero point - 128), per-axis weights keep their axis', () => {
    const g = load({
      inputs: [{ name: 'x', shape: [1, 3, 2, 2] }],
      outputs: [{ name: 'y' }],
      initializers: [
        { name: 's', dims: [], values: [0.1] },
        { name: 'z', dims: [], type: 2, values: [128] },
        { name: 'wq', dims: [3, 3, 1, 1], type: 3, values: [10, -20, 30, -40, 5, 6, 7, 8, 9] },
        { name: 'ws', dims: [3], values: [0.01, 0.02, 0.03] },
        { name: 'dq', dims: [3, 1, 3, 3], type: 3, values: randomValues(27, 3, -100, 100).map(Math.round) },
        { name: 'dz', dims: [3], type: 3, values: [0, 0, 0] },
      ],
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['xq'] },
        { op: 'DequantizeLinear', inputs: ['xq', 's', 'z'], outputs: ['xd'] },
        { op: 'DequantizeLinear', inputs: ['wq', 'ws', 'dz'], outputs: ['wd'], attrs: { axis: int(0) } },
        { op: 'Conv', inputs: ['xd', 'wd'], outputs: ['c'] },
        { op: 'DequantizeLinear', inputs: ['dq', 'ws', 'dz'], outputs: ['dd'], attrs: { axis: int(0) } },
        { op: 'Conv', inputs: ['c', 'dd'], outputs: ['y'], attrs: { group: int(3), pads: ints([1, 1, 1, 1]) } },
      ],
    });
    expect(opTypes(g)).toEqual(['QUANTIZE', 'DEQUANTIZE', 'DEQUANTIZE', 'CONV_2D', 'DEQUANTIZE', 'DEPTHWISE_CONV_2D']);
    const xq = g.tensors[g.ops[0].outputs[0]];
    expect(xq.dtype).toBe('int8');
    expect(xq.quant).toEqual({ scale: [Math.fround(0.1)], zeroPoint: [0], quantizedDimension: 0 });
    const w = g.tensors[g.ops[2].inputs[0]];
    expect(w).toMatchObject({ dtype: 'int8', shape: [3, 1, 1, 3] });
    expect(w.quant!.quantizedDimension).toBe(0);
    expect(Array.from(w.data as Int8Array)).toEqual([10, -20, 30, -40, 5, 6, 7, 8, 9]);
    const d = g.tensors[g.ops[4].inputs[0]];
    expect(d).toMatchObject({ dtype: 'int8', shape: [1, 3, 3, 3] });
    expect(d.quant!.quantizedDimension).toBe(3);
    expect(d.quant!.scale).toEqual([0.01, 0.02, 0.03].map(Math.fround));
  });
});

describe('ONNX import: errors', () => {
  it('names an unsupported op, its node name and index', () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Erf', inputs: ['r'], outputs: ['y'], name: 'my_erf' },
      ],
    });
    let err: unknown;
    try {
      importOnnx(bytes, 'm');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as Error).message).toMatch(/'Erf'/);
    expect((err as Error).message).toMatch(/my_erf/);
    expect((err as Error).message).toMatch(/#1\b/);
  });

  it('rejects ops from other domains', () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y' }],
      nodes: [{ op: 'Gelu', inputs: ['x'], outputs: ['y'], domain: 'com.microsoft' }],
    });
    expect(() => importOnnx(bytes, 'm')).toThrow(/com\.microsoft/);
  });

  it('garbage, empty and truncated files are ModelFormatErrors', () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 251);
    expect(() => importOnnx(garbage, 'garbage')).toThrow(ModelFormatError);
    expect(() => importOnnx(new Uint8Array(0), 'empty')).toThrow(ModelFormatError);
    expect(() => importOnnx(new TextEncoder().encode('hello, this is not a model'), 'text')).toThrow(ModelFormatError);
    const good = buildModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'w', dims: [4, 4], values: randomValues(16, 1) }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    expect(() => importOnnx(good.subarray(0, good.length - 20), 'truncated')).toThrow(ModelFormatError);
  });

  it('grouped (non-depthwise) convolution is unsupported', () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, 4, 4, 4] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'w', dims: [4, 2, 1, 1], values: randomValues(8, 2) }],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: int(2) } }],
    };
    expect(() => load(spec)).toThrow(/group=2/);
  });

  it('a reshape that reorders NCHW elements is unsupported, with an explanation', () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, 2, 3, 3] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 's', dims: [3], type: 7, values: [1, 6, 3] }],
      nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] }],
    };
    expect(() => load(spec)).toThrow(/element order/);
    const flatOut: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, 2, 3, 3] }],
      outputs: [{ name: 'y' }],
      nodes: [{ op: 'Flatten', inputs: ['x'], outputs: ['y'] }],
    };
    expect(() => load(flatOut)).toThrow(UnsupportedOpError);
  });

  it('max pooling with non-SAME padding of a possibly negative input is unsupported; after ReLU it is padded', () => {
    const mk = (withRelu: boolean): ModelSpec => ({
      inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
      outputs: [{ name: 'y' }],
      nodes: [
        ...(withRelu ? [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }] : []),
        { op: 'MaxPool', inputs: [withRelu ? 'r' : 'x'], outputs: ['y'], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) } },
      ],
    });
    expect(() => load(mk(false))).toThrow(/padding/);
    expect(opTypes(load(mk(true)))).toEqual(['RELU', 'PAD', 'MAX_POOL_2D']);
  });

  it('Pad with a non-constant mode is unsupported', () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'p', dims: [8], type: 7, values: [0, 0, 1, 1, 0, 0, 1, 1] }],
      nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: str('reflect') } }],
    };
    expect(() => load(spec)).toThrow(/reflect/);
    void floats;
    void tensorAttr;
  });
});
