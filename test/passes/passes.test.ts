import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph, TensorData } from '../../src/ir/types.js';
import { validateGraph } from '../../src/passes/validate.js';
import { constantFold, dequantizeConstants, foldBatchNorm, foldQdq, fuseActivations, prepareForInference, removeIdentityOps } from '../../src/passes/index.js';
import { CONV_ATTRS, GraphBuilder, maxRelError, perTensor, seeded } from './graph-builder.js';

/** Runs a graph; DEQUANTIZE of (per-channel) constant weights is dequantized first, as the DEQUANTIZE kernel is per-tensor. */
function run(g: Graph, inputs: TensorData[]): TensorData[] {
  return runGraph(prepareGraph(dequantizeConstants(g)), inputs);
}

const types = (g: Graph): string[] => g.ops.map((o) => o.type);

/** conv/depthwise/dense → MUL(per-channel) → ADD(per-channel) [→ RELU] */
function bnGraph(layer: 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED', opts: { bias?: boolean; relu?: boolean; sub?: boolean } = {}): Graph {
  const b = new GraphBuilder();
  const C = 6;
  let x: number;
  let y: number;
  if (layer === 'FULLY_CONNECTED') {
    x = b.input('x', [1, 5]);
    y = b.tensor('y', [1, C]);
    const w = b.constant('w', [C, 5], seeded(C * 5, 1));
    const ins = [x, w];
    if (opts.bias) ins.push(b.constant('b', [C], seeded(C, 2)));
    b.op('FULLY_CONNECTED', ins, [y], { activation: 'NONE', keepNumDims: false });
  } else {
    const cin = layer === 'CONV_2D' ? 4 : 3;
    x = b.input('x', [1, 5, 5, cin]);
    y = b.tensor('y', [1, 5, 5, C]);
    const w = layer === 'CONV_2D' ? b.constant('w', [C, 3, 3, cin], seeded(C * 9 * cin, 1)) : b.constant('w', [1, 3, 3, C], seeded(9 * C, 1));
    const ins = [x, w];
    if (opts.bias) ins.push(b.constant('b', [C], seeded(C, 2)));
    if (layer === 'CONV_2D') b.op('CONV_2D', ins, [y], CONV_ATTRS);
    else b.op('DEPTHWISE_CONV_2D', ins, [y], { ...CONV_ATTRS, depthMultiplier: 2 });
  }
  const shape = b.tensors[y].shape;
  const m = b.tensor('m', shape);
  const a = b.tensor('a', shape);
  b.op('MUL', [y, b.constant('scale', [C], seeded(C, 3, 0.2, 2).map((v, i) => (i === 1 ? -v : v)))], [m], { activation: 'NONE' });
  b.op(opts.sub ? 'SUB' : 'ADD', [m, b.constant('shift', [C], seeded(C, 4))], [a], { activation: 'NONE' });
  if (!opts.relu) return b.build([a]);
  const r = b.tensor('r', shape);
  b.op('RELU', [a], [r], {});
  return b.build([r]);
}

function inputFor(g: Graph, seed = 7): Float32Array {
  const t = g.tensors[g.inputs[0]];
  return seeded(t.shape.reduce((p, d) => p * d, 1), seed);
}

