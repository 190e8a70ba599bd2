/*
 * rsqrt.c - see rsqrt.h.
 */
#include "rsqrt.h"

#include "tinyml_fixedpoint.h"
#include "tinyml_gemmlowp.h"

/* Bits that keep 1/sqrt(v) an integer between the two multiplications (TFLM's kShift). */
#define TINYML_RSQRT_KSHIFT 20

static int32_t rsqrt_one(const tinyml_rsqrt_params *p, int32_t x, int32_t hi) {
  const int32_t v = x - p->input_zero_point;
  int32_t inv;
  int inv_shift;
  int32_t data;
  if (v == 0) {
    /* TFLM: a value this close to 0 stands for the largest output. */
    return hi;
  }
  tinyml_inv_sqrt_multiplier(v, &inv, &inv_shift);
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
