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
/*
 * 3x3 filters run rectangles of windows from planes: the input rectangle they read, copied one
 * word (a group's four channels) per input pixel, with the input zero point outside the image.
 * TINYML_LUT4_DW_PLANE_WORDS(n, stride, dilation): the words one axis of a plane takes for n
 * windows. A group's whole padded input becomes one plane when it has at most
 * TINYML_LUT4_DW_WHOLE_PLANE_WORDS words; otherwise the windows inside the image read it
 * directly and only the bands of border windows (top and bottom rows, left and right columns)
 * are copied, each into the plane in turn.
 */
#define TINYML_LUT4_DW_PLANE_WORDS(n, stride, dilation) (((n) - 1) * (stride) + 2 * (dilation) + 1)
#define TINYML_LUT4_DW_WHOLE_PLANE_WORDS 256
/* Scratch: the pair table, a group's weight pairs, and (3x3 filters) the largest plane,
 * planned by the generator (codegen/lut-layer.ts, lutDwPlaneWords). */
#define TINYML_LUT4_DW_SCRATCH(taps, plane_words) (1024 + 8 * (taps) + 4 * (plane_words))

/*
 * `filter->indices` as for tinyml_conv2d_lut4_s8_dsp: per four consecutive weights (four
 * channels of one tap), bytes (i0 << 4 | i2) and (i1 << 4 | i3). Needs input_depth a multiple of
 * 4; `scratch`: TINYML_LUT4_DW_SCRATCH(taps, plane words (3x3 filters; else 0)) bytes, 16-byte
 * aligned: the layer's pair table, then one group of four channels' weight pairs, then the plane. `bias` and `rq` as for
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
/* The FAST and FOLDED ones for TINYML_RQ_NOFIX layers (no sign correction; see tinyml_dsp.h). */
TINYML_LUT_DW_DECL(fast_full_nf)
TINYML_LUT_DW_DECL(fast_nf)
TINYML_LUT_DW_DECL(folded_full_nf)
TINYML_LUT_DW_DECL(folded_nf)

/*
 * Clustered weights for the int8 row kernel (tinyml_depthwise_conv2d_s8_dsp_*, the kernel the int8
 * layer runs on small images such as VWW's 6x6x128): the layer's int16 weights, in that kernel's
 * order, looked up once per call into `dst` (the start of the layer's scratch), two per index
 * byte: byte j = (i[2j] << 4) | i[2j + 1] gives word j = (t[i[2j]], t[i[2j + 1]]) as halfwords,
 * doubled when `doubled` (the FAST modes). `pairs`: 1 KB of scratch for the pair table (the row
 * kernel's own scratch, free until it runs). About four instructions a word, once per layer.
 */
void tinyml_depthwise_lut4_decode16(uint32_t *dst, const uint8_t *indices, int32_t words, const int8_t *table,
                                    int32_t doubled, uint32_t *pairs);

#endif /* TINYML_LUT_DEPTHWISE_CONV2D_DSP_H */
