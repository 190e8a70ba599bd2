/*
 * tinyml_gemmlowp.h - gemmlowp's fixed-point math functions (exp on negative values, 1/(1+x),
 * logistic, tanh), the int16 primitives of hard swish and TFLite's int16 lookup-table
 * interpolation, mirrored one to one by src/fixedpoint-gemmlowp.ts. A fixed-point raw int32
 * value with N integer bits stands for raw / 2^(31 - N).
 *
 * gemmlowp's plain additions wrap in practice; they are done in uint32 here so the wrap is
 * defined behaviour rather than an accident of the optimiser.
 */
#ifndef TINYML_GEMMLOWP_H
#define TINYML_GEMMLOWP_H

#include <stdint.h>

#include "tinyml_fixedpoint.h"

TINYML_INLINE int32_t tinyml_wrap_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

TINYML_INLINE int32_t tinyml_wrap_sub(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

TINYML_INLINE int tinyml_clz32(uint32_t x) {
  return x == 0 ? 32 : __builtin_clz(x);
}

/* x * 2^exponent: saturating when shifting left, rounding to nearest when shifting right. */
TINYML_INLINE int32_t tinyml_srmbpot(int32_t x, int exponent) {
  if (exponent == 0) {
    return x;
  }
  if (exponent < 0) {
    return tinyml_rdbpot(x, -exponent);
  }
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  /* In range after the checks above; shifting the unsigned pattern keeps it defined for x < 0. */
  return (int32_t)((uint32_t)x << exponent);
}

/* Changes the number of integer bits of a fixed-point raw value. */
TINYML_INLINE int32_t tinyml_gl_rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
  return tinyml_srmbpot(x, src_integer_bits - dst_integer_bits);
}

TINYML_INLINE int32_t tinyml_gl_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return (int32_t)((sum + sign) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: a Taylor expansion around -1/8. */
TINYML_INLINE int32_t tinyml_gl_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;
  const int32_t one_third = 715827883;
  const int32_t x = tinyml_wrap_add(a, (int32_t)1 << 28);
  const int32_t x2 = tinyml_srdhm(x, x);
  const int32_t x3 = tinyml_srdhm(x2, x);
  const int32_t x4 = tinyml_srdhm(x2, x2);
  const int32_t x4_over_4 = tinyml_rdbpot(x4, 2);
  const int32_t poly =
      tinyml_rdbpot(tinyml_wrap_add(tinyml_srdhm(tinyml_wrap_add(x4_over_4, x3), one_third), x2), 1);
  return tinyml_wrap_add(exp_minus_one_eighth, tinyml_srdhm(exp_minus_one_eighth, tinyml_wrap_add(x, poly)));
}

/*
 * exp(a) for a <= 0 with `integer_bits` integer bits, result Q0.31: the part of a modulo 1/4
 * goes through the polynomial and every set bit above it multiplies in exp(-2^k).
 */
TINYML_INLINE int32_t tinyml_gl_exp_on_negative_values(int32_t a, int integer_bits) {
  static const int32_t barrel_multipliers[7] = {1672461947, 1302514674, 790015084, 290630308,
                                                39332535,   720401,     242};
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = tinyml_wrap_sub(a & mask, one_quarter);
  int32_t result = tinyml_gl_exp_on_interval_between_negative_one_quarter_and_0_excl(
      tinyml_gl_rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  const int32_t remainder = tinyml_wrap_sub(a_mod_quarter_minus_one_quarter, a);
  for (int k = 0; k < 7; ++k) {
    const int exponent = k - 2;
    if (integer_bits > exponent) {
      const int bit = fractional_bits + exponent;
      if (remainder & ((int32_t)1 << bit)) {
        result = tinyml_srdhm(result, barrel_multipliers[k]);
      }
    }
  }
  if (integer_bits > 5) {
    const int32_t clamp = -((int32_t)1 << (36 - integer_bits));
    if (a < clamp) {
      result = 0;
    }
  }
  if (a == 0) {
    result = INT32_MAX;
  }
  return result;
}

/* Newton-Raphson for 1/(2 * half_denominator), three steps; the result has 2 integer bits. */
TINYML_INLINE int32_t tinyml_gl_newton_reciprocal(int32_t half_denominator) {
  const int32_t forty_eight_over_seventeen = 1515870810;
  const int32_t minus_thirty_two_over_seventeen = -1010580540;
  const int32_t one_q2 = (int32_t)1 << 29;
  int32_t x = tinyml_wrap_add(forty_eight_over_seventeen, tinyml_srdhm(half_denominator, minus_thirty_two_over_seventeen));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = tinyml_srdhm(half_denominator, x);
    const int32_t one_minus = tinyml_wrap_sub(one_q2, half_denominator_times_x);
    x = tinyml_wrap_add(x, tinyml_gl_rescale(tinyml_srdhm(x, one_minus), 4, 2));
  }
  return x;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out. */
TINYML_INLINE int32_t tinyml_gl_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t x = tinyml_gl_newton_reciprocal(tinyml_gl_rounding_half_sum(a, INT32_MAX));
  /* Halving x is exact when read with one integer bit; then back to Q0.31. */
  return tinyml_gl_rescale(x, 1, 0);
}

/* (1 - a) / (1 + a) for a in [0, 1), Q0.31 in and out. */
TINYML_INLINE int32_t tinyml_gl_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t x = tinyml_gl_newton_reciprocal(tinyml_gl_rounding_half_sum(a, INT32_MAX));
  return tinyml_gl_rescale(tinyml_wrap_sub(x, (int32_t)1 << 29), 2, 0);
}

