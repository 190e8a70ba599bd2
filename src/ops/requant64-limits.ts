/**
 * The prepare-time check that keeps every 16x8 layer with an int64 accumulator (CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV) inside the domain of TFLite's int64
 * MultiplyByQuantizedMultiplier: multiplier >= 0, shift in [-31, 7] and |acc + bias| < 2^47.
 * Outside it the C requantization (tinyml_mbqm64, as TFLite's own) has undefined behaviour,
 * so the firmware could silently disagree with the host. The accumulator bound is the worst
 * case over every possible int16 input, from the layer's constant weights and bias, so a layer
 * that passes can never leave the domain at run time.
 */
import { UnsupportedOpError } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { MBQM64_MAX_SHIFT, MBQM64_MIN_SHIFT, MBQM64_X_LIMIT } from '../fixedpoint.js';
import type { OpContext } from './op-def.js';

/** How a layer's weights are laid out: channel c's k-th weight is data[index(c, k)]. */
export interface WeightLayout {
  weights: Tensor;
  channels: number;
  /** Weights per output channel (taps). */
  taps: number;
  index(c: number, k: number): number;
}

export interface AccumulatorTerms extends WeightLayout {
  bias: Tensor | undefined;
  /** Added to every int16 input before the multiply (FULLY_CONNECTED: -input zero point). */
  inputOffset: number;
  /** Added to every weight before the multiply (FULLY_CONNECTED per tensor: -weights zero point). */
  weightsOffset: number;
}

const absBig = (v: bigint): bigint => (v < 0n ? -v : v);

/**
 * Largest |sum_k (x_k + inputOffset) * (w[c, k] + weightsOffset) + bias[c]| per output channel
 * over every int16 input x; undefined for a channel whose bias is not a constant (no bound).
 * Weights without constant data are bounded by the whole int8 range.
 */
export function maxAbsAccumulators(t: AccumulatorTerms): (bigint | undefined)[] {
  const maxIn = BigInt(Math.max(Math.abs(-32768 + t.inputOffset), Math.abs(32767 + t.inputOffset)));
  const w = t.weights.data as ArrayLike<number> | undefined;
  const anyWeight = Math.max(Math.abs(-128 + t.weightsOffset), Math.abs(127 + t.weightsOffset));
  const bias = t.bias?.data as ArrayLike<number | bigint> | undefined;
  const out: (bigint | undefined)[] = [];
  for (let c = 0; c < t.channels; c++) {
    if (t.bias && !bias) {
      out.push(undefined);
      continue;
    }
    // Exact in a double: at most 2^8 per tap.
    let sumAbsW = 0;
    if (w) for (let k = 0; k < t.taps; k++) sumAbsW += Math.abs(w[t.index(c, k)] + t.weightsOffset);
    else sumAbsW = anyWeight * t.taps;
    const b = bias ? absBig(BigInt(bias[c])) : 0n;
    out.push(maxIn * BigInt(sumAbsW) + b);
  }
  return out;
}

/**
 * Throws UnsupportedOpError, naming the layer and the channel, when a channel's requantization
 * constants or worst-case accumulator fall outside TFLite's int64 requantization limits.
 */
export function checkRequant64Limits(
  ctx: OpContext,
  multipliers: readonly number[],
  shifts: readonly number[],
  perChannel: boolean,
  totals: readonly (bigint | undefined)[],
): void {
  const layer = describeOp(ctx.graph, ctx.op);
  const advice = 'Quantize this layer differently (int8, or larger weight/bias scales), or fix the model';
  for (let c = 0; c < totals.length; c++) {
    const q = perChannel ? c : 0;
    const m = multipliers[q];
    const s = shifts[q];
    const where = perChannel ? `output channel ${c}` : 'the layer';
    if (m < 0) {
      throw new UnsupportedOpError(`${layer}: 16x8 requantization multiplier of ${where} is negative (${m}; a negative scale?). ${advice}.`);
    }
    if (!(s >= MBQM64_MIN_SHIFT && s <= MBQM64_MAX_SHIFT)) {
      throw new UnsupportedOpError(
        `${layer}: the 16x8 rescale input_scale * weight_scale / output_scale of ${where} is ${(m / 2 ** 31) * 2 ** s} ` +
          `(shift ${s}); TFLite's 16x8 kernels take shifts ${MBQM64_MIN_SHIFT} to ${MBQM64_MAX_SHIFT} (a rescale below 128), ` +
          `beyond that their arithmetic is undefined. ${advice}.`,
      );
    }
    const total = totals[c];
    if (total === undefined) {
      throw new UnsupportedOpError(`${layer}: the int64 bias is not a constant tensor, so its range cannot be checked against the 16x8 requantization's limit of 2^47. ${advice}.`);
    }
    if (total >= MBQM64_X_LIMIT) {
      throw new UnsupportedOpError(
        `${layer}: ${where} can accumulate |acc + bias| up to ${total}, beyond the 2^47 = ${MBQM64_X_LIMIT} that TFLite's 16x8 ` +
          `requantization allows (its 64-bit arithmetic overflows past it); the bias is too large for its scale. ${advice}.`,
      );
    }
  }
}
