/*
 * conv2d_dsp_in_place.c - see conv2d_dsp_in_place.h.
 */
#include "conv2d_dsp_in_place.h"
#include "conv2d_stem_dsp.h"

void tinyml_copy_forward(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t i = 0;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if ((((uint32_t)(uintptr_t)dst | (uint32_t)(uintptr_t)src) & 3) == 0 && n >= 32) {
    /*
     * Aligned buffers (the pair's ring, most windows): eight words a step, one LDM and one STM
     * (which need aligned addresses), 0.5 instructions a word where the loop below takes five
     * (a shift of the pair's 768-byte row cost ~960). Still forward: a step reads its eight words
     * before it writes any, and dst is at or below src.
     */
    register const int8_t *s __asm__("r0") = src;
    register int8_t *d __asm__("r1") = dst;
    register const int8_t *e __asm__("r2") = src + (n & ~31);
    __asm__ volatile("1:\n\t"
                     "ldmia  r0!, {r3, r4, r5, r6, r8, r9, r10, r12}\n\t"
                     "stmia  r1!, {r3, r4, r5, r6, r8, r9, r10, r12}\n\t"
                     "cmp    r0, r2\n\t"
                     "bne    1b\n\t"
                     : "+r"(s), "+r"(d)
                     : "r"(e)
                     : "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r12", "cc", "memory");
    i = n & ~31;
  }
#endif
  for (; i + 4 <= n; i += 4) tinyml_st32(dst + i, tinyml_ld32(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

void tinyml_conv2d_s8_dsp_weights(const tinyml_conv2d_dsp_params *p, const int8_t *input, const void *weights,
                                  int32_t w16, int8_t *output, void *scratch) {
  if (w16 == 2) {
    tinyml_conv2d_s8_stem_dsp(p, input, (const int16_t *)weights, output, scratch);
  } else if (w16) {
    tinyml_conv2d_s8_dsp_w16(p, input, (const uint32_t *)weights, output, scratch);
  } else {
    tinyml_conv2d_s8_dsp(p, input, (const uint32_t *)weights, output, scratch);
  }
}

int32_t tinyml_row_window_next(tinyml_row_band *band, int32_t oy, int32_t stride, int32_t pad, int32_t filter_height,
                               int32_t input_height, int8_t *window, int32_t row_bytes) {
  const int32_t top = oy * stride - pad;
  const int32_t lo = top < 0 ? 0 : top;
  const int32_t hi = top + filter_height < input_height ? top + filter_height : input_height;
  const int32_t kept = band->hi > lo ? band->hi - lo : 0;
  if (kept > 0 && lo > band->lo) tinyml_copy_forward(window, window + (lo - band->lo) * row_bytes, kept * row_bytes);
  band->top = top;
  band->lo = lo;
  band->hi = hi;
  return kept;
}

/* One band on the kernel the caller named: a generated band function (fn), else the weights' kernel. */
TINYML_DSP_INLINE void run_band(const tinyml_conv2d_dsp_params *band, const int8_t *input, const void *weights, int32_t w16,
                                tinyml_conv2d_band_fn fn, int8_t *output, void *scratch) {
  if (fn) {
    fn(band, input, output, scratch);
  } else {
    tinyml_conv2d_s8_dsp_weights(band, input, weights, w16, output, scratch);
  }
}

/* Both window entry points' body; always inlined, so the weights' entry compiles as it did before fn. */
TINYML_DSP_INLINE void in_place_window(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights, int32_t w16,
                                       tinyml_conv2d_band_fn fn, void *scratch) {
  const int32_t in_row = p->geo.input_width * p->geo.input_depth;
  const int32_t out_row = p->geo.output_width * p->output_depth;
  int8_t *window = (int8_t *)scratch;
  void *cols = window + TINYML_CONV2D_DSP_WINDOW_BYTES(p->geo.filter_height, in_row);
  /* One output row per call, on the band of rows it reads. */
  tinyml_conv2d_dsp_params band = *p;
  band.geo.output_height = 1;
  tinyml_row_band rows = {0, 0, 0};
  for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
    /* Rows the previous output row read too come from the window: in the buffer, earlier output
     * rows may already cover them. The rows after them are still intact there (the rule). */
    const int32_t kept = tinyml_row_window_next(&rows, oy, p->geo.stride_height, p->geo.pad_height, p->geo.filter_height,
                                                p->geo.input_height, window, in_row);
    if (rows.hi > rows.lo + kept) {
      tinyml_copy_forward(window + kept * in_row, data + (rows.lo + kept) * in_row, (rows.hi - rows.lo - kept) * in_row);
    }
    band.geo.input_height = rows.hi - rows.lo;
    band.geo.pad_height = rows.lo - rows.top;
    run_band(&band, window, weights, w16, fn, data + oy * out_row, cols);
  }
}

/* Both staged entry points' body (see in_place_window). */
TINYML_DSP_INLINE void in_place_staged(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights, int32_t w16,
                                       tinyml_conv2d_band_fn fn, void *scratch) {
  const int32_t in_row = p->geo.input_width * p->geo.input_depth;
  const int32_t out_row = p->geo.output_width * p->output_depth;
  int8_t *stage = (int8_t *)scratch;
  void *cols = stage + ((out_row + 15) & ~15);
  tinyml_conv2d_dsp_params band = *p;
  band.geo.output_height = 1;
  tinyml_row_band rows = {0, 0, 0};
  for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
    /* No window to keep: the rows are read in place (an empty window moves nothing). */
    (void)tinyml_row_window_next(&rows, oy, p->geo.stride_height, p->geo.pad_height, p->geo.filter_height,
                                 p->geo.input_height, stage, 0);
    band.geo.input_height = rows.hi - rows.lo;
    band.geo.pad_height = rows.lo - rows.top;
    int8_t *dst = data + oy * out_row;
    /* Straight to its place when the row ends before the rows it reads, else through the stage:
     * the kernel interleaves reads and writes of one row. */
    const int32_t direct = (oy + 1) * out_row <= rows.lo * in_row;
    run_band(&band, data + rows.lo * in_row, weights, w16, fn, direct ? dst : stage, cols);
    if (!direct) tinyml_copy_forward(dst, stage, out_row);
  }
}

void tinyml_conv2d_s8_dsp_in_place(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights, int32_t w16,
                                   void *scratch) {
  in_place_window(p, data, weights, w16, 0, scratch);
}

void tinyml_conv2d_s8_dsp_in_place_staged(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights,
                                          int32_t w16, void *scratch) {
  in_place_staged(p, data, weights, w16, 0, scratch);
}

void tinyml_conv2d_s8_dsp_in_place_band(const tinyml_conv2d_dsp_params *p, int8_t *data, tinyml_conv2d_band_fn fn,
                                        void *scratch) {
  in_place_window(p, data, 0, 0, fn, scratch);
}

void tinyml_conv2d_s8_dsp_in_place_staged_band(const tinyml_conv2d_dsp_params *p, int8_t *data, tinyml_conv2d_band_fn fn,
                                               void *scratch) {
  in_place_staged(p, data, 0, 0, fn, scratch);
}

/* Row oy of the tight stem two pixels at a time: each pair's bytes computed on the frame, then
 * stored straight to `dst` or, scattered, `split` of each pixel's into `a` and the rest into `b`.
 * A pixel is stored after its pair is computed, never before: its place then holds only bytes no
 * later pixel reads (a pixel reads no column left of the one before it), as for one at a time. */
static void stem_row_by_pixel(const tinyml_conv2d_dsp_params *p, int8_t *data, const int16_t *weights, int32_t oy,
                              int8_t *dst, int8_t *a, int8_t *b, int32_t split, void *frame) {
  const int32_t n = p->output_depth;
  const int32_t w = p->geo.output_width;
  int8_t px[2 * TINYML_CONV2D_STEM_PIXEL_MAX_CHANNELS];
  for (int32_t ox = 0; ox < w; ox += 2) {
    tinyml_conv2d_s8_stem_dsp_pair(p, data, weights, oy, ox, px, frame);
    const int32_t count = ox + 1 < w ? 2 : 1;
    if (dst) {
      tinyml_copy_forward(dst + ox * n, px, count * n);
    } else {
      for (int32_t k = 0; k < count; ++k) {
        for (int32_t c = 0; c < split; ++c) a[(ox + k) * split + c] = px[k * n + c];
        for (int32_t c = split; c < n; ++c) b[(ox + k) * (n - split) + c - split] = px[k * n + c];
      }
    }
  }
}

/* A scattered row into its place: the second row's parts moved to just past the row's place (f),
 * then every pixel from the last one down, through the frame (its bytes may overlap its parts). */
static void stem_row_gather(const tinyml_conv2d_dsp_params *p, int8_t *dst, const int8_t *a, const int8_t *b,
                            int32_t split) {
  const int32_t n = p->output_depth;
  const int32_t w = p->geo.output_width;
  const int32_t nb = n - split;
  int8_t *f = dst + w * n;
  /* f is at or below b, or past b's parts (the generator's rule): a forward copy is right. */
  tinyml_copy_forward(f, b, w * nb);
  int8_t px[TINYML_CONV2D_STEM_PIXEL_MAX_CHANNELS];
  for (int32_t ox = w - 1; ox >= 0; --ox) {
    for (int32_t c = 0; c < split; ++c) px[c] = a[ox * split + c];
    for (int32_t c = 0; c < nb; ++c) px[split + c] = f[ox * nb + c];
    for (int32_t c = 0; c < n; ++c) dst[ox * n + c] = px[c];
  }
}

/* Most bytes of a scattered row the tight driver computes on its frame instead (VWW's 48 x 8). */
#define STEM_TIGHT_ROW_BYTES 384

void tinyml_conv2d_s8_stem_dsp_in_place_tight(const tinyml_conv2d_dsp_params *p, int8_t *data, const int16_t *weights,
                                              int32_t scatter_rows, int32_t pixel_rows, int32_t split) {
  const int32_t in_row = p->geo.input_width * p->geo.input_depth;
  const int32_t out_row = p->geo.output_width * p->output_depth;
  /* The kernel's columns and edge windows on this frame when they fit (8-byte words: its LDRD). */
  uint64_t frame_words[TINYML_CONV2D_STEM_TIGHT_FRAME_BYTES / 8];
  void *frame = tinyml_conv2d_stem_dsp_scratch_bytes(p) <= TINYML_CONV2D_STEM_TIGHT_FRAME_BYTES ? frame_words : 0;
  tinyml_conv2d_dsp_params band = *p;
  tinyml_row_band rows = {0, 0, 0};
  int32_t oy = 0;
  for (; oy < pixel_rows; ++oy) {
    (void)tinyml_row_window_next(&rows, oy, p->geo.stride_height, p->geo.pad_height, p->geo.filter_height,
                                 p->geo.input_height, 0, 0);
    if (oy < scatter_rows && frame && out_row <= STEM_TIGHT_ROW_BYTES) {
      /* A row that fits the frame: computed whole there by the kernel (its reads all before any
       * of its writes), then copied into its place; the scatter's last writes without the ones
       * before them (VWW's first row, 384 bytes). */
      uint32_t row_words[STEM_TIGHT_ROW_BYTES / 4];
      tinyml_conv2d_dsp_params one = *p;
      one.geo.output_height = 1;
      one.geo.input_height = rows.hi - rows.lo;
      one.geo.pad_height = rows.lo - rows.top;
      tinyml_conv2d_s8_stem_dsp(&one, data + rows.lo * in_row, weights, (int8_t *)row_words, frame);
      tinyml_copy_forward(data + oy * out_row, (const int8_t *)row_words, out_row);
    } else if (oy < scatter_rows) {
      int8_t *a = data + rows.lo * in_row;
      stem_row_by_pixel(p, data, weights, oy, 0, a, a + in_row, split, frame);
      stem_row_gather(p, data + oy * out_row, a, a + in_row, split);
    } else {
      stem_row_by_pixel(p, data, weights, oy, data + oy * out_row, 0, 0, 0, frame);
    }
  }
  if (oy >= p->geo.output_height) return;
  if (frame) {
    /* The rest in one call, its columns on the frame: each row ends before the first input row it
     * reads, and later rows read none before that (the generator's rule). */
    const int32_t top = oy * p->geo.stride_height - p->geo.pad_height;
    const int32_t lo = top < 0 ? 0 : top;
    band.geo.output_height = p->geo.output_height - oy;
    band.geo.input_height = p->geo.input_height - lo;
    band.geo.pad_height = lo - top;
    tinyml_conv2d_s8_stem_dsp(&band, data + lo * in_row, weights, data + oy * out_row, frame);
    return;
  }
  band.geo.output_height = 1;
  for (; oy < p->geo.output_height; ++oy) {
    (void)tinyml_row_window_next(&rows, oy, p->geo.stride_height, p->geo.pad_height, p->geo.filter_height,
                                 p->geo.input_height, 0, 0);
    band.geo.input_height = rows.hi - rows.lo;
    band.geo.pad_height = rows.lo - rows.top;
    /* The kernel's columns after the row's output, in input rows no later row reads (8-byte
     * aligned for its LDRD). */
    int8_t *cols = data + (((oy + 1) * out_row + 7) & ~7);
    tinyml_conv2d_s8_stem_dsp(&band, data + rows.lo * in_row, weights, data + oy * out_row, cols);
  }
}

/* Both widening entry points' body (see in_place_window). */
TINYML_DSP_INLINE void in_place_expand(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights, int32_t w16,
                                       tinyml_conv2d_band_fn fn, void *scratch) {
  /*
   * One call, the pixels from the last down (p->descending, conv2d_dsp.c conv_run_pointwise): a
   * block's outputs cover only its own inputs (in the columns before any output is written) and
   * those of the blocks after it, done before. (Runs of pixels in order, each ending before its
   * output starts, took 11 calls on VWW's 24x24x16 -> 24x24x32, their last ones a pixel or two.)
   */
  tinyml_conv2d_dsp_params all = *p;
  all.descending = 1;
  run_band(&all, data, weights, w16, fn, data, scratch);
}

void tinyml_conv2d_s8_dsp_in_place_expand(const tinyml_conv2d_dsp_params *p, int8_t *data, const void *weights,
                                          int32_t w16, void *scratch) {
  in_place_expand(p, data, weights, w16, 0, scratch);
}

void tinyml_conv2d_s8_dsp_in_place_expand_band(const tinyml_conv2d_dsp_params *p, int8_t *data, tinyml_conv2d_band_fn fn,
                                               void *scratch) {
  in_place_expand(p, data, 0, 0, fn, scratch);
}
