/*
 * maximum_minimum.c - portable MAXIMUM and MINIMUM kernels, bit-exact with TFLite Micro's
 * reference kernel (and with src/ops/maximum-minimum.ts). The comparisons are TFLM's
 * `a > b ? a : b` / `a < b ? a : b`, so a float NaN in the first input yields the second.
 */
#include "maximum_minimum.h"

#define TINYML_MAX_OF(a, b) ((a) > (b) ? (a) : (b))
#define TINYML_MIN_OF(a, b) ((a) < (b) ? (a) : (b))

/* One body per (op, type). */
#define TINYML_MAXMIN_KERNEL(name, type, pick)                                                          \
  void name(const tinyml_maxmin_params *params, const type *input1, const type *input2, type *output) { \
    TINYML_BINARY_ELEMENTWISE(params, type, input1, input2, output, pick)                               \
  }

TINYML_MAXMIN_KERNEL(tinyml_maximum_s8, int8_t, TINYML_MAX_OF)
TINYML_MAXMIN_KERNEL(tinyml_minimum_s8, int8_t, TINYML_MIN_OF)
TINYML_MAXMIN_KERNEL(tinyml_maximum_s16, int16_t, TINYML_MAX_OF)
TINYML_MAXMIN_KERNEL(tinyml_minimum_s16, int16_t, TINYML_MIN_OF)
TINYML_MAXMIN_KERNEL(tinyml_maximum_s32, int32_t, TINYML_MAX_OF)
TINYML_MAXMIN_KERNEL(tinyml_minimum_s32, int32_t, TINYML_MIN_OF)
TINYML_MAXMIN_KERNEL(tinyml_maximum_f32, float, TINYML_MAX_OF)
TINYML_MAXMIN_KERNEL(tinyml_minimum_f32, float, TINYML_MIN_OF)
