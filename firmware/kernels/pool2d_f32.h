/*
 * pool2d_f32.h - single-precision AVERAGE_POOL_2D and MAX_POOL_2D on NHWC tensors (TFLite's
 * reference_ops semantics): windows are clipped to the input, the average divides by the
 * number of valid taps, and the maximum starts from the lowest float.
 */
#ifndef TINYML_POOL2D_F32_H
#define TINYML_POOL2D_F32_H

#include <stdint.h>

typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t depth;
  int32_t output_height;
  int32_t output_width;
  int32_t stride_height;
  int32_t stride_width;
  int32_t filter_height;
  int32_t filter_width;
  int32_t pad_height;
  int32_t pad_width;
  float activation_min;
  float activation_max;
} tinyml_pool2d_f32_params;

void tinyml_average_pool2d_f32(const tinyml_pool2d_f32_params *params, const float *input, float *output);
void tinyml_max_pool2d_f32(const tinyml_pool2d_f32_params *params, const float *input, float *output);

#endif /* TINYML_POOL2D_F32_H */