/* 1 / (1 + exp(-a)) for a with `integer_bits` integer bits; result Q0.31. */
TINYML_INLINE int32_t tinyml_gl_logistic(int32_t a, int integer_bits) {
  if (a == 0) {
    return (int32_t)1 << 30;
  }
  const int positive = a > 0;
  const int32_t abs_input = positive ? a : tinyml_wrap_sub(0, a);
  const int32_t result_if_positive =
      tinyml_gl_one_over_one_plus_x_for_x_in_0_1(tinyml_gl_exp_on_negative_values(tinyml_wrap_sub(0, abs_input), integer_bits));
  return positive ? result_if_positive : tinyml_wrap_sub(INT32_MAX, result_if_positive);
}

/* tanh(a) for a with `integer_bits` integer bits; result Q0.31. */
TINYML_INLINE int32_t tinyml_gl_tanh(int32_t a, int integer_bits) {
  if (a == 0) {
    return 0;
  }
  const int negative = a < 0;
  const int32_t n = negative ? a : tinyml_wrap_sub(0, a);
  /* exp(2n) is exp of the same raw value read with one more integer bit. */
  const int32_t t = tinyml_gl_one_minus_x_over_one_plus_x_for_x_in_0_1(tinyml_gl_exp_on_negative_values(n, integer_bits + 1));
  return negative ? tinyml_wrap_sub(0, t) : t;
}

/*
 * 1/x for a positive x with `x_integer_digits` integer bits: a Q0.31 significand, plus in
 * *num_bits_over_unit how many bits x has above 1.0 (the caller shifts by those).
 */
TINYML_INLINE int32_t tinyml_gl_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
  const int headroom_plus_one = tinyml_clz32((uint32_t)x);
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
  return tinyml_gl_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

/* --- int16 primitives --- */

TINYML_INLINE int16_t tinyml_srdhm16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) {
    return INT16_MAX;
  }
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t)((ab + nudge) / (1 << 15));
}

/* Like tinyml_srdhm16 but truncating toward zero instead of rounding (ARM SQDMULH). */
TINYML_INLINE int16_t tinyml_sdhm16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) {
    return INT16_MAX;
  }
  return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/*
 * Rounding divide by 2^exponent on int16. The mask is narrowed to int16 as in gemmlowp's int16
 * instantiation, so out-of-range exponents degrade the same way.
 */
TINYML_INLINE int16_t tinyml_rdbpot16(int16_t x, int exponent) {
  const int16_t mask = (int16_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  const int32_t shifted = exponent >= 31 ? (x < 0 ? -1 : 0) : ((int32_t)x >> exponent);
  return (int16_t)(shifted + (remainder > threshold ? 1 : 0));
}

/*
 * int16 -> int16 table lookup with linear interpolation over a 513-entry table: the top 9 bits
 * of the value pick the segment, the low 7 bits interpolate within it.
 */
TINYML_INLINE int16_t tinyml_lut_lookup16(int16_t value, const int16_t *lut) {
  const int index = 256 + (value >> 7);
  const int32_t offset = value & 0x7f;
  const int16_t base = lut[index];
  const int16_t slope = (int16_t)(lut[index + 1] - base);
  const int32_t delta = ((int32_t)slope * offset + 64) >> 7;
  return (int16_t)(base + delta);
}

/* TFLite GetInvSqrtQuantizedMultiplierExp (RSQRT, L2_NORMALIZATION): 1/sqrt(v) for v >= 0 as
 * a Q31 multiplier and a shift in tinyml_mbqm's convention (positive: left). v is normalised into [2^27, 2^29) by pairs of bits, so the square root of the scale is
 * an exact power of two that the shift absorbs, and refined by five Newton-Raphson steps in Q3.28
 * starting from 1 (about 2^-19 relative error). */
TINYML_INLINE void tinyml_inv_sqrt_multiplier(int32_t v, int32_t *multiplier, int *shift) {
  int32_t x = v;
  int s = 11;
  int left_pairs;
  int32_t half_input;
  int32_t r = (int32_t)1 << 28; /* 1.0 in Q3.28 */
  const int32_t half_three = ((int32_t)1 << 28) + ((int32_t)1 << 27);
  int i;
  if (v <= 1) {
    /* 1 would overflow the general path; 0 (and anything below) is treated like it. */
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  while (x >= ((int32_t)1 << 29)) {
    x /= 4;
    ++s;
  }
  left_pairs = (tinyml_clz32((uint32_t)x) - 1) / 2 - 1;
  s -= left_pairs;
  x <<= 2 * left_pairs;
  half_input = tinyml_rdbpot(x >> 1, 1);
  for (i = 0; i < 5; ++i) {
    const int32_t r3 = tinyml_gl_rescale(tinyml_srdhm(tinyml_srdhm(r, r), r), 9, 3);
    /* r <- 1.5 r - (input / 2) r^3; gemmlowp subtracts without saturating. */
    r = tinyml_gl_rescale(tinyml_wrap_sub(tinyml_srdhm(half_three, r), tinyml_srdhm(half_input, r3)), 6, 3);
  }
  r = tinyml_srdhm(r, 1518500250); /* * sqrt(2)/2 in Q0.31 */
  if (s < 0) {
    r = (int32_t)((uint32_t)r << -s);
    s = 0;
  }
  *multiplier = r;
  *shift = -s;
}

#endif /* TINYML_GEMMLOWP_H */
