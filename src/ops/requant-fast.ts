/**
 * Requantization fast paths of the fast host evaluation: per-channel constants that make
 * MultiplyByQuantizedMultiplier exact in doubles, and the finalize* loops turning finished
 * accumulators into int8, int16 or float32 outputs.
 */
import type { TensorData } from '../ir/types.js';
import { multiplyByQuantizedMultiplier } from '../fixedpoint.js';
import { type Accumulator, type QuantKind, requantize16 } from './layer-params.js';
import type { F64Buffer } from './gemm-f64.js';

const TWO_53 = 9007199254740992;
const INT32_MAX_VALUE = 2147483647;
const TWO_NEG_31 = 1 / 2147483648;

/**
 * Per-channel constants for an exact fast MultiplyByQuantizedMultiplier (fixedpoint.ts) of an
 * int32 total t: while |t| <= lim (lim keeps t * 2^leftShift within int32, so the reference's
 * wrapping left shift is a plain product, and t * M * 2^leftShift below 2^53, so it is exact):
 * - SaturatingRoundingDoublingHighMul = floor((t * M * 2^leftShift + 2^30) / 2^31): C's
 *   truncating (ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31 rounds both signs' ties up (the
 *   saturating case needs M = INT32_MIN, outside 0 <= M < 2^31);
 * - RoundingDivideByPOT(h, rs) = (h + round - (h < 0 ? negAdjust : 0)) >> rs with round =
 *   2^(rs-1) and negAdjust = 1 (both 0 for rs = 0): ties away from zero. |h| < 2^23 here, so
 *   the sum stays within int32.
 * Channels whose constants fall outside this (M outside [0, 2^31), left shift > 30, right
 * shift > 31) get lim = -1 and always use the reference function.
 */
export interface Requant32 {
  /** The reference's Q31 multiplier and shift (for the fallback). */
  mult: Float64Array;
  shift: Int32Array;
  /** M * 2^leftShift, exact in a double. */
  multScaled: Float64Array;
  rightShift: Int32Array;
  round: Int32Array;
  negAdjust: Int32Array;
  lim: Float64Array;
}

export function requant32Constants(mults: readonly number[], shifts: readonly number[], perChannel: boolean, channels: number): Requant32 {
  const r: Requant32 = {
    mult: new Float64Array(channels),
    shift: new Int32Array(channels),
    multScaled: new Float64Array(channels),
    rightShift: new Int32Array(channels),
    round: new Int32Array(channels),
    negAdjust: new Int32Array(channels),
    lim: new Float64Array(channels),
  };
  for (let c = 0; c < channels; c++) {
    const ch = perChannel ? c : 0;
    const m = mults[ch];
    const s = shifts[ch];
    r.mult[c] = m;
    r.shift[c] = s;
    const ls = s > 0 ? s : 0;
    const rs = s > 0 ? 0 : -s;
    const ok = Number.isInteger(m) && m >= 0 && m < 2147483648 && Number.isInteger(s) && ls <= 30 && rs <= 31;
    if (!ok) {
      r.lim[c] = -1;
      continue;
    }
    const scaled = m * 2 ** ls;
    r.multScaled[c] = scaled;
    r.rightShift[c] = rs;
    r.round[c] = rs > 0 ? 2 ** (rs - 1) : 0;
    r.negAdjust[c] = rs > 0 ? 1 : 0;
    const noWrap = Math.floor(INT32_MAX_VALUE / 2 ** ls);
    r.lim[c] = scaled === 0 ? noWrap : Math.min(noWrap, Math.floor((TWO_53 - 2147483648) / scaled));
  }
  return r;
}

interface Requant32Entry {
  mults: number[];
  shifts: number[];
  perChannel: boolean;
  channels: number;
  rq: Requant32;
}
const requant32Cache = new WeakMap<object, Requant32Entry>();

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * requant32Constants, remembered per params object (and recomputed if its multipliers or
 * shifts changed), so an op's evaluate does not allocate them on every call.
 */
export function requant32For(key: object, mults: readonly number[], shifts: readonly number[], perChannel: boolean, channels: number): Requant32 {
  const hit = requant32Cache.get(key);
  if (hit && hit.perChannel === perChannel && hit.channels === channels && sameNumbers(hit.mults, mults) && sameNumbers(hit.shifts, shifts)) {
    return hit.rq;
  }
  const rq = requant32Constants(mults, shifts, perChannel, channels);
  requant32Cache.set(key, { mults: mults.slice(), shifts: shifts.slice(), perChannel, channels, rq });
  return rq;
}

