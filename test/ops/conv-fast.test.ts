/**
 * The fast evaluate kernels of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (double
 * accumulation, padded scratch inputs, blocked matrix products, inlined requantization) against
 * the plain reference loops each op file keeps (`reference`, TFLite Micro's loops): bit-exact for int8 and 16x8
 * (int64 and int32 accumulators). For float32 the reference sums in doubles too (the kernels'
 * documented semantics; agreement with TFLite's float32 sums is the float golden test's job),
 * so only summation order may differ. Also the inlined requantization against fixedpoint.ts on
 * random and extreme totals, multipliers and shifts.
 */
import { describe, expect, it } from 'vitest';
import type { FusedActivation, Padding } from '../../src/ir/attrs.js';
import type { Conv2DAttrs } from '../../src/ops/conv2d.js';
import type { DepthwiseConv2DAttrs } from '../../src/ops/depthwise-conv2d.js';
import type { DType, Quantization, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { multiplyByQuantizedMultiplier } from '../../src/fixedpoint.js';
import { conv2d, conv2dReference } from '../../src/ops/conv2d.js';
import { finalizeInt16Wide, finalizeInt32, requant32Constants, requant64Constants } from '../../src/ops/requant-fast.js';
import { requantize16 } from '../../src/ops/layer-params.js';
import { depthwiseConv2d, depthwiseReference } from '../../src/ops/depthwise-conv2d.js';
import { fullyConnected, fullyConnectedReference } from '../../src/ops/fully-connected.js';
import type { AnyOpDef, OpContext } from '../../src/ops/op-def.js';
import { randomInt16, randomInt8, rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

type Kind = 'int8' | 'int16' | 'float32';
type BiasKind = 'none' | 'int32' | 'int64' | 'float32';

const clampTo = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

// ---------------------------------------------------------------------------------------------
// Random cases
// ---------------------------------------------------------------------------------------------

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

interface Case {
  def: AnyOpDef;
  ctx: OpContext;
  params: unknown;
  inputs: (TensorData | undefined)[];
  ref: (p: never, inputs: (TensorData | undefined)[], outputs: TensorData[]) => void;
}

function ri(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function randomData(dtype: DType, n: number, rand: () => number): TensorData {
  if (dtype === 'int8') return randomInt8(n, rand);
  if (dtype === 'int16') return randomInt16(n, rand);
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 4);
}

/**
 * Biases over the whole range the dtype allows sometimes (int32 wrap); int64 ones up to 2^44,
 * beyond the fast path's exact range (BigInt fallback) yet inside the 2^47 prepare accepts.
 */
function randomBias(kind: BiasKind, n: number, rand: () => number): TensorData | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'float32') return Float32Array.from({ length: n }, () => (rand() - 0.5) * 2);
  const extreme = rand() < 0.15;
  if (kind === 'int32') {
    return Int32Array.from({ length: n }, () => (extreme ? (rand() < 0.5 ? -1 : 1) * (2147483647 - ri(rand, 0, 20000)) : ri(rand, -40000, 40000)));
  }
  return BigInt64Array.from({ length: n }, () => {
    if (!extreme) return BigInt(ri(rand, -8000000, 8000000));
    const big = BigInt(ri(rand, 0, 2 ** 30)) * BigInt(ri(rand, 1, 2 ** 14));
    return rand() < 0.5 ? -big : big;
  });
}

function quantOf(kind: Kind, rand: () => number, scale: number): TensorSpec['quant'] {
  if (kind === 'float32') return undefined;
  return { scale, zeroPoint: kind === 'int8' ? ri(rand, -128, 127) : 0 };
}

function weightsQuant(kind: Kind, rand: () => number, channels: number, dim: number): Quantization | undefined {
  if (kind === 'float32') return undefined;
  const perChannel = rand() < 0.7;
  const scales = Array.from({ length: perChannel ? channels : 1 }, () => 0.002 + rand() * 0.03);
  return { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: dim };
}

function biasKinds(kind: Kind): BiasKind[] {
  if (kind === 'int8') return ['none', 'int32'];
  if (kind === 'int16') return ['none', 'int64', 'int32'];
  return ['none', 'float32'];
}

