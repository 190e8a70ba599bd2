/*
 * conv2d_f32.h - single-precision CONV_2D (TFLite's reference_ops::Conv semantics): NHWC data,
 * OHWI weights, grouped convolution (input_depth = filter_input_depth * groups), dilation, and
 * the fused activation as a clamp. Needs no scratch memory.
 */
#ifndef TINYML_CONV2D_F32_H
#define TINYML_CONV2D_F32_H

#include <stdint.h>

typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t filter_input_depth;
  int32_t output_height;
  int32_t output_width;
  int32_t output_depth;
  int32_t groups;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  /* Leading (top/left) padding; taps outside the input are skipped (they would read zeros). */
  int32_t pad_height;
  int32_t pad_width;
  /* Fused activation clamp (-FLT_MAX / FLT_MAX for none). */
  float activation_min;
  float activation_max;
} tinyml_conv2d_f32_params;

/* bias may be NULL. */
void tinyml_conv2d_f32(const tinyml_conv2d_f32_params *p, const float *input, const float *filter,
                       const float *bias, float *output);

#endif /* TINYML_CONV2D_F32_H */
