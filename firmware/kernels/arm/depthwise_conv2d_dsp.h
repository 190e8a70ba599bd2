/*
 * depthwise_conv2d_dsp.h - DEPTHWISE_CONV_2D (int8, depth multiplier 1) for cores with the DSP
 * extension: four channels per step, one input word per tap split by SXTB16 into two halfword
 * pairs multiplied with SMLABB/SMLATT by weights pre-expanded to int16 at generation time (3x3
 * filters: two taps' words repacked by PKHBT/PKHTB so that each channel's two inputs make one
 * SMLAD operand, against one weight word per channel and pair of taps).
 * The input rows each output row reads are copied to scratch with zero-point padding, so no tap
 * needs a bounds check (padded taps add nothing, the input offset being folded into the bias);
 * 3x3 windows inside the input read the input rows in place when the output is not over the
 * input. Bit-exact with
 * tinyml_depthwise_conv2d_s8.
 *
 * Weights (int16 words, see the generator): for each group of four channels g < depth / 4 and
 * each tap t (row-major over the filter): (w[t][4g], w[t][4g+2]) then (w[t][4g+1], w[t][4g+3]);
 * then for each remaining channel c: w[t][c] for every tap. Doubled in the FAST modes. 3x3 filters
 * (the SMLAD pairs): per group pair (4, 5), tap 8 as above, pairs (6, 7), (2, 3), (0, 1) (the
 * order the kernel's addressing wants), each pair (a, b) as four words (w[a][4g+k], w[b][4g+k])
 * for k = 0..3 (18 words either way).
 */
#ifndef TINYML_DEPTHWISE_CONV2D_DSP_H
#define TINYML_DEPTHWISE_CONV2D_DSP_H

#include <stdint.h>

#include "../tinyml_conv_geometry.h"
#include "tinyml_dsp.h"

typedef struct {
  tinyml_packed_geometry geo;
  /* Width of the zero-point-padded rows in scratch: (output_width - 1) * stride_width +
   * (filter_width - 1) * dilation_width + 1. Scratch: filter_height * padded_width * input_depth bytes. */
  int32_t padded_width;
  /* Input zero point: what out-of-image taps read. */
  int32_t pad_value;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  /* Per group of four channels 16 words: bias'[4] (doubled in the FAST modes), then
   * {multiplier, t, e} (tinyml_dsp_rq) of each channel; then per remaining channel 4 words:
   * bias', multiplier, t, e. With band_rows > 0 (int8 weights): per channel {multiplier, t, e,
   * bias'}, the sub-byte kernels' record. */
  const int32_t *q;
  /*
   * 0: the row kernel above. > 0 (3x3, dilation 1, stride 1 or 2 along the plane rows; from the
   * generator): the plane kernel, which computes the outputs one channel after the other from an
   * int16 plane of that channel's input (zero-point padded), band_rows plane rows of outputs at a
   * time, the channel's nine weights as SMLAD pairs. Its weights (int8) are then per channel six
   * words, for each filter row as the plane sees it (transposed when `transposed`) the int16
   * pairs (w0, w1) and (w1, w2).
   */
  int32_t band_rows;
  /* int16 per plane row: room for whole blocks of four (stride 1) or two (stride 2) outputs. */
  int32_t plane_pitch;
  /* 1: plane rows are input columns (tall, narrow images: long plane rows, fewer partial blocks). */
  int32_t transposed;
  /*
   * Row kernel, int8 weights: 1 returns to C after each output pixel's channel groups, 0 runs a
   * whole output row in one assembly loop (the generator sets 0, row-streamed pairs included;
   * see depthwise-conv2d.ts).
   */
  int32_t pixel_calls;
} tinyml_depthwise_conv2d_dsp_params;


/*
 * Clustered weights (4-bit indices into one table of at most 16 int8 levels) on the plane
 * kernel (band_rows > 0): per channel its nine indices, low nibble first, in the order of the
 * int8 plane weights (each filter row as the plane sees it, three taps), channel ch from nibble
 * 9 ch, plus one spare byte; the table's 16 entries (unused ones anything). Records in q as for
 * int8 weights. Decoded per channel into the frame the int8 loops read: bit-exact with the int8
 * kernel on the table's values at the indices, with no RAM for the weights.
 */
typedef struct {
  const uint8_t *indices;
  const int8_t *table;
} tinyml_dw_plane_lut4;

/*
 * One entry point per requantization mode (TINYML_RQ_*: _fast, _folded, _ref) and clamp (_full:
 * the activation range is the whole int8 range), so that the linker keeps only what a model
 * uses.
 */
void tinyml_depthwise_conv2d_s8_dsp_fast_full(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const int16_t *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_fast(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const int16_t *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_folded_full(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const int16_t *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_folded(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const int16_t *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_ref_full(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const int16_t *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_ref(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const int16_t *weights, int8_t *output, void *scratch);
/* The FAST and FOLDED ones for TINYML_RQ_NOFIX layers (no sign correction; see tinyml_dsp.h). */
TINYML_DSP_MODE_NF_DECLS(tinyml_depthwise_conv2d_s8_dsp, (const tinyml_depthwise_conv2d_dsp_params *p,
    const int8_t *input, const int16_t *weights, int8_t *output, void *scratch))

/*
 * Sub-byte weights (depth a multiple of 4), unpacked in the inner loop from flash: _sb4 (int4),
 * _sb2 (int2, ternary, and binary stored in 2 bits). Per group of four channels, ceil(taps * BITS
 * / 8) words; in each, channel b's weight for the word's tap t is the two's complement field at
 * bits [16 (b >> 1) + 16 - BITS (2 t + (b & 1) + 1), + BITS) (one AND gives each operand pair,
 * see depthwise_conv2d_dsp.c). q holds (multiplier, t, e, bias') per channel (not the int8
 * kernels' records). mode: TINYML_RQ_*. Scratch as above.
 */
void tinyml_depthwise_conv2d_s8_dsp_sb4(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch, int32_t mode);
void tinyml_depthwise_conv2d_s8_dsp_sb2(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch, int32_t mode);
/* The same in TINYML_RQ_FAST_MIXED (an entry point of its own, linked only when a layer uses it). */
void tinyml_depthwise_conv2d_s8_dsp_sb4_mixed(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_sb2_mixed(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
/* The four above for TINYML_RQ_NOFIX layers (no sign correction; see tinyml_dsp.h). */
void tinyml_depthwise_conv2d_s8_dsp_sb4_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch, int32_t mode);
void tinyml_depthwise_conv2d_s8_dsp_sb2_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch, int32_t mode);
void tinyml_depthwise_conv2d_s8_dsp_sb4_mixed_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_sb2_mixed_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);

/* Clustered weights on the plane kernel (tinyml_dw_plane_lut4; band_rows > 0 only). */
void tinyml_depthwise_conv2d_s8_dsp_lut4_fast_full(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_lut4_fast(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_lut4_folded_full(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_lut4_folded(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_lut4_ref_full(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch);
void tinyml_depthwise_conv2d_s8_dsp_lut4_ref(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
    const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch);
TINYML_DSP_MODE_NF_DECLS(tinyml_depthwise_conv2d_s8_dsp_lut4, (const tinyml_depthwise_conv2d_dsp_params *p,
    const int8_t *input, const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch))

#endif /* TINYML_DEPTHWISE_CONV2D_DSP_H */
