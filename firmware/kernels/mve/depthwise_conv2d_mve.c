/*
 * depthwise_conv2d_mve.c - see depthwise_conv2d_mve.h.
 *
 * For each output row, the filter_height input rows it reads are first copied into the scratch
 * buffer with the zero point in the padding columns and in rows outside the input, so the
 * arithmetic below never checks a bound. The copy is laid out per group of four channels
 * ([group][row][padded column][4 channels]): a pixel's four channels are one word and the
 * pixels and taps of a block sit at small constant offsets (immediate-offset loads, no address
 * arithmetic in the inner loop).
 */
#include "depthwise_conv2d_mve.h"

/* acc + x * w lane by lane (MVE's integer VMLA only takes a scalar operand). */
TINYML_MVE_INLINE int32x4_t mla(int32x4_t acc, int32x4_t x, int32x4_t w) { return vaddq_s32(acc, vmulq_s32(x, w)); }

TINYML_MVE_INLINE void store4(int8_t *out, int32x4_t z, int TAIL, mve_pred16_t pred) {
  if (TAIL) {
    vstrbq_p_s32(out, z, pred);
  } else {
    vstrbq_s32(out, z);
  }
}

typedef struct {
  int32_t fh, fw, d, groups, tap_step, row_bytes, group_bytes, px_step, off, lo, hi;
} dw_geom;

/*
 * NPX (1..4) consecutive output pixels of the current row, channels 4g..4g+3. x: the group's
 * padded rows at the first pixel's window; pixels are SW * 4 bytes apart (SW: the stride when
 * it is 1 or 2, a constant, so every load below has an immediate offset; 0: g->px_step).
 * w: the group's weights, 4 bytes per tap.
 */
TINYML_MVE_INLINE void block(const dw_geom *g, const int8_t *x, const int8_t *w, const tinyml_mve_rq4 *rq,
                             int8_t *out, const int NPX, const int TAIL, mve_pred16_t pred, const int SW,
                             const int K3) {
  const int32_t ps = SW ? SW * 4 : g->px_step;
  /* K3: a 3x3 filter without dilation, the taps fully unrolled at constant offsets. */
  const int32_t fh = K3 ? 3 : g->fh;
  const int32_t fw = K3 ? 3 : g->fw;
  const int32_t tap_step = K3 ? 4 : g->tap_step;
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  for (int32_t fy = 0; fy < fh; ++fy) {
    const int8_t *xr = x + fy * g->row_bytes;
    for (int32_t fx = 0; fx < fw; ++fx) {
      const int32x4_t wv = vldrbq_s32(w);
      a0 = mla(a0, vldrbq_s32(xr), wv);
      if (NPX > 1) a1 = mla(a1, vldrbq_s32(xr + ps), wv);
      if (NPX > 2) a2 = mla(a2, vldrbq_s32(xr + 2 * ps), wv);
      if (NPX > 3) a3 = mla(a3, vldrbq_s32(xr + 3 * ps), wv);
      xr += tap_step;
      w += 4;
    }
  }
  const tinyml_mve_rqv q = tinyml_mve_rq_load(rq);
  store4(out, tinyml_mve_requant_v(a0, q, g->off, g->lo, g->hi), TAIL, pred);
  if (NPX > 1) store4(out + g->d, tinyml_mve_requant_v(a1, q, g->off, g->lo, g->hi), TAIL, pred);
  if (NPX > 2) store4(out + 2 * g->d, tinyml_mve_requant_v(a2, q, g->off, g->lo, g->hi), TAIL, pred);
  if (NPX > 3) store4(out + 3 * g->d, tinyml_mve_requant_v(a3, q, g->off, g->lo, g->hi), TAIL, pred);
}

/* Every channel of NPX pixels; x: the padded rows at the first pixel's window (group 0). */
TINYML_MVE_INLINE void pixels(const dw_geom *g, const int8_t *x, const int8_t *weights, const tinyml_mve_rq4 *rq,
                              int8_t *out, const int NPX, mve_pred16_t pred, const int SW, const int K3) {
  const int32_t full = g->d >> 2;
  const int32_t taps4 = g->fh * g->fw * 4;
  int32_t k = 0;
  for (; k < full; ++k) {
    block(g, x, weights, rq + k, out + 4 * k, NPX, 0, pred, SW, K3);
    x += g->group_bytes;
    weights += taps4;
  }
  if (k < g->groups) block(g, x, weights, rq + k, out + 4 * k, NPX, 1, pred, SW, K3);
}