describe('foldBatchNorm', () => {
  for (const layer of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'] as const) {
    for (const bias of [true, false]) {
      it(`${layer} ${bias ? 'with' : 'without'} bias: folded output equals the unfolded one within 1e-5`, () => {
        const g = bnGraph(layer, { bias, sub: !bias });
        const f = foldBatchNorm(g);
        expect(types(f)).toEqual([layer]);
        expect(f.ops[0].inputs).toHaveLength(3);
        validateGraph(f);
        const x = inputFor(g);
        expect(maxRelError(run(f, [x])[0] as Float32Array, run(g, [x])[0] as Float32Array)).toBeLessThan(1e-5);
      });
    }
  }

  it('is pure: the input graph and its constants are unchanged', () => {
    const g = bnGraph('CONV_2D', { bias: true });
    const w = g.tensors.find((t) => t.name === 'w')!;
    const snapshot = (): string => JSON.stringify({ ops: g.ops, tensors: g.tensors.map((t) => ({ ...t, data: t.data ? Array.from(t.data as Float32Array) : undefined })) });
    const before = snapshot();
    foldBatchNorm(g);
    expect(snapshot()).toBe(before);
    expect(w.data).toBe(g.tensors.find((t) => t.name === 'w')!.data);
  });

  it('leaves a layer whose output is also read elsewhere', () => {
    const g = bnGraph('CONV_2D');
    g.outputs.push(g.ops[0].outputs[0]);
    expect(types(foldBatchNorm(g))).toEqual(['CONV_2D', 'MUL', 'ADD']);
  });

  it('folds a factor into the scales of DEQUANTIZE(int8) weights, keeping the int8 values (QAT pattern)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 4, 2]);
    const wq = b.constant('wq', [3, 1, 1, 2], Int8Array.from([10, -20, 30, -40, 50, -60]), { scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0, 0], quantizedDimension: 0 });
    const wf = b.tensor('wf', [3, 1, 1, 2]);
    b.op('DEQUANTIZE', [wq], [wf], {});
    const y = b.tensor('y', [1, 4, 4, 3]);
    b.op('CONV_2D', [x, wf, b.constant('b0', [3], new Float32Array(3))], [y], CONV_ATTRS);
    const f = [0.5, -2, 4];
    const d = b.tensor('d', [1, 4, 4, 3]);
    b.op('MUL', [y, b.constant('inv', [1, 1, 1, 3], Float32Array.from(f, (v) => 1 / v))], [d], { activation: 'NONE' });
    const m = b.tensor('m', [1, 4, 4, 3]);
    b.op('MUL', [d, b.constant('bnscale', [3], Float32Array.from(f))], [m], { activation: 'NONE' });
    const a = b.tensor('a', [1, 4, 4, 3]);
    b.op('ADD', [m, b.constant('bnshift', [3], Float32Array.from([1, 2, 3]))], [a], { activation: 'NONE' });
    const g = b.build([a]);
    const out = foldBatchNorm(g);
    expect(types(out)).toEqual(['DEQUANTIZE', 'CONV_2D']);
    const w = out.tensors[out.ops[0].inputs[0]];
    expect(Array.from(w.data as Int8Array)).toEqual([10, -20, 30, -40, 50, -60]);
    w.quant!.scale.forEach((s, i) => expect(s).toBeCloseTo([0.1, 0.2, 0.3][i], 6));
    expect(Array.from(out.tensors[out.ops[1].inputs[2]].data as Float32Array)).toEqual([1, 2, 3]);
    const input = inputFor(g);
    expect(maxRelError(run(out, [input])[0] as Float32Array, run(g, [input])[0] as Float32Array)).toBeLessThan(1e-5);
  });

  it('a negative factor on int8 weights negates the channel', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 3]);
    const wq = b.constant('wq', [2, 3], Int8Array.from([1, -2, 3, 4, -5, 6]), { scale: [0.5], zeroPoint: [0], quantizedDimension: 0 });
    const wf = b.tensor('wf', [2, 3]);
    b.op('DEQUANTIZE', [wq], [wf], {});
    const y = b.tensor('y', [1, 2]);
    b.op('FULLY_CONNECTED', [x, wf], [y], { activation: 'NONE', keepNumDims: false });
    const m = b.tensor('m', [1, 2]);
    b.op('MUL', [y, b.constant('k', [2], Float32Array.from([-2, 3]))], [m], { activation: 'NONE' });
    const g = b.build([m]);
    const out = foldBatchNorm(g);
    const w = out.tensors[out.ops[0].inputs[0]];
    expect(Array.from(w.data as Int8Array)).toEqual([-1, 2, -3, 4, -5, 6]);
    expect(w.quant).toEqual({ scale: [1, 1.5], zeroPoint: [0, 0], quantizedDimension: 0 });
    const input = inputFor(g);
    expect(maxRelError(run(out, [input])[0] as Float32Array, run(g, [input])[0] as Float32Array)).toBeLessThan(1e-6);
  });
});

