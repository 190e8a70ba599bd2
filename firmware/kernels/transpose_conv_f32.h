/*
 * transpose_conv_f32.h - single-precision TRANSPOSE_CONV (TFLite's reference_ops::TransposeConv
 * semantics): every input pixel scatters input x weights into the output window it covers; the
 * output itself is the accumulator, so no scratch memory is needed. Weights are OHWI.
 */
#ifndef TINYML_TRANSPOSE_CONV_F32_H
#define TINYML_TRANSPOSE_CONV_F32_H

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
  int32_t stride_height;
  int32_t stride_width;
  int32_t pad_height;
  int32_t pad_width;
  float activation_min;
  float activation_max;
} tinyml_transpose_conv_f32_params;

/* bias may be NULL. */
void tinyml_transpose_conv_f32(const tinyml_transpose_conv_f32_params *p, const float *input,
                               const float *filter, const float *bias, float *output);

#endif /* TINYML_TRANSPOSE_CONV_F32_H */
