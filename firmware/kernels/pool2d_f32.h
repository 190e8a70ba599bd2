/*
 * pool2d_f32.h - single-precision AVERAGE_POOL_2D and MAX_POOL_2D on NHWC tensors (TFLite's
 * reference_ops semantics): windows are clipped to the input, the average divides by the
 * number of valid taps, and the maximum starts from the lowest float.
 */
#ifndef TINYML_POOL2D_F32_H
#define TINYML_POOL2D_F32_H

#include <stdint.h>

#include "pool2d.h"

typedef struct {
  tinyml_pool2d_geometry geo;
  float activation_min;
  float activation_max;
} tinyml_pool2d_f32_params;

void tinyml_average_pool2d_f32(const tinyml_pool2d_f32_params *params, const float *input, float *output);
void tinyml_max_pool2d_f32(const tinyml_pool2d_f32_params *params, const float *input, float *output);

#endif /* TINYML_POOL2D_F32_H */
