/*
 * depthwise_conv2d_f32.h - single-precision DEPTHWISE_CONV_2D (TFLite's reference_ops::DepthwiseConv
 * semantics): NHWC data, weights [1, H, W, output_depth], output channel c reads input channel
 * c / depth_multiplier. Needs no scratch memory.
 */
#ifndef TINYML_DEPTHWISE_CONV2D_F32_H
#define TINYML_DEPTHWISE_CONV2D_F32_H

#include <stdint.h>

typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t output_height;
  int32_t output_width;
  int32_t output_depth; /* input_depth * depth_multiplier */
  int32_t depth_multiplier;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
  float activation_min;
  float activation_max;
} tinyml_depthwise_conv2d_f32_params;

/* bias may be NULL. */
void tinyml_depthwise_conv2d_f32(const tinyml_depthwise_conv2d_f32_params *p, const float *input,
                                 const float *filter, const float *bias, float *output);

#endif /* TINYML_DEPTHWISE_CONV2D_F32_H */
