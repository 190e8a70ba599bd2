/*
 * pw_dw_stream_mve.c - see pw_dw_stream_mve.h.
 */
#include "pw_dw_stream_mve.h"

#include "tinyml_mve.h"

void tinyml_pw_dw_s8_mve_stream(const tinyml_packed_geometry *pw, tinyml_geometry_band_fn pw_fn,
                                const tinyml_packed_geometry *dw, tinyml_geometry_band_fn dw_fn, int32_t dw_rows,
                                const int8_t *input, int8_t *output, void *scratch) {
  const int32_t in_row = pw->input_width * pw->input_depth;
  const int32_t mid_row = dw->input_width * dw->input_depth;
  const int32_t out_row = dw->output_width * dw->input_depth;
  /* Input rows of one band, and the distance between two bands' first rows. */
  const int32_t window = (dw_rows - 1) * dw->stride_height + dw->filter_height;
  const int32_t step = dw_rows * dw->stride_height;
  int8_t *ring = (int8_t *)scratch;
  void *kernel_scratch = ring + TINYML_PW_DW_MVE_RING_BYTES(dw_rows, dw->stride_height, dw->filter_height, mid_row);
  tinyml_packed_geometry pw_band = *pw;
  tinyml_packed_geometry dw_band = *dw;
  /* Rows [held_lo, held_hi) of the pointwise output are in the ring, from its start. */
  int32_t held_lo = 0;
  int32_t held_hi = 0;
  for (int32_t oy = 0, top = -dw->pad_height; oy < dw->output_height; oy += dw_rows, top += step) {
    const int32_t lo = top < 0 ? 0 : top;
    const int32_t hi = top + window < dw->input_height ? top + window : dw->input_height;
    /* Rows the previous band read too stay, shifted to the ring's start: a forward copy, each
     * vector read before any byte at or after it is written (the shift is at least one row). */
    const int32_t kept = held_hi > lo ? held_hi - lo : 0;
    if (kept > 0 && lo > held_lo) tinyml_mve_copy(ring, ring + (lo - held_lo) * mid_row, kept * mid_row);
    if (hi > lo + kept) {
      /* The missing rows in one call: a 1x1 layer's rows are contiguous in its input and output. */
      pw_band.input_height = hi - lo - kept;
      pw_band.output_height = hi - lo - kept;
      pw_fn(&pw_band, input + (lo + kept) * in_row, ring + kept * mid_row, kernel_scratch);
    }
    dw_band.input_height = hi - lo;
    dw_band.pad_height = lo - top;
    dw_band.output_height = dw->output_height - oy < dw_rows ? dw->output_height - oy : dw_rows;
    dw_fn(&dw_band, ring, output + oy * out_row, kernel_scratch);
    held_lo = lo;
    held_hi = hi;
  }
}
