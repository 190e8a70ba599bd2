/*
 * arg_max.c - portable ARG_MAX kernels, bit-exact with TFLite Micro's reference kernel (and with
 * src/ops/arg-max.ts). Only a strictly larger value moves the index, so the first one wins ties.
 */
#include "arg_max.h"

void tinyml_arg_max_s8(const tinyml_arg_max_params *params, const int8_t *input, int32_t *output) {
  for (int32_t outer = 0; outer < params->outer; ++outer) {
    for (int32_t inner = 0; inner < params->inner; ++inner) {
      const int8_t *x = input + outer * params->axis_size * params->inner + inner;
      int8_t best = x[0];
      int32_t index = 0;
      for (int32_t i = 1; i < params->axis_size; ++i) {
        if (x[i * params->inner] > best) {
          best = x[i * params->inner];
          index = i;
        }
      }
      output[outer * params->inner + inner] = index;
    }
  }
}

void tinyml_arg_max_f32(const tinyml_arg_max_params *params, const float *input, int32_t *output) {
  for (int32_t outer = 0; outer < params->outer; ++outer) {
    for (int32_t inner = 0; inner < params->inner; ++inner) {
      const float *x = input + outer * params->axis_size * params->inner + inner;
      float best = x[0];
      int32_t index = 0;
      for (int32_t i = 1; i < params->axis_size; ++i) {
        const float v = x[i * params->inner];
        /* TFLM's NaN rule: a NaN never wins, and any number beats a NaN best (v != v is NaN,
         * without needing math.h's isnan on the target). */
        if (v == v && (best != best || v > best)) {
          best = v;
          index = i;
        }
      }
      output[outer * params->inner + inner] = index;
    }
  }
}
