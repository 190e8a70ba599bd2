/*
 * arg_max.c - portable ARG_MAX kernels, bit-exact with TFLite Micro's reference kernel (and with
 * src/ops/arg-max.ts). Only a strictly larger value moves the index, so the first one wins ties.
 */
#include "arg_max.h"

/* One walk for both types; STEP moves best and index to element i when it takes the lead (a
 * strictly larger value, so the first one wins ties). */
#define ARG_MAX_KERNEL(NAME, T, STEP)                                                               \
  void NAME(const tinyml_arg_max_params *params, const T *input, int32_t *output) {                 \
    for (int32_t outer = 0; outer < params->outer; ++outer) {                                       \
      for (int32_t inner = 0; inner < params->inner; ++inner) {                                     \
        const T *x = input + outer * params->axis_size * params->inner + inner;                     \
        T best = x[0];                                                                              \
        int32_t index = 0;                                                                          \
        for (int32_t i = 1; i < params->axis_size; ++i) {                                           \
          STEP                                                                                      \
        }                                                                                           \
        output[outer * params->inner + inner] = index;                                              \
      }                                                                                             \
    }                                                                                               \
  }

#define S8_STEP                                                                                     \
  if (x[i * params->inner] > best) {                                                                \
    best = x[i * params->inner];                                                                    \
    index = i;                                                                                      \
  }

/* TFLM's NaN rule: a NaN never wins, and any number beats a NaN best (v != v is NaN, without
 * needing math.h's isnan on the target). */
#define F32_STEP                                                                                    \
  const float v = x[i * params->inner];                                                             \
  if (v == v && (best != best || v > best)) {                                                       \
    best = v;                                                                                       \
    index = i;                                                                                      \
  }

ARG_MAX_KERNEL(tinyml_arg_max_s8, int8_t, S8_STEP)
ARG_MAX_KERNEL(tinyml_arg_max_f32, float, F32_STEP)
