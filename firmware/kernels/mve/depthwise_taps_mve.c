/*
 * depthwise_taps_mve.c - see depthwise_taps_mve.h.
 */
#include "depthwise_taps_mve.h"

/*
 * Byte t of every cell of the input columns lo .. hi - 1 of the transposed rows (see
 * depthwise_taps_mve.h; padded column j is input column j - left) from input row src (0: a
 * padding row, every byte the zero point). Widening loads of eight channels, each scattered
 * (its low bytes) to the eight channels' planes: sixteen channels at a time column after column
 * (offsets `planes` and `planes_hi`, the second eight channels' planes), then the last 1..15
 * channels eight at a time, predicated; with exactly eight channels, two columns at a time (one
 * pixel's eight bytes follow the other's). Not inlined: its offset vectors would otherwise stay
 * live across the output loops and push their constants out to the stack.
 */
static __attribute__((noinline)) void fill_row(int8_t *rows, const int8_t *src, int32_t t, int32_t cell, int32_t d,
                                               int32_t plane, int32_t left, int32_t lo, int32_t hi, int8_t pad) {
  const int32_t n = hi - lo;
  if (n <= 0) return;
  const uint16x8_t planes = vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)plane);
  const int16x8_t padv = vdupq_n_s16(pad);
  int8_t *dst0 = rows + lo * cell + t;
  const int8_t *src0 = src ? src + (lo - left) * d : 0;
  if (d == 8 && src0) {
    const uint16x8_t next = vaddq_n_u16(planes, (uint16_t)cell);
    int8_t *dst = dst0;
    const int8_t *x = src0;
    int32_t j = 0;
    for (; j + 2 <= n; j += 2) {
      const int16x8_t b = vldrbq_s16(x + 8);
      const int16x8_t a = vldrbq_s16(x);
      vstrbq_scatter_offset_s16(dst, planes, a);
      vstrbq_scatter_offset_s16(dst, next, b);
      x += 16;
      dst += 2 * cell;
    }
    if (j < n) vstrbq_scatter_offset_s16(dst, planes, vldrbq_s16(x));
    return;
  }
  const uint16x8_t planes_hi = vaddq_n_u16(planes, (uint16_t)(8 * plane));
  int32_t c = 0;
  for (; c + 16 <= d; c += 16) {
    int8_t *dst = dst0 + c * plane;
    if (src0) {
      const int8_t *x = src0 + c;
      for (int32_t j = 0; j < n; ++j) {
        const int16x8_t b = vldrbq_s16(x + 8);
        const int16x8_t a = vldrbq_s16(x);
        vstrbq_scatter_offset_s16(dst, planes, a);
        vstrbq_scatter_offset_s16(dst, planes_hi, b);
        x += d;
        dst += cell;
      }
    } else {
      for (int32_t j = 0; j < n; ++j) {
        vstrbq_scatter_offset_s16(dst, planes, padv);
        vstrbq_scatter_offset_s16(dst, planes_hi, padv);
        dst += cell;
      }
    }
  }
  for (; c < d; c += 8) {
    const mve_pred16_t p = vctp16q((uint32_t)(d - c));
    int8_t *dst = dst0 + c * plane;
    if (src0) {
      const int8_t *x = src0 + c;
      for (int32_t j = 0; j < n; ++j) {
        vstrbq_scatter_offset_p_s16(dst, planes, vldrbq_z_s16(x, p), p);
        x += d;
        dst += cell;
      }
    } else {
      for (int32_t j = 0; j < n; ++j) {
        vstrbq_scatter_offset_p_s16(dst, planes, padv, p);
        dst += cell;
      }
    }
  }
}

/* The padding columns (before lo, from hi on) of every cell: the zero point, once per call (the
 * bands rewrite only the columns in between). */
static void fill_pad_columns(int8_t *rows, int32_t cell, int32_t d, int32_t padded_w, int32_t lo, int32_t hi, int8_t pad) {
  const int32_t plane = padded_w * cell;
  for (int32_t c = 0; c < d; ++c) {
    tinyml_mve_fill(rows + c * plane, pad, lo * cell);
    tinyml_mve_fill(rows + c * plane + hi * cell, pad, (padded_w - hi) * cell);
  }
}

/*
 * The 16 taps at w + offset, loaded where they are used: an asm the compiler cannot hoist out of
 * the pixel loop. Kept in registers, a group's four channels' taps would push the requantization
 * constants out to the stack (there are eight Q registers), which costs more than loading the
 * taps again; an immediate offset when it is a constant.
 */
