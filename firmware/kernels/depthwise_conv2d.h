/*
 * depthwise_conv2d.h - DEPTHWISE_CONV_2D reference kernels (int8, and 16x8: int16 activations,
 * int8 weights, int64 bias), bit-exact with TFLite Micro's
 * reference_integer_ops::DepthwiseConvPerChannel. Data is NHWC; weights are [1, H, W, C_out]
 * with C_out = input_depth * depth_multiplier and output channel = in_channel * multiplier + m.
 */
#ifndef TINYML_DEPTHWISE_CONV2D_H
#define TINYML_DEPTHWISE_CONV2D_H

#include <stddef.h>
#include <stdint.h>

#include "tinyml_conv_geometry.h"
#include "tinyml_layer_quant.h"

typedef struct {
  tinyml_depthwise_geometry geo;
  /* The trailing (bottom/right) zero padding is geo.pad_* + pad_*_offset. */
  int32_t pad_height_offset;
  int32_t pad_width_offset;
  /* -weights zero point: 0 in the int8 spec, non-zero in legacy uint8 models (int8 kernels only). */
  int32_t weights_offset;
  tinyml_layer_quant q;
} tinyml_depthwise_conv2d_params;

/* bias may be NULL. */
void tinyml_depthwise_conv2d_s8(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output);

void tinyml_depthwise_conv2d_s16(const tinyml_depthwise_conv2d_params *p, const int16_t *input,
                                 const int8_t *filter, const int64_t *bias, int16_t *output);

/* int8 in place: `data` is the input and becomes the output; `rows` is planned scratch of
 * filter_height * input_width * input_depth bytes (see depthwise_conv2d.c). */
void tinyml_depthwise_conv2d_s8_in_place(const tinyml_depthwise_conv2d_params *p, int8_t *data,
                                         const int8_t *filter, const int32_t *bias, int8_t *rows);

#endif /* TINYML_DEPTHWISE_CONV2D_H */
