/*
 * depthwise_conv2d_dsp.c - see depthwise_conv2d_dsp.h.
 */
#include "depthwise_conv2d_dsp.h"

/* Accumulates one tap of four channels: x holds the four input bytes, w02/w13 the weights. */
#define TINYML_DW_TAP4(x, w02, w13)                     \
  do {                                                  \
    const uint32_t xe_ = tinyml_sxtb16(x);              \
    const uint32_t xo_ = tinyml_sxtb16_ror8(x);         \
    a0 = tinyml_smlabb(xe_, (w02), a0);                 \
    a2 = tinyml_smlatt(xe_, (w02), a2);                 \
    a1 = tinyml_smlabb(xo_, (w13), a1);                 \
    a3 = tinyml_smlatt(xo_, (w13), a3);                 \
  } while (0)

TINYML_DSP_INLINE void dw_store4(int8_t *o, int32_t a0, int32_t a1, int32_t a2, int32_t a3, const tinyml_dsp_rq *rq,
                                 int32_t rq_step, const int MODE, const int FULL, int32_t off, int32_t lo, int32_t hi) {
  const tinyml_dsp_rq *q1 = rq + rq_step;
  const tinyml_dsp_rq *q2 = q1 + rq_step;
  const tinyml_dsp_rq *q3 = q2 + rq_step;
  const int32_t l = FULL ? -128 : lo;
  const int32_t h = FULL ? 127 : hi;
  o[0] = (int8_t)tinyml_rq(MODE, a0, rq->multiplier, rq->t, rq->e, off, l, h);
  o[1] = (int8_t)tinyml_rq(MODE, a1, q1->multiplier, q1->t, q1->e, off, l, h);
  o[2] = (int8_t)tinyml_rq(MODE, a2, q2->multiplier, q2->t, q2->e, off, l, h);
  o[3] = (int8_t)tinyml_rq(MODE, a3, q3->multiplier, q3->t, q3->e, off, l, h);
}

/* One output pixel: every channel. in0 points at the window's top-left tap (may be outside). */
TINYML_DSP_INLINE void dw_pixel(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input, int32_t iy0,
                                int32_t ix0, const int16_t *weights, int8_t *out, const int MODE, const int FULL,
                                const int K3) {
  const int32_t c = p->depth;
  const int32_t fh = K3 ? 3 : p->filter_height;
  const int32_t fw = K3 ? 3 : p->filter_width;
  const int32_t dh = p->dilation_height;
  const int32_t dw = p->dilation_width;
  const int32_t taps = fh * fw;
  const int32_t row_stride = p->input_width * c;
  const int32_t off = p->output_offset;
  const int32_t rq_step = p->per_channel ? 1 : 0;
  const int32_t interior = iy0 >= 0 && iy0 + (fh - 1) * dh < p->input_height && ix0 >= 0 &&
                           ix0 + (fw - 1) * dw < p->input_width;
  const uint32_t pad4 = ((uint32_t)p->pad_value & 0xFFu) * 0x01010101u;
  const int32_t *bias = p->bias;
  const tinyml_dsp_rq *rq = p->rq;
  const uint32_t *w = (const uint32_t *)weights;
  const int8_t *in0 = input + (iy0 * p->input_width + ix0) * c;
  int32_t ch = 0;
  if (interior) {
    const int32_t col_step = dw * c;
    const int32_t row_step = dh * row_stride;
    for (; ch + 4 <= c; ch += 4) {
      int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
      const int8_t *ip = in0 + ch;
      if (K3) {
        const int8_t *r1 = ip + row_step;
        const int8_t *r2 = r1 + row_step;
        TINYML_DW_TAP4(tinyml_ld32(ip), w[0], w[1]);
        TINYML_DW_TAP4(tinyml_ld32(ip + col_step), w[2], w[3]);
        TINYML_DW_TAP4(tinyml_ld32(ip + 2 * col_step), w[4], w[5]);
        TINYML_DW_TAP4(tinyml_ld32(r1), w[6], w[7]);
        TINYML_DW_TAP4(tinyml_ld32(r1 + col_step), w[8], w[9]);
        TINYML_DW_TAP4(tinyml_ld32(r1 + 2 * col_step), w[10], w[11]);
        TINYML_DW_TAP4(tinyml_ld32(r2), w[12], w[13]);
        TINYML_DW_TAP4(tinyml_ld32(r2 + col_step), w[14], w[15]);
        TINYML_DW_TAP4(tinyml_ld32(r2 + 2 * col_step), w[16], w[17]);
        w += 18;
      } else {
        for (int32_t fy = 0; fy < fh; ++fy) {
          const int8_t *rp = ip + fy * row_step;
          for (int32_t fx = 0; fx < fw; ++fx) {
            TINYML_DW_TAP4(tinyml_ld32(rp), w[0], w[1]);
            rp += col_step;
            w += 2;
          }
        }
      }
      dw_store4(out + ch, a0, a1, a2, a3, rq, rq_step, MODE, FULL, off, p->activation_min, p->activation_max);
      bias += 4;
      rq += 4 * rq_step;
    }
  } else {
    for (; ch + 4 <= c; ch += 4) {
      int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
      for (int32_t fy = 0; fy < fh; ++fy) {
        const int32_t iy = iy0 + fy * dh;
        const int32_t row_in = iy >= 0 && iy < p->input_height;
        for (int32_t fx = 0; fx < fw; ++fx) {
          const int32_t ix = ix0 + fx * dw;
          const uint32_t x = row_in && ix >= 0 && ix < p->input_width
                                 ? tinyml_ld32(input + (iy * p->input_width + ix) * c + ch)
                                 : pad4;
          TINYML_DW_TAP4(x, w[0], w[1]);
          w += 2;
        }
      }
      dw_store4(out + ch, a0, a1, a2, a3, rq, rq_step, MODE, FULL, off, p->activation_min, p->activation_max);
      bias += 4;
      rq += 4 * rq_step;
    }
  }
  /* Remaining channels one at a time; their weights are per channel, tap-major. */
  const int16_t *w16 = (const int16_t *)w;
  for (; ch < c; ++ch) {
    int32_t acc = *bias++;
    for (int32_t fy = 0; fy < fh; ++fy) {
      const int32_t iy = iy0 + fy * dh;
      for (int32_t fx = 0; fx < fw; ++fx) {
        const int32_t ix = ix0 + fx * dw;
        const int32_t x = iy >= 0 && iy < p->input_height && ix >= 0 && ix < p->input_width
                              ? input[(iy * p->input_width + ix) * c + ch]
                              : p->pad_value;
        acc = (int32_t)((uint32_t)acc + (uint32_t)(x * *w16++));
      }
    }
    out[ch] = (int8_t)tinyml_rq(MODE, acc, rq->multiplier, rq->t, rq->e, off, p->activation_min, p->activation_max);
    rq += rq_step;
  }
  (void)taps;
}

