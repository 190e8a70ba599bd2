/**
 * Fake quantization with learned step sizes (LSQ, Esser et al. 2020):
 *
 * - weights: symmetric, one step size per output channel, integer values in the width's range
 *   (int8 [-127, 127] as the int8 quantizer writes them, the sub-byte ranges of weight-encoding.ts;
 *   binary is sign(w) in {-1, +1});
 * - activations: asymmetric int8 per tensor, a learned step size and the zero point fixed from the
 *   calibrated range (ReLU outputs: -128, so that 0 is the lowest code as the int8 kernels clamp).
 *
 * The forward pass rounds and saturates like the deployed integer graph: an activation becomes
 * scale * (clamp(round(x / scale) + zp) - zp), what the next int8 kernel reads. Gradients are the
 * straight-through estimator (1 inside the clamp range, 0 outside) and LSQ's step-size gradient,
 * scaled by 1 / sqrt(elements * qmax).
 */
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAwayFromZero, roundingDivideByPOT } from '../fixedpoint.js';
import { SUB_BYTE_RANGE, type SubByteKind } from '../ir/weight-encoding.js';
import { convMultipliers } from '../ops/layer-params.js';
import { nearest } from '../quantize/cluster.js';

export type WeightKind = 'int8' | SubByteKind;

export const WEIGHT_KINDS: readonly WeightKind[] = ['int8', 'int4', 'int2', 'ternary', 'binary'];

/** Inclusive integer range of a weight kind (int8: the int8 quantizer's symmetric [-127, 127]). */
export function weightRange(kind: WeightKind): { qmin: number; qmax: number } {
  if (kind === 'int8') return { qmin: -127, qmax: 127 };
  const r = SUB_BYTE_RANGE[kind];
  return { qmin: r.min, qmax: r.max };
}

/** Rounding of the int8 quantizer (roundHalfAwayFromZero), inlined for the hot loops. */
function roundAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** The integer code of weight value w / s for a kind. */
export function weightCode(v: number, kind: WeightKind, qmin: number, qmax: number): number {
  if (kind === 'binary') return v < 0 ? -1 : 1;
  const q = roundAway(v);
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

export interface WeightLayout {
  /** Elements between consecutive steps of the channel axis. */
  inner: number;
  channels: number;
}

/** ŵ = s[c] · code(w / s[c]). */
export function fakeQuantWeights(w: Float32Array, scales: Float32Array, layout: WeightLayout, kind: WeightKind, out = new Float32Array(w.length)): Float32Array {
  const { qmin, qmax } = weightRange(kind);
  const { inner, channels } = layout;
  // c = floor(i / inner) % channels, counted rather than divided.
  for (let i = 0, c = 0, j = 0; i < w.length; i++) {
    const s = scales[c];
    out[i] = s * weightCode(w[i] / s, kind, qmin, qmax);
    if (++j === inner) {
      j = 0;
      if (++c === channels) c = 0;
    }
  }
  return out;
}

/** Gradients of fakeQuantWeights: dw (STE inside the range) and the LSQ step-size gradient. */
export function fakeQuantWeightsBackward(
  w: Float32Array,
  scales: Float32Array,
  layout: WeightLayout,
  kind: WeightKind,
  dwHat: Float32Array,
  dw: Float32Array,
  dscales: Float32Array,
): void {
  const { qmin, qmax } = weightRange(kind);
  const { inner, channels } = layout;
  const perChannel = w.length / channels;
  const g = new Float32Array(channels);
  for (let c = 0; c < channels; c++) g[c] = 1 / Math.sqrt(perChannel * Math.max(1, qmax));
  // c = floor(i / inner) % channels, counted rather than divided.
  for (let i = 0, c = 0, j = 0; i < w.length; i++) {
    const s = scales[c];
    const v = w[i] / s;
    const d = dwHat[i];
    if (kind === 'binary') {
      if (v >= -1 && v <= 1) dw[i] += d;
      dscales[c] += d * (v < 0 ? -1 : 1) * g[c];
    } else if (v < qmin) dscales[c] += d * qmin * g[c];
    else if (v > qmax) dscales[c] += d * qmax * g[c];
    else {
      dw[i] += d;
      dscales[c] += d * (roundAway(v) - v) * g[c];
    }
    if (++j === inner) {
      j = 0;
      if (++c === channels) c = 0;
    }
  }
}

/**
 * Initial step sizes: per channel, the clipping of max|w| (over a grid of fractions) that
 * minimizes the squared quantization error; binary takes mean|w| (the L2-optimal sign scale).
 */
export function initWeightScales(w: Float32Array, layout: WeightLayout, kind: WeightKind): Float32Array {
  const { qmin, qmax } = weightRange(kind);
  const { inner, channels } = layout;
  const members: number[][] = Array.from({ length: channels }, () => []);
  for (let i = 0; i < w.length; i++) members[channels === 1 ? 0 : Math.floor(i / inner) % channels].push(w[i]);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const vals = members[c];
    let maxAbs = 0;
    let sumAbs = 0;
    for (const v of vals) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
      sumAbs += Math.abs(v);
    }
    if (maxAbs === 0) {
      scales[c] = 1;
      continue;
    }
    if (kind === 'binary') {
      scales[c] = Math.fround(sumAbs / vals.length);
      continue;
    }
    if (kind === 'int8') {
      scales[c] = Math.fround(maxAbs / qmax);
      continue;
    }
    let best = Infinity;
    for (let f = 1; f >= 0.2; f -= 0.02) {
      const s = (maxAbs * f) / qmax;
      let err = 0;
      for (const v of vals) {
        const e = v - s * weightCode(v / s, kind, qmin, qmax);
        err += e * e;
      }
      if (err < best) {
        best = err;
        scales[c] = Math.fround(s);
      }
    }
  }
  return scales;
}

