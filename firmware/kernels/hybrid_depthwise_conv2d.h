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

#include "tinyml_conv_geometry.h"

typedef struct {
  tinyml_depthwise_geometry geo;
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
