/*
 * conv2d.h - CONV_2D reference kernels (int8, and 16x8: int16 activations with int8 weights),
 * bit-exact with TFLite Micro's reference_integer_ops::ConvPerChannel. Data is NHWC, weights
 * OHWI; grouped convolution is supported (input_depth = filter_input_depth * groups).
 */
#ifndef TINYML_CONV2D_H
#define TINYML_CONV2D_H

#include <stddef.h>
#include <stdint.h>

#include "tinyml_conv_geometry.h"
#include "tinyml_layer_quant.h"

typedef struct {
  tinyml_conv2d_geometry geo;
  /* The trailing (bottom/right) zero padding is geo.pad_* + pad_*_offset. The reference kernel
   * only needs the leading amount, but optimized kernels that pre-pad need both. */
  int32_t pad_height_offset;
  int32_t pad_width_offset;
  /* -weights zero point: 0 in the int8 spec, non-zero in legacy uint8 models (int8 kernels only). */
  int32_t weights_offset;
  tinyml_layer_quant q;
} tinyml_conv2d_params;

/* bias may be NULL. */
void tinyml_conv2d_s8(const tinyml_conv2d_params *p, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output);

/* 16x8 with int64 bias (or none): 64-bit accumulator and the 64-bit requantization. */
void tinyml_conv2d_s16(const tinyml_conv2d_params *p, const int16_t *input, const int8_t *filter,
                       const int64_t *bias, int16_t *output);

/* 16x8 with int32 bias: TFLM then accumulates in int32 and requantizes with the 32-bit path. */
void tinyml_conv2d_s16_b32(const tinyml_conv2d_params *p, const int16_t *input,
                           const int8_t *filter, const int32_t *bias, int16_t *output);

#endif /* TINYML_CONV2D_H */
