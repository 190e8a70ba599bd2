/*
 * hybrid_depthwise_conv2d.h - DEPTHWISE_CONV_2D of a dynamic-range ("hybrid") model: float input
 * and output, int8 weights [1, H, W, output_depth] with one scale per output channel (TFLite's
 * hybrid depthwise kernel takes no other), float bias. Each batch of the input is quantized
 * asymmetrically at run time; per output channel the int32 sum of weight * (input - zero point)
 * over the window (padding taps skipped) becomes
 *   out = (acc * weight_scale[oc]) * input_scale + bias[oc]
 * then the fused activation.
 */
#ifndef TINYML_HYBRID_DEPTHWISE_CONV2D_H
#define TINYML_HYBRID_DEPTHWISE_CONV2D_H

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
  int32_t output_depth;
  int32_t depth_multiplier;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
  const float *weight_scales;
  float activation_min;
  float activation_max;
} tinyml_hybrid_depthwise_conv2d_params;

/* Scratch: the quantized batch, then one int32 accumulator per output channel. */
#define TINYML_HYBRID_DW_SCRATCH(in_elems, out_depth) ((((in_elems) + 3) & ~3) + 4 * (out_depth))

/* bias may be NULL; scratch holds TINYML_HYBRID_DW_SCRATCH bytes, 4-byte aligned. */
void tinyml_hybrid_depthwise_conv2d(const tinyml_hybrid_depthwise_conv2d_params *p,
                                    const float *input, const int8_t *weights, const float *bias,
                                    float *output, void *scratch);

#endif /* TINYML_HYBRID_DEPTHWISE_CONV2D_H */
