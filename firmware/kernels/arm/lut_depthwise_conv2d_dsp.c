/*
 * lut_depthwise_conv2d_dsp.c - see lut_depthwise_conv2d_dsp.h. Four channels at a time: their
 * weight pairs are looked up once (into a few words of scratch) and then serve every pixel of
 * the image; per tap, one input word expands to the (x0, x2) and (x1, x3) halfword pairs, each
 * product going to its own channel (SMLABB / SMLATT). Windows inside the image take the input
 * offset as input_offset * (sum of the weights), added once; border windows add it per tap.
 */
#include "lut_depthwise_conv2d_dsp.h"

#include "lut_dsp.h"

TINYML_DSP_INLINE void lut_dw_run(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                  const tinyml_lut_weights *filter, const int32_t *bias, const tinyml_lut_rq *rq,
                                  int8_t *output, const uint32_t *pairs, uint32_t *wbuf, const int MODE,
                                  const int FULL) {
  const int32_t off = p->q.output_offset;
  const int32_t lo = FULL ? -128 : p->q.activation_min;
  const int32_t hi = FULL ? 127 : p->q.activation_max;
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->q.input_offset) * 0x00010001u;
  const int32_t depth = p->geo.input_depth;
  const int32_t fh = p->geo.filter_height;
  const int32_t fw = p->geo.filter_width;
  const int32_t taps = fh * fw;
  const int32_t in_h = p->geo.input_height;
  const int32_t in_w = p->geo.input_width;
  /* Input offset of each tap from the window's origin, for windows entirely inside the image. */
  int32_t tap_in[TINYML_LUT_DW_MAX_TAPS];
  for (int32_t fy = 0; fy < fh; ++fy) {
    for (int32_t fx = 0; fx < fw; ++fx) {
      tap_in[fy * fw + fx] = (p->geo.dilation_height * fy * in_w + p->geo.dilation_width * fx) * depth;
    }
  }
  const int32_t span_y = (fh - 1) * p->geo.dilation_height;
  const int32_t span_x = (fw - 1) * p->geo.dilation_width;
  for (int32_t c = 0; c < depth; c += 4) {
    /* The group's weight pairs, looked up once for the whole image: per tap (w0, w2), (w1, w3). */
    const uint8_t *i_c = filter->indices + (c >> 1);
    int32_t sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
    for (int32_t k = 0; k < taps; ++k) {
      const uint32_t w02 = pairs[i_c[(k * depth) >> 1]];
      const uint32_t w13 = pairs[i_c[((k * depth) >> 1) + 1]];
      wbuf[2 * k] = w02;
      wbuf[2 * k + 1] = w13;
      sum0 += (int16_t)(w02 & 0xFFFFu);
      sum2 += (int16_t)(w02 >> 16);
      sum1 += (int16_t)(w13 & 0xFFFFu);
      sum3 += (int16_t)(w13 >> 16);
    }
    /* Inside the image the input offset adds input_offset * (sum of the channel's weights). */
    const uint32_t io = (uint32_t)p->q.input_offset;
    const int32_t fold0 = (int32_t)(io * (uint32_t)sum0 + (uint32_t)bias[c]);
    const int32_t fold1 = (int32_t)(io * (uint32_t)sum1 + (uint32_t)bias[c + 1]);
    const int32_t fold2 = (int32_t)(io * (uint32_t)sum2 + (uint32_t)bias[c + 2]);
    const int32_t fold3 = (int32_t)(io * (uint32_t)sum3 + (uint32_t)bias[c + 3]);
    const tinyml_dsp_rq *r = rq->rq + (rq->per_channel ? c : 0);
    const int32_t rs = rq->per_channel ? 1 : 0;
    const tinyml_dsp_rq r0 = r[0], r1 = r[rs], r2 = r[2 * rs], r3 = r[3 * rs];
    for (int32_t b = 0; b < p->geo.batches; ++b) {
      for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
        const int32_t in_y_origin = out_y * p->geo.stride_height - p->geo.pad_height;
        const int32_t rows_in = in_y_origin >= 0 && in_y_origin + span_y < in_h;
        /* Pointers advanced per pixel rather than recomputed (the row origin may lie outside
         * the image; it is only dereferenced for windows inside it). */
        const intptr_t row = (intptr_t)input + (intptr_t)(((b * in_h + in_y_origin) * in_w) * depth + c);
        const int32_t x_step = p->geo.stride_width * depth;
        int32_t x_off = -p->geo.pad_width * depth;
        int8_t *out = output + ((b * p->geo.output_height + out_y) * p->geo.output_width) * depth + c;
        for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x, x_off += x_step, out += depth) {
          const int32_t in_x_origin = out_x * p->geo.stride_width - p->geo.pad_width;
          int32_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
          if (rows_in && in_x_origin >= 0 && in_x_origin + span_x < in_w) {
            const int8_t *base = (const int8_t *)(row + x_off);
            const uint32_t *w = wbuf;
            const uint32_t *const w_end = wbuf + 2 * taps;
            const int32_t *t_in = tap_in;
            while (w != w_end) {
              const uint32_t xw = tinyml_ld32(base + *t_in++);
              const uint32_t x02 = tinyml_sxtb16(xw);
              const uint32_t x13 = tinyml_sxtb16_ror8(xw);
              acc0 = tinyml_smlabb(w[0], x02, acc0);
              acc2 = tinyml_smlatt(w[0], x02, acc2);
              acc1 = tinyml_smlabb(w[1], x13, acc1);
              acc3 = tinyml_smlatt(w[1], x13, acc3);
              w += 2;
            }
            acc0 = (int32_t)((uint32_t)acc0 + (uint32_t)fold0);
            acc1 = (int32_t)((uint32_t)acc1 + (uint32_t)fold1);
            acc2 = (int32_t)((uint32_t)acc2 + (uint32_t)fold2);
            acc3 = (int32_t)((uint32_t)acc3 + (uint32_t)fold3);
          } else {
            /* At the border: out-of-image taps are zero padding and add nothing. */
            for (int32_t fy = 0; fy < fh; ++fy) {
              const int32_t in_y = in_y_origin + p->geo.dilation_height * fy;
              if (in_y < 0 || in_y >= in_h) {
                continue;
              }
              for (int32_t fx = 0; fx < fw; ++fx) {
                const int32_t in_x = in_x_origin + p->geo.dilation_width * fx;
                if (in_x < 0 || in_x >= in_w) {
                  continue;
                }
                const uint32_t xw = tinyml_ld32(input + ((b * in_h + in_y) * in_w + in_x) * depth + c);
                const uint32_t x02 = tinyml_sadd16(tinyml_sxtb16(xw), off2);
                const uint32_t x13 = tinyml_sadd16(tinyml_sxtb16_ror8(xw), off2);
                const uint32_t *w = wbuf + 2 * (fy * fw + fx);
                acc0 = tinyml_smlabb(w[0], x02, acc0);
                acc2 = tinyml_smlatt(w[0], x02, acc2);
                acc1 = tinyml_smlabb(w[1], x13, acc1);
                acc3 = tinyml_smlatt(w[1], x13, acc3);
              }
            }
            acc0 = (int32_t)((uint32_t)acc0 + (uint32_t)bias[c]);
            acc1 = (int32_t)((uint32_t)acc1 + (uint32_t)bias[c + 1]);
            acc2 = (int32_t)((uint32_t)acc2 + (uint32_t)bias[c + 2]);
            acc3 = (int32_t)((uint32_t)acc3 + (uint32_t)bias[c + 3]);
          }
          out[0] = (int8_t)tinyml_rq(MODE, acc0, r0.multiplier, r0.t, r0.e, off, lo, hi);
          out[1] = (int8_t)tinyml_rq(MODE, acc1, r1.multiplier, r1.t, r1.e, off, lo, hi);
          out[2] = (int8_t)tinyml_rq(MODE, acc2, r2.multiplier, r2.t, r2.e, off, lo, hi);
          out[3] = (int8_t)tinyml_rq(MODE, acc3, r3.multiplier, r3.t, r3.e, off, lo, hi);
        }
      }
    }
  }
}

