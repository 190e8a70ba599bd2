/**
 * Sub-byte weights: the grids, MSE-optimal clipping against plain round to nearest, GPTQ's
 * output error against clipping alone, the layer input statistics against the float
 * interpreter, and `quantizeGraph` with `subByte` on a small network (grid values, encoding,
 * layers kept int8, report bytes and errors).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { MAX_GROUP_MULTIPLIER, fitsEncoding, type SubByteKind } from '../../src/ir/weight-encoding.js';
import { clipSearchRow, maxScale, roundRow, rowSquaredError } from '../../src/quantize/clip-search.js';
import { adaroundRow } from '../../src/quantize/adaround.js';
import { gptqRow, outputError, prepareHessian } from '../../src/quantize/gptq.js';
import { quantizeGraph, type CalibrationSample } from '../../src/quantize/index.js';
import { subByteChoices } from '../../src/quantize/subbyte.js';
import { HessianAccumulator, layerRows } from '../../src/quantize/layer-hessian.js';
import { gridPoint } from '../../src/quantize/subbyte-grid.js';
import { groupScales, roundGroupsNearest } from '../../src/quantize/groups.js';
import { GraphBuilder, conv, randomFloats, rng, specViolations } from './helpers.js';

const KINDS: SubByteKind[] = ['int4', 'int2', 'ternary', 'binary'];

/** Gaussian-ish values (sum of uniforms) with a few large outliers, like trained weights. */
function weightsLike(n: number, r: () => number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = (r() + r() + r() + r() - 2) * 0.5;
  for (let k = 0; k < Math.max(1, n >> 6); k++) w[Math.floor(r() * n)] *= 4;
  return w;
}

describe('sub-byte grids', () => {
  it('round into each width\'s values only', () => {
    const r = rng(5);
    for (const kind of KINDS) {
      for (let i = 0; i < 2000; i++) {
        const q = gridPoint(kind, (r() - 0.5) * 40, 0.3 + r());
        expect(fitsEncoding({ kind }, q), `${kind} ${q}`).toBe(true);
      }
    }
    expect([-9, -8.4, -0.5, 0.49, 7.6].map((w) => gridPoint('int4', w, 1))).toEqual([-8, -8, -1, 0, 7]);
    expect([-3, -1.6, 0.4, 0.6, 5].map((w) => gridPoint('int2', w, 1))).toEqual([-2, -2, 0, 1, 1]);
    expect([0, -0.01, 3].map((w) => gridPoint('binary', w, 1))).toEqual([1, -1, 1]);
  });
});

describe('MSE-optimal clipping', () => {
  it('beats round to nearest at the largest weight\'s scale, for every width', () => {
    const r = rng(11);
    for (const kind of KINDS) {
      let clipped = 0;
      let plain = 0;
      for (let row = 0; row < 32; row++) {
        const w = weightsLike(144, r);
        const c = clipSearchRow(kind, w);
        clipped += rowSquaredError(w, c.q, c.scale);
        const s = maxScale(kind, w);
        plain += rowSquaredError(w, roundRow(kind, w, s), s);
      }
      // Binary's plain scale (the mean magnitude) is already MSE-optimal for sign rounding.
      if (kind === 'binary') expect(clipped).toBeLessThanOrEqual(plain * (1 + 1e-9));
      else expect(clipped, kind).toBeLessThan(plain * 0.9);
    }
  });
});

describe('GPTQ and AdaRound rounding', () => {
  it('have a lower output error than clipping alone on a layer with correlated inputs', () => {
    const r = rng(21);
    const n = 48;
    // Inputs x = A z: correlated features, as a layer's input channels are.
    const a = randomFloats(n * n, r, -1, 1);
    const h = new Float64Array(n * n);
    const samples = 400;
    const x = new Float64Array(n);
    for (let s = 0; s < samples; s++) {
      const z = randomFloats(n, r, -1, 1);
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let k = 0; k < n; k++) v += a[i * n + k] * z[k] * (k < 8 ? 3 : 0.3);
        x[i] = Math.max(0, v); // ReLU'd, as most layer inputs are
      }
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] += (x[i] * x[j]) / samples;
    }
    const prepared = prepareHessian(h, n);
    for (const kind of KINDS) {
      let gptq = 0;
      let ada = 0;
      let clip = 0;
      for (let row = 0; row < 16; row++) {
        const w = weightsLike(n, r);
        const g = gptqRow(kind, w, prepared);
        const a = adaroundRow(kind, w, h);
        for (const q of [...g.q, ...a.q]) expect(fitsEncoding({ kind }, q)).toBe(true);
        gptq += outputError(h, n, w, g);
        ada += outputError(h, n, w, a);
        clip += outputError(h, n, w, clipSearchRow(kind, w));
      }
      expect(gptq, kind).toBeLessThan(clip * 0.8);
      // AdaRound's learned rounding also beats clipping alone (GPTQ does better still here).
      expect(ada, kind).toBeLessThan(clip * 0.8);
    }
  });
});

