/**
 * Quantization parameter math of the TFLite int8 / 16x8 specification:
 *
 * - activations int8: asymmetric (scale, zero point in [-128, 127]) from a real range that
 *   contains 0, or symmetric (zero point 0, scale = max|x| / 127) on request;
 * - activations int16: symmetric, zero point 0, scale = max|x| / 32767;
 * - weights int8: symmetric, zero point 0, values in [-127, 127], per channel or per tensor;
 * - bias: int32 (int8 ops) or int64 (16x8 ops), scale = input scale x weight scale, zero point 0.
 *
 * Scales are rounded to float32 here, because that is what a .tflite file stores and what every
 * kernel's `prepare` computes its multipliers from.
 */
import type { Quantization, TensorData } from '../ir/types.js';
import { InputError } from '../errors.js';
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import { SUB_BYTE_RANGE, type SubByteKind } from '../ir/weight-encoding.js';

export type ActivationDType = 'int8' | 'int16';

export interface Range {
  min: number;
  max: number;
}

export interface QParams {
  scale: number;
  zeroPoint: number;
}

export const QRANGE: Record<ActivationDType, { qmin: number; qmax: number }> = {
  int8: { qmin: -128, qmax: 127 },
  int16: { qmin: -32768, qmax: 32767 },
};

const f32 = Math.fround;

/** The range widened to contain 0 (every quantized range must represent 0 exactly). */
export function withZero(r: Range): Range {
  return { min: Math.min(r.min, 0), max: Math.max(r.max, 0) };
}

/** Smallest span a range may have; an all-zero tensor gets [0, 1] so its scale stays sane. */
const MIN_SPAN = 1e-8;

/**
 * TFLite's asymmetric parameters for a real range [min, max] (containing 0): scale = span / 255
 * and a zero point nudged to an integer so that 0 is exactly representable.
 */
export function asymmetricQParams(range: Range, dtype: ActivationDType = 'int8'): QParams {
  const { qmin, qmax } = QRANGE[dtype];
  let { min, max } = withZero(range);
  if (max - min < MIN_SPAN) {
    min = 0;
    max = 1;
  }
  const scale = f32((max - min) / (qmax - qmin));
  const zeroPointFromMin = qmin - min / scale;
  // `+ 0` turns a -0 (from rounding a small negative) into 0.
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfAwayFromZero(zeroPointFromMin))) + 0;
  return { scale, zeroPoint };
}

/** Symmetric parameters: zero point 0, scale = max|x| / qmax (127 for int8, 32767 for int16). */
export function symmetricQParams(range: Range, dtype: ActivationDType): QParams {
  const { qmax } = QRANGE[dtype];
  let m = Math.max(Math.abs(range.min), Math.abs(range.max));
  if (m < MIN_SPAN) m = 1;
  return { scale: f32(m / qmax), zeroPoint: 0 };
}

export function quantization(q: QParams): Quantization {
  return { scale: [q.scale], zeroPoint: [q.zeroPoint], quantizedDimension: 0 };
}

/** Quantize float values with per-tensor params into `dtype`, saturating. */
export function quantizeValues(values: ArrayLike<number>, q: QParams, dtype: ActivationDType): Int8Array | Int16Array {
  const { qmin, qmax } = QRANGE[dtype];
  const out = dtype === 'int8' ? new Int8Array(values.length) : new Int16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = roundHalfAwayFromZero(values[i] / q.scale) + q.zeroPoint;
    out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return out;
}

/** real = scale * (q - zeroPoint), per tensor or per channel along quantizedDimension. */
export function dequantizeValues(data: TensorData, quant: Quantization, shape: readonly number[]): Float32Array {
  const n = data.length;
  const out = new Float32Array(n);
  if (quant.scale.length <= 1) {
    const s = quant.scale[0] ?? 1;
    const z = quant.zeroPoint[0] ?? 0;
    for (let i = 0; i < n; i++) out[i] = s * (Number(data[i]) - z);
    return out;
  }
  const { inner, channels } = channelLayout(shape, quant.quantizedDimension);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = quant.scale[c] * (Number(data[i]) - (quant.zeroPoint[c] ?? 0));
  }
  return out;
}

/** Elements between consecutive steps of `axis`, and the axis size. */
export function channelLayout(shape: readonly number[], axis: number): { inner: number; channels: number } {
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { inner, channels: shape[axis] };
}

/** Per-channel max |w| along `axis` (or one value for the whole tensor when axis is undefined). */
export function absMaxPerChannel(w: Float32Array, shape: readonly number[], axis: number | undefined): number[] {
  if (axis === undefined) {
    let m = 0;
    for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i]));
    return [m];
  }
  const { inner, channels } = channelLayout(shape, axis);
  const out = new Array<number>(channels).fill(0);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(w[i]);
    if (a > out[c]) out[c] = a;
  }
  return out;
}

export interface QuantizedWeights {
  data: Int8Array;
  quant: Quantization;
  /** Dequantized values (what the int8 kernel effectively multiplies by). */
  dequantized: Float32Array;
}