/**
 * Largest share of its own value a weight step size may move in one Adam step (at the peak
 * learning rate). Adam moves every parameter by about the learning rate per step, in the
 * parameter's own units: the step sizes of int8-range layers (int8, and clustered layers whose
 * levels span [-127, 127]) are a hundredth of their weights, so the rate that suits sub-byte
 * widths (5e-4) moved them by up to a quarter of their value per step, and some collapsed.
 */
export const MAX_STEP_SIZE_MOVE = 0.05;

/** Multiplier of the learning rate `lr` for a layer's step sizes: at most MAX_STEP_SIZE_MOVE of their mean per step. */
export function stepSizeRateFactor(scales: Float32Array, lr: number): number {
  let mean = 0;
  for (const s of scales) mean += s;
  mean /= Math.max(1, scales.length);
  return Math.min(1, (MAX_STEP_SIZE_MOVE * mean) / lr);
}

/** Asymmetric int8 activation quantizer state: learned step, zero point fixed at calibration. */
export interface ActQuant {
  scale: number;
  zeroPoint: number;
  /** Learned (false for the graph input, whose parameters come from the data's range). */
  learned: boolean;
}

const QMIN = -128;
const QMAX = 127;

/**
 * Clamp to the fused activation's range [lo, hi], then quantize-dequantize with `q`. Returns the
 * fake-quantized values; the backward pass needs the input `z`.
 */
export function fakeQuantActivation(z: Float32Array, q: ActQuant, lo: number, hi: number, out = new Float32Array(z.length)): Float32Array {
  const s = q.scale;
  const zp = q.zeroPoint;
  for (let i = 0; i < z.length; i++) {
    let a = z[i];
    a = a < lo ? lo : a > hi ? hi : a;
    let u = roundAway(a / s) + zp;
    u = u < QMIN ? QMIN : u > QMAX ? QMAX : u;
    out[i] = s * (u - zp);
  }
  return out;
}