describe('per-group scales', () => {
  it('reproduce a row whose groups differ in magnitude better than one scale per channel', () => {
    const r = rng(17);
    for (const kind of ['int4', 'int2', 'ternary'] as const) {
      let grouped = 0;
      let channel = 0;
      for (let row = 0; row < 16; row++) {
        const w = weightsLike(128, r);
        for (let k = 0; k < 128; k++) w[k] *= [1, 3, 6, 10][Math.floor(k / 32)];
        const gs = groupScales(kind, w, 32);
        const g = roundGroupsNearest(kind, w, gs);
        for (let k = 0; k < 128; k++) {
          const m = gs.multipliers[Math.floor(k / 32)];
          expect(m).toBeGreaterThanOrEqual(1);
          expect(m).toBeLessThanOrEqual(MAX_GROUP_MULTIPLIER[kind]);
          expect(Math.abs(g.q[k] % m)).toBe(0);
          expect(fitsEncoding({ kind }, g.q[k] / m)).toBe(true);
        }
        grouped += rowSquaredError(w, g.q, g.scale);
        const c = clipSearchRow(kind, w);
        channel += rowSquaredError(w, c.q, c.scale);
      }
      expect(grouped, kind).toBeLessThan(channel * 0.8);
    }
  });
});

describe('layer input statistics', () => {
  /** wᵀ H w must equal the mean square of the layer's (bias-free, linear) output channel. */
  function check(g: Graph, samples: CalibrationSample[]): void {
    const op = g.ops[0];
    const w = g.tensors[op.inputs[1]];
    const prepared = prepareGraph(g);
    const rows = layerRows(op, w.shape, prepared.steps[0].params);
    const acc = new HessianAccumulator(rows, prepared.steps[0].params);
    const outs = samples.map((s) => {
      acc.add(s[0] as Float32Array);
      return runGraph(prepared, s)[0] as Float32Array;
    });
    const hs = acc.matrices();
    const n = rows.cols;
    for (let r = 0; r < rows.rows; r++) {
      const row = Array.from({ length: n }, (_, k) => (w.data as Float32Array)[rows.at(r, k)]);
      const h = hs[rows.hessianOf(r)];
      let quad = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) quad += row[i] * h[i * n + j] * row[j];
      let sum = 0;
      let count = 0;
      for (const o of outs) {
        for (let i = r; i < o.length; i += rows.rows) {
          sum += o[i] * o[i];
          count++;
        }
      }
      expect(quad).toBeCloseTo(sum / count, 4);
    }
  }
  const r = rng(31);
  const sample = (n: number): CalibrationSample[] => Array.from({ length: 3 }, () => [randomFloats(n, r, -1, 1)]);

  it('CONV_2D (SAME padding, stride 2, dilation, groups)', () => {
    const b = new GraphBuilder('c');
    const x = b.input([1, 7, 6, 4]);
    const w = b.constant([6, 3, 3, 2], randomFloats(108, r), 'w');
    b.op('CONV_2D', [x, w], [1, 4, 3, 6], { ...conv(2, 'SAME', 'NONE'), dilationH: 2 }, 'y');
    const g = b.build([b.tensors.length - 1]);
    check(g, sample(7 * 6 * 4));
  });

  it('DEPTHWISE_CONV_2D (depth multiplier 2) and FULLY_CONNECTED', () => {
    const b = new GraphBuilder('d');
    const x = b.input([1, 5, 5, 3]);
    const w = b.constant([1, 3, 3, 6], randomFloats(54, r), 'w');
    b.op('DEPTHWISE_CONV_2D', [x, w], [1, 5, 5, 6], { ...conv(1, 'SAME', 'NONE'), depthMultiplier: 2 }, 'y');
    check(b.build([b.tensors.length - 1]), sample(75));
    const f = new GraphBuilder('f');
    const fx = f.input([2, 10]);
    const fw = f.constant([4, 10], randomFloats(40, r), 'w');
    f.op('FULLY_CONNECTED', [fx, fw], [2, 4], { activation: 'NONE', keepNumDims: false }, 'y');
    check(f.build([f.tensors.length - 1]), sample(20));
  });
});