/**
 * Symmetric int8 weights in [-127, 127]: one scale per channel along `axis`, or one for the
 * whole tensor when `axis` is undefined. `minScales` (per channel) raises a scale where the bias
 * would otherwise overflow its integer type.
 */
export function quantizeWeights(
  w: Float32Array,
  shape: readonly number[],
  axis: number | undefined,
  minScales?: readonly number[],
): QuantizedWeights {
  const maxAbs = absMaxPerChannel(w, shape, axis);
  const scales = maxAbs.map((m, c) => {
    let s = m > 0 ? m / 127 : 1;
    const floor = minScales?.[minScales.length === 1 ? 0 : c];
    if (floor !== undefined && s < floor) s = floor;
    return f32(s);
  });
  return codesWithScales(w, shape, axis, scales, (v, sc) => Math.max(-127, Math.min(127, roundHalfAwayFromZero(v / sc))));
}

/**
 * Symmetric weights with given scales (learned by quantization-aware training): int8 codes in
 * [-127, 127], or in a sub-byte width's range (binary: the sign, -1 or +1). `minScales` raises a
 * scale as in `quantizeWeights` (the codes then follow the raised scale).
 */
export function quantizeWeightsWithScales(
  w: Float32Array,
  shape: readonly number[],
  axis: number | undefined,
  given: readonly number[],
  encoding: SubByteKind | undefined,
  minScales?: readonly number[],
): QuantizedWeights {
  const { channels } = axis === undefined ? { channels: 1 } : channelLayout(shape, axis);
  if (given.length !== channels && given.length !== 1) {
    throw new InputError(`weight scales: ${given.length} given for a tensor with ${channels} channel(s) along axis ${axis ?? 'none'}`);
  }
  const scales = Array.from({ length: channels }, (_, c) => {
    let s = given[given.length === 1 ? 0 : c];
    if (!(s > 0) || !Number.isFinite(s)) throw new InputError(`weight scale ${s} of channel ${c} is not a positive number`);
    const floor = minScales?.[minScales.length === 1 ? 0 : c];
    if (floor !== undefined && s < floor) s = floor;
    return f32(s);
  });
  const { min: qmin, max: qmax } = encoding ? SUB_BYTE_RANGE[encoding] : { min: -127, max: 127 };
  return codesWithScales(w, shape, axis, scales, (v, sc) => (encoding === 'binary' ? (v < 0 ? -1 : 1) : Math.max(qmin, Math.min(qmax, roundHalfAwayFromZero(v / sc)))));
}

/** Each weight's code under its channel's scale (`codeOf`), with the tensor's symmetric quantization and dequantized values. */
function codesWithScales(w: Float32Array, shape: readonly number[], axis: number | undefined, scales: number[], codeOf: (v: number, scale: number) => number): QuantizedWeights {
  const { inner, channels } = axis === undefined ? { inner: w.length, channels: 1 } : channelLayout(shape, axis);
  const data = new Int8Array(w.length);
  const dequantized = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const s = scales[channels === 1 ? 0 : Math.floor(i / inner) % channels];
    const q = codeOf(w[i], s);
    data[i] = q;
    dequantized[i] = q * s;
  }
  return {
    data,
    quant: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: axis ?? 0 },
    dequantized,
  };
}

const INT32_MAX = 2147483647;

/**
 * The largest |quantized bias| of a 16x8 op: TFLite's int64 requantization takes |acc + bias|
 * < 2^47 (src/ops/requant64-limits.ts); 2^46 leaves the other half to the weights' sum.
 */
export const INT64_BIAS_LIMIT = 2 ** 46;

/**
 * Smallest weight scale per channel that keeps round(bias / (inputScale * weightScale)) within
 * `limit`: int32 for int8 ops, INT64_BIAS_LIMIT for 16x8 ops (reached only by a huge bias over
 * tiny weights).
 */
export function minWeightScalesForBias(bias: Float32Array, inputScale: number, perChannel: boolean, limit = INT32_MAX - 1): number[] {
  const need = (b: number): number => Math.abs(b) / (inputScale * limit);
  if (!perChannel) {
    let m = 0;
    for (let i = 0; i < bias.length; i++) m = Math.max(m, need(bias[i]));
    return [m];
  }
  return Array.from(bias, need);
}

/** Bias quantized with scale inputScale * weightScale[c] (zero point 0) as int32 or int64. */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: readonly number[],
  dtype: 'int32' | 'int64',
): { data: Int32Array | BigInt64Array; quant: Quantization } {
  const scales = Array.from(bias, (_, c) => f32(f32(inputScale) * f32(weightScales[weightScales.length === 1 ? 0 : c])));
  const values = Array.from(bias, (b, c) => (scales[c] > 0 ? roundHalfAwayFromZero(b / scales[c]) : 0));
  const data =
    dtype === 'int32'
      ? Int32Array.from(values, (v) => Math.max(-INT32_MAX, Math.min(INT32_MAX, v)))
      : BigInt64Array.from(values, (v) => BigInt(v));
  const perChannel = weightScales.length > 1;
  return {
    data,
    quant: perChannel
      ? { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 }
      : { scale: [scales[0] ?? f32(inputScale * weightScales[0])], zeroPoint: [0], quantizedDimension: 0 },
  };
}