/* One entry point per requantization mode and clamp, so that the linker keeps only what a
 * model uses. */
#define TINYML_LUT_DW_ENTRY(SUFFIX, MODE, FULL)                                                                   \
  void tinyml_depthwise_conv2d_lut4_s8_dsp_##SUFFIX(const tinyml_depthwise_conv2d_params *p, const int8_t *input, \
                                                    const tinyml_lut_weights *filter, const int32_t *bias,         \
                                                    const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {   \
    uint32_t *pairs = (uint32_t *)(void *)scratch;                                                                \
    tinyml_lut4_pairs(pairs, filter->table, rq);                                                                  \
    lut_dw_run(p, input, filter, bias, rq, output, pairs, pairs + 256, MODE, FULL);                               \
  }
TINYML_LUT_DW_ENTRY(fast_full, TINYML_RQ_FAST, 1)
TINYML_LUT_DW_ENTRY(fast, TINYML_RQ_FAST, 0)
TINYML_LUT_DW_ENTRY(folded_full, TINYML_RQ_FAST_FOLDED, 1)
TINYML_LUT_DW_ENTRY(folded, TINYML_RQ_FAST_FOLDED, 0)
TINYML_LUT_DW_ENTRY(ref_full, TINYML_RQ_REF, 1)
TINYML_LUT_DW_ENTRY(ref, TINYML_RQ_REF, 0)
