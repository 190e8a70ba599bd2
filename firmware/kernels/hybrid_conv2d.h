/*
 * hybrid_conv2d.h - CONV_2D of a dynamic-range ("hybrid") model: float input and output, int8
 * weights (OHWI), float bias. TFLite's hybrid semantics: each batch of the input is quantized to
 * int8 at run time (asymmetrically when the weights have one scale per output channel,
 * symmetrically when they have one scale), the products are summed in int32, and each sum is
 * scaled back to float: acc * (weight_scale[oc] * input_scale) + bias[oc], then the fused
 * activation. Groups and dilation are 1 (as in TFLite's hybrid kernels).
 */
#ifndef TINYML_HYBRID_CONV2D_H
#define TINYML_HYBRID_CONV2D_H

#include <stdint.h>

#include "tinyml_conv_geometry.h"

typedef struct {
  tinyml_window_geometry geo;
  /* 1: asymmetric input quantization and one weight scale per output channel; 0: symmetric and
   * weight_scales[0] for every channel. */
  int32_t per_channel;
  const float *weight_scales;
  float activation_min;
  float activation_max;
} tinyml_hybrid_conv2d_params;

/* Scratch bytes the kernel needs: the quantized batch and one int16 im2col column. */
#define TINYML_HYBRID_CONV2D_SCRATCH(in_elems, taps) \
  ((((in_elems) + 3) & ~3) + 2 * (((taps) + 3) & ~3))

/* bias may be NULL; scratch holds TINYML_HYBRID_CONV2D_SCRATCH bytes, 4-byte aligned. */
void tinyml_hybrid_conv2d(const tinyml_hybrid_conv2d_params *p, const float *input,
                          const int8_t *weights, const float *bias, float *output, void *scratch);

#endif /* TINYML_HYBRID_CONV2D_H */