/** conv -> depthwise -> conv -> reshape -> fully connected. */
function smallNet(seed = 1): Graph {
  const r = rng(seed);
  const b = new GraphBuilder('small');
  const x = b.input([1, 8, 8, 3], 'image');
  const w1 = b.constant([8, 3, 3, 3], randomFloats(8 * 27, r, -0.5, 0.5), 'w1');
  const b1 = b.constant([8], randomFloats(8, r, -0.1, 0.1), 'b1');
  const c1 = b.op('CONV_2D', [x, w1, b1], [1, 8, 8, 8], conv(1, 'SAME', 'RELU'), 'conv1');
  const dw = b.constant([1, 3, 3, 8], randomFloats(72, r, -1, 1), 'dw');
  const dwb = b.constant([8], randomFloats(8, r, -0.1, 0.1), 'dwb');
  const d1 = b.op('DEPTHWISE_CONV_2D', [c1, dw, dwb], [1, 8, 8, 8], { ...conv(1, 'SAME', 'RELU'), depthMultiplier: 1 }, 'dw1');
  const w2 = b.constant([4, 1, 1, 8], randomFloats(32, r, -0.3, 0.3), 'w2');
  const c2 = b.op('CONV_2D', [d1, w2], [1, 8, 8, 4], conv(1, 'SAME', 'NONE'), 'conv2');
  const shape = b.constant([2], Int32Array.from([1, 256]), 'shape');
  const flat = b.op('RESHAPE', [c2, shape], [1, 256], {}, 'flatten');
  const fw = b.constant([5, 256], randomFloats(5 * 256, r, -0.2, 0.2), 'fc_w');
  const fb = b.constant([5], randomFloats(5, r, -0.2, 0.2), 'fc_b');
  b.op('FULLY_CONNECTED', [flat, fw, fb], [1, 5], { activation: 'NONE', keepNumDims: false }, 'logits');
  return b.build([b.tensors.length - 1]);
}

