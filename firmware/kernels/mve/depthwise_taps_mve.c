/*
 * depthwise_taps_mve.c - see depthwise_taps_mve.h.
 */
#include "depthwise_taps_mve.h"

/*
 * One column of filter row fy: the eight-channel groups of src (a whole input pixel, or 0: the
 * zero point) into byte fy of every channel's cell, eight channels per step (a widening load,
 * then a scatter of the low bytes to the eight channels' planes); the last group predicated.
 */
TINYML_MVE_INLINE void fill_column(int8_t *dst, const int8_t *src, int32_t d, int32_t plane8, uint16x8_t planes,
                                   int16x8_t padv) {
  int32_t c = d;
  for (; c >= 8; c -= 8) {
    vstrbq_scatter_offset_s16(dst, planes, src ? vldrbq_s16(src) : padv);
    dst += plane8;
    src = src ? src + 8 : 0;
  }
  if (c > 0) {
    const mve_pred16_t p = vctp16q((uint32_t)c);
    vstrbq_scatter_offset_p_s16(dst, planes, src ? vldrbq_z_s16(src, p) : padv, p);
  }
}

/* Byte t of every cell of the transposed rows from input row src (0: a padding row). */
static void fill_row(int8_t *rows, const int8_t *src, int32_t t, int32_t cell, int32_t d, int32_t padded_w,
                     int32_t left, int32_t in_w, int8_t pad) {
  const int32_t plane = padded_w * cell;
  const uint16x8_t planes = vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)plane);
  const int16x8_t padv = vdupq_n_s16(pad);
  int32_t lo = left < padded_w ? left : padded_w;
  int32_t hi = left + in_w < padded_w ? left + in_w : padded_w;
  if (!src) lo = hi = padded_w;
  int8_t *dst = rows + t;
  int32_t j = 0;
  for (; j < lo; ++j, dst += cell) fill_column(dst, 0, d, 8 * plane, planes, padv);
  for (; j < hi; ++j, dst += cell) fill_column(dst, src + (j - left) * d, d, 8 * plane, planes, padv);
  for (; j < padded_w; ++j, dst += cell) fill_column(dst, 0, d, 8 * plane, planes, padv);
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
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * in_h * in_w * d;
    int8_t *out_b = output + b * out_h * out_w * d;
    for (int32_t oy = 0; oy < out_h; oy += p->rows) {
      const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
      for (int32_t t = 0; t < cell; ++t) {
        const int32_t iy = iy0 + t;
        fill_row(rows, iy < 0 || iy >= in_h ? (const int8_t *)0 : in + iy * in_w * d, t, cell, d, padded_w,
                 p->geo.pad_width, in_w, (int8_t)p->pad_value);
      }
      const int32_t n_rows = out_h - oy < p->rows ? out_h - oy : p->rows;
      int8_t *out_row = out_b + oy * out_w * d;
      /* The usual 3x3 layers' window distances as constants: stride 1 (cells of 4 rows for two
       * output rows) and stride 2 (cells of 5). */
      if (px_step == 4) {
        band(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, out_offsets, off, lo, hi, 4, 0);
      } else if (px_step == 10) {
        band(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, out_offsets, off, lo, hi, 10, 0);
      } else {
        band(rows, plane, row_step, n_rows, weights, p->rq, d, out_w, out_row, out_offsets, off, lo, hi, 0, px_step);
      }
    }
  }
}