describe('fuseActivations', () => {
  it('fuses RELU into conv, depthwise and dense layers', () => {
    for (const layer of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'] as const) {
      const g = foldBatchNorm(bnGraph(layer, { bias: true, relu: true }));
      const f = fuseActivations(g);
      expect(types(f)).toEqual([layer]);
      expect(f.ops[0].attrs).toMatchObject({ activation: 'RELU' });
      expect(f.tensors[f.outputs[0]].name).toBe('r'); // the graph output keeps its tensor
      const x = inputFor(g);
      expect(Array.from(run(f, [x])[0] as Float32Array)).toEqual(Array.from(run(g, [x])[0] as Float32Array));
    }
  });

  it('fuses RELU6 into ADD, not into a layer whose output is read twice', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 8]);
    const s = b.tensor('s', [1, 8]);
    b.op('ADD', [x, x], [s], { activation: 'NONE' });
    const r = b.tensor('r', [1, 8]);
    b.op('RELU6', [s], [r], {});
    const g1 = fuseActivations(b.build([r]));
    expect(types(g1)).toEqual(['ADD']);
    expect(g1.ops[0].attrs).toEqual({ activation: 'RELU6' });
    const x5 = Float32Array.from([-4, -1, 0, 1, 2, 3, 3.5, 10]);
    expect(Array.from(run(g1, [x5])[0] as Float32Array)).toEqual([0, 0, 0, 2, 4, 6, 6, 6]);
    const b2 = new GraphBuilder();
    const x2 = b2.input('x', [1, 8]);
    const s2 = b2.tensor('s', [1, 8]);
    b2.op('ADD', [x2, x2], [s2], { activation: 'NONE' });
    const r2 = b2.tensor('r', [1, 8]);
    b2.op('RELU', [s2], [r2], {});
    const t2 = b2.tensor('t', [1, 8]);
    b2.op('MUL', [s2, r2], [t2], { activation: 'NONE' });
    expect(types(fuseActivations(b2.build([t2])))).toEqual(['ADD', 'RELU', 'MUL']);
  });
});

describe('removeIdentityOps', () => {
  it('removes same-shape reshapes, add 0, mul 1 and pad 0; collapses reshape chains', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 2, 2, 3]);
    const t1 = b.tensor('t1', [1, 2, 2, 3]);
    b.op('RESHAPE', [x, b.constant('s1', [4], Int32Array.from([1, 2, 2, 3]))], [t1], { newShape: [1, 2, 2, 3] });
    const t2 = b.tensor('t2', [1, 2, 2, 3]);
    b.op('ADD', [t1, b.constant('zero', [3], new Float32Array(3))], [t2], { activation: 'NONE' });
    const t3 = b.tensor('t3', [1, 2, 2, 3]);
    b.op('MUL', [b.constant('one', [1], Float32Array.from([1])), t2], [t3], { activation: 'NONE' });
    const t4 = b.tensor('t4', [1, 2, 2, 3]);
    b.op('PAD', [t3, b.constant('p', [4, 2], new Int32Array(8))], [t4], {});
    const t5 = b.tensor('t5', [1, 4, 3]);
    b.op('RESHAPE', [t4, b.constant('s2', [3], Int32Array.from([1, 4, 3]))], [t5], { newShape: [1, 4, 3] });
    const t6 = b.tensor('t6', [1, 12]);
    b.op('RESHAPE', [t5, b.constant('s3', [2], Int32Array.from([1, 12]))], [t6], { newShape: [1, 12] });
    const t7 = b.tensor('out', [1, 12]);
    b.op('RELU', [t6], [t7], {});
    const g = b.build([t7]);
    const r = removeIdentityOps(g);
    expect(types(r)).toEqual(['RESHAPE', 'RELU']);
    expect(r.tensors[r.ops[0].inputs[0]].name).toBe('x');
    expect(r.tensors[r.ops[0].outputs[0]].shape).toEqual([1, 12]);
    validateGraph(r);
    const x0 = seeded(12, 3);
    expect(Array.from(run(r, [x0])[0] as Float32Array)).toEqual(Array.from(run(g, [x0])[0] as Float32Array));
  });

  it('keeps the graph output tensor when the identity op produces it', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4]);
    const r = b.tensor('r', [1, 4]);
    b.op('RELU', [x], [r], {});
    const y = b.tensor('y', [1, 4]);
    b.op('RESHAPE', [r, b.constant('s', [2], Int32Array.from([1, 4]))], [y], { newShape: [1, 4] });
    const g = removeIdentityOps(b.build([y]));
    expect(types(g)).toEqual(['RELU']);
    expect(g.tensors[g.outputs[0]].name).toBe('y');
  });

  it('removes QUANTIZE(DEQUANTIZE(x)) with x\'s own parameters', () => {
    const b = new GraphBuilder();
    const q = perTensor(0.5, 3);
    const x = b.input('x', [1, 4], 'int8', q);
    const f = b.tensor('f', [1, 4]);
    b.op('DEQUANTIZE', [x], [f], {});
    const y = b.tensor('y', [1, 4], 'int8', q);
    b.op('QUANTIZE', [f], [y], {});
    const z = b.tensor('z', [1, 4], 'int8', q);
    b.op('RELU', [y], [z], {});
    expect(types(removeIdentityOps(b.build([z])))).toEqual(['RELU']);
  });
});

