/**
 * quantizeGraph on small synthetic float graphs: the spec's constraints (shared parameters
 * through data-movement ops and CONCATENATION, fixed SOFTMAX/LOGISTIC/TANH outputs, symmetric
 * weights, int32 bias), options (per-tensor, symmetric, int16 layers, bias correction), and the
 * errors for what cannot be quantized.
 */
import { describe, expect, it } from 'vitest';
import { InputError, UnsupportedOpError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { dequantizeOutput, quantizeGraph, quantizeInput, type CalibrationSample } from '../../src/quantize/index.js';
import { importTflite } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { GraphBuilder, NONE, RELU, conv, randomFloats, rng, specViolations } from './helpers.js';

/** conv -> relu6-ish branch + logistic branch, concat of two convs, pool, reshape, fc, softmax. */
function smallNet(seed = 1): Graph {
  const r = rng(seed);
  const b = new GraphBuilder('small');
  const x = b.input([1, 8, 8, 3], 'image');
  const w1 = b.constant([8, 3, 3, 3], randomFloats(8 * 27, r, -0.5, 0.5), 'w1');
  const b1 = b.constant([8], randomFloats(8, r, -0.1, 0.1), 'b1');
  const c1 = b.op('CONV_2D', [x, w1, b1], [1, 8, 8, 8], conv(1, 'SAME', 'RELU'), 'conv1');
  const dw = b.constant([1, 3, 3, 8], randomFloats(72, r, -1, 1), 'dw');
  const dwb = b.constant([8], randomFloats(8, r, -0.1, 0.1), 'dwb');
  const d1 = b.op('DEPTHWISE_CONV_2D', [c1, dw, dwb], [1, 8, 8, 8], { ...conv(1, 'SAME', 'NONE'), depthMultiplier: 1 }, 'dw1');
  const w2 = b.constant([4, 1, 1, 8], randomFloats(32, r, -0.3, 0.3), 'w2');
  const c2 = b.op('CONV_2D', [d1, w2], [1, 8, 8, 4], conv(1, 'SAME', 'NONE'), 'conv2');
  const cat = b.op('CONCATENATION', [c1, c2], [1, 8, 8, 12], { axis: 3, activation: 'NONE' }, 'concat');
  const pool = b.op('MAX_POOL_2D', [cat], [1, 4, 4, 12], { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' }, 'pool');
  const shape = b.constant([2], Int32Array.from([1, 192]), 'shape');
  const flat = b.op('RESHAPE', [pool, shape], [1, 192], {}, 'flatten');
  const fw = b.constant([5, 192], randomFloats(5 * 192, r, -0.2, 0.2), 'fc_w');
  const fb = b.constant([5], randomFloats(5, r, -0.2, 0.2), 'fc_b');
  const fc = b.op('FULLY_CONNECTED', [flat, fw, fb], [1, 5], { activation: 'NONE', keepNumDims: false }, 'logits');
  const sm = b.op('SOFTMAX', [fc], [1, 5], { beta: 1 }, 'probs');
  return b.build([sm]);
}

function samplesFor(g: Graph, n: number, seed = 3, lo = -1, hi = 1): CalibrationSample[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => g.inputs.map((id) => randomFloats(g.tensors[id].shape.reduce((a, b) => a * b, 1), r, lo, hi)));
}

function byName(g: Graph, name: string) {
  const t = g.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor ${name}`);
  return t;
}

describe('quantizeGraph on a small network', () => {
  const g = smallNet();
  const samples = samplesFor(g, 40);
  const { graph: q, report } = quantizeGraph(g, samples);

  it('follows the int8 spec', () => {
    expect(specViolations(q)).toEqual([]);
    expect(q.ops.map((o) => o.type)).toEqual(g.ops.map((o) => o.type));
    expect(q.tensors[q.inputs[0]].name).toBe('image');
    expect(q.tensors[q.outputs[0]].name).toBe('probs');
  });

  it('keeps tensor names and ids, and gives per-channel weights', () => {
    expect(byName(q, 'w1').quant!.scale).toHaveLength(8);
    expect(byName(q, 'w1').quant!.quantizedDimension).toBe(0);
    expect(byName(q, 'dw').quant!.quantizedDimension).toBe(3);
    expect(byName(q, 'fc_w').quant!.scale).toHaveLength(5);
    expect(byName(q, 'b1').dtype).toBe('int32');
    expect(byName(q, 'shape').dtype).toBe('int32');
    expect(Array.from(byName(q, 'shape').data as Int32Array)).toEqual([1, 192]);
  });

  it('gives CONCATENATION inputs, pooling and reshape the same parameters', () => {
    const qp = (n: string) => [byName(q, n).quant!.scale[0], byName(q, n).quant!.zeroPoint[0]];
    expect(qp('conv1')).toEqual(qp('concat'));
    expect(qp('conv2')).toEqual(qp('concat'));
    expect(qp('pool')).toEqual(qp('concat'));
    expect(qp('flatten')).toEqual(qp('concat'));
    expect(qp('probs')).toEqual([1 / 256, -128]);
  });

  it('calibrates the input range with 0 included', () => {
    const inp = q.tensors[q.inputs[0]].quant!;
    // Input data is uniform in [-1, 1): scale ~ 2/255, zero point ~ 0.
    expect(inp.scale[0]).toBeCloseTo(2 / 255, 3);
    expect(Math.abs(inp.zeroPoint[0])).toBeLessThanOrEqual(1);
    for (const l of report.layers) {
      expect(l.calibratedRange.min).toBeLessThanOrEqual(0);
      expect(l.calibratedRange.max).toBeGreaterThanOrEqual(0);
    }
  });

  it('runs in the interpreter close to the float model, and reports SQNR per layer', () => {
    const fp = prepareGraph(g);
    const qp = prepareGraph(q);
    let worst = 0;
    for (const s of samples.slice(0, 10)) {
      const f = runGraph(fp, s)[0] as Float32Array;
      const y = dequantizeOutput(q.tensors[q.outputs[0]], runGraph(qp, [quantizeInput(q.tensors[q.inputs[0]], s[0] as Float32Array)])[0]);
      for (let i = 0; i < f.length; i++) worst = Math.max(worst, Math.abs(f[i] - y[i]));
    }
    expect(worst).toBeLessThan(0.05);
    expect(report.layers).toHaveLength(g.ops.length);
    for (const l of report.layers) expect(l.sqnrDb).toBeGreaterThan(20);
    expect(report.outputs[0].sqnrDb).toBeGreaterThan(25);
    expect(report.worst.length).toBeGreaterThan(0);
    expect(report.layers[0].weightRange).toBeDefined();
    expect(report.layers[0].weightScales?.count).toBe(8);
  });

  it('writes a .tflite that re-imports to the same graph', () => {
    const back = importTflite(writeTflite(q), q.name);
    expect(back.tensors.map((t) => [t.name, t.dtype, t.quant])).toEqual(q.tensors.map((t) => [t.name, t.dtype, t.quant]));
  });

  it('per-tensor weights and symmetric activations', () => {
    const { graph: t } = quantizeGraph(g, samples, { perChannel: false, symmetric: true, evaluate: false });
    expect(specViolations(t)).toEqual([]);
    expect(byName(t, 'w1').quant!.scale).toHaveLength(1);
    expect(byName(t, 'b1').quant!.scale).toHaveLength(1);
    for (const name of ['image', 'conv1', 'dw1', 'logits']) expect(byName(t, name).quant!.zeroPoint[0]).toBe(0);
    expect(byName(t, 'probs').quant!.zeroPoint[0]).toBe(-128);
  });
});

describe('calibration methods', () => {
  const g = smallNet(5);
  const samples = samplesFor(g, 30, 9);
  it.each(['minmax', 'percentile', 'mse', 'entropy'] as const)('%s gives a spec-conforming model', (method) => {
    const { graph: q, report } = quantizeGraph(g, samples, { calibration: method, percentile: 99.9, evaluate: 10 });
    expect(specViolations(q)).toEqual([]);
    expect(report.method).toBe(method);
    expect(report.outputs[0].sqnrDb).toBeGreaterThan(15);
    // Clipping methods never widen a range beyond min/max (for outputs not sharing a CONCATENATION's parameters).
    for (const l of report.layers.filter((x) => x.output === 'dw1' || x.output === 'logits')) {
      expect(l.calibratedRange.max).toBeLessThanOrEqual(Math.max(0, l.activationRange.max) + 1e-6);
      expect(l.calibratedRange.min).toBeGreaterThanOrEqual(Math.min(0, l.activationRange.min) - 1e-6);
    }
  });
});

describe('16x8 (int16 activations)', () => {
  const g = smallNet(2);
  const samples = samplesFor(g, 20, 4);

  it('whole model: int16 activations, int64 bias, int8 graph input/output via QUANTIZE', () => {
    const { graph: q, report } = quantizeGraph(g, samples, { int16: true, evaluate: 10 });
    expect(specViolations(q)).toEqual([]);
    expect(q.ops[0].type).toBe('QUANTIZE');
    expect(q.ops[q.ops.length - 1].type).toBe('QUANTIZE');
    expect(report.insertedQuantizeOps).toBe(2);
    expect(byName(q, 'conv1').dtype).toBe('int16');
    expect(byName(q, 'conv1').quant!.zeroPoint[0]).toBe(0);
    expect(byName(q, 'b1').dtype).toBe('int64');
    expect(byName(q, 'probs').dtype).toBe('int8');
    expect(byName(q, 'probs/int16').quant!.scale[0]).toBe(1 / 32768);
    // Runs, and 16-bit activations are more accurate than 8-bit ones.
    const out = runGraph(prepareGraph(q), [quantizeInput(q.tensors[q.inputs[0]], samples[0][0] as Float32Array)]);
    expect(out[0]).toBeInstanceOf(Int8Array);
    const int8 = quantizeGraph(g, samples, { evaluate: 10 }).report;
    const sq = (r: typeof report, name: string) => r.layers.find((l) => l.output === name)!.sqnrDb!;
    expect(sq(report, 'logits')).toBeGreaterThan(sq(int8, 'logits'));
    // It survives a write / import round trip.
    const back = importTflite(writeTflite(q), q.name);
    expect(runGraph(prepareGraph(back), [quantizeInput(back.tensors[back.inputs[0]], samples[0][0] as Float32Array)])).toEqual(out);
  });

  it('chosen layers by index and by output name, with QUANTIZE at the boundaries', () => {
    const { graph: q, report } = quantizeGraph(g, samples, { int16: [1, 'logits'], evaluate: 5 });
    expect(specViolations(q)).toEqual([]);
    expect(report.int16Layers).toEqual([1, 6]);
    expect(byName(q, 'dw1').dtype).toBe('int16');
    expect(byName(q, 'conv1').dtype).toBe('int8');
    expect(byName(q, 'conv2').dtype).toBe('int8');
    expect(byName(q, 'logits').dtype).toBe('int16');
    // conv1 -> int16 for dw1; dw1 -> int8 for conv2; flatten -> int16 for the FC; logits -> int8 for the softmax.
    expect(q.ops.filter((o) => o.type === 'QUANTIZE')).toHaveLength(4);
    runGraph(prepareGraph(q), [quantizeInput(q.tensors[q.inputs[0]], samples[0][0] as Float32Array)]);
  });

  it('keeps int64 biases within the 2^47 the 16x8 requantization takes (a channel of near-zero weights)', () => {
    const r = rng(9);
    const b = new GraphBuilder('tiny');
    const x = b.input([1, 4, 4, 2], 'x');
    const wv = randomFloats(3 * 2 * 2 * 2, r, -0.5, 0.5);
    for (let i = 8; i < 16; i++) wv[i] = 1e-12 * (i - 11.5); // channel 1: weights of ~1e-12
    const w = b.constant([3, 2, 2, 2], wv, 'w');
    const bias = b.constant([3], Float32Array.from([0.1, 0.5, -0.2]), 'bias');
    const y = b.op('CONV_2D', [x, w, bias], [1, 3, 3, 3], conv(1, 'VALID', 'NONE'), 'conv');
    const tg = b.build([y]);
    const { graph: q } = quantizeGraph(tg, samplesFor(tg, 8, 5), { int16: true, evaluate: 0 });
    const qb = byName(q, 'bias');
    expect(qb.dtype).toBe('int64');
    for (const v of qb.data as BigInt64Array) expect(v < 0n ? -v : v).toBeLessThanOrEqual(2n ** 46n);
    expect(() => prepareGraph(q)).not.toThrow();
  });

  it('rejects unknown layers', () => {
    expect(() => quantizeGraph(g, samples, { int16: ['nope'] })).toThrow(InputError);
    expect(() => quantizeGraph(g, samples, { int16: [99] })).toThrow(/out of range/);
  });
});

describe('fixed output scales that meet', () => {
  it('requantizes LOGISTIC and TANH outputs that a CONCATENATION joins', () => {
    const b = new GraphBuilder('fixed');
    const x = b.input([1, 4]);
    const s = b.op('LOGISTIC', [x], [1, 4], {}, 'sig');
    const t = b.op('TANH', [x], [1, 4], {}, 'tanh');
    const c = b.op('CONCATENATION', [s, t], [1, 8], { axis: 1, activation: 'NONE' }, 'cat');
    const g = b.build([c]);
    const samples = samplesFor(g, 10, 1, -3, 3);
    const { graph: q, report } = quantizeGraph(g, samples);
    expect(specViolations(q)).toEqual([]);
    expect(report.insertedQuantizeOps).toBe(2);
    expect(byName(q, 'sig').quant!.scale[0]).toBe(1 / 256);
    expect(byName(q, 'tanh').quant!.scale[0]).toBe(1 / 128);
    const fp = prepareGraph(g);
    const qp = prepareGraph(q);
    const f = runGraph(fp, samples[0])[0] as Float32Array;
    const y = dequantizeOutput(q.tensors[q.outputs[0]], runGraph(qp, [quantizeInput(q.tensors[q.inputs[0]], samples[0][0] as Float32Array)])[0]);
    for (let i = 0; i < 8; i++) expect(Math.abs(y[i] - f[i])).toBeLessThan(0.02);
  });

  it('quantizes a float constant operand of ADD like an activation', () => {
    const b = new GraphBuilder('addconst');
    const x = b.input([1, 4]);
    const k = b.constant([1, 4], Float32Array.from([0.5, -0.25, 1, 0]), 'k');
    const y = b.op('ADD', [x, k], [1, 4], RELU, 'sum');
    const g = b.build([y]);
    const { graph: q } = quantizeGraph(g, samplesFor(g, 10));
    expect(specViolations(q)).toEqual([]);
    expect(byName(q, 'k').dtype).toBe('int8');
    expect(byName(q, 'sum').quant!.zeroPoint[0]).toBe(-128);
  });
});

describe('bias correction', () => {
  it('removes the mean output error that weight quantization causes', () => {
    // Weights just above half a quantization step: rounding shifts every output the same way.
    const b = new GraphBuilder('bc');
    const x = b.input([1, 64]);
    const r = rng(11);
    const w = new Float32Array(16 * 64);
    for (let o = 0; o < 16; o++) {
      w[o * 64] = 1.27; // sets the scale to 0.01
      for (let i = 1; i < 64; i++) w[o * 64 + i] = 0.0049 + 0.0001 * r();
    }
    const bias = b.constant([16], new Float32Array(16), 'bias');
    const y = b.op('FULLY_CONNECTED', [x, b.constant([16, 64], w, 'w'), bias], [1, 16], { activation: 'NONE', keepNumDims: false }, 'y');
    const g = b.build([y]);
    const samples = samplesFor(g, 50, 2, 0, 1);
    const meanError = (q: Graph): number => {
      const fp = prepareGraph(g);
      const qp = prepareGraph(q);
      let e = 0;
      for (const s of samples) {
        const f = runGraph(fp, s)[0] as Float32Array;
        const d = dequantizeOutput(q.tensors[q.outputs[0]], runGraph(qp, [quantizeInput(q.tensors[q.inputs[0]], s[0] as Float32Array)])[0]);
        for (let i = 0; i < f.length; i++) e += d[i] - f[i];
      }
      return Math.abs(e / (samples.length * 16));
    };
    const plain = quantizeGraph(g, samples, { evaluate: false }).graph;
    const corrected = quantizeGraph(g, samples, { biasCorrection: true, evaluate: false }).graph;
    expect(meanError(plain)).toBeGreaterThan(0.1);
    expect(meanError(corrected)).toBeLessThan(meanError(plain) / 5);
  });
});

describe('errors', () => {
  it('names an op that has no kernel for the quantized type (HARD_SWISH has no int16 kernel)', () => {
    const b = new GraphBuilder('hs');
    const x = b.input([1, 8]);
    const h = b.op('HARD_SWISH', [x], [1, 8], {}, 'hswish');
    const y = b.op('RELU', [h], [1, 8], {}, 'out');
    const g = b.build([y]);
    const samples = samplesFor(g, 5, 1, -4, 4);
    expect(() => quantizeGraph(g, samples)).not.toThrow();
    let err: unknown;
    try {
      quantizeGraph(g, samples, { int16: ['hswish'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as Error).message).toMatch(/op #0 HARD_SWISH \('hswish'\) cannot be quantized to int16/);
  });

  it('refuses a model that is already quantized, and bad samples', () => {
    const g = smallNet();
    const { graph: q } = quantizeGraph(g, samplesFor(g, 3), { evaluate: false });
    expect(() => quantizeGraph(q, samplesFor(g, 3))).toThrow(/already/);
    expect(() => quantizeGraph(g, [])).toThrow(InputError);
    expect(() => quantizeGraph(g, [[new Float32Array(5)]])).toThrow(/needs 192 float32/);
  });

  it('refuses weights that are not constant', () => {
    const b = new GraphBuilder('dyn');
    const x = b.input([1, 4]);
    const w = b.input([3, 4]);
    const y = b.op('FULLY_CONNECTED', [x, w], [1, 3], { activation: 'NONE', keepNumDims: false }, 'y');
    const g = b.build([y]);
    expect(() => quantizeGraph(g, samplesFor(g, 2))).toThrow(/op #0 FULLY_CONNECTED .* weights 'input1' are not a float32 constant/);
  });
});

describe('quantizeGraph on the ops of issue #13 part C', () => {
  it('gives every output of SPLIT_V the input parameters, and LOG_SOFTMAX its fixed 16/256 at 127', () => {
    const b = new GraphBuilder('split');
    const x = b.input([1, 6], 'x');
    const sizes = b.constant([2], Int32Array.from([2, 4]), 'sizes');
    const axis = b.constant([], Int32Array.from([1]), 'axis');
    const parts = [2, 4].map((n, k) => b.tensors.push({ id: b.tensors.length, name: `part${k}`, shape: [1, n], dtype: 'float32' }) - 1);
    b.ops.push({ index: 0, type: 'SPLIT_V', inputs: [x, sizes, axis], outputs: parts, attrs: { numSplits: 2 } } as never);
    const ls = b.op('LOG_SOFTMAX', [parts[1]], [1, 4], {}, 'logp');
    const g = b.build([parts[0], ls]);
    const { graph: q } = quantizeGraph(g, samplesFor(g, 20, 5, -3, 3), { evaluate: false });
    expect(specViolations(q)).toEqual([]);
    const qp = (n: string) => [byName(q, n).quant!.scale[0], byName(q, n).quant!.zeroPoint[0]];
    expect(qp('part0')).toEqual(qp('x'));
    expect(qp('part1')).toEqual(qp('x'));
    expect(qp('logp')).toEqual([16 / 256, 127]);
  });
});

describe('quantizeGraph on CUMSUM', () => {
  it("quantizes CUMSUM's input with zero point 0, where TFLite Micro's int8 running sum (which starts at -zero point) is exact", () => {
    const b = new GraphBuilder('cumsum');
    const x = b.input([2, 6], 'x');
    const axis = b.constant([], Int32Array.from([1]), 'axis');
    const y = b.op('CUMSUM', [x, axis], [2, 6], { exclusive: false, reverse: false }, 'y');
    const g = b.build([y]);
    // Inputs in [-1, 3]: an asymmetric input would get a zero point near -64.
    const samples = samplesFor(g, 30, 9, -1, 3);
    const { graph: q } = quantizeGraph(g, samples, { evaluate: false });
    expect(byName(q, 'x').quant!.zeroPoint[0]).toBe(0);
    expect(byName(q, 'y').quant!.zeroPoint[0]).not.toBe(0);
    // The int8 model then tracks the float running sums to within a few output steps.
    const input = samples[0][0];
    const [want] = runGraph(prepareGraph(g), [input]) as Float32Array[];
    const [got] = runGraph(prepareGraph(q), [quantizeInput(q.tensors[q.inputs[0]], input)]);
    const deq = dequantizeOutput(q.tensors[q.outputs[0]], got);
    const step = byName(q, 'y').quant!.scale[0];
    want.forEach((v, i) => expect(Math.abs(deq[i] - v), `element ${i}`).toBeLessThanOrEqual(2 * step));
  });
});
