/**
 * gemmlowp's fixed-point math functions (exp on negative values, 1/(1+x), logistic, tanh) and
 * the int16 lookup-table helpers, as TFLite's softmax/logistic/tanh/hard-swish kernels use them.
 * Every function works on raw int32 (or int16) values held in JavaScript numbers and reproduces
 * the C++ results bit for bit, including the places where gemmlowp's plain int32 additions wrap.
 * The C twin is firmware/kernels/tinyml_gemmlowp.h.
 *
 * A fixed-point value with `integerBits` integer bits stores real = raw / 2^(31 - integerBits)
 * (int32) or raw / 2^(15 - integerBits) (int16).
 */
import { INT32_MAX, INT32_MIN, roundHalfAwayFromZero, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from './fixedpoint.js';

const srdhm = saturatingRoundingDoublingHighMul;

/** C's count-leading-zeros of the value as uint32 (32 for 0). */
export function countLeadingZeros32(x: number): number {
  return Math.clz32(x);
}

/**
 * gemmlowp SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturating to int32 when shifting
 * left, rounding to nearest (ties away from zero) when shifting right.
 */
export function saturatingRoundingMultiplyByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return roundingDivideByPOT(x, -exponent);
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** exponent;
}

/** gemmlowp Rescale: changes the number of integer bits of a fixed-point raw value. */
export function rescale(x: number, srcIntegerBits: number, dstIntegerBits: number): number {
  return saturatingRoundingMultiplyByPOT(x, srcIntegerBits - dstIntegerBits);
}

/** gemmlowp RoundingHalfSum on int32: (a + b) / 2 rounded half away from zero, in 64-bit. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b; // exact in a double
  const sign = sum >= 0 ? 1 : -1;
  return Math.trunc((sum + sign) / 2);
}

// Fixed-point constants of gemmlowp's polynomial/Newton-Raphson approximations (Q0.31 unless noted).
const EXP_MINUS_ONE_EIGHTH = 1895147668; // exp(-1/8)
const ONE_THIRD = 715827883; // 1/3
const FORTY_EIGHT_OVER_SEVENTEEN_Q2 = 1515870810; // 48/17 with 2 integer bits
const MINUS_THIRTY_TWO_OVER_SEVENTEEN_Q2 = -1010580540; // -32/17 with 2 integer bits
const ONE_Q2 = 1 << 29;
/** exp(-2^k) for k = -2..4, applied for each set bit of the input's integer part. */
const EXP_BARREL: readonly (readonly [number, number])[] = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];

/** exp(a) for a in [-1/4, 0) (Q0.31 in and out): Taylor expansion around -1/8. */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const x = (a + (1 << 28)) | 0;
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT((srdhm((x4Over4 + x3) | 0, ONE_THIRD) + x2) | 0, 1);
  return (EXP_MINUS_ONE_EIGHTH + srdhm(EXP_MINUS_ONE_EIGHTH, (x + poly) | 0)) | 0;
}

/**
 * exp(a) for a <= 0, a with `integerBits` integer bits; result is Q0.31. The fractional part
 * modulo 1/4 goes through the polynomial, each set bit above it multiplies by a constant.
 */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusOneQuarter = ((a & mask) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, integerBits, 0));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  for (const [exponent, multiplier] of EXP_BARREL) {
    if (integerBits > exponent) {
      const bit = fractionalBits + exponent;
      if (remainder & (1 << bit)) result = srdhm(result, multiplier);
    }
  }
  if (integerBits > 5) {
    const clampB = 36 - integerBits;
    if (a < -(2 ** clampB)) result = 0;
  }
  if (a === 0) result = INT32_MAX;
  return result;
}

/** The three Newton-Raphson steps shared by 1/(1+x) and (1-x)/(1+x); returns x with 2 integer bits. */
function newtonReciprocalOfHalfDenominator(halfDenominator: number): number {
  let x = (FORTY_EIGHT_OVER_SEVENTEEN_Q2 + srdhm(halfDenominator, MINUS_THIRTY_TWO_OVER_SEVENTEEN_Q2)) | 0;
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = srdhm(halfDenominator, x);
    const oneMinus = (ONE_Q2 - halfDenominatorTimesX) | 0;
    x = (x + rescale(srdhm(x, oneMinus), 4, 2)) | 0;
  }
  return x;
}

/** 1 / (1 + a) for a in [0, 1) (Q0.31 in and out). */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const x = newtonReciprocalOfHalfDenominator(halfDenominator);
  // x / 2 reinterpreted with one integer bit, then brought back to Q0.31.
  return rescale(x, 1, 0);
}

/** (1 - a) / (1 + a) for a in [0, 1) (Q0.31 in and out). */
export function oneMinusXOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const x = newtonReciprocalOfHalfDenominator(halfDenominator);
  return rescale((x - ONE_Q2) | 0, 2, 0);
}

/** gemmlowp logistic: 1 / (1 + exp(-a)) for a with `integerBits` integer bits; result Q0.31. */
export function fixedLogistic(a: number, integerBits: number): number {
  if (a === 0) return 1 << 30;
  const positive = a > 0;
  const absInput = positive ? a : -a | 0;
  const resultIfPositive = oneOverOnePlusXForXIn01(expOnNegativeValues(-absInput | 0, integerBits));
  return positive ? resultIfPositive : (INT32_MAX - resultIfPositive) | 0;
}

