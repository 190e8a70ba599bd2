/*
 * pw_dw_stream_mve.h - a pointwise CONV_2D and the DEPTHWISE_CONV_2D that alone reads its output,
 * run row by row on cores with Helium (issue #20): the Helium twin of
 * firmware/kernels/arm/pw_dw_stream_dsp.h (same idea: the pointwise output never exists whole,
 * only the depthwise window's rows of it, in a ring at the start of the scratch; rows shared with
 * the next band are kept, not recomputed).
 *
 * The driver knows only the two layers' geometries (tinyml_packed_geometry, the first member of
 * every DSP and MVE convolution params struct): each layer's kernel, params and weights are
 * bound by the generator in a small function of the band's geometry (pw_fn, dw_fn), so the pair
 * runs whatever kernels the layers pick on their own (the pointwise layer on conv2d_mve.c, the
 * depthwise one on depthwise_taps_mve.c, depthwise_conv2d_mve.c or the DSP kernel), unchanged.
 * Each band call computes its output rows with its own top padding: every value sums the same
 * taps in the same order as the whole-tensor call, so the results are bit-exact with it.
 *
 * The depthwise layer runs `dw_rows` output rows per call: 2 for the taps kernel when it
 * transposes the rows of two output rows at once (its `rows`; one transposition then serves both,
 * as in the whole-tensor call), else 1. The ring holds the rows of one such band. The output may
 * be the input's own buffer when the generator's rule allows it (src/ops/conv-rows-in-place.ts:
 * no output row overwrites an input row still to be read; bands of two rows write their first row
 * later than single rows would, so the rule for single rows covers them).
 */
#ifndef TINYML_PW_DW_STREAM_MVE_H
#define TINYML_PW_DW_STREAM_MVE_H

#include <stdint.h>

#include "../tinyml_conv_geometry.h"

/* Ring bytes: the rows of dw_rows depthwise output rows ((dw_rows - 1) * stride + filter_height)
 * of the pointwise output, rounded up to 16 so the kernels' scratch after it is aligned. */
#define TINYML_PW_DW_MVE_RING_BYTES(dw_rows, stride_height, filter_height, row_bytes) \
  (((((dw_rows) - 1) * (stride_height) + (filter_height)) * (row_bytes) + 15) & ~15)

/* A layer's kernel with its params and weights bound (written by the generator), run on the band
 * whose geometry is g (the layer's own otherwise). */
typedef void (*tinyml_geometry_band_fn)(const tinyml_packed_geometry *g, const int8_t *input, int8_t *output,
                                        void *scratch);

/*
 * pw, pw_fn: a 1x1 stride-1 unpadded convolution's geometry and its kernel; dw, dw_fn: the
 * depthwise layer reading its output (depth multiplier 1), and its kernel, run dw_rows (1 or 2)
 * output rows per call. scratch: the ring, then the larger of the two kernels' scratch (they never
 * run at the same time).
 */
void tinyml_pw_dw_s8_mve_stream(const tinyml_packed_geometry *pw, tinyml_geometry_band_fn pw_fn,
                                const tinyml_packed_geometry *dw, tinyml_geometry_band_fn dw_fn, int32_t dw_rows,
                                const int8_t *input, int8_t *output, void *scratch);

#endif /* TINYML_PW_DW_STREAM_MVE_H */
