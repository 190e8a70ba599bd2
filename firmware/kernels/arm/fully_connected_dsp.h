/*
 * fully_connected_dsp.h - FULLY_CONNECTED (int8) for cores with the DSP extension. The input
 * row is expanded once to int16 halfword pairs (scratch); weights are interleaved at generation
 * time four rows at a time, so one LDM fetches a word of each of four rows, and each word is
 * expanded by SXTB16 and multiplied by SMLAD. Bit-exact with tinyml_fully_connected_s8 (weights
 * offset 0).
 *
 * Weights: for each group of four rows g < output_depth / 4 and each group j of four inputs,
 * the words of rows 4g..4g+3 at inputs 4j..4j+3; then each remaining row, k4 words. Rows are
 * padded with zeros to k4 * 4 inputs.
 */
#ifndef TINYML_FULLY_CONNECTED_DSP_H
#define TINYML_FULLY_CONNECTED_DSP_H

#include <stdint.h>

#include "tinyml_dsp.h"

typedef struct {
  int32_t batches;
  int32_t input_depth;
  int32_t output_depth;
  int32_t k4;
  /* Groups of four inputs expanded at a time: k4 (the whole row), or fewer for long rows (the
   * _sliced entry point), whose accumulators then live in scratch after the slice. */
  int32_t slice_k4;
  int32_t per_channel;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const int32_t *bias; /* bias' per output (doubled in the FAST modes) */
  const tinyml_dsp_rq *rq;
  /* Nibble-packed weights only (else 0/NULL): groups of eight inputs, and the sparse
   * corrections per row (count per row; entries: scratch byte offset | (16 * high part) << 16). */
  int32_t k8;
  const uint16_t *corr_count;
  const uint32_t *corr;
  /* Paired-row layout only (else 0): groups of four inputs after which the kernel takes dot_b
   * out of its 32-bit sum (the generator proved |256 * dot_b| < 2^31 over each such chunk). */
  int32_t pair_chunk_k4;
} tinyml_fully_connected_dsp_params;

/*
 * One entry point per requantization mode (TINYML_RQ_*: _fast, _folded, _ref) and clamp (_full:
 * the activation range is the whole int8 range), so that the linker keeps only what a model
 * uses. Scratch: k4 * 8 bytes.
 */
void tinyml_fully_connected_s8_dsp_fast_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_fast(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_folded_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_folded(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_ref_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_ref(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
TINYML_DSP_MODE_NF_DECLS(tinyml_fully_connected_s8_dsp, (const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch))

/* Long rows (slice_k4 < k4), any mode (TINYML_RQ_*) and clamp. Scratch: slice_k4 * 8 +
 * output_depth * 4 bytes. */
void tinyml_fully_connected_s8_dsp_sliced(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch, int32_t mode);

/*
 * Paired rows (the default layout with --optimize speed, when the generator's proof below holds):
 * rows 2i (a) and 2i + 1 (b) share each 16-bit half, which holds the int16 256 * w_b + w_a, so its
 * low byte is w_a and SXTB16 recovers it. Per group of four inputs a quad of rows has four words:
 * pair A (rows 4q, 4q + 1) at inputs (0, 2) and (1, 3), then pair B (4q + 2, 4q + 3). One SMLAD
 * of an input pair with the raw word adds 256 * dot_b + dot_a, one with its SXTB16 adds dot_a:
 * four MACs in LDM + SXTB16 + 2 SMLAD, and dot_b = (p - q) / 256. The generator uses the layout
 * only when every half fits int16 (not w_b = -128 with w_a < 0); dot_b is taken out of the sum
 * every pair_chunk_k4 groups of four inputs, a chunk over which |256 * dot_b| < 2^31 for every
 * int8 input. Rows are padded with zero rows to a multiple of four (bias' and per-channel
 * records too), inputs with zeros to k4 * 4. slice_k4 = k4: the input row is expanded into scratch (k4 * 8 bytes)
 * once (then pair_chunk_k4 >= k4: one chunk); slice_k4 = 0: the input is read in place (no
 * scratch; for few rows, or rows that need several chunks).
 */
void tinyml_fully_connected_s8_dsp_pair_fast_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_pair_fast(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_pair_folded_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_pair_folded(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_pair_ref_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_pair_ref(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch);
TINYML_DSP_MODE_NF_DECLS(tinyml_fully_connected_s8_dsp_pair, (const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch))

/*
 * Nibble-packed weights (the generator picks them when they are much smaller): each weight
 * w = q + 16 * h with q in [-8, 7] stored as the nibble q + 8, eight per word, and h, which is
 * rarely non-zero, as a sparse correction. Words come in groups of four rows per eight inputs
 * (like the int8 layout), the nibbles of a word ordered so that AND + UXTB16 yield pairs matching
 * the expanded input; the nibble bias of 8 is removed once per input row through the input sum.
 * Scratch: k8 * 16 bytes.
 */
void tinyml_fully_connected_s8_dsp_nib_fast_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_nib_fast(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_nib_folded_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_nib_folded(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_nib_ref_full(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_nib_ref(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
TINYML_DSP_MODE_NF_DECLS(tinyml_fully_connected_s8_dsp_nib, (const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch))

/*
 * 2-bit (int2, ternary) and 1-bit (binary) weights, unpacked in the inner loop from flash: k4 a
 * multiple of 8 / bits; rows in groups of four with their words interleaved (then each
 * remaining row), k4 * bits / 8 words per row; in each word, input 4g + b of the word's groups
 * is field g of byte b, stored as w + 2 (2 bits) or (w + 1) / 2 (1 bit). mode: TINYML_RQ_*.
 * Scratch: k4 * 8 bytes. (4-bit weights use the _nib_ entry points with no corrections.)
 */
void tinyml_fully_connected_s8_dsp_sb2(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch, int32_t mode);
void tinyml_fully_connected_s8_dsp_sb1(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch, int32_t mode);
/* The same in TINYML_RQ_FAST_MIXED (an entry point of its own, linked only when a layer uses it). */
void tinyml_fully_connected_s8_dsp_sb2_mixed(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);
void tinyml_fully_connected_s8_dsp_sb1_mixed(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const uint32_t *weights, int8_t *output, void *scratch);

#endif /* TINYML_FULLY_CONNECTED_DSP_H */
