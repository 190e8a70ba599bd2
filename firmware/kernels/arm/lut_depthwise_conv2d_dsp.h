/*
 * lut_depthwise_conv2d_dsp.h - DEPTHWISE_CONV_2D (int8, depth multiplier 1) with 4-bit clustered
 * weights and one table for the layer, on cores with the DSP extension. Bit-exact with
 * tinyml_depthwise_conv2d_lut_s8 (and so with the int8 kernel on the decoded weights).
 */
#ifndef TINYML_LUT_DEPTHWISE_CONV2D_DSP_H
#define TINYML_LUT_DEPTHWISE_CONV2D_DSP_H

#include <stdint.h>

#include "../lut_layers.h"
#include "lut_dsp.h"

/* Largest filter (height x width) this kernel takes; larger ones run the portable LUT kernel. */
#define TINYML_LUT_DW_MAX_TAPS 25
/* Scratch: the pair table, a group's weight pairs, and for 3x3 filters the border windows'
 * strip of 3 rows of TINYML_LUT4_DW_STRIP_WORDS words. */
#define TINYML_LUT4_DW_STRIP_WORDS(output_width, stride_width, dilation_width) \
  (((output_width) - 1) * (stride_width) + 2 * (dilation_width) + 1)
#define TINYML_LUT4_DW_SCRATCH(taps, strip_words) (1024 + 8 * (taps) + 12 * (strip_words))

/*
 * `filter->indices` as for tinyml_conv2d_lut4_s8_dsp: per four consecutive weights (four
 * channels of one tap), bytes (i0 << 4 | i2) and (i1 << 4 | i3). Needs input_depth a multiple of
 * 4; `scratch`: TINYML_LUT4_DW_SCRATCH(taps, strip words (3x3 filters; else 0)) bytes, 16-byte
 * aligned: the layer's pair table, then one group of four channels' weight pairs, then the strip. `bias` and `rq` as for
 * tinyml_conv2d_lut4_s8_dsp.
 */
/* Entry points per requantization mode and clamp: _fast_full, _fast, _folded_full, _folded,
 * _ref_full, _ref (see lut_conv2d_dsp.h). */
#define TINYML_LUT_DW_DECL(SUFFIX)                                                                                 \
  void tinyml_depthwise_conv2d_lut4_s8_dsp_##SUFFIX(const tinyml_depthwise_conv2d_params *p, const int8_t *input, \
                                                    const tinyml_lut_weights *filter, const int32_t *bias,         \
                                                    const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch);
TINYML_LUT_DW_DECL(fast_full)
TINYML_LUT_DW_DECL(fast)
TINYML_LUT_DW_DECL(folded_full)
TINYML_LUT_DW_DECL(folded)
TINYML_LUT_DW_DECL(ref_full)
TINYML_LUT_DW_DECL(ref)

#endif /* TINYML_LUT_DEPTHWISE_CONV2D_DSP_H */
