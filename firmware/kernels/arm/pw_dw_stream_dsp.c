/*
 * pw_dw_stream_dsp.c - see pw_dw_stream_dsp.h.
 */
#include "pw_dw_stream_dsp.h"

#include "conv2d_dsp_in_place.h"

void tinyml_pw_dw_s8_dsp_stream(const tinyml_conv2d_dsp_params *pw, tinyml_pw_band_fn pw_fn,
                                const tinyml_depthwise_conv2d_dsp_params *dw, tinyml_dw_band_fn dw_fn,
                                int32_t band_rows, const int8_t *input, int8_t *output, void *scratch) {
  const int32_t in_row = pw->geo.input_width * pw->geo.input_depth;
  const int32_t mid_row = dw->geo.input_width * dw->geo.input_depth;
  const int32_t out_row = dw->geo.output_width * dw->geo.input_depth;
  /* The rows of the pointwise output one band of depthwise output rows reads. */
  const int32_t span = (band_rows - 1) * dw->geo.stride_height + dw->geo.filter_height;
  int8_t *ring = (int8_t *)scratch;
  void *kernel_scratch = ring + TINYML_PW_DW_RING_BYTES(span, mid_row);
  tinyml_conv2d_dsp_params pw_band = *pw;
  tinyml_depthwise_conv2d_dsp_params dw_band = *dw;
  tinyml_row_band rows = {0, 0, 0};
  for (int32_t b = 0, oy = 0; oy < dw->geo.output_height; ++b, oy += band_rows) {
    /* Rows of the pointwise output the previous band read too stay in the ring (a band is one
     * window of span rows, band_rows * stride rows apart). */
    const int32_t kept = tinyml_row_window_next(&rows, b, band_rows * dw->geo.stride_height, dw->geo.pad_height, span,
                                                dw->geo.input_height, ring, mid_row);
    if (rows.hi > rows.lo + kept) {
      /* The missing rows in one call: a 1x1 layer's rows are contiguous in its input and output. */
      pw_band.geo.input_height = rows.hi - rows.lo - kept;
      pw_band.geo.output_height = rows.hi - rows.lo - kept;
      pw_fn(&pw_band, input + (rows.lo + kept) * in_row, ring + kept * mid_row, kernel_scratch);
    }
    /* The last band may be shorter; its rows past the image are the kernel's bottom padding. */
    dw_band.geo.output_height = dw->geo.output_height - oy < band_rows ? dw->geo.output_height - oy : band_rows;
    dw_band.geo.input_height = rows.hi - rows.lo;
    dw_band.geo.pad_height = rows.lo - rows.top;
    dw_fn(&dw_band, ring, output + oy * out_row, kernel_scratch);
  }
}
