/*
 * pool2d.h - AVERAGE_POOL_2D and MAX_POOL_2D on NHWC tensors (TFLite Micro reference semantics).
 * Windows are clipped to the input, so padding never contributes values; input and output
 * share one quantization, so no requantization happens.
 */
#ifndef TINYML_POOL2D_H
#define TINYML_POOL2D_H

#include <stdint.h>

/* The window geometry, shared with the float kernels (pool2d_f32.h). */
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
  /* Padding before the input; the window origin of output (y, x) is (y*stride - pad). */
  int32_t pad_height;
  int32_t pad_width;
} tinyml_pool2d_geometry;

typedef struct {
  tinyml_pool2d_geometry geo;
  /* Fused activation clamp, in output quantized units. */
  int32_t activation_min;
  int32_t activation_max;
} tinyml_pool2d_params;

void tinyml_average_pool2d_s8(const tinyml_pool2d_params *params, const int8_t *input, int8_t *output);
void tinyml_average_pool2d_s16(const tinyml_pool2d_params *params, const int16_t *input, int16_t *output);
void tinyml_max_pool2d_s8(const tinyml_pool2d_params *params, const int8_t *input, int8_t *output);
void tinyml_max_pool2d_s16(const tinyml_pool2d_params *params, const int16_t *input, int16_t *output);

#endif /* TINYML_POOL2D_H */