/** Gradients of fakeQuantActivation: dz += STE mask · dy; returns the LSQ step-size gradient. */
export function fakeQuantActivationBackward(z: Float32Array, q: ActQuant, lo: number, hi: number, dy: Float32Array, dz: Float32Array, perSample: number): number {
  const s = q.scale;
  const zp = q.zeroPoint;
  let ds = 0;
  for (let i = 0; i < z.length; i++) {
    const d = dy[i];
    if (d === 0) continue;
    const zi = z[i];
    const a = zi < lo ? lo : zi > hi ? hi : zi;
    const v = a / s;
    const u = v + zp;
    if (u < QMIN - 0.5) ds += d * (QMIN - zp);
    else if (u > QMAX + 0.5) ds += d * (QMAX - zp);
    else {
      if (zi > lo && zi < hi) dz[i] += d;
      ds += d * (roundAway(v) - v);
    }
  }
  return ds / Math.sqrt(perSample * (QMAX - zp));
}

/**
 * How an integer kernel turns its int32 accumulator into an int8 output: the accumulator is
 * z / accScale[c] (z the real value the float pass computed), rescaled by TFLite's fixed-point
 * multiplier (MultiplyByQuantizedMultiplier, whose two roundings differ from one exact rounding
 * near ties), plus the output zero point. Channel c is i % channels.
 */
export interface Requant {
  accScale: Float64Array;
  multiplier: number[];
  shift: number[];
  channels: number;
}

/** The quantized clamp bounds of a fused activation [lo, hi], as TFLite computes them. */
function quantizedBounds(q: ActQuant, lo: number, hi: number): [number, number] {
  const s = Math.fround(q.scale);
  const b = (f: number): number => q.zeroPoint + roundHalfAwayFromZero(Math.fround(Math.fround(f) / s));
  return [lo > -Infinity ? Math.max(QMIN, b(lo)) : QMIN, hi < Infinity ? Math.min(QMAX, b(hi)) : QMAX];
}

/**
 * Fake quantization through the integer requantization: bit-exact with the int8 kernel when z is
 * the layer's real accumulator (its float error stays far below half an accumulator step).
 */
export function fakeQuantRequant(z: Float32Array, q: ActQuant, lo: number, hi: number, rq: Requant, out = new Float32Array(z.length)): Float32Array {
  const [qlo, qhi] = quantizedBounds(q, lo, hi);
  const zp = q.zeroPoint;
  const s = q.scale;
  const ch = rq.channels;
  // Row by row, channel by channel (values are [rows, ch]): no modulo per value, and the
  // per-channel parameters in typed arrays; same arithmetic per value.
  // z / accScale as a product with the reciprocal: z is an integer number of accumulator steps up
  // to a float error far below half a step, so the rounded quotient is the same integer (and a
  // multiplication costs a fraction of a division).
  const perStep = rq.accScale.map((a) => 1 / a);
  const multiplier = Float64Array.from(rq.multiplier);
  const shift = Int32Array.from(rq.shift);
  for (let r = 0; r < z.length; r += ch) {
    for (let c = 0; c < ch; c++) {
      const i = r + c;
      const acc = Math.round(z[i] * perStep[c]);
      let u = requantize(acc, multiplier[c], shift[c]) + zp;
      u = u < qlo ? qlo : u > qhi ? qhi : u;
      out[i] = s * (u - zp);
    }
  }
  return out;
}

const INV_TWO_31 = 1 / 2147483648;

/**
 * multiplyByQuantizedMultiplier for the accumulators training meets: with |acc| < 2^21 and no left
 * shift, acc * multiplier < 2^52 is exact in a double, so gemmlowp's two roundings are computed
 * directly (same results, a fraction of the cost); anything else takes the general function.
 */
function requantize(acc: number, multiplier: number, shift: number): number {
  if (shift > 0 || acc >= 2097152 || acc <= -2097152) return multiplyByQuantizedMultiplier(acc, multiplier, shift);
  const ab = acc * multiplier;
  // SaturatingRoundingDoublingHighMul: (ab + nudge) / 2^31, truncated toward zero.
  // (× 2^-31 is exactly / 2^31.)
  const high = Math.trunc((ab + (ab >= 0 ? 1073741824 : 1 - 1073741824)) * INV_TWO_31);
  return roundingDivideByPOT(high, -shift);
}

