/*
 * tinyml_fixedpoint.h - the integer arithmetic of TFLite's int8/int16 reference kernels
 * (gemmlowp-style requantization), mirrored one to one by src/fixedpoint.ts. Every kernel
 * requantizes through these so firmware results are bit-exact with the host interpreter.
 */
#ifndef TINYML_FIXEDPOINT_H
#define TINYML_FIXEDPOINT_H

#include <stdint.h>

#define TINYML_INLINE static inline __attribute__((always_inline))

/* High 32 bits of 2*a*b, rounded (gemmlowp's nudge), saturating INT32_MIN*INT32_MIN. */
TINYML_INLINE int32_t tinyml_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) {
    return INT32_MAX;
  }
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  /* C's division truncates toward zero, which is what the reference kernels rely on. */
  return (int32_t)((ab + nudge) / (1LL << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]. */
TINYML_INLINE int32_t tinyml_rdbpot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift with a Q31 multiplier; double rounding as in the reference kernels. */
TINYML_INLINE int32_t tinyml_mbqm(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  /* Wrap like the reference's int32 multiply by (1 << left_shift) (done in unsigned to stay defined). */
  const int32_t shifted = (int32_t)((uint32_t)x * ((uint32_t)1 << left_shift));
  return tinyml_rdbpot(tinyml_srdhm(shifted, multiplier), right_shift);
}

/*
 * The 16x8 kernels' 64-bit accumulator variant: Q15-rounded multiplier, single rounding.
 * Defined only in TFLite's domain: multiplier >= 0, shift in [-31, 7], -2^47 <= x < 2^47. Then
 * total_shift is 8..46 (a shift of 15 or more would make round's shift count negative) and
 * |x * reduced| < 2^62 (beyond 2^47 the signed product can overflow). No check here: the 16x8
 * ops' prepare (src/ops/requant64-limits.ts) refuses any layer whose constants or worst-case
 * accumulator could leave the domain. The final narrowing keeps the low 32 bits (GCC's
 * definition), as the host's BigInt.asIntN(32) does.
 */
TINYML_INLINE int32_t tinyml_mbqm64(int64_t x, int32_t multiplier, int shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  return (int32_t)((x * (int64_t)reduced + round) >> total_shift);
}

TINYML_INLINE int32_t tinyml_clamp(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

#endif /* TINYML_FIXEDPOINT_H */