TINYML_DSP_INLINE void dw_run(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                              int8_t *output, const int MODE, const int FULL, const int K3) {
  const int32_t c = p->depth;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->input_height * p->input_width * c;
    int8_t *out = output + b * p->output_height * p->output_width * c;
    for (int32_t oy = 0; oy < p->output_height; ++oy) {
      const int32_t iy0 = oy * p->stride_height - p->pad_height;
      for (int32_t ox = 0; ox < p->output_width; ++ox) {
        const int32_t ix0 = ox * p->stride_width - p->pad_width;
        dw_pixel(p, in, iy0, ix0, weights, out, MODE, FULL, K3);
        out += c;
      }
    }
  }
}

#define TINYML_DW_VARIANT(name, MODE, FULL, K3)                                                               \
  static void name(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,  \
                   int8_t *output) {                                                                          \
    dw_run(p, input, weights, output, MODE, FULL, K3);                                                        \
  }
TINYML_DW_VARIANT(dw_fast_full_k3, TINYML_RQ_FAST, 1, 1)
TINYML_DW_VARIANT(dw_folded_full_k3, TINYML_RQ_FAST_FOLDED, 1, 1)
TINYML_DW_VARIANT(dw_fast, TINYML_RQ_FAST, 0, 0)
TINYML_DW_VARIANT(dw_folded, TINYML_RQ_FAST_FOLDED, 0, 0)
TINYML_DW_VARIANT(dw_ref, TINYML_RQ_REF, 0, 0)

void tinyml_depthwise_conv2d_s8_dsp(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                    const int16_t *weights, int8_t *output) {
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;
  const int32_t k3 = p->filter_height == 3 && p->filter_width == 3;
  if (p->mode == TINYML_RQ_REF) {
    dw_ref(p, input, weights, output);
  } else if (full && k3) {
    if (p->mode == TINYML_RQ_FAST_FOLDED) {
      dw_folded_full_k3(p, input, weights, output);
    } else {
      dw_fast_full_k3(p, input, weights, output);
    }
  } else if (p->mode == TINYML_RQ_FAST_FOLDED) {
    dw_folded(p, input, weights, output);
  } else {
    dw_fast(p, input, weights, output);
  }
}