TINYML_MVE_INLINE int8x16_t taps_at(const int8_t *w, int32_t offset) {
  int8x16_t v;
  if (__builtin_constant_p(offset)) {
    __asm__ volatile("vldrb.u8 %q0, [%1, %2]" : "=w"(v) : "r"(w), "i"(offset), "m"(*(const int8_t(*)[64])w));
  } else {
    __asm__ volatile("vldrb.u8 %q0, [%1]" : "=w"(v) : "r"(w + offset), "m"(*(const int8_t(*)[64])w));
  }
  return v;
}

/*
 * Four channels (g .. g + 3: x their first plane's window of the row's first pixel, wg their taps,
 * o their first output byte) of one output pixel per step, for groups whose channels are all
 * below d (FULL) or the last, partial one (n channels): four loads from the channels' planes,
 * four VMLADAVs, TFLite's MultiplyByQuantizedMultiplier as in tinyml_mve_mbqm with the group's
 * record as vectors (LEFT == 0: no channel has a left shift and every one a right shift, so VSHL
 * and the fix-up's AND are skipped), four
 * contiguous output bytes (the last group's store predicated; its missing channels read channel
 * g's plane and taps). PX: the distance between two pixels' windows when it is a constant
 * (immediate post-increments), else 0 and px.
 */
TINYML_MVE_INLINE void group_band(const int8_t *x, int32_t plane, int32_t row_step, int32_t n_rows, const int8_t *wg,
                                  const tinyml_mve_rq4 *rq, int32_t n, int32_t d, int32_t out_w, int8_t *o, int32_t off,
                                  int32x4_t lo, int32x4_t hi, const int FULL, const int LEFT, const int PX, int32_t px) {
  const int32_t ps = PX ? PX : px;
  const int32_t o1 = FULL || n > 1 ? plane : 0;
  const int32_t o2 = FULL || n > 2 ? 2 * plane : 0;
  const int32_t o3 = FULL || n > 3 ? 3 * plane : 0;
  const int32_t w1 = FULL || n > 1 ? 16 : 0;
  const int32_t w2 = FULL || n > 2 ? 32 : 0;
  const int32_t w3 = FULL || n > 3 ? 48 : 0;
  const tinyml_mve_rqv q = tinyml_mve_rq_load(rq);
  const mve_pred16_t p = vctp32q((uint32_t)n);
  for (int32_t r = 0; r < n_rows; ++r) {
    /* The next output row's windows: the same stretches, row_step bytes on. */
    const int8_t *x0 = x + r * row_step;
    const int8_t *x1 = x0 + o1;
    const int8_t *x2 = x0 + o2;
    const int8_t *x3 = x0 + o3;
    int8_t *out = o + r * out_w * d;
    for (int32_t i = 0; i < out_w; ++i) {
      const int32x4_t acc =
          tinyml_mve_lanes4(vmladavq_s8(vldrbq_s8(x0), taps_at(wg, 0)), vmladavq_s8(vldrbq_s8(x1), taps_at(wg, w1)),
                            vmladavq_s8(vldrbq_s8(x2), taps_at(wg, w2)), vmladavq_s8(vldrbq_s8(x3), taps_at(wg, w3)));
      const int32x4_t z = tinyml_mve_requant_q(acc, q, off, lo, hi, !LEFT);
      if (FULL) {
        vstrbq_s32(out, z);
      } else {
        vstrbq_p_s32(out, z, p);
      }
      x0 += ps;
      x1 += ps;
      x2 += ps;
      x3 += ps;
      out += d;
    }
  }
}

/* Every channel of the `n_rows` output rows computed from the transposed rows, four channels at a
 * time (see group_band; right_only: every channel has a right shift and none a left one). */
TINYML_MVE_INLINE void band(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows, const int8_t *weights,
                            const tinyml_mve_rq4 *rq, int32_t d, int32_t out_w, int8_t *out_row, int32_t off,
                            int32x4_t lo, int32x4_t hi, int32_t right_only, const int PX, int32_t px) {
  int32_t g = 0;
  for (; g + 4 <= d; g += 4, ++rq) {
    if (right_only) {
      group_band(rows + g * plane, plane, row_step, n_rows, weights + 16 * g, rq, 4, d, out_w, out_row + g, off, lo, hi,
                 1, 0, PX, px);
    } else {
      group_band(rows + g * plane, plane, row_step, n_rows, weights + 16 * g, rq, 4, d, out_w, out_row + g, off, lo, hi,
                 1, 1, PX, px);
    }
  }
  if (g < d) {
    group_band(rows + g * plane, plane, row_step, n_rows, weights + 16 * g, rq, d - g, d, out_w, out_row + g, off, lo,
               hi, 0, 1, PX, px);
  }
}