/** Requantization of a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED output (per channel). */
export function layerRequant(inScale: number, wScales: Float32Array, outScale: number): Requant {
  const { multiplier, shift } = convMultipliers(inScale, Array.from(wScales), outScale);
  const si = Math.fround(inScale);
  return { accScale: Float64Array.from(wScales, (s) => si * s), multiplier, shift, channels: wScales.length };
}

/** Requantization of an int8 MEAN over `count` elements (TFLite folds 1/count into the multiplier). */
export function meanRequant(inScale: number, outScale: number, count: number): Requant {
  let { multiplier, shift } = quantizeMultiplier(Math.fround(inScale) / Math.fround(outScale));
  let s = Math.floor(Math.log2(count));
  s = Math.max(0, Math.min(s, 32, 31 + shift));
  multiplier = Number((BigInt(multiplier) << BigInt(s)) / BigInt(count));
  shift -= s;
  return { accScale: Float64Array.of(Math.fround(inScale) / count), multiplier: [multiplier], shift: [shift], channels: 1 };
}

/**
 * Clustered weights (`finetune --clusters K`, and clusters chosen by `--flash-budget`): one table
 * of K levels for the layer, in int8 units of each channel's step size, as `quantize --clusters`
 * stores it (scope 'tensor'). The levels are trained as floats in units of 1/LEVEL_UNIT of an int8
 * step (so that Adam's per-step move, which is the learning rate in the parameter's own units, is
 * a useful fraction of an int8 step); the forward pass uses them rounded to int8, as deployed.
 */
export const LEVEL_UNIT = 1 / 127;

/** The deployed int8 value of a trained level: round and clamp to the weights' [-127, 127]. */
export function levelValue(u: number): number {
  const q = roundAway(u / LEVEL_UNIT);
  return q < -127 ? -127 : q > 127 ? 127 : q;
}

/** ŵ = s[c] · L[nearest level of w / s[c]], L the levels rounded to int8. */
export function fakeQuantClusteredWeights(w: Float32Array, scales: Float32Array, layout: WeightLayout, levels: Float32Array, out = new Float32Array(w.length)): Float32Array {
  const lv = Array.from(levels, levelValue);
  const { inner, channels } = layout;
  for (let i = 0; i < w.length; i++) {
    const s = scales[channels === 1 ? 0 : Math.floor(i / inner) % channels];
    out[i] = s * lv[nearest(lv, w[i] / s)];
  }
  return out;
}

/**
 * Gradients of fakeQuantClusteredWeights: straight through to w between the lowest and highest
 * level, to each level the sum of its weights' gradients times their step (rounding of the level
 * passed straight through), and LSQ's step-size gradient with the level in place of the rounded
 * value.
 */
export function fakeQuantClusteredWeightsBackward(
  w: Float32Array,
  scales: Float32Array,
  layout: WeightLayout,
  levels: Float32Array,
  dwHat: Float32Array,
  dw: Float32Array,
  dscales: Float32Array,
  dlevels: Float32Array,
): void {
  const lv = Array.from(levels, levelValue);
  const lo = Math.min(...lv);
  const hi = Math.max(...lv);
  const { inner, channels } = layout;
  const perChannel = w.length / channels;
  const g = 1 / Math.sqrt(perChannel * Math.max(1, hi, -lo));
  for (let i = 0; i < w.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    const s = scales[c];
    const v = w[i] / s;
    const k = nearest(lv, v);
    const d = dwHat[i];
    dlevels[k] += (d * s) / LEVEL_UNIT;
    if (v < lo || v > hi) dscales[c] += d * lv[k] * g;
    else {
      dw[i] += d;
      dscales[c] += d * (lv[k] - v) * g;
    }
  }
}
