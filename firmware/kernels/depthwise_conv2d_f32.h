/*
 * depthwise_conv2d_f32.h - single-precision DEPTHWISE_CONV_2D (TFLite's reference_ops::DepthwiseConv
 * semantics): NHWC data, weights [1, H, W, output_depth], output channel c reads input channel
 * c / depth_multiplier. Needs no scratch memory.
 */
#ifndef TINYML_DEPTHWISE_CONV2D_F32_H
#define TINYML_DEPTHWISE_CONV2D_F32_H

#include <stdint.h>

#include "tinyml_conv_geometry.h"

typedef struct {
  tinyml_depthwise_geometry geo;
  float activation_min;
  float activation_max;
} tinyml_depthwise_conv2d_f32_params;

/* bias may be NULL. */
void tinyml_depthwise_conv2d_f32(const tinyml_depthwise_conv2d_f32_params *p, const float *input,
                                 const float *filter, const float *bias, float *output);

#endif /* TINYML_DEPTHWISE_CONV2D_F32_H */
