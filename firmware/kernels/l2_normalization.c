/*
 * l2_normalization.c - see l2_normalization.h.
 */
#include "l2_normalization.h"

#include "tinyml_fixedpoint.h"
#include "tinyml_gemmlowp.h"

/* The output is in 1/128 steps: 7 bits of left shift folded into the 1/sqrt multiplier's. */
#define TINYML_L2_OUTPUT_SCALE_BITS 7

void tinyml_l2_normalization_s8(const tinyml_l2_normalization_params *params, const int8_t *input, int8_t *output) {
  int32_t o;
  for (o = 0; o < params->outer_size; ++o) {
    const int8_t *row = input + o * params->depth;
    int8_t *out = output + o * params->depth;
    /* Each square is at most 255^2, so int32 is safe for rows of up to 2^15 elements. */
    int32_t acc = 0;
    int32_t inv;
    int inv_shift;
    int32_t c;
    for (c = 0; c < params->depth; ++c) {
      const int32_t v = row[c] - params->input_zero_point;
      acc += v * v;
    }
    tinyml_inv_sqrt_multiplier(acc, &inv, &inv_shift);
    for (c = 0; c < params->depth; ++c) {
      const int32_t r = tinyml_mbqm(row[c] - params->input_zero_point, inv, inv_shift + TINYML_L2_OUTPUT_SCALE_BITS);
      out[c] = (int8_t)tinyml_clamp(r, INT8_MIN, INT8_MAX);
    }
  }
}
