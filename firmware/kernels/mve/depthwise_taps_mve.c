/*
 * depthwise_taps_mve.c - see depthwise_taps_mve.h.
 */
#include "depthwise_taps_mve.h"

/*
 * Rows narrower than this run four channels x one pixel per step (band4), wider ones four pixels
 * of one channel (band). band4 has no pixel tail and stores four contiguous bytes, but loads
 * each channel's taps again for every pixel; measured on qemu-m55, it takes fewer instructions
 * on VWW's 24-wide rows (177k vs 212k) and more on its 48-wide ones (275k vs 266k).
 */
#define TINYML_TAPS_FOUR_BELOW 32

/*
 * Byte t of every cell of the input columns lo .. hi - 1 of the transposed rows (see
 * depthwise_taps_mve.h; padded column j is input column j - left) from input row src (0: a padding row, every byte the zero point):
 * sixteen channels per step, two widening loads and two scatters of the low bytes to the
 * channels' planes (offsets `planes` and `planes_hi`, the second eight channels' planes); the
 * last 1..15 channels in predicated steps. Not inlined: its offset vectors would otherwise
 * stay live across the output loops and push their constants out to the stack.
 */
static __attribute__((noinline)) void fill_row(int8_t *rows, const int8_t *src, int32_t t, int32_t cell, int32_t d,
                                               int32_t plane, int32_t left, int32_t lo, int32_t hi, int8_t pad) {
  const uint16x8_t planes = vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)plane);
  const uint16x8_t planes_hi = vaddq_n_u16(planes, (uint16_t)(8 * plane));
  const int16x8_t padv = vdupq_n_s16(pad);
  for (int32_t j = lo; j < hi; ++j) {
    int8_t *dst = rows + j * cell + t;
    const int8_t *x = src ? src + (j - left) * d : 0;
    int32_t c = d;
    if (x) {
      for (; c >= 16; c -= 16) {
        const int16x8_t a = vldrbq_s16(x);
        const int16x8_t b = vldrbq_s16(x + 8);
        vstrbq_scatter_offset_s16(dst, planes, a);
        vstrbq_scatter_offset_s16(dst, planes_hi, b);
        x += 16;
        dst += 16 * plane;
      }
    } else {
      for (; c >= 16; c -= 16) {
        vstrbq_scatter_offset_s16(dst, planes, padv);
        vstrbq_scatter_offset_s16(dst, planes_hi, padv);
        dst += 16 * plane;
      }
    }
    for (; c > 0; c -= 8) {
      const mve_pred16_t p = vctp16q((uint32_t)c);
      vstrbq_scatter_offset_p_s16(dst, planes, x ? vldrbq_z_s16(x, p) : padv, p);
      x = x ? x + 8 : 0;
      dst += 8 * plane;
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

/* The output stage of four values of one channel (see channel_row). */
TINYML_MVE_INLINE int32x4_t requant(int32x4_t acc, int32_t bias, int32_t m, int32_t left, int32_t right, int32_t off,
                                    int32x4_t lo, int32x4_t hi, const int RIGHT) {
  int32x4_t z = vqrdmulhq_n_s32(vshlq_r_s32(vaddq_n_s32(acc, bias), left), m);
  if (RIGHT) z = vrshlq_n_s32(vqaddq_s32(z, vshrq_n_s32(z, 31)), right);
  return vminq_s32(vmaxq_s32(vaddq_n_s32(z, off), lo), hi);
}

/*
 * Channel c's output pixels of one row (x: its window of the first, w: its taps, out: its first
 * output byte): `blocks` steps of four pixels, then `tail` (0..3) pixels. TFLite's
 * MultiplyByQuantizedMultiplier as in tinyml_mve_mbqm, with the channel's constants as scalar
 * operands (VSHL, VQRDMULH and VRSHL by a general register) so that only the clamp and the
 * output offsets take vector registers; RIGHT: the channel has a right shift (its sign fix-up
 * is then x >> 31 on every lane; without one there is none). PX: the distance between two
 * pixels' windows when it is a constant (immediate load offsets), else 0 and px.
 */
TINYML_MVE_INLINE void channel_row(const int8_t *x, int8x16_t w, int32_t bias, int32_t m, int32_t left, int32_t right,
                                   int32_t blocks, int32_t tail, int8_t *out, int32_t out_step, uint32x4_t out_offsets,
                                   int32_t off, int32x4_t lo, int32x4_t hi, const int RIGHT, const int PX, int32_t px) {
  const int32_t ps = PX ? PX : px;
  for (int32_t i = 0; i < blocks; ++i) {
    const int32x4_t acc = tinyml_mve_lanes4(vmladavq_s8(vldrbq_s8(x), w), vmladavq_s8(vldrbq_s8(x + ps), w),
                                            vmladavq_s8(vldrbq_s8(x + 2 * ps), w), vmladavq_s8(vldrbq_s8(x + 3 * ps), w));
    vstrbq_scatter_offset_s32(out, out_offsets, requant(acc, bias, m, left, right, off, lo, hi, RIGHT));
    x += 4 * ps;
    out += out_step;
  }
  if (tail) {
    /* Lanes past the row stay 0 and are not stored. */
    const int32x4_t acc = tinyml_mve_lanes4(vmladavq_s8(vldrbq_s8(x), w), tail > 1 ? vmladavq_s8(vldrbq_s8(x + ps), w) : 0,
                                            tail > 2 ? vmladavq_s8(vldrbq_s8(x + 2 * ps), w) : 0, 0);
    vstrbq_scatter_offset_p_s32(out, out_offsets, requant(acc, bias, m, left, right, off, lo, hi, RIGHT),
                                vctp32q((uint32_t)tail));
  }
}

/* Every channel of the `n_rows` output rows computed from the transposed rows. */
TINYML_MVE_INLINE void band(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows, const int8_t *weights,
                            const tinyml_mve_rq4 *rq, int32_t d, int32_t out_w, int8_t *out_row, uint32x4_t out_offsets,
                            int32_t off, int32x4_t lo, int32x4_t hi, const int PX, int32_t px) {
  const int32_t blocks = out_w >> 2;
  const int32_t tail = out_w & 3;
  for (int32_t c = 0; c < d; ++c) {
    const int32_t lane = c & 3;
    const int8x16_t w = vldrbq_s8(weights + 16 * c);
    const int32_t bias = rq->bias[lane];
    const int32_t m = rq->multiplier[lane];
    const int32_t left = rq->left[lane];
    const int32_t right = rq->right[lane];
    for (int32_t r = 0; r < n_rows; ++r) {
      const int8_t *x = rows + c * plane + r * row_step;
      int8_t *o = out_row + r * out_w * d + c;
      if (right < 0) {
        channel_row(x, w, bias, m, left, right, blocks, tail, o, 4 * d, out_offsets, off, lo, hi, 1, PX, px);
      } else {
        channel_row(x, w, bias, m, left, right, blocks, tail, o, 4 * d, out_offsets, off, lo, hi, 0, PX, px);
      }
    }
    if (lane == 3) ++rq;
  }
}

/*
 * Four channels (g .. g + 3) of one output pixel per step, for groups whose channels are all
 * below d (FULL) or the last, partial one: four loads from the channels' planes, four
 * VMLADAVs, the group's requantization record as vectors, four contiguous output bytes (the
 * last group's store predicated; its missing channels read channel g's plane and taps).
 */
/* The 16 taps at w + offset, loaded where they are used (an asm the compiler cannot hoist: kept
 * in registers, four channels' taps would push the requantization constants out to the stack,
 * which costs more than loading them again; an immediate offset when it is a constant). */
TINYML_MVE_INLINE int8x16_t taps_at(const int8_t *w, int32_t offset) {
  int8x16_t v;
  if (__builtin_constant_p(offset)) {
    __asm__ volatile("vldrb.u8 %q0, [%1, %2]" : "=w"(v) : "r"(w), "i"(offset), "m"(*(const int8_t(*)[64])w));
  } else {
    __asm__ volatile("vldrb.u8 %q0, [%1]" : "=w"(v) : "r"(w + offset), "m"(*(const int8_t(*)[64])w));
  }
  return v;
}

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
    const int8_t *x0 = x + r * row_step;
    const int8_t *x1 = x0 + o1;
    const int8_t *x2 = x0 + o2;
    const int8_t *x3 = x0 + o3;
    int8_t *out = o + r * out_w * d;
    for (int32_t i = 0; i < out_w; ++i) {
      /* The taps are loaded again for every pixel: kept in registers they would push the
       * requantization constants out to the stack (eight Q registers), which costs more. */
      const int32x4_t acc =
          tinyml_mve_lanes4(vmladavq_s8(vldrbq_s8(x0), taps_at(wg, 0)), vmladavq_s8(vldrbq_s8(x1), taps_at(wg, w1)),
                            vmladavq_s8(vldrbq_s8(x2), taps_at(wg, w2)), vmladavq_s8(vldrbq_s8(x3), taps_at(wg, w3)));
      int32x4_t z = vaddq_s32(acc, q.bias);
      if (LEFT) z = vshlq_s32(z, q.left);
      z = vqrdmulhq_s32(z, q.multiplier);
      z = vrshlq_s32(vqaddq_s32(z, vshrq_n_s32(vandq_s32(z, q.right), 31)), q.right);
      z = vminq_s32(vmaxq_s32(vaddq_n_s32(z, off), lo), hi);
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

/* Every channel of the `n_rows` output rows, four channels per step (see group_band). */
TINYML_MVE_INLINE void band4(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows, const int8_t *weights,
                             const tinyml_mve_rq4 *rq, int32_t d, int32_t out_w, int8_t *out_row, int32_t off,
                             int32x4_t lo, int32x4_t hi, const int PX, int32_t px) {
  int32_t g = 0;
  for (; g + 4 <= d; g += 4, ++rq) {
    if (rq->left[0] | rq->left[1] | rq->left[2] | rq->left[3]) {
      group_band(rows + g * plane, plane, row_step, n_rows, weights + 16 * g, rq, 4, d, out_w, out_row + g, off, lo, hi,
                 1, 1, PX, px);
    } else {
      group_band(rows + g * plane, plane, row_step, n_rows, weights + 16 * g, rq, 4, d, out_w, out_row + g, off, lo, hi,
                 1, 0, PX, px);
    }
  }
  if (g < d) {
    group_band(rows + g * plane, plane, row_step, n_rows, weights + 16 * g, rq, d - g, d, out_w, out_row + g, off, lo,
               hi, 0, 1, PX, px);
  }
}

/* band4 for the usual window distances (constants: immediate load offsets), and for any other.
 * Not inlined, so that their loops get the registers the rest of the kernel holds. */
static __attribute__((noinline)) void band4_px4(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows,
                                                const int8_t *weights, const tinyml_mve_rq4 *rq, int32_t d,
                                                int32_t out_w, int8_t *out_row, int32_t off, int32x4_t lo,
                                                int32x4_t hi) {
  band4(rows, plane, row_step, n_rows, weights, rq, d, out_w, out_row, off, lo, hi, 4, 0);
}

static __attribute__((noinline)) void band4_px10(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows,
                                                 const int8_t *weights, const tinyml_mve_rq4 *rq, int32_t d,
                                                 int32_t out_w, int8_t *out_row, int32_t off, int32x4_t lo,
                                                 int32x4_t hi) {
  band4(rows, plane, row_step, n_rows, weights, rq, d, out_w, out_row, off, lo, hi, 10, 0);
}

static __attribute__((noinline)) void band4_any(const int8_t *rows, int32_t plane, int32_t row_step, int32_t n_rows,
                                                const int8_t *weights, const tinyml_mve_rq4 *rq, int32_t d,
                                                int32_t out_w, int8_t *out_row, int32_t off, int32x4_t lo,
                                                int32x4_t hi, int32_t px) {
  band4(rows, plane, row_step, n_rows, weights, rq, d, out_w, out_row, off, lo, hi, 0, px);
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
  /* Output offsets of four consecutive pixels of one channel. */
  const uint32x4_t out_offsets = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)d);
  int8_t *rows = (int8_t *)scratch;
  const int FOUR = out_w < TINYML_TAPS_FOUR_BELOW;
  /* Columns lo .. hi - 1 of the padded rows are input columns, the others padding. */
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
        fill_row(rows, iy < 0 || iy >= in_h ? (const int8_t *)0 : in + iy * in_w * d, t, cell, d, plane,
                 left, col_lo, col_hi, (int8_t)p->pad_value);
      }
      const int32_t n_rows = out_h - oy < p->rows ? out_h - oy : p->rows;
      int8_t *out_row = out_b + oy * out_w * d;
      /* The usual 3x3 layers' window distances as constants: stride 1 (cells of 4 rows for two
       * output rows) and stride 2 (cells of 5). */
      if (FOUR) {
        if (px_step == 4) {
          band4_px4(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, off, lo, hi);
        } else if (px_step == 10) {
          band4_px10(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, off, lo, hi);
        } else {
          band4_any(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, off, lo, hi, px_step);
        }
      } else if (px_step == 4) {
        band(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, out_offsets, off, lo, hi, 4, 0);
      } else if (px_step == 10) {
        band(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, out_offsets, off, lo, hi, 10, 0);
      } else {
        band(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, out_offsets, off, lo, hi, 0, px_step);
      }
    }
  }
}
