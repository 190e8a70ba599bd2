/**
 * Integer arithmetic of TFLite's int8/int16 reference kernels (gemmlowp-style), reproduced
 * exactly in JavaScript numbers. All functions take and return int32 values held in doubles.
 *
 * Exactness: a 32x32-bit product needs 62 bits, more than a double's 53, so the high multiply
 * splits one operand into 16-bit halves and recombines with floor arithmetic whose every
 * intermediate stays below 2^53.
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;
const TWO_15 = 32768;
const TWO_16 = 65536;

/**
 * gemmlowp SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b, rounded to nearest
 * (ties away from zero, as C's truncating division of (ab + nudge) by 2^31 does), saturating the
 * single overflow case a = b = INT32_MIN.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // ab = a * (bh * 2^16 + bl), with bl in [0, 2^16).
  const bl = b & 0xffff;
  const bh = (b - bl) / TWO_16;
  const x = a * bh; // |x| <= 2^46
  const nudge = (a >= 0) === (b >= 0) || a === 0 || b === 0 ? 1 << 30 : 1 - (1 << 30);
  const y = a * bl + nudge; // |y| < 2^48
  // total = x * 2^16 + y; floor(total / 2^31) without forming total.
  const q1 = Math.floor(x / TWO_15);
  const r1 = x - q1 * TWO_15; // [0, 2^15)
  const s = r1 * TWO_16 + y; // exact, |s| < 2^49
  const q2 = Math.floor(s / TWO_31);
  let result = q1 + q2;
  // C truncates toward zero: a negative quotient with a remainder is one too small after floor.
  if (result < 0 && s - q2 * TWO_31 !== 0) result += 1;
  return result;
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent < 0 || exponent > 31) throw new RangeError(`roundingDivideByPOT exponent ${exponent} outside [0, 31]`);
  if (exponent === 0) return x;
  const mask = exponent === 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite MultiplyByQuantizedMultiplier (double-rounding variant, the reference kernels'
 * default): x * multiplier * 2^shift, where multiplier is Q31 and shift may be positive (left).
 */
export function multiplyByQuantizedMultiplier(x: number, quantizedMultiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  // C computes x * (1 << left_shift) in int32; Math.imul reproduces its two's-complement wrap.
  const shifted = leftShift === 0 ? x : Math.imul(x, 1 << leftShift);
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, quantizedMultiplier), rightShift);
}

/** TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0). */
export function multiplyByQuantizedMultiplierSmallerThanOneExp(x: number, quantizedMultiplier: number, leftShift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, quantizedMultiplier), -leftShift);
}

/** TFLite MultiplyByQuantizedMultiplierGreaterThanOne (leftShift >= 0). */
export function multiplyByQuantizedMultiplierGreaterThanOne(x: number, quantizedMultiplier: number, leftShift: number): number {
  return saturatingRoundingDoublingHighMul(Math.imul(x, 2 ** leftShift | 0), quantizedMultiplier);
}

/**
 * The domain of TFLite's int64 MultiplyByQuantizedMultiplier (its DCHECKs): shift in
 * [-31, 7], multiplier >= 0, -2^47 <= x < 2^47. Inside it the C arithmetic (round = 1 << (14 -
 * shift), x * reduced_multiplier) stays far from int64 overflow; outside it the C code shifts by
 * a negative count (shift >= 15) or overflows a signed 64-bit product, which is undefined
 * behaviour, so no host result could be "the" firmware's. The 16x8 ops' prepare refuses layers
 * that could leave it (src/ops/requant64-limits.ts).
 */
export const MBQM64_MIN_SHIFT = -31;
export const MBQM64_MAX_SHIFT = 7;
export const MBQM64_X_LIMIT = 2n ** 47n;

/**
 * TFLite's int64-accumulator MultiplyByQuantizedMultiplier used by the 16x8 kernels: rounds the
 * multiplier to Q15 and does a single rounding shift. Returns an int32 truncated like C's cast
 * (GCC defines the narrowing as modulo 2^32). Throws RangeError outside TFLite's domain (see
 * MBQM64_*), where the C twin tinyml_mbqm64 has undefined behaviour.
 */
export function multiplyByQuantizedMultiplier64(x: bigint, quantizedMultiplier: number, shift: number): number {
  if (!(shift >= MBQM64_MIN_SHIFT && shift <= MBQM64_MAX_SHIFT) || !(quantizedMultiplier >= 0) || x >= MBQM64_X_LIMIT || x < -MBQM64_X_LIMIT) {
    throw new RangeError(
      `multiplyByQuantizedMultiplier64(${x}, ${quantizedMultiplier}, ${shift}) outside TFLite's domain ` +
        `(shift in [${MBQM64_MIN_SHIFT}, ${MBQM64_MAX_SHIFT}], multiplier >= 0, |x| < 2^47)`,
    );
  }
  const reduced = quantizedMultiplier < 0x7fff0000 ? (quantizedMultiplier + (1 << 15)) >> 16 : 0x7fff;
  const totalShift = 15 - shift;
  const round = 1n << BigInt(totalShift - 1);
  const result = (x * BigInt(reduced) + round) >> BigInt(totalShift);
  return Number(BigInt.asIntN(32, result));
}

/** C's frexp: x = fraction * 2^exponent with 0.5 <= |fraction| < 1 (fraction 0 for x = 0). */
export function frexp(x: number): { fraction: number; exponent: number } {
  if (x === 0 || !Number.isFinite(x)) return { fraction: x, exponent: 0 };
  let exponent = Math.ceil(Math.log2(Math.abs(x)));
  let fraction = x / 2 ** exponent;
  // log2 can be off by one near powers of two; fix up so that 0.5 <= |fraction| < 1.
  while (Math.abs(fraction) >= 1) {
    exponent += 1;
    fraction = x / 2 ** exponent;
  }
  while (Math.abs(fraction) < 0.5) {
    exponent -= 1;
    fraction = x / 2 ** exponent;
  }
  return { fraction, exponent };
}

/** C's round(): half away from zero (JavaScript's Math.round rounds half up). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export interface QuantizedMultiplier {
  /** Q31 fixed-point significand in [2^30, 2^31) (or 0). */
  multiplier: number;
  /** Power-of-two exponent: positive shifts left. */
  shift: number;
}

/**
 * TFLite QuantizeMultiplier: real = multiplier * 2^(shift - 31). Matches the reference kernels
 * including the rounding-up-to-2^31 fix and flushing of tiny multipliers to zero.
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  const { fraction, exponent } = frexp(real);
  let shift = exponent;
  let qFixed = roundHalfAwayFromZero(fraction * TWO_31);
  if (qFixed === TWO_31) {
    qFixed /= 2;
    shift += 1;
  }
  if (shift < -31) {
    shift = 0;
    qFixed = 0;
  }
  return { multiplier: qFixed, shift };
}

/** TFLite QuantizeMultiplierSmallerThanOneExp (asserts real in (0, 1)). */
export function quantizeMultiplierSmallerThanOneExp(real: number): QuantizedMultiplier {
  if (!(real > 0 && real < 1)) throw new RangeError(`multiplier ${real} not in (0, 1)`);
  return quantizeMultiplier(real);
}

/** Saturate to [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Saturating int32 addition/subtraction helpers, as C's int32 arithmetic would need. */
export function toInt32(x: number): number {
  return x | 0;
}
