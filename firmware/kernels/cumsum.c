/*
 * cumsum.c - portable CUMSUM kernels, bit-exact with TFLite Micro's reference kernel (and with
 * src/ops/cumsum.ts).
 */
#include "cumsum.h"

#include "tinyml_gemmlowp.h"

/* Element offset of position d along the axis in row (a, b), walking backwards when reversed. */
static inline int32_t cumsum_index(const tinyml_cumsum_params *p, int32_t a, int32_t b, int32_t d) {
  const int32_t aa = p->reverse ? p->after - 1 - a : a;
  const int32_t bb = p->reverse ? p->before - 1 - b : b;
  const int32_t dd = p->reverse ? p->depth - 1 - d : d;
  return aa + bb * p->depth * p->after + dd * p->after;
}

void tinyml_cumsum_s8(const tinyml_cumsum_params *params, const int8_t *input, int8_t *output) {
  /* -zp << 20 fits int32 (|zp| <= 128). */
  const int32_t start = tinyml_mbqm(params->input_offset * (1 << params->left_shift), params->input_multiplier, params->input_shift);
  for (int32_t a = 0; a < params->after; ++a) {
    for (int32_t b = 0; b < params->before; ++b) {
      int32_t acc = start;
      for (int32_t d = 0; d < params->depth; ++d) {
        const int32_t index = cumsum_index(params, a, b, d);
        const int32_t y = tinyml_mbqm((params->input_offset + input[index]) * (1 << params->left_shift), params->input_multiplier,
                                      params->input_shift);
        int32_t sum;
        if (params->exclusive) {
          sum = acc;
          acc = tinyml_wrap_add(acc, y);
        } else {
          acc = tinyml_wrap_add(acc, y);
          sum = acc;
        }
        output[index] = (int8_t)tinyml_clamp(tinyml_mbqm(sum, params->output_multiplier, params->output_shift) + params->output_offset, -128, 127);
      }
    }
  }
}

void tinyml_cumsum_f32(const tinyml_cumsum_params *params, const float *input, float *output) {
  for (int32_t a = 0; a < params->after; ++a) {
    for (int32_t b = 0; b < params->before; ++b) {
      float acc = 0.0f;
      for (int32_t d = 0; d < params->depth; ++d) {
        const int32_t index = cumsum_index(params, a, b, d);
        if (params->exclusive) {
          output[index] = acc;
          acc += input[index];
        } else {
          acc += input[index];
          output[index] = acc;
        }
      }
    }
  }
}
