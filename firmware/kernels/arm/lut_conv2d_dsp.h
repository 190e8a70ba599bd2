/*
 * lut_conv2d_dsp.h - CONV_2D (int8) with 4-bit clustered weights and one table for the layer, on
 * cores with the DSP extension. Bit-exact with tinyml_conv2d_lut_s8 (and so with the int8
 * kernel on the decoded weights).
 */
#ifndef TINYML_LUT_CONV2D_DSP_H
#define TINYML_LUT_CONV2D_DSP_H

#include <stdint.h>

#include "../lut_layers.h"
#include "lut_dsp.h"

/* Scratch: 256 words, the layer's pair table (built on entry; lives only while the layer runs). */
#define TINYML_LUT4_PAIR_SCRATCH 1024

/*
 * `filter->indices` in this kernel's own order (codegen/lut-layer.ts): for each run of four
 * weights w0..w3 along the input depth, byte A = (i0 << 4) | i2 then byte B = (i1 << 4) | i3,
 * so that one pair-table word per byte lines up with SXTB16's (x0, x2) and (x1, x3) halves.
 * Needs groups == 1 and filter_input_depth a multiple of 4; `scratch` 16-byte aligned.
 * `bias` and `rq` as planned by the generator (see lut_dsp.h): bias is never NULL, doubled in
 * the FAST modes.
 */
void tinyml_conv2d_lut4_s8_dsp(const tinyml_conv2d_params *p, const int8_t *input,
                               const tinyml_lut_weights *filter, const int32_t *bias,
                               const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch);

/*
 * Pointwise (1x1, stride 1, no padding, input depth a multiple of 4): every tap is inside the
 * image, so the input offset folds into the bias offline: bias'[oc] = bias[oc] + input_offset *
 * (sum of channel oc's weights) (codegen/lut-layer.ts; doubled in the FAST modes), and the inner
 * loop multiplies raw inputs. Six pixels per block (what is left: four; with a fused clamp or
 * the REF requantization, four throughout), expanded once to int16 columns. Same index order. `q`: one record per output channel, {bias', multiplier, t, e} (the fields of
 * tinyml_dsp_rq), so that one load gives the accumulators' start and one LDM the
 * requantization; `rq` gives the mode (rq->rq is not read). Scratch: the pair table then the
 * columns, TINYML_LUT4_PW_SCRATCH(input_depth) bytes.
 */
#define TINYML_LUT4_PW_SCRATCH(depth) (TINYML_LUT4_PAIR_SCRATCH + 12 * (depth))
/*
 * With rq->pw_blocks = B > 0 (and the whole int8 range, FAST or FOLDED), whole blocks of four
 * pixels run in super-blocks of up to B blocks: their int16 columns expanded once, then each
 * output channel's row looked up once into an int16 row ({bias' x4, the pairs, m, t, e}) that
 * all the super-block's blocks read, as the int8 kernel reads its int16 rows; the last
 * pixels % 4 each alone against the decoded rows of the last super-block. Scratch: the pair
 * table, the row, B blocks' columns, then those last pixels' columns (8 k4 bytes each).
 */
#define TINYML_LUT4_PW_ROW_WORDS(k4) (2 * (k4) + 7)
#define TINYML_LUT4_PW_ROWS_SCRATCH(k4, blocks, pixels) \
  (TINYML_LUT4_PAIR_SCRATCH + 4 * TINYML_LUT4_PW_ROW_WORDS(k4) + 32 * (k4) * (blocks) + 8 * (k4) * ((pixels) % 4))
/*
 * rq->pw_blocks = -B < 0 (n = 2 k4 output_depth index bytes, at most 256): the same super-blocks
 * of B blocks, but the pair words of the layer's own n index bytes (4 n bytes) and the bytes
 * 0..n-1 (n, rounded up to words) stand for the 256-word pair table, for a layer whose scratch
 * cannot hold it; any mode and clamp (the other loops then expand their columns where the
 * blocks' go, B >= 1).
 */
#define TINYML_LUT4_PW_COMPACT_SCRATCH(k4, blocks, pixels, out_depth)                          \
  (8 * (k4) * (out_depth) + 4 * ((2 * (k4) * (out_depth) + 3) >> 2) + 4 * TINYML_LUT4_PW_ROW_WORDS(k4) + \
   32 * (k4) * (blocks) + 8 * (k4) * ((pixels) % 4))

/*
 * Any CONV_2D window without groups (input depth any): four output pixels at a time gathered
 * into int16 im2col columns (input + input_offset inside the image, 0 outside), k4 =
 * ceil(filter_height * filter_width * filter_input_depth / 4) groups. `filter->indices`: each
 * output channel's row padded to k4 * 4 indices (with index 0), in the order above. `q` (bias'
 * being the bias, doubled in the FAST modes) and `rq` as for the pointwise kernel. Scratch:
 * TINYML_LUT4_IM2COL_SCRATCH(k4) bytes (the pair table, the columns, then one window's bytes).
 */
#define TINYML_LUT4_IM2COL_SCRATCH(k4) (TINYML_LUT4_PAIR_SCRATCH + 36 * (k4))


/* The entry points of the two kernels above: _fast_full, _fast, _folded_full, _folded,
 * _ref_full, _ref (rq->mode's TINYML_RQ_* and whether the activation range is all of int8),
 * chosen by the generator. */
#define TINYML_LUT_CONV_DECLS(SUFFIX)                                                                              \
  void tinyml_conv2d_lut4_pw_s8_dsp_##SUFFIX(const tinyml_conv2d_params *p, const int8_t *input,                  \
                                             const tinyml_lut_weights *filter, const int32_t *q,                   \
                                             const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch);           \
  void tinyml_conv2d_lut4_im2col_s8_dsp_##SUFFIX(const tinyml_conv2d_params *p, const int8_t *input,              \
                                                 const tinyml_lut_weights *filter, const int32_t *q,               \
                                                 const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch);
TINYML_LUT_CONV_DECLS(fast_full)
TINYML_LUT_CONV_DECLS(fast)
TINYML_LUT_CONV_DECLS(folded_full)
TINYML_LUT_CONV_DECLS(folded)
TINYML_LUT_CONV_DECLS(ref_full)
TINYML_LUT_CONV_DECLS(ref)
/* The FAST and FOLDED ones for TINYML_RQ_NOFIX layers (no sign correction; see tinyml_dsp.h). */
TINYML_LUT_CONV_DECLS(fast_full_nf)
TINYML_LUT_CONV_DECLS(fast_nf)
TINYML_LUT_CONV_DECLS(folded_full_nf)
TINYML_LUT_CONV_DECLS(folded_nf)

#endif /* TINYML_LUT_CONV2D_DSP_H */
