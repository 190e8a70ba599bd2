/*
 * depthwise_taps_mve.h - DEPTHWISE_CONV_2D (int8, depth multiplier 1, no horizontal dilation,
 * windows that fit 16 bytes as laid out below) with Helium: one VMLADAVA per output value.
 *
 * For every `rows` (1 or 2) output rows, the `cell` input rows they read (from the first one's
 * top row on, consecutive) are transposed into scratch channel by channel, each column's `cell`
 * bytes together ([channel][padded column][cell]). The window of an output pixel is then one
 * stretch of (fw - 1) * cell + (fh - 1) * dilation_height + 1 <= 16 bytes: one 16-byte load and
 * one VMLADAV against the channel's taps (zero elsewhere) give its sum, and the next output
 * row's window is the same stretch stride_height bytes on, against the same taps. Four channels
 * of one pixel are computed per step (four loads from their planes, four VMLADAVs), requantized
 * together with their group's record as vectors and stored as four contiguous bytes, so rows of
 * any width have no pixel tail. The padding columns are written once per call, the input
 * columns once per band. Padding is the input zero point (the input offset is folded into the
 * bias). Bit-exact with tinyml_depthwise_conv2d_s8.
 *
 * Weights: [depth][16] int8, channel c's tap (fy, fx) at byte fx * cell + fy * dilation_height,
 * zeros elsewhere; the requantization records of tinyml_mve.h (per group of four channels).
 */
#ifndef TINYML_DEPTHWISE_TAPS_MVE_H
#define TINYML_DEPTHWISE_TAPS_MVE_H

#include <stdint.h>

#include "../tinyml_conv_geometry.h"
#include "tinyml_mve.h"

typedef struct {
  tinyml_packed_geometry geo;
  /* Input rows per transposed column, and output rows computed from them (1 or 2). */
  int32_t cell;
  int32_t rows;
  /* Input zero point: what padded taps read. */
  int32_t pad_value;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const tinyml_mve_rq4 *rq;
} tinyml_depthwise_taps_mve_params;

/* Scratch: depth * padded_width * cell + 16 bytes (a window's load reads 16 bytes from its
 * start, past the last plane's end for the last pixels), padded_width = (output_width - 1) *
 * stride_width + filter_width. */
void tinyml_depthwise_conv2d_s8_mve_taps(const tinyml_depthwise_taps_mve_params *p, const int8_t *input,
                                         const int8_t *weights, int8_t *output, void *scratch);

#endif /* TINYML_DEPTHWISE_TAPS_MVE_H */
