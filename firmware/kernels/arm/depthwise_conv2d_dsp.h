/*
 * depthwise_conv2d_dsp.h - DEPTHWISE_CONV_2D (int8, depth multiplier 1) for cores with the DSP
 * extension: four channels per step, one input word per tap split by SXTB16 into two halfword
 * pairs multiplied with SMLABB/SMLATT by weights pre-expanded to int16 at generation time.
 * Interior pixels run without bounds checks; border taps read the input zero point (so they add
 * nothing, the input offset being folded into the bias). Bit-exact with
 * tinyml_depthwise_conv2d_s8.
 *
 * Weights (int16 words, see the generator): for each group of four channels g < depth / 4 and
 * each tap t (row-major over the filter): (w[t][4g], w[t][4g+2]) then (w[t][4g+1], w[t][4g+3]);
 * then for each remaining channel c: w[t][c] for every tap. Doubled in the FAST modes.
 */
#ifndef TINYML_DEPTHWISE_CONV2D_DSP_H
#define TINYML_DEPTHWISE_CONV2D_DSP_H

#include <stdint.h>

#include "tinyml_dsp.h"

typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
  int32_t output_height;
  int32_t output_width;
  /* Input zero point: what out-of-image taps read. */
  int32_t pad_value;
  int32_t mode;
  int32_t per_channel;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const int32_t *bias; /* bias' per channel (doubled in the FAST modes) */
  const tinyml_dsp_rq *rq;
} tinyml_depthwise_conv2d_dsp_params;

void tinyml_depthwise_conv2d_s8_dsp(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                    const int16_t *weights, int8_t *output);

#endif /* TINYML_DEPTHWISE_CONV2D_DSP_H */