/** gemmlowp tanh for a with `integerBits` integer bits; result Q0.31. */
export function fixedTanh(a: number, integerBits: number): number {
  if (a === 0) return 0;
  const negative = a < 0;
  const n = negative ? a : -a | 0;
  // exp(2n): doubling is exact by reading the same raw value with one more integer bit.
  const t = oneMinusXOverOnePlusXForXIn01(expOnNegativeValues(n, integerBits + 1));
  return negative ? -t | 0 : t;
}

/**
 * TFLite GetReciprocal: 1/x for a positive x with `xIntegerDigits` integer bits, returned as a
 * Q0.31 significand plus the number of bits x has above 1.0 (the caller shifts by that).
 */
export function getReciprocal(x: number, xIntegerDigits: number): { reciprocal: number; numBitsOverUnit: number } {
  const headroomPlusOne = countLeadingZeros32(x);
  const numBitsOverUnit = xIntegerDigits - headroomPlusOne;
  // (x << headroom_plus_one) as uint32, minus 2^31, reinterpreted as int32.
  const shiftedSumMinusOne = (Math.imul(x, headroomPlusOne >= 32 ? 0 : 2 ** headroomPlusOne | 0) - INT32_MIN) | 0;
  return { reciprocal: oneOverOnePlusXForXIn01(shiftedSumMinusOne), numBitsOverUnit };
}

// --- int16 gemmlowp primitives (hard swish) ---

/** gemmlowp SaturatingRoundingDoublingHighMul on int16. */
export function saturatingRoundingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return (Math.trunc((ab + nudge) / 32768) << 16) >> 16;
}

/** Like the above but truncating instead of rounding (ARM SQDMULH). */
export function saturatingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return (Math.trunc((a * b) / 32768) << 16) >> 16;
}

/**
 * gemmlowp RoundingDivideByPOT on int16: the mask is (2^exponent - 1) narrowed to int16, so
 * exponents of 16 and more degrade exactly as the C++ template does.
 */
export function roundingDivideByPOT16(x: number, exponent: number): number {
  const mask = (((2 ** exponent - 1) | 0) << 16) >> 16;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  const shifted = exponent >= 32 ? (x < 0 ? -1 : 0) : x >> exponent;
  return (((shifted + (remainder > threshold ? 1 : 0)) << 16) >> 16);
}

// --- int16 lookup tables (TFLite LUTPopulate<int16_t> / LUTLookup) ---

/** Number of entries of an int16 -> int16 interpolation table. */
export const INT16_LUT_SIZE = 513;

const f32 = Math.fround;

/**
 * TFLite's LUTPopulate<int16_t> with float arithmetic: 512 samples of `transform` over the int16
 * input range plus one end point, each biased by half the interpolation error at the midpoint.
 * Every step is rounded to float32 like the C++ code; `transform` must itself return a float32.
 */
export function lutPopulateInt16(
  inputScale: number,
  inputZeroPoint: number,
  outputScale: number,
  outputZeroPoint: number,
  transform: (x: number) => number,
): Int16Array {
  const lut = new Int16Array(INT16_LUT_SIZE);
  const inputMin = f32(inputScale * f32(-32768 - inputZeroPoint));
  const inputMax = f32(inputScale * f32(32767 - inputZeroPoint));
  const outputMin = f32(outputScale * f32(-32768 - outputZeroPoint));
  const outputMax = f32(outputScale * f32(32767 - outputZeroPoint));
  const nbSteps = 512;
  const step = f32(f32(inputMax - inputMin) / nbSteps);
  const halfStep = f32(step / 2);
  const outputScalingInv = f32(65536 / f32(outputMax - outputMin));
  const clampTable = (v: number): number => Math.min(Math.max(v, -32768), 32767);
  for (let i = 0; i < nbSteps; i++) {
    const x = f32(inputMin + f32(i * step));
    const val = transform(x);
    const valMidpoint = transform(f32(x + halfStep));
    const valNext = transform(f32(inputMin + f32((i + 1) * step)));
    const sampleVal = roundHalfAwayFromZero(f32(val * outputScalingInv));
    const midpointInterpVal = roundHalfAwayFromZero(f32(f32(f32(valNext * outputScalingInv) + sampleVal) / 2));
    const midpointVal = roundHalfAwayFromZero(f32(valMidpoint * outputScalingInv));
    const midpointErr = midpointInterpVal - midpointVal;
    const bias = roundHalfAwayFromZero(f32(midpointErr / 2));
    lut[i] = clampTable(sampleVal - bias);
  }
  lut[nbSteps] = clampTable(roundHalfAwayFromZero(f32(transform(inputMax) * outputScalingInv)));
  return lut;
}

/** TFLite LUTLookup for int16: the top 9 bits index the table, the low 7 interpolate. */
export function lutLookupInt16(value: number, lut: ArrayLike<number>): number {
  const index = 256 + (value >> 7);
  const offset = value & 0x7f;
  const base = lut[index];
  const slope = ((lut[index + 1] - base) << 16) >> 16;
  const delta = (slope * offset + 64) >> 7;
  return ((base + delta) << 16) >> 16;
}
