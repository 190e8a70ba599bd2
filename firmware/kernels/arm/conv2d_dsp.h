/*
 * conv2d_dsp.h - CONV_2D (int8, groups = 1) for cores with the DSP extension: im2col of four
 * output pixels at a time into int16 columns, then a 1x4 register-blocked matrix multiply with
 * SMLAD (one weight word expanded once, used for four pixels). 1x1 stride-1 convolutions skip
 * the window logic (the columns are the pixels themselves). Bit-exact with tinyml_conv2d_s8.
 *
 * Weights: one stream, per output channel its row (the OHWI filter padded with zeros to k4
 * groups of four: k4 words of int8) then its record {m, t, e, bias'} (tinyml_dsp_rq, then bias'
 * with the input offset folded in, doubled in the FAST modes; see tinyml_dsp.h), as the sub-byte
 * entries below. p->bias and p->rq are unused.
 */
#ifndef TINYML_CONV2D_DSP_H
#define TINYML_CONV2D_DSP_H

#include <stdint.h>

#include "../tinyml_conv_geometry.h"
#include "tinyml_dsp.h"

typedef struct {
  tinyml_packed_geometry geo;
  int32_t output_depth;
  /* Row length of the weights and the columns, in words of four: ceil(fh * fw * depth / 4). */
  int32_t k4;
  /* Input zero point: what padded taps read (they then add nothing, as in the reference). */
  int32_t pad_value;
  /* TINYML_RQ_*: FAST modes accumulate 2 * acc (inputs doubled in the columns). */
  int32_t mode;
  /* 1: rq has output_depth entries; 0: one entry for all channels. */
  int32_t per_channel;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const int32_t *bias;      /* bias' per output channel (doubled in the FAST modes) */
  const tinyml_dsp_rq *rq;
  /* 1: a pointwise layer's pixels run from the last down (set by the in-place driver of a
   * widening pointwise layer, conv2d_dsp_in_place.c; 0 in generated params). */
  int32_t descending;
  /* > 0: a pointwise layer run channel by channel over decoded rows (conv2d_dsp.c, "decoded rows"),
   * this many blocks of four pixels at a time: the generator set it only where the scratch holds
   * TINYML_CONV2D_DSP_DECODED_BYTES(k4, decoded_rows) and the layer qualifies (0 in every other
   * generated params). */
  int32_t decoded_rows;
} tinyml_conv2d_dsp_params;

/* Scratch the kernel needs: 4 int16 columns of k4 * 4 values, then (only when the input depth
 * is not a multiple of 4) k4 * 4 bytes to gather a window in. */
#define TINYML_CONV2D_DSP_COLUMN_BYTES(k4) ((k4) * 32)
#define TINYML_CONV2D_DSP_SCRATCH_BYTES(k4, input_depth) ((k4) * ((input_depth) & 3 ? 36 : 32))

/* Scratch of the decoded rows (p->decoded_rows = blocks): the int16 columns of that many blocks of
 * four pixels, then one decoded row (four start values, 2 * k4 words of int16 pairs, a record of
 * four words). */
#define TINYML_CONV2D_DSP_DECODED_BYTES(k4, blocks) ((blocks) * (k4) * 32 + (2 * (k4) + 8) * 4)

void tinyml_conv2d_s8_dsp(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                          int8_t *output, void *scratch);

/* The same with the rows pre-expanded to int16 at generation time (twice the flash, no SXTB16 in
 * the inner loop): per group of four K indices the words (w0, w2), (w1, w3), 2 * k4 words a row,
 * doubled in the FAST modes (the columns then are not). The generator picks it for layers with
 * many output pixels. */
void tinyml_conv2d_s8_dsp_w16(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                              int8_t *output, void *scratch);

/* The two above for layers whose requantization's sign correction is dead (p->mode
 * TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, see tinyml_dsp.h; FOLDED layers only). */
void tinyml_conv2d_s8_dsp_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                             int8_t *output, void *scratch);
void tinyml_conv2d_s8_dsp_w16_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                                 int8_t *output, void *scratch);

/*
 * Sub-byte weights, unpacked in the inner loop from flash (no copy): _sb4 (int4), _sb2 (int2 and
 * ternary), _sb1 (binary) store each weight as an unsigned field w + 8 (4 bits), w + 2 (2 bits) or
 * (w + 1) / 2 (1 bit); _sb4s (int4) and _sb2s (int2, ternary) as a signed field at the top of a
 * halfword (2^(16 - bits) w, no column sums needed; the generator takes them when the scaled
 * sums provably fit int32). Laid out so that one AND with a halfword mask gives each SMLAD
 * operand pair; `weights` is one stream: per output channel its row (exactly k4 groups of four K
 * indices, no padding to whole words) then its record {m, t, e, bias'} (see conv2d_dsp.c; the
 * generator's convSbRowWords). p->bias and p->rq are unused. Scratch as above.
 */
#define TINYML_CONV2D_SB_ENTRIES(NAME)                                                                           \
  void tinyml_conv2d_s8_dsp_##NAME(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights, \
                                   int8_t *output, void *scratch);                                              \
  /* p->mode TINYML_RQ_FAST_MIXED (an entry point of its own, linked only when a layer uses it). */             \
  void tinyml_conv2d_s8_dsp_##NAME##_mixed(const tinyml_conv2d_dsp_params *p, const int8_t *input,              \
                                           const uint32_t *weights, int8_t *output, void *scratch);            \
  /* The two above for TINYML_RQ_NOFIX layers (no sign correction; see tinyml_dsp.h). */                        \
  void tinyml_conv2d_s8_dsp_##NAME##_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,                 \
                                        const uint32_t *weights, int8_t *output, void *scratch);               \
  void tinyml_conv2d_s8_dsp_##NAME##_mixed_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,           \
                                              const uint32_t *weights, int8_t *output, void *scratch);
TINYML_CONV2D_SB_ENTRIES(sb4)
TINYML_CONV2D_SB_ENTRIES(sb2)
TINYML_CONV2D_SB_ENTRIES(sb1)
TINYML_CONV2D_SB_ENTRIES(sb4s)
TINYML_CONV2D_SB_ENTRIES(sb2s)
#undef TINYML_CONV2D_SB_ENTRIES
/*
 * Small signed-field pointwise layers (the row-streamed pair's 8 -> 16): the whole stream decoded
 * exactly on the call's stack frame into tinyml_conv2d_s8_dsp_w16's int16 rows (768 bytes at
 * most, nothing outlives the call) and that kernel's loops (FOLDED, plain and _nf); FAST_MIXED
 * without the sign correction for 8 -> 16 alone (_w16_mixed_nf). A call the frame does not fit
 * runs as the entry point without _w16. Same arguments as the entry points above.
 */
#define TINYML_CONV2D_SB_W16_ENTRIES(NAME)                                                                       \
  void tinyml_conv2d_s8_dsp_##NAME##_w16(const tinyml_conv2d_dsp_params *p, const int8_t *input,                \
                                         const uint32_t *weights, int8_t *output, void *scratch);               \
  void tinyml_conv2d_s8_dsp_##NAME##_w16_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,             \
                                            const uint32_t *weights, int8_t *output, void *scratch);            \
  void tinyml_conv2d_s8_dsp_##NAME##_w16_mixed_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,       \
                                                  const uint32_t *weights, int8_t *output, void *scratch);
TINYML_CONV2D_SB_W16_ENTRIES(sb4s)
TINYML_CONV2D_SB_W16_ENTRIES(sb2s)
#undef TINYML_CONV2D_SB_W16_ENTRIES

#endif /* TINYML_CONV2D_DSP_H */
