/*
 * rsqrt.c - see rsqrt.h.
 */
#include "rsqrt.h"

#include "tinyml_fixedpoint.h"
#include "tinyml_gemmlowp.h"

/* Bits that keep 1/sqrt(v) an integer between the two multiplications (TFLM's kShift). */
#define TINYML_RSQRT_KSHIFT 20

/* 1/sqrt(v) for v >= 0 as a Q31 multiplier and a shift in tinyml_mbqm's convention (positive:
 * left). v is normalised into [2^27, 2^29) by pairs of bits, so the square root of the scale is
 * an exact power of two that the shift absorbs, and refined by five Newton-Raphson steps in Q3.28
 * starting from 1 (enough for the int8/int16 range of v). */
static void inv_sqrt_multiplier(int32_t v, int32_t *multiplier, int *shift) {
  int32_t x = v;
  int s = 11;
  int left_pairs;
  int32_t half_input;
  int32_t r = (int32_t)1 << 28; /* 1.0 in Q3.28 */
  const int32_t half_three = ((int32_t)1 << 28) + ((int32_t)1 << 27);
  int i;
  if (v <= 1) {
    /* 1 would overflow the general path; 0 (and, here, anything below) is treated like it. */
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

static int32_t rsqrt_one(const tinyml_rsqrt_params *p, int32_t x, int32_t hi) {
  const int32_t v = x - p->input_zero_point;
  int32_t inv;
  int inv_shift;
  int32_t data;
  if (v == 0) {
    /* TFLM: a value this close to 0 stands for the largest output. */
    return hi;
  }
  inv_sqrt_multiplier(v, &inv, &inv_shift);
  data = tinyml_mbqm(1, inv, inv_shift + TINYML_RSQRT_KSHIFT);
  return tinyml_mbqm(data, p->output_multiplier, p->output_shift - TINYML_RSQRT_KSHIFT) + p->output_zero_point;
}

void tinyml_rsqrt_s8(const tinyml_rsqrt_params *params, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < params->size; ++i) {
    output[i] = (int8_t)tinyml_clamp(rsqrt_one(params, input[i], INT8_MAX), INT8_MIN, INT8_MAX);
  }
}

void tinyml_rsqrt_s16(const tinyml_rsqrt_params *params, const int16_t *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < params->size; ++i) {
    output[i] = (int16_t)tinyml_clamp(rsqrt_one(params, input[i], INT16_MAX), INT16_MIN, INT16_MAX);
  }
}