/**
 * Per-channel constants of the 16x8 kernels' int64 MultiplyByQuantizedMultiplier: the Q15
 * multiplier, the rounding term and the shift, plus the bias as a double. While
 * |acc + bias| <= lim the product and rounding stay below 2^53 and the arithmetic shift is an
 * exact floor of a power-of-two scaling; otherwise (lim = -1 for unusual constants or a bias
 * beyond 2^52) the BigInt reference runs.
 */
export interface Requant64 {
  mult: Float64Array;
  shift: Int32Array;
  reduced: Float64Array;
  round: Float64Array;
  scale: Float64Array;
  bias: Float64Array;
  lim: Float64Array;
}

export function requant64Constants(
  mults: readonly number[],
  shifts: readonly number[],
  perChannel: boolean,
  channels: number,
  bias: BigInt64Array | undefined,
): Requant64 {
  const r: Requant64 = {
    mult: new Float64Array(channels),
    shift: new Int32Array(channels),
    reduced: new Float64Array(channels),
    round: new Float64Array(channels),
    scale: new Float64Array(channels),
    bias: new Float64Array(channels),
    lim: new Float64Array(channels),
  };
  for (let c = 0; c < channels; c++) {
    const ch = perChannel ? c : 0;
    const m = mults[ch];
    const s = shifts[ch];
    r.mult[c] = m;
    r.shift[c] = s;
    const b = bias ? bias[c] : 0n;
    const biasOk = b >= -(2n ** 52n) && b <= 2n ** 52n;
    r.bias[c] = biasOk ? Number(b) : 0;
    const totalShift = 15 - s;
    const ok = biasOk && Number.isInteger(m) && m >= 0 && m < 2147483648 && Number.isInteger(s) && totalShift >= 1 && totalShift <= 52;
    if (!ok) {
      r.lim[c] = -1;
      continue;
    }
    const reduced = m < 0x7fff0000 ? (m + (1 << 15)) >> 16 : 0x7fff;
    r.reduced[c] = reduced;
    r.round[c] = 2 ** (totalShift - 1);
    r.scale[c] = 2 ** -totalShift;
    r.lim[c] = reduced === 0 ? TWO_53 / 2 : Math.floor((TWO_53 - r.round[c]) / reduced);
  }
  return r;
}

/**
 * min(max(v, lo), hi) for integers v and lo <= hi within int16 range, without branches on v
 * (a clamp to a ReLU's zero point is taken about half the time, so a branch mispredicts).
 */
function clampInt(v: number, lo: number, hi: number): number {
  // Rare (a huge accumulator with a left shift): bring v within reach of int32 differences.
  if (v < -65536 || v > 65535) v = v < 0 ? -65536 : 65535;
  const d = v - lo;
  const a = v - (d & (d >> 31));
  const e = hi - a;
  return a + (e & (e >> 31));
}

/**
 * Outputs of an int32 accumulator (int8, and 16x8 with an Int32Array bias) from finished
 * accumulators: acc[p*channels + c] is requantized as
 * MultiplyByQuantizedMultiplier((acc + bias[c]) | 0, M[c], shift[c]) + outOff (see Requant32), clamped to
 * [lo, hi], and stored at out[outBase + p*channels + c]. Channel-outer so that the channel's
 * constants stay in registers.
 */
export function finalizeInt32(
  acc: F64Buffer,
  pixels: number,
  channels: number,
  bias: Int32Array | undefined,
  rq: Requant32,
  outOff: number,
  lo: number,
  hi: number,
  out: Int8Array | Int16Array,
  outBase: number,
  channelMajor = false,
): void {
  pixels |= 0;
  channels |= 0;
  outOff |= 0;
  lo |= 0;
  hi |= 0;
  outBase |= 0;
  // acc is [pixel][channel], or [channel][pixel] when channelMajor.
  const step = channelMajor ? 1 : channels;
  for (let c = 0; c < channels; c++) {
    const m = rq.multScaled[c];
    const rs = rq.rightShift[c];
    const round = rq.round[c];
    const negAdjust = rq.negAdjust[c];
    const l = rq.lim[c];
    const b = bias !== undefined ? bias[c] : 0;
    for (let p = 0, i = channelMajor ? c * pixels : c, j = outBase + c; p < pixels; p++, i += step, j += channels) {
      const t = acc[i] + b;
      let v: number;
      if (t <= l && t >= -l) {
        const h = Math.floor((t * m + 1073741824) * TWO_NEG_31) | 0;
        v = ((h + round - ((h >>> 31) & negAdjust)) >> rs) + outOff;
      } else {
        // The reference, on C's int32 total.
        v = multiplyByQuantizedMultiplier(t | 0, rq.mult[c], rq.shift[c]) + outOff;
      }
      out[j] = clampInt(v, lo, hi);
    }
  }
}

