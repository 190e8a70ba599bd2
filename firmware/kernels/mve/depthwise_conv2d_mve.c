/*
 * depthwise_conv2d_mve.c - see depthwise_conv2d_mve.h.
 */
#include "depthwise_conv2d_mve.h"

/* Four input channels widened to int32; the last group of a depth that is not a multiple of 4
 * loads only the channels that exist (TAIL, a constant in each instantiation). */
TINYML_MVE_INLINE int32x4_t load4(const int8_t *x, int TAIL, mve_pred16_t pred) {
  return TAIL ? vldrbq_z_s32(x, pred) : vldrbq_s32(x);
}

/* acc + x * w lane by lane (MVE's integer VMLA only takes a scalar operand). */
TINYML_MVE_INLINE int32x4_t mla(int32x4_t acc, int32x4_t x, int32x4_t w) { return vaddq_s32(acc, vmulq_s32(x, w)); }

TINYML_MVE_INLINE void store4(int8_t *out, int32x4_t z, int TAIL, mve_pred16_t pred) {
  if (TAIL) {
    vstrbq_p_s32(out, z, pred);
  } else {
    vstrbq_s32(out, z);
  }
}

/*
 * Four pixels of output row oy starting at column ox, channels c..c+3, every tap inside the row
 * (rows above or below the input read the zero point).
 */
TINYML_MVE_INLINE void block4(const tinyml_depthwise_conv2d_mve_params *p, const int8_t *in, const int8_t *weights,
                              int8_t *out, int32_t oy, int32_t ox, int32_t c, int TAIL, mve_pred16_t pred) {
  const int32_t d = p->depth;
  const int32_t px_step = p->stride_width * d;
  const int32_t iy0 = oy * p->stride_height - p->pad_height;
  const int32_t ix0 = ox * p->stride_width - p->pad_width;
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  const int8_t *w = weights + c;
  for (int32_t fy = 0; fy < p->filter_height; ++fy) {
    const int32_t iy = iy0 + fy * p->dilation_height;
    if (iy < 0 || iy >= p->input_height) {
      for (int32_t fx = 0; fx < p->filter_width; ++fx) {
        const int32x4_t wp = vmulq_n_s32(vldrbq_s32(w), p->pad_value);
        a0 = vaddq_s32(a0, wp);
        a1 = vaddq_s32(a1, wp);
        a2 = vaddq_s32(a2, wp);
        a3 = vaddq_s32(a3, wp);
        w += p->depth4;
      }
      continue;
    }
    const int8_t *x = in + (iy * p->input_width + ix0) * d + c;
    for (int32_t fx = 0; fx < p->filter_width; ++fx) {
      const int32x4_t wv = vldrbq_s32(w);
      a0 = mla(a0, load4(x, TAIL, pred), wv);
      a1 = mla(a1, load4(x + px_step, TAIL, pred), wv);
      a2 = mla(a2, load4(x + 2 * px_step, TAIL, pred), wv);
      a3 = mla(a3, load4(x + 3 * px_step, TAIL, pred), wv);
      x += p->dilation_width * d;
      w += p->depth4;
    }
  }
  const tinyml_mve_rq4 *rq = p->rq + (c >> 2);
  const int32_t off = p->output_offset, lo = p->activation_min, hi = p->activation_max;
  const int32_t o_step = d;
  store4(out, tinyml_mve_requant(a0, rq, off, lo, hi), TAIL, pred);
  store4(out + o_step, tinyml_mve_requant(a1, rq, off, lo, hi), TAIL, pred);
  store4(out + 2 * o_step, tinyml_mve_requant(a2, rq, off, lo, hi), TAIL, pred);
  store4(out + 3 * o_step, tinyml_mve_requant(a3, rq, off, lo, hi), TAIL, pred);
}

/* One pixel, channels c..c+3, taps checked against the input's bounds. */
TINYML_MVE_INLINE void pixel1(const tinyml_depthwise_conv2d_mve_params *p, const int8_t *in, const int8_t *weights,
                              int8_t *out, int32_t oy, int32_t ox, int32_t c, int TAIL, mve_pred16_t pred) {
  const int32_t d = p->depth;
  const int32_t iy0 = oy * p->stride_height - p->pad_height;
  const int32_t ix0 = ox * p->stride_width - p->pad_width;
  int32x4_t a = vdupq_n_s32(0);
  const int8_t *w = weights + c;
  for (int32_t fy = 0; fy < p->filter_height; ++fy) {
    const int32_t iy = iy0 + fy * p->dilation_height;
    const int32_t row_in = iy >= 0 && iy < p->input_height;
    for (int32_t fx = 0; fx < p->filter_width; ++fx) {
      const int32_t ix = ix0 + fx * p->dilation_width;
      const int32x4_t wv = vldrbq_s32(w);
      if (row_in && ix >= 0 && ix < p->input_width) {
        a = mla(a, load4(in + (iy * p->input_width + ix) * d + c, TAIL, pred), wv);
      } else {
        a = vmlaq_n_s32(a, wv, p->pad_value);
      }
      w += p->depth4;
    }
  }
  store4(out, tinyml_mve_requant(a, p->rq + (c >> 2), p->output_offset, p->activation_min, p->activation_max), TAIL,
         pred);
}

void tinyml_depthwise_conv2d_s8_mve(const tinyml_depthwise_conv2d_mve_params *p, const int8_t *input,
                                    const int8_t *weights, int8_t *output) {
  const int32_t d = p->depth;
  const int32_t full = d & ~3;
  const mve_pred16_t pred = vctp32q((uint32_t)(d & 3));
  /* Output columns whose window lies inside the input's columns: [ox_lo, ox_hi). */
  const int32_t span = (p->filter_width - 1) * p->dilation_width;
  int32_t ox_lo = (p->pad_width + p->stride_width - 1) / p->stride_width;
  int32_t ox_hi = p->input_width - 1 - span + p->pad_width >= 0
                      ? (p->input_width - 1 - span + p->pad_width) / p->stride_width + 1
                      : 0;
  if (ox_hi > p->output_width) ox_hi = p->output_width;
  if (ox_lo > ox_hi) ox_lo = ox_hi;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->input_height * p->input_width * d;
    int8_t *out_b = output + b * p->output_height * p->output_width * d;
    for (int32_t oy = 0; oy < p->output_height; ++oy) {
      int8_t *out_row = out_b + oy * p->output_width * d;
      int32_t ox = 0;
      while (ox < p->output_width) {
        int8_t *out = out_row + ox * d;
        if (ox >= ox_lo && ox + 4 <= ox_hi) {
          for (int32_t c = 0; c < full; c += 4) block4(p, in, weights, out + c, oy, ox, c, 0, pred);
          if (d & 3) block4(p, in, weights, out + full, oy, ox, full, 1, pred);
          ox += 4;
        } else {
          for (int32_t c = 0; c < full; c += 4) pixel1(p, in, weights, out + c, oy, ox, c, 0, pred);
          if (d & 3) pixel1(p, in, weights, out + full, oy, ox, full, 1, pred);
          ox += 1;
        }
      }
    }
  }
}
