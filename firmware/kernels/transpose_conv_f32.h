/*
 * transpose_conv_f32.h - single-precision TRANSPOSE_CONV (TFLite's reference_ops::TransposeConv
 * semantics): every input pixel scatters input x weights into the output window it covers; the
 * output itself is the accumulator, so no scratch memory is needed. Weights are OHWI.
 */
#ifndef TINYML_TRANSPOSE_CONV_F32_H
#define TINYML_TRANSPOSE_CONV_F32_H

#include <stdint.h>

#include "tinyml_conv_geometry.h"

typedef struct {
  tinyml_window_geometry geo;
  float activation_min;
  float activation_max;
} tinyml_transpose_conv_f32_params;

/* bias may be NULL. */
void tinyml_transpose_conv_f32(const tinyml_transpose_conv_f32_params *p, const float *input,
                               const float *filter, const float *bias, float *output);

#endif /* TINYML_TRANSPOSE_CONV_F32_H */
