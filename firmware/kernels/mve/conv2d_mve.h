/*
 * conv2d_mve.h - CONV_2D (int8, groups = 1) with Helium: four output channels against two
 * output pixels at a time (each weight vector and requantization record loaded once for both),
 * 16 multiply-accumulates per VMLADAVA, each pixel's four accumulators requantized together
 * (tinyml_mve.h) and stored as four consecutive bytes (NHWC). 1x1 convolutions without padding
 * read the input pixels directly (with stride 1 and K a multiple of 16, group after group over
 * all pixels, each group's record loaded once); other layers first copy the two pixels' windows
 * (zero-point padded, and zeros up to a multiple of 16 bytes) into the scratch buffer. The sums
 * over whole vectors of K are an asm loop whose eight accumulators are named registers (r0, r2,
 * ..., lr: VMLADAV accumulates into even registers only); unoptimized builds use the intrinsics.
 * Pointwise layers (1x1, stride 1, no padding, 8 pixels or more) with K <= 32 instead run one
 * output channel at a time over all pixels: its weights stay in one or two vectors and its
 * constants in registers, four pixels per step, each step's four values requantized together and
 * scattered output_depth bytes apart (fewer instructions per value where K is that short).
 * Bit-exact with tinyml_conv2d_s8.
 *
 * Weights (laid out by the generator): per group of four output channels and per 16 K indices
 * (K = fh * fw * input_depth, OHWI order), 64 bytes: 16 of each channel. Rows are padded with
 * zero weights to a multiple of 16 and the output channels with zero rows to a multiple of 4,
 * so no weight load is ever partial; the input's last 16 are loaded predicated instead (on the
 * pointwise path, the last pixels' vectors).
 */
#ifndef TINYML_CONV2D_MVE_H
#define TINYML_CONV2D_MVE_H

#include <stdint.h>

#include "../tinyml_conv_geometry.h"
#include "tinyml_mve.h"

typedef struct {
  tinyml_packed_geometry geo;
  int32_t output_depth;
  /* K = filter_height * filter_width * input_depth. */
  int32_t k;
  /* Input zero point: what padded taps read (they then add nothing: the input offset is folded
   * into the bias). */
  int32_t pad_value;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const tinyml_mve_rq4 *rq; /* ceil(output_depth / 4) groups */
} tinyml_conv2d_mve_params;

/* Scratch: two windows of K bytes rounded up to a multiple of 16 (none for 1x1 convolutions
 * without padding). */
void tinyml_conv2d_s8_mve(const tinyml_conv2d_mve_params *p, const int8_t *input, const int8_t *weights,
                          int8_t *output, void *scratch);

#endif /* TINYML_CONV2D_MVE_H */