/** Output scale putting typical accumulators inside the output range (some saturate). */
function outputScale(kind: Kind, rand: () => number, inScale: number, wScale: number, taps: number): number {
  if (kind === 'float32') return 1;
  const range = kind === 'int8' ? 128 : 32768;
  return (inScale * wScale * range * 128 * Math.sqrt(taps) * (0.2 + rand())) / (kind === 'int8' ? 60 : 15000);
}

/**
 * Shapes from tiny to a few thousand outputs per channel block: blocked-product tails (odd
 * rows, channel counts not a multiple of 4), several accumulator chunks, pointwise and
 * single-input-channel convolutions, groups, dilation, strides, both paddings, batches.
 */
function convCase(rand: () => number, kind: Kind, biasKind: BiasKind): Case {
  for (;;) {
    const shape = rand();
    const pointwise = shape < 0.25;
    const big = shape > 0.9;
    const groups = !pointwise && rand() < 0.2 ? ri(rand, 2, 3) : 1;
    const fIC = pointwise ? ri(rand, 1, 70) : rand() < 0.3 ? 1 : ri(rand, 1, 9);
    const inC = fIC * groups;
    const outC = groups * (big ? ri(rand, 8, 40) : ri(rand, 1, 13));
    const fH = pointwise ? 1 : ri(rand, 1, 4);
    const fW = pointwise ? 1 : ri(rand, 1, 4);
    const a: Conv2DAttrs = {
      padding: (pointwise ? 'VALID' : rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
      strideH: pointwise ? 1 : ri(rand, 1, 3),
      strideW: pointwise ? 1 : ri(rand, 1, 3),
      dilationH: !pointwise && rand() < 0.25 ? 2 : 1,
      dilationW: !pointwise && rand() < 0.25 ? ri(rand, 2, 3) : 1,
      activation: ACTIVATIONS[ri(rand, 0, 3)],
    };
    const inH = big ? ri(rand, 30, 48) : ri(rand, 1, 12);
    const inW = big ? ri(rand, 30, 48) : ri(rand, 1, 12);
    const inShape = [ri(rand, 1, 2), inH, inW, inC];
    const fShape = [outC, fH, fW, fIC];
    const inScale = 0.01 + rand() * 0.1;
    const wq = weightsQuant(kind, rand, outC, 0);
    const filterDtype: DType = kind === 'float32' ? 'float32' : 'int8';
    const filterData = kind === 'float32' ? randomData('float32', elementCount(fShape), rand) : randomInt8(elementCount(fShape), rand, -127, 127);
    const bias = randomBias(biasKind, outC, rand);
    const biasDtype: DType = biasKind === 'none' ? 'int32' : (biasKind as DType);
    const specs: (TensorSpec | undefined)[] = [
      { shape: inShape, dtype: kind, quant: quantOf(kind, rand, inScale) },
      { shape: fShape, dtype: filterDtype, ...(wq ? { quant: wq } : {}), data: filterData },
      bias ? { shape: [outC], dtype: biasDtype, data: bias } : undefined,
    ];
    let outShape: number[];
    try {
      [outShape] = conv2d.inferShapes(singleOpContext('CONV_2D', a, specs, [{ shape: [], dtype: kind }]));
    } catch {
      continue; // window larger than the input: draw again
    }
    const outQ = quantOf(kind, rand, outputScale(kind, rand, inScale, wq?.scale[0] ?? 1, fH * fW * fIC));
    const ctx = singleOpContext('CONV_2D', a, specs, [{ shape: outShape, dtype: kind, ...(outQ ? { quant: outQ } : {}) }]);
    const params = conv2d.prepare(ctx);
    const inputs = [randomData(kind, elementCount(inShape), rand), filterData, bias];
    return { def: conv2d as unknown as AnyOpDef, ctx: ctx as unknown as OpContext, params, inputs, ref: conv2dReference as Case['ref'] };
  }
}

function depthwiseCase(rand: () => number, kind: Kind, biasKind: BiasKind): Case {
  for (;;) {
    const big = rand() > 0.85;
    const inC = big ? ri(rand, 8, 40) : ri(rand, 1, 9);
    const mult = rand() < 0.3 ? ri(rand, 2, 3) : 1;
    const outC = inC * mult;
    const square3 = rand() < 0.5;
    const fH = square3 ? 3 : ri(rand, 1, 5);
    const fW = square3 ? 3 : ri(rand, 1, 5);
    const a: DepthwiseConv2DAttrs = {
      padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
      strideH: ri(rand, 1, 3),
      strideW: ri(rand, 1, 3),
      dilationH: rand() < 0.25 ? 2 : 1,
      dilationW: rand() < 0.25 ? ri(rand, 2, 3) : 1,
      activation: ACTIVATIONS[ri(rand, 0, 3)],
      depthMultiplier: mult,
    };
    const inShape = [ri(rand, 1, 2), big ? ri(rand, 30, 50) : ri(rand, 1, 12), big ? ri(rand, 30, 50) : ri(rand, 1, 12), inC];
    const fShape = [1, fH, fW, outC];
    const inScale = 0.01 + rand() * 0.1;
    const wq = weightsQuant(kind, rand, outC, 3);
    const filterDtype: DType = kind === 'float32' ? 'float32' : 'int8';
    const filterData = kind === 'float32' ? randomData('float32', elementCount(fShape), rand) : randomInt8(elementCount(fShape), rand, -127, 127);
    // TFLM's 16x8 depthwise kernel takes int64 bias only.
    const bk: BiasKind = kind === 'int16' && biasKind === 'int32' ? 'int64' : biasKind;
    const bias = randomBias(bk, outC, rand);
    const specs: (TensorSpec | undefined)[] = [
      { shape: inShape, dtype: kind, quant: quantOf(kind, rand, inScale) },
      { shape: fShape, dtype: filterDtype, ...(wq ? { quant: wq } : {}), data: filterData },
      bias ? { shape: [outC], dtype: bk as DType, data: bias } : undefined,
    ];
    let outShape: number[];
    try {
      [outShape] = depthwiseConv2d.inferShapes(singleOpContext('DEPTHWISE_CONV_2D', a, specs, [{ shape: [], dtype: kind }]));
    } catch {
      continue;
    }
    const outQ = quantOf(kind, rand, outputScale(kind, rand, inScale, wq?.scale[0] ?? 1, fH * fW));
    const ctx = singleOpContext('DEPTHWISE_CONV_2D', a, specs, [{ shape: outShape, dtype: kind, ...(outQ ? { quant: outQ } : {}) }]);
    const params = depthwiseConv2d.prepare(ctx);
    const inputs = [randomData(kind, elementCount(inShape), rand), filterData, bias];
    return { def: depthwiseConv2d as unknown as AnyOpDef, ctx: ctx as unknown as OpContext, params, inputs, ref: depthwiseReference as Case['ref'] };
  }
}

function fullyConnectedCase(rand: () => number, kind: Kind, biasKind: BiasKind): Case {
  const batches = rand() < 0.3 ? ri(rand, 4, 40) : ri(rand, 1, 3);
  const depth = ri(rand, 1, 300);
  const units = ri(rand, 1, 70);
  const inScale = 0.01 + rand() * 0.1;
  const wq = weightsQuant(kind, rand, units, 0);
  // Per-tensor int8 weights may carry a zero point (TFLM's weights offset).
  if (wq && kind === 'int8' && wq.scale.length === 1 && rand() < 0.5) wq.zeroPoint = [ri(rand, -20, 20)];
  const filterDtype: DType = kind === 'float32' ? 'float32' : 'int8';
  const weights = kind === 'float32' ? randomData('float32', units * depth, rand) : randomInt8(units * depth, rand, -127, 127);
  const bias = randomBias(biasKind, units, rand);
  const specs: (TensorSpec | undefined)[] = [
    { shape: [batches, depth], dtype: kind, quant: quantOf(kind, rand, inScale) },
    { shape: [units, depth], dtype: filterDtype, ...(wq ? { quant: wq } : {}), data: weights },
    bias ? { shape: [units], dtype: biasKind as DType, data: bias } : undefined,
  ];
  const a = { activation: ACTIVATIONS[ri(rand, 0, 3)], keepNumDims: false };
  const outQ = quantOf(kind, rand, outputScale(kind, rand, inScale, wq?.scale[0] ?? 1, depth));
  const ctx = singleOpContext('FULLY_CONNECTED', a, specs, [{ shape: [batches, units], dtype: kind, ...(outQ ? { quant: outQ } : {}) }]);
  const params = fullyConnected.prepare(ctx);
  const inputs = [randomData(kind, batches * depth, rand), weights, bias];
  return { def: fullyConnected as unknown as AnyOpDef, ctx: ctx as unknown as OpContext, params, inputs, ref: fullyConnectedReference as Case['ref'] };
}

/**
 * Sometimes replaces the requantization constants with extremes prepare would not produce from
 * ordinary scales: left shifts, the largest right shifts, zero and near-2^31 multipliers (left
 * shifts up to 7 with an int64 accumulator, the most TFLite's 64-bit requantization takes).
 */
function perturbRequant(c: Case, rand: () => number): void {
  const p = c.params as { kind: Kind; accumulator?: 'int32' | 'int64'; outputMultiplier?: number[]; outputShift?: number[] };
  if (p.kind === 'float32' || rand() < 0.6) return;
  const maxLeft = p.kind === 'int16' && p.accumulator === 'int64' ? 7 : 12;
  p.outputMultiplier = p.outputMultiplier!.map(() => [0, 1 << 30, 2147483647, 1073741824 + ri(rand, 0, 1073741823)][ri(rand, 0, 3)]);
  p.outputShift = p.outputShift!.map(() => (rand() < 0.5 ? ri(rand, 0, maxLeft) : ri(rand, -31, -1)));
}

function expectMatchesReference(c: Case, label: string): void {
  const out = c.ctx.outputs[0];
  const got = allocTensorData(out.dtype, elementCount(out.shape));
  const want = allocTensorData(out.dtype, elementCount(out.shape));
  c.def.evaluate(c.params, c.inputs, [got]);
  c.ref(c.params as never, c.inputs, [want]);
  if (out.dtype !== 'float32') {
    expect(Array.from(got as Int8Array | Int16Array), label).toEqual(Array.from(want as Int8Array | Int16Array));
    return;
  }
  const g = got as Float32Array;
  const w = want as Float32Array;
  let range = 1e-6;
  for (let i = 0; i < w.length; i++) range = Math.max(range, Math.abs(w[i]));
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i] - w[i]) / range);
  expect(worst, label).toBeLessThan(1e-12);
}