/* band for the usual 3x3 layers' window distances as constants, stride 1 (cells of 4 rows for two
 * output rows) and stride 2 (cells of 5), and for any other. Not inlined, so that their loops get
 * the registers the rest of the kernel holds. */
static __attribute__((noinline)) void band_px4(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows,
                                               const int8_t *weights, const tinyml_mve_rq4 *rq, int32_t d, int32_t out_w,
                                               int8_t *out_row, int32_t off, int32x4_t lo, int32x4_t hi,
                                               int32_t right_only) {
  band(rows, plane, row_step, n_rows, weights, rq, d, out_w, out_row, off, lo, hi, right_only, 4, 0);
}

static __attribute__((noinline)) void band_px10(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows,
                                                const int8_t *weights, const tinyml_mve_rq4 *rq, int32_t d,
                                                int32_t out_w, int8_t *out_row, int32_t off, int32x4_t lo,
                                                int32x4_t hi, int32_t right_only) {
  band(rows, plane, row_step, n_rows, weights, rq, d, out_w, out_row, off, lo, hi, right_only, 10, 0);
}

static __attribute__((noinline)) void band_any(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows,
                                               const int8_t *weights, const tinyml_mve_rq4 *rq, int32_t d, int32_t out_w,
                                               int8_t *out_row, int32_t off, int32x4_t lo, int32x4_t hi,
                                               int32_t right_only, int32_t px) {
  band(rows, plane, row_step, n_rows, weights, rq, d, out_w, out_row, off, lo, hi, right_only, 0, px);
}

void tinyml_depthwise_conv2d_s8_mve_taps(const tinyml_depthwise_taps_mve_params *p, const int8_t *input,
                                         const int8_t *weights, int8_t *output, void *scratch) {
  const int32_t d = p->geo.input_depth;
  const int32_t in_w = p->geo.input_width;
  const int32_t in_h = p->geo.input_height;
  const int32_t out_w = p->geo.output_width;
  const int32_t out_h = p->geo.output_height;
  const int32_t cell = p->cell;
  const int32_t padded_w = (out_w - 1) * p->geo.stride_width + p->geo.filter_width;
  const int32_t plane = padded_w * cell;
  /* Consecutive output pixels' windows are stride_width columns apart, the next output row's
   * stride_height bytes. */
  const int32_t px_step = p->geo.stride_width * cell;
  const int32_t row_step = p->geo.stride_height;
  const int32_t off = p->output_offset;
  const int32x4_t lo = vdupq_n_s32(p->activation_min);
  const int32x4_t hi = vdupq_n_s32(p->activation_max);
  int8_t *rows = (int8_t *)scratch;
  /* Usually every channel has a right shift and none a left one (the whole groups' requantization
   * then skips VSHL and the fix-up's AND). */
  const int32_t right_only = tinyml_mve_right_only(p->rq, d >> 2);
  /* Padded columns col_lo .. col_hi - 1 are input columns (padded column j is input column
   * j - left), the others padding. */
  const int32_t left = p->geo.pad_width;
  const int32_t col_lo = left < padded_w ? left : padded_w;
  const int32_t col_hi = left + in_w < padded_w ? left + in_w : padded_w;
  fill_pad_columns(rows, cell, d, padded_w, col_lo, col_hi, (int8_t)p->pad_value);
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * in_h * in_w * d;
    int8_t *out_b = output + b * out_h * out_w * d;
    for (int32_t oy = 0; oy < out_h; oy += p->rows) {
      const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
      for (int32_t t = 0; t < cell; ++t) {
        const int32_t iy = iy0 + t;
        fill_row(rows, iy < 0 || iy >= in_h ? (const int8_t *)0 : in + iy * in_w * d, t, cell, d, plane, left, col_lo,
                 col_hi, (int8_t)p->pad_value);
      }
      const int32_t n_rows = out_h - oy < p->rows ? out_h - oy : p->rows;
      int8_t *out_row = out_b + oy * out_w * d;
      if (px_step == 4) {
        band_px4(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, off, lo, hi, right_only);
      } else if (px_step == 10) {
        band_px10(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, off, lo, hi, right_only);
      } else {
        band_any(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, off, lo, hi, right_only, px_step);
      }
    }
  }
}
