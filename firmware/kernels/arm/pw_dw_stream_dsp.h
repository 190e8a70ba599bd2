/*
 * pw_dw_stream_dsp.h - a pointwise CONV_2D and the DEPTHWISE_CONV_2D that reads its output, run
 * row by row (issue #20; MCUNetV2's patch-based inference with patches one output row high and
 * the whole width wide): the pointwise layer's output, often the largest tensor of a MobileNet
 * (VWW's 48x48x16), never exists whole. Only the rows of it one band of depthwise output rows
 * reads are kept, in a ring at the start of the scratch; each band (band_rows output rows, one
 * call of each kernel) is computed as soon as its rows are there, and rows shared with the next
 * band are kept rather than recomputed (moved to the ring's start).
 *
 * Both layers run on their unchanged DSP kernels, int8 or sub-byte (whichever the generator
 * picks for the layer on its own: a sub-byte layer keeps its packed weights and its requantization
 * mode), called on bands of rows, each band with its own top padding, so every value sums the
 * same taps in the same order as the whole-tensor calls: bit-exact with them. The generator binds
 * each layer's kernel and weights in a small function of the band (pw_fn, dw_fn). The output may
 * be the input's own buffer when the generator's rule allows it (src/ops/conv-rows-in-place.ts: no
 * output row overwrites an input row still to be read).
 */
#ifndef TINYML_PW_DW_STREAM_DSP_H
#define TINYML_PW_DW_STREAM_DSP_H

#include <stdint.h>

#include "conv2d_dsp.h"
#include "conv2d_dsp_in_place.h"
#include "depthwise_conv2d_dsp.h"

/* Ring bytes: the rows of the pointwise output a band reads ((band_rows - 1) * stride + filter
 * height), rounded up to 16 so the kernels' scratch after it is aligned. */
#define TINYML_PW_DW_RING_BYTES(filter_height, row_bytes) ((((filter_height) * (row_bytes)) + 15) & ~15)

/* A layer's kernel with its weights bound, run on the band described by p. */
typedef tinyml_conv2d_band_fn tinyml_pw_band_fn;
typedef void (*tinyml_dw_band_fn)(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input, int8_t *output,
                                  void *scratch);

/*
 * pw, pw_fn: a 1x1 stride-1 unpadded convolution and its kernel; dw, dw_fn: the depthwise layer
 * reading its output, and its kernel; band_rows: depthwise output rows per band (>= 1; the
 * generator's choice, more rows a larger ring but fewer calls and ring shifts). scratch: the ring,
 * then the larger of the two kernels' scratch (they never run at the same time).
 */
void tinyml_pw_dw_s8_dsp_stream(const tinyml_conv2d_dsp_params *pw, tinyml_pw_band_fn pw_fn,
                                const tinyml_depthwise_conv2d_dsp_params *dw, tinyml_dw_band_fn dw_fn,
                                int32_t band_rows, const int8_t *input, int8_t *output, void *scratch);

#endif /* TINYML_PW_DW_STREAM_DSP_H */
