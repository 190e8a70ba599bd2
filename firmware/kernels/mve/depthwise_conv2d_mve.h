/*
 * depthwise_conv2d_mve.h - DEPTHWISE_CONV_2D (int8, depth multiplier 1) with Helium: four
 * channels per vector (int8 widened to int32 lanes by the loads, VMUL + VADD per tap), four output
 * pixels of a row per step (each weight vector loaded once for the four). The input rows of
 * each output row are first copied to scratch with the zero point in the padding (padded taps
 * then add nothing: the input offset is folded into the bias), so no tap checks a bound.
 * Bit-exact with tinyml_depthwise_conv2d_s8.
 *
 * Weights: [ceil(depth / 4)][fh * fw][4] int8 (each group's taps together; channels past the
 * depth zero), requantization records per group of four channels (tinyml_mve.h).
 */
#ifndef TINYML_DEPTHWISE_CONV2D_MVE_H
#define TINYML_DEPTHWISE_CONV2D_MVE_H

#include <stdint.h>

#include "../tinyml_conv_geometry.h"
#include "tinyml_mve.h"

typedef struct {
  tinyml_packed_geometry geo;
  /* Input zero point: what padded taps read. */
  int32_t pad_value;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const tinyml_mve_rq4 *rq;
} tinyml_depthwise_conv2d_mve_params;

/* Scratch: filter_height rows of padded_width * 4 bytes per group of four channels,
 * padded_width = (output_width - 1) * stride_width + (filter_width - 1) * dilation_width + 1. */
void tinyml_depthwise_conv2d_s8_mve(const tinyml_depthwise_conv2d_mve_params *p, const int8_t *input,
                                    const int8_t *weights, int8_t *output, void *scratch);

#endif /* TINYML_DEPTHWISE_CONV2D_MVE_H */