/* One output row: blocks of four pixels, then the one to three left. */
TINYML_MVE_INLINE void row(const dw_geom *g, const int8_t *x, const int8_t *weights, const tinyml_mve_rq4 *rq,
                           int8_t *out, int32_t out_w, mve_pred16_t pred, const int SW, const int K3) {
  const int32_t ps = SW ? SW * 4 : g->px_step;
  int32_t ox = 0;
  for (; ox + 4 <= out_w; ox += 4) {
    pixels(g, x, weights, rq, out, 4, pred, SW, K3);
    x += 4 * ps;
    out += 4 * g->d;
  }
  switch (out_w - ox) {
    case 3:
      pixels(g, x, weights, rq, out, 3, pred, SW, K3);
      break;
    case 2:
      pixels(g, x, weights, rq, out, 2, pred, SW, K3);
      break;
    case 1:
      pixels(g, x, weights, rq, out, 1, pred, SW, K3);
      break;
    default:
      break;
  }
}

/*
 * Input row src (or the zero point when it is 0) into padded row r, laid out per group of four
 * channels: [group][padded column][4 bytes], channels past the depth zero. Input columns
 * [0, in_w) sit at padded columns [left, left + in_w), clipped to the row.
 */
static void fill_row(const dw_geom *g, int8_t *r, const int8_t *src, int32_t padded_w, int32_t left, int32_t in_w,
                     int8_t pad) {
  const uint32_t padw = (uint8_t)pad * 0x01010101u;
  const int32_t d = g->d;
  int32_t lo = left < padded_w ? left : padded_w;
  int32_t hi = left + in_w < padded_w ? left + in_w : padded_w;
  if (!src) lo = hi = padded_w;
  /* Whole words of four channels can be gathered four columns at a time (MVE word loads need
   * word-aligned addresses). */
  const int32_t vector = (d & 3) == 0 && ((uintptr_t)src & 3) == 0;
  const uint32x4_t col_offsets = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)d);
  for (int32_t k = 0; k < g->groups; ++k) {
    uint32_t *dst = (uint32_t *)(void *)(r + k * g->group_bytes);
    int32_t px = 0;
    for (; px < lo; ++px) dst[px] = padw;
    if (vector) {
      const int8_t *s = src + (px - left) * d + 4 * k;
      for (; px < hi; px += 4) {
        const mve_pred16_t p4 = vctp32q((uint32_t)(hi - px));
        vstrwq_p_u32(dst + px, vldrwq_gather_offset_z_u32((const uint32_t *)(const void *)s, col_offsets, p4), p4);
        s += 4 * d;
      }
      px = hi;
    } else {
      const int32_t n = d - 4 * k < 4 ? d - 4 * k : 4;
      for (; px < hi; ++px) {
        const int8_t *s = src + (px - left) * d + 4 * k;
        uint32_t v = 0;
        for (int32_t i = 0; i < n; ++i) v |= (uint32_t)(uint8_t)s[i] << (8 * i);
        dst[px] = v;
      }
    }
    for (; px < padded_w; ++px) dst[px] = padw;
  }
}

void tinyml_depthwise_conv2d_s8_mve(const tinyml_depthwise_conv2d_mve_params *p, const int8_t *input,
                                    const int8_t *weights, int8_t *output, void *scratch) {
  const int32_t d = p->geo.input_depth;
  const int32_t in_w = p->geo.input_width;
  const int32_t in_h = p->geo.input_height;
  const int32_t out_w = p->geo.output_width;
  const int32_t padded_w = (out_w - 1) * p->geo.stride_width + (p->geo.filter_width - 1) * p->geo.dilation_width + 1;
  dw_geom g;
  g.fh = p->geo.filter_height;
  g.fw = p->geo.filter_width;
  g.d = d;
  g.groups = (d + 3) >> 2;
  g.tap_step = p->geo.dilation_width * 4;
  g.px_step = p->geo.stride_width * 4;
  g.row_bytes = padded_w * 4;
  g.group_bytes = g.fh * g.row_bytes;
  g.off = p->output_offset;
  g.lo = p->activation_min;
  g.hi = p->activation_max;
  const mve_pred16_t pred = vctp32q((uint32_t)(d & 3));
  int8_t *rows = (int8_t *)scratch;
  const int32_t k3 = g.fh == 3 && g.fw == 3 && p->geo.dilation_width == 1;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * in_h * in_w * d;
    int8_t *out = output + b * p->geo.output_height * out_w * d;
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
      for (int32_t fy = 0; fy < g.fh; ++fy) {
        const int32_t iy = iy0 + fy * p->geo.dilation_height;
        /* Row fy of every group: rows + group * group_bytes + fy * row_bytes. */
        fill_row(&g, rows + fy * g.row_bytes, iy < 0 || iy >= in_h ? (const int8_t *)0 : in + iy * in_w * d, padded_w,
                 p->geo.pad_width, in_w, (int8_t)p->pad_value);
      }
      if (k3 && p->geo.stride_width == 1) {
        row(&g, rows, weights, p->rq, out, out_w, pred, 1, 1);
      } else if (k3 && p->geo.stride_width == 2) {
        row(&g, rows, weights, p->rq, out, out_w, pred, 2, 1);
      } else {
        row(&g, rows, weights, p->rq, out, out_w, pred, 0, 0);
      }
      out += out_w * d;
    }
  }
}
