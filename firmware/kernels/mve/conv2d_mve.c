/*
 * conv2d_mve.c - see conv2d_mve.h.
 */
#include "conv2d_mve.h"

/* The window of output pixel (oy, ox) as K consecutive bytes, padded taps at the zero point. */
static void gather_window(const tinyml_conv2d_mve_params *p, const int8_t *input, int32_t oy, int32_t ox,
                          int8_t *col) {
  const int32_t c = p->geo.input_depth;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
  const int32_t row_len = p->geo.filter_width * c;
  const int32_t row_inside = p->geo.dilation_width == 1 && ix0 >= 0 && ix0 + p->geo.filter_width <= p->geo.input_width;
  for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
    const int32_t iy = iy0 + fy * p->geo.dilation_height;
    if (iy < 0 || iy >= p->geo.input_height) {
      tinyml_mve_fill(col, (int8_t)p->pad_value, row_len);
    } else if (row_inside) {
      tinyml_mve_copy(col, input + (iy * p->geo.input_width + ix0) * c, row_len);
    } else {
      for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
        const int32_t ix = ix0 + fx * p->geo.dilation_width;
        if (ix < 0 || ix >= p->geo.input_width) {
          tinyml_mve_fill(col + fx * c, (int8_t)p->pad_value, c);
        } else {
          tinyml_mve_copy(col + fx * c, input + (iy * p->geo.input_width + ix) * c, c);
        }
      }
    }
    col += row_len;
  }
}

/* (a0, a1, a2, a3) as a vector: two VMOVs of two lanes each. */
TINYML_MVE_INLINE int32x4_t lanes4(int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
  int32x4_t v;
  __asm__("vmov %q0[2], %q0[0], %1, %2\n\tvmov %q0[3], %q0[1], %3, %4" : "=w"(v) : "r"(a0), "r"(a2), "r"(a1), "r"(a3));
  return v;
}

/*
 * Output channels c..c+3 of one pixel whose K inputs are at x; w: the group's weights.
 * FULL: all four channels exist (plain store), else the store is predicated by `store_pred`.
 */
TINYML_MVE_INLINE void group4(const int8_t *x, const int8_t *w, int32_t chunks, int32_t tail, mve_pred16_t k_pred,
                              const tinyml_mve_rq4 *rq, int32_t off, int32_t lo, int32_t hi, int8_t *out,
                              const int FULL, mve_pred16_t store_pred) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t i = 0; i < chunks; ++i) {
    const int8x16_t xv = vldrbq_s8(x);
    x += 16;
    a0 = vmladavaq_s8(a0, vldrbq_s8(w), xv);
    a1 = vmladavaq_s8(a1, vldrbq_s8(w + 16), xv);
    a2 = vmladavaq_s8(a2, vldrbq_s8(w + 32), xv);
    a3 = vmladavaq_s8(a3, vldrbq_s8(w + 48), xv);
    w += 64;
  }
  if (tail) {
    /* Inputs past K are not read (zeroed lanes); their weights are zero anyway. */
    const int8x16_t xv = vldrbq_z_s8(x, k_pred);
    a0 = vmladavaq_s8(a0, vldrbq_s8(w), xv);
    a1 = vmladavaq_s8(a1, vldrbq_s8(w + 16), xv);
    a2 = vmladavaq_s8(a2, vldrbq_s8(w + 32), xv);
    a3 = vmladavaq_s8(a3, vldrbq_s8(w + 48), xv);
  }
  const int32x4_t z = tinyml_mve_requant(lanes4(a0, a1, a2, a3), rq, off, lo, hi);
  if (FULL) {
    vstrbq_s32(out, z);
  } else {
    vstrbq_p_s32(out, z, store_pred);
  }
}

/* Every output channel of one pixel whose K inputs are at x. */
static void pixel_channels(const tinyml_conv2d_mve_params *p, const int8_t *x, const int8_t *weights, int8_t *out) {
  const int32_t k = p->k;
  const int32_t n_out = p->output_depth;
  const int32_t off = p->output_offset;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  const tinyml_mve_rq4 *rq = p->rq;
  const int32_t chunks = k >> 4;
  const int32_t tail = k & 15;
  const int32_t group_bytes = (chunks + (tail ? 1 : 0)) * 64;
  const mve_pred16_t k_pred = vctp8q((uint32_t)tail);
  const int32_t full = n_out >> 2;
  const int8_t *w = weights;
  for (int32_t g = 0; g < full; ++g) {
    group4(x, w, chunks, tail, k_pred, rq++, off, lo, hi, out, 1, 0);
    w += group_bytes;
    out += 4;
  }
  if (n_out & 3) group4(x, w, chunks, tail, k_pred, rq, off, lo, hi, out, 0, vctp32q((uint32_t)(n_out & 3)));
}

void tinyml_conv2d_s8_mve(const tinyml_conv2d_mve_params *p, const int8_t *input, const int8_t *weights,
                          int8_t *output, void *scratch) {
  const int32_t c = p->geo.input_depth;
  const int32_t direct = p->geo.filter_height == 1 && p->geo.filter_width == 1 && p->geo.pad_height == 0 && p->geo.pad_width == 0;
  int8_t *col = (int8_t *)scratch;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * p->geo.input_height * p->geo.input_width * c;
    int8_t *out = output + b * p->geo.output_height * p->geo.output_width * p->output_depth;
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      for (int32_t ox = 0; ox < p->geo.output_width; ++ox) {
        const int8_t *x;
        if (direct) {
          x = in + (oy * p->geo.stride_height * p->geo.input_width + ox * p->geo.stride_width) * c;
        } else {
          gather_window(p, in, oy, ox, col);
          x = col;
        }
        pixel_channels(p, x, weights, out);
        out += p->output_depth;
      }
    }
  }
}
