/*
 * conv2d_dsp_in_place.h - CONV_2D on the DSP kernel, written over its own input through a window
 * of input rows (issue #20): the output shares the input's arena bytes, so a layer whose input is
 * dead afterwards needs one tensor instead of two, plus the window.
 *
 * Each output row is the unchanged DSP kernel (tinyml_conv2d_s8_dsp or _w16) run on a band of
 * input rows copied into the window, with the band's own top padding: the same taps summed in the
 * same order as the whole-image call, so the results are bit-exact with it. The generator only
 * asks for this when no output row overwrites an input row still to be fetched (the rule is
 * rowWindowInPlaceOk in src/ops/conv-rows-in-place.ts).
 */
#ifndef TINYML_CONV2D_DSP_IN_PLACE_H
#define TINYML_CONV2D_DSP_IN_PLACE_H

#include <stdint.h>

#include "conv2d_dsp.h"

/* Window bytes: filter_height input rows, rounded up to 16 so the kernel's scratch after it is aligned. */
#define TINYML_CONV2D_DSP_WINDOW_BYTES(filter_height, row_bytes) ((((filter_height) * (row_bytes)) + 15) & ~15)

/* Copies n bytes forward: eight words a step (LDM/STM) when both buffers are word-aligned, else
 * a word at a time while it can (unaligned words are fine on the DSP cores). Also right for
 * overlapping buffers with dst below src, as a window's shift is: each word is read before any
 * byte at or after it is written. No libc: the kernels link without it. */
void tinyml_copy_forward(int8_t *dst, const int8_t *src, int32_t n);

/* A layer's kernel with its weights bound (a small function the generator writes), run on the
 * band of rows described by p: for kernels the weights code of tinyml_conv2d_s8_dsp_weights does
 * not name (the sub-byte ones, which keep their packed weights). */
typedef void (*tinyml_conv2d_band_fn)(const tinyml_conv2d_dsp_params *p, const int8_t *input, int8_t *output,
                                      void *scratch);

/* tinyml_conv2d_s8_dsp, or tinyml_conv2d_s8_dsp_w16 when w16 is 1 (weights then int16), or the
 * stem kernel tinyml_conv2d_s8_stem_dsp (conv2d_stem_dsp.h, its weight layout) when w16 is 2. */
void tinyml_conv2d_s8_dsp_weights(const tinyml_conv2d_dsp_params *p, const int8_t *input, const void *weights,
                                  int32_t w16, int8_t *output, void *scratch);

/* Input rows [lo, hi) of one output row's window (clipped to the image); top: its first row,
 * padding included (negative above the image). Start from all zeros. */
typedef struct {
  int32_t top;
  int32_t lo;
  int32_t hi;
} tinyml_row_band;

/*
 * Moves a window of input rows (row_bytes each, from `window`) on to output row oy of a filter
 * filter_height rows high: sets band to that row's rows, keeps the rows the window already held
 * (shifted to its start) and returns how many, the caller fetching the rest.
 */
int32_t tinyml_row_window_next(tinyml_row_band *band, int32_t oy, int32_t stride, int32_t pad, int32_t filter_height,
                               int32_t input_height, int8_t *window, int32_t row_bytes);

/*
 * data: the input, overwritten by the output (one batch). weights: int8 rows, or int16 when w16
 * (as the plain kernels take them). scratch: the window, then the plain kernel's scratch.
 */
void tinyml_conv2d_s8_dsp_in_place(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights, int32_t w16,
                                   void *scratch);

/*
 * The staged variant, for outputs that trail their input (a strided stem whose output rows are
 * narrower than stride input rows): each output row is computed from the input rows in `data`
 * itself and written straight to its place when it ends before the first row it reads, else to a
 * one-row stage (scratch, then the plain kernel's scratch) copied there once the row is done. The
 * generator asks for it only when no output row reaches rows a later output row reads
 * (rowStageInPlaceOk).
 */
void tinyml_conv2d_s8_dsp_in_place_staged(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights,
                                          int32_t w16, void *scratch);

/* The two drivers above with the kernel given as a band function (scratch: the window or stage,
 * then that kernel's scratch). Same rows, same copies, one call of fn per output row. */
void tinyml_conv2d_s8_dsp_in_place_band(const tinyml_conv2d_dsp_params *p, int8_t *data, tinyml_conv2d_band_fn fn,
                                        void *scratch);
void tinyml_conv2d_s8_dsp_in_place_staged_band(const tinyml_conv2d_dsp_params *p, int8_t *data, tinyml_conv2d_band_fn fn,
                                               void *scratch);

/*
 * A pointwise (1x1, stride 1, one batch) convolution that widens its input (output depth above
 * input depth), written over its input from the same start: one call of the kernel (weights as
 * tinyml_conv2d_s8_dsp_weights takes them) with p->descending set, so that it runs its blocks of
 * pixels from the last one down; a block reads its pixels whole into its columns before it writes
 * their outputs, which land on those pixels and on the inputs of blocks after it, already done.
 * Same taps, same bytes. scratch: the kernel's.
 */
void tinyml_conv2d_s8_dsp_in_place_expand(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights,
                                          int32_t w16, void *scratch);
/* The same with the kernel given as a band function (a sub-byte one; conv2d_dsp.c's, which all
 * honour p->descending). */
void tinyml_conv2d_s8_dsp_in_place_expand_band(const tinyml_conv2d_dsp_params *p, int8_t *data, tinyml_conv2d_band_fn fn,
                                               void *scratch);

/*
 * The stem (conv2d_stem_dsp.h's weights) written over its input with no scratch at all: for a
 * strided stem whose image is the arena's largest tensor (VWW's 96x96x3 -> 48x48x8), whose
 * window or stage would sit beside it at the peak. Rows oy >= pixel_rows are the stem kernel,
 * written straight to their place: when its columns and edge windows fit the stack frame
 * (TINYML_CONV2D_STEM_TIGHT_FRAME_BYTES) all of them in one call with the columns there, else one
 * call per row with its columns in input bytes already dead, just after the row's output
 * (data + (oy + 1) * out_row, rounded up to 8 bytes). Earlier rows, before that many bytes are
 * dead, are computed two pixels at a time (tinyml_conv2d_s8_stem_dsp_pair: the kernel's pairs
 * routine with its columns on the frame, or one pixel at a time where it does not take the layer)
 * into 2 * output_depth bytes on the frame: rows from scatter_rows on stored straight to their
 * place; rows before it (their place still holds input that later pixels read) scattered
 * into the two first rows they read as those die, `split` bytes of each pixel into the first,
 * the rest into the second, then gathered into place once the row is done (the second row's parts
 * first moved just past the row's place, then every pixel from the last one down); a scattered
 * row of at most 384 bytes (VWW's first) when the kernel's columns fit the frame is instead
 * computed whole on the frame by the kernel and copied into its place: the scatter's last writes
 * without the ones before them. The generator
 * computes pixel_rows, scatter_rows and split from the shape and checks that every write lands on
 * bytes no later read needs (stemTightSchedule in src/ops/stem-in-place.ts).
 */
void tinyml_conv2d_s8_stem_dsp_in_place_tight(const tinyml_conv2d_dsp_params *p, int8_t *data, const int16_t *weights,
                                              int32_t scatter_rows, int32_t pixel_rows, int32_t split);

#endif /* TINYML_CONV2D_DSP_IN_PLACE_H */