describe('constantFold', () => {
  it('evaluates ops on constants once', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 3]);
    const k = b.tensor('k', [3]);
    b.op('ADD', [b.constant('a', [3], Float32Array.from([1, 2, 3])), b.constant('c', [3], Float32Array.from([10, 20, 30]))], [k], { activation: 'NONE' });
    const y = b.tensor('y', [1, 3]);
    b.op('MUL', [x, k], [y], { activation: 'NONE' });
    const g = constantFold(b.build([y]));
    expect(types(g)).toEqual(['MUL']);
    expect(Array.from(g.tensors[g.ops[0].inputs[1]].data as Float32Array)).toEqual([11, 22, 33]);
  });
});

describe('QDQ folding', () => {
  /** Q → DQ → conv(DQ(w), bias) → RELU → Q → DQ → MAX_POOL → RESHAPE → FC(DQ(w2), bias) → Q → DQ */
  function qdqGraph(): Graph {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 4, 4, 2]);
    const sIn = perTensor(1 / 128, -128);
    const xq = b.tensor('xq', [1, 4, 4, 2], 'int8', sIn);
    b.op('QUANTIZE', [x], [xq], {});
    const xd = b.tensor('xd', [1, 4, 4, 2]);
    b.op('DEQUANTIZE', [xq], [xd], {});
    const wq = b.constant('w', [3, 3, 3, 2], Int8Array.from(seeded(54, 1, -127, 127), Math.round), { scale: [0.01, 0.02, 0.015], zeroPoint: [0, 0, 0], quantizedDimension: 0 });
    const wd = b.tensor('wd', [3, 3, 3, 2]);
    b.op('DEQUANTIZE', [wq], [wd], {});
    const c = b.tensor('c', [1, 4, 4, 3]);
    b.op('CONV_2D', [xd, wd, b.constant('cb', [3], Float32Array.from([0.1, -0.2, 0.05]))], [c], CONV_ATTRS);
    const r = b.tensor('r', [1, 4, 4, 3]);
    b.op('RELU', [c], [r], {});
    const sAct = perTensor(0.02, -128);
    const rq = b.tensor('rq', [1, 4, 4, 3], 'int8', sAct);
    b.op('QUANTIZE', [r], [rq], {});
    const rd = b.tensor('rd', [1, 4, 4, 3]);
    b.op('DEQUANTIZE', [rq], [rd], {});
    const p = b.tensor('p', [1, 2, 2, 3]);
    b.op('MAX_POOL_2D', [rd], [p], { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' });
    const f = b.tensor('f', [1, 12]);
    b.op('RESHAPE', [p, b.constant('shape', [2], Int32Array.from([1, 12]))], [f], { newShape: [1, 12] });
    const w2q = b.constant('w2', [4, 12], Int8Array.from(seeded(48, 2, -127, 127), Math.round), { scale: [0.01, 0.01, 0.02, 0.02], zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 });
    const w2d = b.tensor('w2d', [4, 12]);
    b.op('DEQUANTIZE', [w2q], [w2d], {});
    const y = b.tensor('y', [1, 4]);
    b.op('FULLY_CONNECTED', [f, w2d, b.constant('fb', [4], Float32Array.from([0.5, -0.5, 0.25, 0]))], [y], { activation: 'NONE', keepNumDims: false });
    const yq = b.tensor('yq', [1, 4], 'int8', perTensor(0.05, 0));
    b.op('QUANTIZE', [y], [yq], {});
    const logits = b.tensor('logits', [1, 4]);
    b.op('DEQUANTIZE', [yq], [logits], {});
    return b.build([logits]);
  }

  it('produces an int8 graph: int8 I/O, int8 per-channel weights, int32 bias at input x weight scale', () => {
    const g = prepareForInference(qdqGraph());
    expect(types(g)).toEqual(['CONV_2D', 'MAX_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED']);
    const inp = g.tensors[g.inputs[0]];
    expect(inp).toMatchObject({ name: 'image', dtype: 'int8' });
    const out = g.tensors[g.outputs[0]];
    expect(out).toMatchObject({ name: 'logits', dtype: 'int8', quant: perTensor(0.05, 0) });
    const conv = g.ops[0];
    expect(conv.attrs).toMatchObject({ activation: 'RELU' });
    expect(g.tensors[conv.outputs[0]].quant).toEqual(perTensor(0.02, -128));
    const bias = g.tensors[conv.inputs[2]];
    expect(bias.dtype).toBe('int32');
    const sIn = Math.fround(1 / 128);
    expect(bias.quant!.scale).toEqual([0.01, 0.02, 0.015].map((s) => Math.fround(sIn * Math.fround(s))));
    expect(Array.from(bias.data as Int32Array)).toEqual([0.1, -0.2, 0.05].map((v, i) => Math.round(v / (sIn * Math.fround([0.01, 0.02, 0.015][i])))));
    expect(g.tensors[conv.inputs[1]]).toMatchObject({ dtype: 'int8', shape: [3, 3, 3, 2] });
    // pass-through ops keep the input's quantization
    expect(g.tensors[g.ops[1].outputs[0]].quant).toEqual(perTensor(0.02, -128));
    validateGraph(g);
  });

  it('the int8 graph tracks the fake-quant float graph', () => {
    const fake = qdqGraph();
    const int8 = prepareForInference(fake);
    const inT = int8.tensors[int8.inputs[0]];
    for (let seed = 1; seed <= 5; seed++) {
      const x = seeded(32, seed, 0, 1);
      const want = run(fake, [x])[0] as Float32Array;
      const q = new Int8Array(32).map((_, i) => Math.max(-128, Math.min(127, Math.round(x[i] / inT.quant!.scale[0]) + inT.quant!.zeroPoint[0])));
      const got = Array.from(run(int8, [q])[0] as Int8Array, (v) => v * 0.05);
      for (let i = 0; i < 4; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(0.05 + 1e-6);
    }
  });

  it('with int8Io off, the graph keeps float input and output', () => {
    const g = foldQdq(fuseActivations(qdqGraph()), { int8Io: false });
    expect(g.tensors[g.inputs[0]].dtype).toBe('float32');
    expect(g.tensors[g.outputs[0]].dtype).toBe('float32');
    expect(types(g)).toEqual(['QUANTIZE', 'CONV_2D', 'MAX_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'DEQUANTIZE']);
  });
});