/** 16x8 outputs with an int64 accumulator (BigInt64Array bias). */
export function finalizeInt16Wide(
  acc: F64Buffer,
  pixels: number,
  channels: number,
  bias: BigInt64Array | undefined,
  rq: Requant64,
  outOff: number,
  lo: number,
  hi: number,
  out: Int16Array,
  outBase: number,
  channelMajor = false,
): void {
  pixels |= 0;
  channels |= 0;
  outOff |= 0;
  lo |= 0;
  hi |= 0;
  outBase |= 0;
  // acc is [pixel][channel], or [channel][pixel] when channelMajor.
  const step = channelMajor ? 1 : channels;
  for (let c = 0; c < channels; c++) {
    const reduced = rq.reduced[c];
    const round = rq.round[c];
    const scale = rq.scale[c];
    const l = rq.lim[c];
    const b = rq.bias[c];
    for (let p = 0, i = channelMajor ? c * pixels : c, j = outBase + c; p < pixels; p++, i += step, j += channels) {
      const x = acc[i] + b;
      let v: number;
      if (x <= l && x >= -l) v = (Math.floor((x * reduced + round) * scale) | 0) + outOff;
      else v = requantize16(acc[i], bias, c, 'int64', rq.mult[c], rq.shift[c]) + outOff;
      out[j] = clampInt(v, lo, hi);
    }
  }
}

/** float32 outputs: acc + bias clamped to [lo, hi] (as Math.min/max treat NaN and -0), rounded to float32 by the store. */
export function finalizeFloat(
  acc: F64Buffer,
  pixels: number,
  channels: number,
  bias: Float32Array | undefined,
  lo: number,
  hi: number,
  out: Float32Array,
  outBase: number,
  channelMajor = false,
): void {
  pixels |= 0;
  channels |= 0;
  outBase |= 0;
  // acc is [pixel][channel], or [channel][pixel] when channelMajor.
  const step = channelMajor ? 1 : channels;
  for (let c = 0; c < channels; c++) {
    const b = bias !== undefined ? bias[c] : 0;
    for (let p = 0, i = channelMajor ? c * pixels : c, j = outBase + c; p < pixels; p++, i += step, j += channels) {
      out[j] = Math.min(Math.max(acc[i] + b, lo), hi);
    }
  }
}

/** What turns accumulators into one op's outputs: built once per evaluate by outputStage. */
export interface OutputStage {
  kind: QuantKind | 'float32';
  wide: boolean;
  rq32: Requant32 | undefined;
  rq64: Requant64 | undefined;
  bias: TensorData | undefined;
  outOff: number;
  lo: number;
  hi: number;
  out: TensorData;
}

/** The quantized params fields outputStage reads (the conv-like ops' params all have them). */
export interface StageParams {
  kind: QuantKind | 'float32';
  activationMin: number;
  activationMax: number;
  accumulator?: Accumulator;
  outputMultiplier?: number[];
  outputShift?: number[];
  perChannel?: boolean;
}

export function outputStage(p: StageParams, channels: number, bias: TensorData | undefined, out: TensorData, outOff: number): OutputStage {
  const wide = p.kind === 'int16' && p.accumulator === 'int64';
  let rq32: Requant32 | undefined;
  let rq64: Requant64 | undefined;
  if (p.kind !== 'float32') {
    if (wide) rq64 = requant64Constants(p.outputMultiplier!, p.outputShift!, p.perChannel!, channels, bias as BigInt64Array | undefined);
    else rq32 = requant32For(p, p.outputMultiplier!, p.outputShift!, p.perChannel!, channels);
  }
  return { kind: p.kind, wide, rq32, rq64, bias, outOff, lo: p.activationMin, hi: p.activationMax, out };
}

/** Writes pixels x channels outputs from acc[0...] to the stage's output at outBase. */
export function finalizeOutputs(s: OutputStage, acc: F64Buffer, pixels: number, channels: number, outBase: number, channelMajor = false): void {
  if (s.kind === 'float32') {
    finalizeFloat(acc, pixels, channels, s.bias as Float32Array | undefined, s.lo, s.hi, s.out as Float32Array, outBase, channelMajor);
  } else if (s.wide) {
    finalizeInt16Wide(acc, pixels, channels, s.bias as BigInt64Array | undefined, s.rq64!, s.outOff, s.lo, s.hi, s.out as Int16Array, outBase, channelMajor);
  } else {
    finalizeInt32(acc, pixels, channels, s.bias as Int32Array | undefined, s.rq32!, s.outOff, s.lo, s.hi, s.out as Int8Array | Int16Array, outBase, channelMajor);
  }
}