describe('quantizeGraph with sub-byte weights', () => {
  const g = smallNet();
  const r = rng(41);
  const samples: CalibrationSample[] = Array.from({ length: 30 }, () => [randomFloats(192, r, -1, 1)]);
  const weightOps = [0, 1, 2, 4];

  for (const kind of KINDS) {
    it(`${kind}: every weight layer holds only ${kind} values, with its encoding, per-channel scales and the int8 spec otherwise`, () => {
      const { graph: q, report } = quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: kind }), evaluate: 10 });
      expect(specViolations(q)).toEqual([]);
      for (const i of weightOps) {
        const w = q.tensors[q.ops[i].inputs[1]];
        expect(w.weightEncoding).toEqual({ kind });
        expect(w.dtype).toBe('int8');
        expect((w.data as Int8Array).every((v) => fitsEncoding({ kind }, v))).toBe(true);
        expect(w.quant!.scale.length).toBe(w.shape[q.ops[i].type === 'DEPTHWISE_CONV_2D' ? 3 : 0]);
        expect(report.layers[i].weightBits).toBe(kind === 'int4' ? 4 : kind === 'binary' ? 1 : 2);
      }
      expect(report.subByte!.weights).toBe(kind);
      expect(report.subByte!.parameterBytes).toBeLessThan(report.subByte!.int8ParameterBytes);
      expect(Number.isFinite(report.outputs[0].sqnrDb!)).toBe(true);
      runGraph(prepareGraph(q), [new Int8Array(192)]);
    });
  }

  it('keeps first, last and named layers int8, and counts their bytes', () => {
    const { graph: q, report } = quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int4', keepInt8: ['first', 'last', 'conv2'] }), evaluate: false });
    expect(weightOps.map((i) => q.tensors[q.ops[i].inputs[1]].weightEncoding?.kind ?? 'int8')).toEqual(['int8', 'int4', 'int8', 'int8']);
    expect(report.subByte!.keepInt8).toEqual([0, 2, 4]);
    // conv1: 216 int8 weights + 8 int32 biases; dw1: 72 int4 weights (36 bytes) + 8 biases.
    expect(report.layers[0].parameterBytes).toBe(216 + 32);
    expect(report.layers[1].parameterBytes).toBe(36 + 32);
    expect(report.layers[0].weightBits).toBe(8);
  });

  it('--group-size: conv and dense layers whose channels it divides get group multipliers; int8 values are grid point x multiplier', () => {
    const { graph: q, report } = quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int4', groupSize: 4 }), evaluate: false });
    expect(specViolations(q)).toEqual([]);
    // conv1 has 27 weights per channel (not a multiple of 4) and dw1 is depthwise: per channel only.
    expect(weightOps.map((i) => report.layers[i].weightGroupSize)).toEqual([undefined, undefined, 4, 4]);
    for (const i of [2, 4]) {
      const w = q.tensors[q.ops[i].inputs[1]];
      const enc = w.weightEncoding!;
      if (enc.kind === 'lut' || !enc.groups) throw new Error('no groups');
      const perChannel = (w.data as Int8Array).length / w.shape[0];
      expect(enc.groups.multipliers.length).toBe(w.shape[0] * (perChannel / 4));
      (w.data as Int8Array).forEach((v, k) => {
        const m = enc.groups!.multipliers[Math.floor(k / 4)];
        expect(m >= 1 && m <= 15).toBe(true);
        expect(Math.abs(v % m)).toBe(0);
        expect(fitsEncoding(enc, v / m)).toBe(true);
      });
    }
    // fc: 1,280 int4 weights with per-group multipliers run on the int8 kernels and are stored as
    // int8 (no packed layout carries the multipliers): 1,280 bytes + 5 int32 biases.
    expect(report.layers[4].parameterBytes).toBe(1280 + 20);
    expect(report.subByte!.groupSize).toBe(4);
    expect(() => quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int4', groupSize: 1 }) })).toThrow(/--group-size must be an integer >= 2/);
    expect(() => quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int4', groupSize: 8, rounding: 'adaround' }) })).toThrow(/not adaround/);
  });

  it('rounds with GPTQ by default, which beats clipping alone end to end', () => {
    const gptq = quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int2' }) }).report;
    const nearest = quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int2', rounding: 'nearest' }) }).report;
    expect(gptq.subByte!.rounding).toBe('gptq');
    expect(gptq.outputs[0].sqnrDb!).toBeGreaterThan(nearest.outputs[0].sqnrDb!);
  });

  it('refits each layer to the inputs the quantized earlier layers give it, which beats rounding every layer against float inputs', () => {
    for (const weights of ['int2', 'ternary'] as const) {
      const refit = quantizeGraph(g, samples, { weights: subByteChoices(g, { weights }) }).report;
      const plain = quantizeGraph(g, samples, { weights: subByteChoices(g, { weights, compensate: false }) }).report;
      expect(refit.outputs[0].sqnrDb!, weights).toBeGreaterThan(plain.outputs[0].sqnrDb!);
    }
  });

  it('refuses --keep-int8 items that name no weight layer, naming the item', () => {
    const bad = (keepInt8: (string | number)[]) => () => quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int4', keepInt8 }), evaluate: false });
    expect(bad(['conv9'])).toThrow(InputError);
    expect(bad(['conv9'])).toThrow(/no op of model 'small' writes a tensor named 'conv9'/);
    expect(bad([3])).toThrow(/'3' is op #3 RESHAPE, which has no weights \(layers with weights: #0 CONV_2D, #1 DEPTHWISE_CONV_2D, #2 CONV_2D, #4 FULLY_CONNECTED\)/);
    expect(bad([17])).toThrow(/op index 17 is out of range/);
    expect(() => quantizeGraph(g, samples, { weights: subByteChoices(g, { weights: 'int4' }), perChannel: false })).toThrow(/needs per-channel weight scales/);
  });
});
