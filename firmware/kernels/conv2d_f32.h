/*
 * conv2d_f32.h - single-precision CONV_2D (TFLite's reference_ops::Conv semantics): NHWC data,
 * OHWI weights, grouped convolution (input_depth = filter_input_depth * groups), dilation, and
 * the fused activation as a clamp. Needs no scratch memory.
 */
#ifndef TINYML_CONV2D_F32_H
#define TINYML_CONV2D_F32_H

#include <stdint.h>

#include "tinyml_conv_geometry.h"

typedef struct {
  tinyml_conv2d_geometry geo; /* taps in the padding are skipped (they would read zeros) */
  /* Fused activation clamp (-FLT_MAX / FLT_MAX for none). */
  float activation_min;
  float activation_max;
} tinyml_conv2d_f32_params;

/* bias may be NULL. */
void tinyml_conv2d_f32(const tinyml_conv2d_f32_params *p, const float *input, const float *filter,
                       const float *bias, float *output);

#endif /* TINYML_CONV2D_F32_H */
