/*
 * softmax_f32.c - see softmax_f32.h. Subtracting the row maximum first keeps every exp() in
 * (0, 1], so no row overflows.
 */
#include "softmax_f32.h"

#include <float.h>
#include <math.h>

void tinyml_softmax_f32(const tinyml_softmax_f32_params *params, const float *input, float *output) {
  const int32_t depth = params->depth;
  for (int32_t i = 0; i < params->outer_size; ++i) {
    const float *x = input + i * depth;
    float *y = output + i * depth;
    float max = -FLT_MAX;
    for (int32_t c = 0; c < depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    float sum = 0.0f;
    for (int32_t c = 0; c < depth; ++c) {
      const float e = expf((x[c] - max) * params->beta);
      y[c] = e;
      sum += e;
    }
    for (int32_t c = 0; c < depth; ++c) {
      y[c] = y[c] / sum;
    }
  }
}