const OPS = [
  ['CONV_2D', convCase],
  ['DEPTHWISE_CONV_2D', depthwiseCase],
  ['FULLY_CONNECTED', fullyConnectedCase],
] as const;

describe('fast conv-like evaluate matches the reference loops', () => {
  for (const [name, make] of OPS) {
    for (const kind of ['int8', 'int16', 'float32'] as const) {
      it(`${name} ${kind}: random shapes, biases and requantization constants`, () => {
        const rand = rng(name.length * 1000 + kind.length);
        const kinds = biasKinds(kind);
        for (let i = 0; i < 120; i++) {
          const c = make(rand, kind, kinds[i % kinds.length]);
          perturbRequant(c, rand);
          expectMatchesReference(c, `${name} ${kind} case ${i}`);
        }
      });
    }
  }

  it('results do not depend on what ran before (scratch buffers are reused)', () => {
    const rand = rng(77);
    const cases = Array.from({ length: 30 }, (_, i) => OPS[i % 3][1](rand, 'int8', 'int32'));
    const first = cases.map((c) => {
      const t = c.ctx.outputs[0];
      const o = allocTensorData(t.dtype, elementCount(t.shape));
      c.def.evaluate(c.params, c.inputs, [o]);
      return Array.from(o as Int8Array);
    });
    for (let k = cases.length - 1; k >= 0; k--) {
      const t = cases[k].ctx.outputs[0];
      const o = allocTensorData(t.dtype, elementCount(t.shape));
      cases[k].def.evaluate(cases[k].params, cases[k].inputs, [o]);
      expect(Array.from(o as Int8Array), `case ${k}`).toEqual(first[k]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Requantization of finished accumulators
// ---------------------------------------------------------------------------------------------

/** Totals around the fast path's limits and int32 wrap-around, plus ordinary ones. */
function randomAccumulator(rand: () => number): number {
  const r = rand();
  if (r < 0.4) return ri(rand, -300000, 300000);
  if (r < 0.7) return Math.round((rand() - 0.5) * 2 ** ri(rand, 1, 34));
  if (r < 0.85) return (rand() < 0.5 ? -1 : 1) * (2 ** ri(rand, 20, 31) + ri(rand, -3, 3));
  return Math.round((rand() - 0.5) * 2 ** 40);
}

describe('inlined requantization matches fixedpoint.ts', () => {
  it('int32 totals (int8 and 16x8 with int32 bias): MultiplyByQuantizedMultiplier exactly', () => {
    const rand = rng(4242);
    for (let trial = 0; trial < 300; trial++) {
      const channels = ri(rand, 1, 6);
      const pixels = ri(rand, 1, 40);
      const mults = Array.from({ length: channels }, () => [0, 1, 1 << 30, 2147483647, ri(rand, 1 << 30, 2147483647), ri(rand, 0, 2147483647)][ri(rand, 0, 5)]);
      const shifts = Array.from({ length: channels }, () => ri(rand, -31, 31));
      const bias = Int32Array.from({ length: channels }, () => (rand() < 0.2 ? 2147483647 - ri(rand, 0, 1000) : ri(rand, -100000, 100000)) * (rand() < 0.5 ? -1 : 1));
      const acc: number[] = Array.from({ length: pixels * channels }, () => randomAccumulator(rand));
      const outOff = ri(rand, -128, 127);
      const [lo, hi] = rand() < 0.5 ? [-128, 127] : [ri(rand, -128, 0), ri(rand, 1, 127)];
      const rq = requant32Constants(mults, shifts, true, channels);
      for (const useBias of [true, false]) {
        const got = new Int8Array(pixels * channels);
        finalizeInt32(acc, pixels, channels, useBias ? bias : undefined, rq, outOff, lo, hi, got, 0);
        const got16 = new Int16Array(pixels * channels);
        finalizeInt32(acc, pixels, channels, useBias ? bias : undefined, rq, 0, -32768, 32767, got16, 0);
        for (let i = 0; i < acc.length; i++) {
          const c = i % channels;
          const total = (useBias ? acc[i] + bias[c] : acc[i]) | 0;
          const v = multiplyByQuantizedMultiplier(total, mults[c], shifts[c]);
          expect(got[i], `acc ${acc[i]} bias ${useBias ? bias[c] : 0} M ${mults[c]} shift ${shifts[c]}`).toBe(clampTo(v + outOff, lo, hi));
          expect(got16[i], `16-bit: acc ${acc[i]} M ${mults[c]} shift ${shifts[c]}`).toBe(clampTo(v, -32768, 32767));
        }
      }
    }
  });

  it('int64 totals (16x8 with int64 bias): the BigInt reference exactly, up to the 2^47 prepare allows', () => {
    const rand = rng(777);
    for (let trial = 0; trial < 300; trial++) {
      const channels = ri(rand, 1, 6);
      const pixels = ri(rand, 1, 30);
      const mults = Array.from({ length: channels }, () => [0, 1, 32767, 1 << 30, 0x7fff0000, 2147483647, ri(rand, 1 << 30, 2147483647)][ri(rand, 0, 6)]);
      // TFLite's domain: shift in [-31, 7], |acc + bias| < 2^47 (accumulators stay below 2^40).
      const shifts = Array.from({ length: channels }, () => ri(rand, -31, 7));
      const bias = BigInt64Array.from({ length: channels }, () => {
        const r = rand();
        if (r < 0.5) return BigInt(ri(rand, -5000000, 5000000));
        if (r < 0.8) return BigInt(Math.round((rand() - 0.5) * 2 ** ri(rand, 30, 47)));
        return BigInt(ri(rand, 0, 2 ** 31)) * BigInt(ri(rand, 0, 2 ** 15)) * (rand() < 0.5 ? -1n : 1n);
      });
      const acc: number[] = Array.from({ length: pixels * channels }, () => randomAccumulator(rand));
      const useBias = rand() < 0.8;
      const rq = requant64Constants(mults, shifts, true, channels, useBias ? bias : undefined);
      const got = new Int16Array(pixels * channels);
      finalizeInt16Wide(acc, pixels, channels, useBias ? bias : undefined, rq, 0, -32768, 32767, got, 0);
      for (let i = 0; i < acc.length; i++) {
        const c = i % channels;
        const v = requantize16(acc[i], useBias ? bias : undefined, c, 'int64', mults[c], shifts[c]);
        expect(got[i], `acc ${acc[i]} bias ${useBias ? bias[c] : 0n} M ${mults[c]} shift ${shifts[c]}`).toBe(clampTo(v, -32768, 32767));
      }
    }
  });
});
