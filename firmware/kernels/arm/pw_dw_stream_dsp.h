/*
 * pw_dw_stream_dsp.h - a pointwise CONV_2D and the DEPTHWISE_CONV_2D that reads its output, run
 * row by row (issue #20; MCUNetV2's patch-based inference with patches one output row high and
 * the whole width wide): the pointwise layer's output, often the largest tensor of a MobileNet
 * (VWW's 48x48x16), never exists whole. Only the depthwise window's rows of it are kept, in a
 * ring at the start of the scratch; each depthwise output row is computed as soon as its rows are
 * there, and rows shared with the next output row are kept rather than recomputed.
 *
 * Both layers run on their unchanged DSP kernels (tinyml_conv2d_s8_dsp or _w16; one of the
 * tinyml_depthwise_conv2d_s8_dsp_* entry points) called on bands of rows, each band with its own
 * top padding, so every value sums the same taps in the same order as the whole-tensor calls:
 * bit-exact with them. The output may be the input's own buffer when the generator's rule allows
 * it (src/ops/conv-rows-in-place.ts: no output row overwrites an input row still to be read).
 */
#ifndef TINYML_PW_DW_STREAM_DSP_H
#define TINYML_PW_DW_STREAM_DSP_H

#include <stdint.h>

#include "conv2d_dsp.h"
#include "depthwise_conv2d_dsp.h"

/* Ring bytes: the depthwise filter's rows of the pointwise output, rounded up to 16 so the
 * kernels' scratch after it is aligned. */
#define TINYML_PW_DW_RING_BYTES(filter_height, row_bytes) ((((filter_height) * (row_bytes)) + 15) & ~15)

typedef void (*tinyml_dw_dsp_fn)(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                 const int16_t *weights, int8_t *output, void *scratch);

/*
 * pw: a 1x1 stride-1 unpadded convolution (weights int8, or int16 when pw_w16); dw, dw_fn,
 * dw_weights: the depthwise layer reading its output, and its entry point. scratch: the ring,
 * then the larger of the two kernels' scratch (they never run at the same time).
 */
void tinyml_pw_dw_s8_dsp_stream(const tinyml_conv2d_dsp_params *pw, const void *pw_weights, int32_t pw_w16,
                                const tinyml_depthwise_conv2d_dsp_params *dw, tinyml_dw_dsp_fn dw_fn,
                                const int16_t *dw_weights, const int8_t *input, int8_t *output, void *scratch);

#endif /* TINYML_PW_DW_STREAM_DSP_H */
