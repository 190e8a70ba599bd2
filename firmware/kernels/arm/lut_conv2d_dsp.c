/*
 * lut_conv2d_dsp.c - see lut_conv2d_dsp.h. Each byte of indices holds two 4-bit indices; a
 * 256-word table built once per layer maps it to both weights as a halfword pair, so four
 * multiply-accumulates cost two index bytes, two table words and two SMLADs, and the weights
 * are never expanded anywhere but in registers.
 */
#include "lut_conv2d_dsp.h"

#include "lut_dsp.h"

void tinyml_conv2d_lut4_pw_s8_dsp(const tinyml_conv2d_params *p, const int8_t *input,
                                  const tinyml_lut_weights *filter, const int32_t *bias_folded,
                                  const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {
  uint32_t *pairs = (uint32_t *)(void *)scratch;
  tinyml_lut4_pairs(pairs, filter->table, rq);
  const int32_t off = p->output_offset;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  const int32_t pixels = p->geo.batches * p->geo.output_height * p->geo.output_width;
  const int32_t depth = p->geo.input_depth;
  const int32_t depth4 = depth >> 2;
  const int32_t od = p->geo.output_depth;
  const uint8_t *indices = filter->indices;
  for (int32_t px = 0; px < pixels; px += 2) {
    const int32_t two_px = px + 1 < pixels;
    const int8_t *xa0 = input + px * depth;
    /* A missing second pixel or channel is computed from the first and not stored. */
    const int32_t xb_off = two_px ? depth : 0;
    int8_t *oa = output + px * od;
    for (int32_t oc = 0; oc < od; oc += 2) {
      const int32_t two_oc = oc + 1 < od;
      const uint8_t *i0 = indices + oc * depth4 * 2;
      const int32_t i1_off = two_oc ? depth4 * 2 : 0;
      const int8_t *xa = xa0;
      const int8_t *const xa_end = xa0 + depth;
      int32_t a0 = 0;
      int32_t a1 = 0;
      int32_t b0 = 0;
      int32_t b1 = 0;
      while (xa != xa_end) {
        const uint32_t wa = tinyml_ld32(xa);
        const uint32_t wb = tinyml_ld32(xa + xb_off);
        xa += 4;
        const uint32_t w0e = pairs[i0[0]];
        const uint32_t w0o = pairs[i0[1]];
        const uint32_t w1e = pairs[i0[i1_off]];
        const uint32_t w1o = pairs[i0[i1_off + 1]];
        i0 += 2;
        const uint32_t a02 = tinyml_sxtb16(wa);
        const uint32_t a13 = tinyml_sxtb16_ror8(wa);
        a0 = tinyml_smlad(w0e, a02, a0);
        a0 = tinyml_smlad(w0o, a13, a0);
        a1 = tinyml_smlad(w1e, a02, a1);
        a1 = tinyml_smlad(w1o, a13, a1);
        const uint32_t b02 = tinyml_sxtb16(wb);
        const uint32_t b13 = tinyml_sxtb16_ror8(wb);
        b0 = tinyml_smlad(w0e, b02, b0);
        b0 = tinyml_smlad(w0o, b13, b0);
        b1 = tinyml_smlad(w1e, b02, b1);
        b1 = tinyml_smlad(w1o, b13, b1);
      }
      oa[oc] = tinyml_lut_finish(rq, bias_folded, a0, oc, off, lo, hi);
      if (two_oc) {
        oa[oc + 1] = tinyml_lut_finish(rq, bias_folded, a1, oc + 1, off, lo, hi);
      }
      if (two_px) {
        oa[od + oc] = tinyml_lut_finish(rq, bias_folded, b0, oc, off, lo, hi);
        if (two_oc) {
          oa[od + oc + 1] = tinyml_lut_finish(rq, bias_folded, b1, oc + 1, off, lo, hi);
        }
      }
    }
  }
}

void tinyml_conv2d_lut4_s8_dsp(const tinyml_conv2d_params *p, const int8_t *input,
                               const tinyml_lut_weights *filter, const int32_t *bias,
                               const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {
  uint32_t *pairs = (uint32_t *)(void *)scratch;
  tinyml_lut4_pairs(pairs, filter->table, rq);
  const int32_t off = p->output_offset;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  /* (input_offset, input_offset) as halfwords: added to each expanded input pair. */
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->input_offset) * 0x00010001u;
  const int32_t depth4 = p->geo.filter_input_depth >> 2;
  const int32_t tap_bytes = depth4 * 2;
  const int32_t channel_bytes = p->geo.filter_height * p->geo.filter_width * tap_bytes;
  int8_t *out = output;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->geo.stride_height - p->geo.pad_height;
      for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->geo.stride_width - p->geo.pad_width;
        /* Two output channels at a time share each expanded input word. */
        for (int32_t oc = 0; oc < p->geo.output_depth; oc += 2) {
          const int32_t pair = oc + 1 < p->geo.output_depth;
          int32_t acc0 = 0;
          int32_t acc1 = 0;
          for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
            const int32_t in_y = in_y_origin + p->geo.dilation_height * fy;
            if (in_y < 0 || in_y >= p->geo.input_height) {
              continue;
            }
            for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
              const int32_t in_x = in_x_origin + p->geo.dilation_width * fx;
              if (in_x < 0 || in_x >= p->geo.input_width) {
                continue;
              }
              const int8_t *x =
                  input + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth;
              const uint8_t *i0 =
                  filter->indices + ((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) * tap_bytes;
              if (pair) {
                const uint8_t *i1 = i0 + channel_bytes;
                for (int32_t g = 0; g < depth4; ++g) {
                  const uint32_t xw = tinyml_ld32(x);
                  x += 4;
                  const uint32_t x02 = tinyml_sadd16(tinyml_sxtb16(xw), off2);
                  const uint32_t x13 = tinyml_sadd16(tinyml_sxtb16_ror8(xw), off2);
                  acc0 = tinyml_smlad(pairs[i0[0]], x02, acc0);
                  acc0 = tinyml_smlad(pairs[i0[1]], x13, acc0);
                  acc1 = tinyml_smlad(pairs[i1[0]], x02, acc1);
                  acc1 = tinyml_smlad(pairs[i1[1]], x13, acc1);
                  i0 += 2;
                  i1 += 2;
                }
              } else {
                for (int32_t g = 0; g < depth4; ++g) {
                  const uint32_t xw = tinyml_ld32(x);
                  x += 4;
                  acc0 = tinyml_smlad(pairs[i0[0]], tinyml_sadd16(tinyml_sxtb16(xw), off2), acc0);
                  acc0 = tinyml_smlad(pairs[i0[1]], tinyml_sadd16(tinyml_sxtb16_ror8(xw), off2), acc0);
                  i0 += 2;
                }
              }
            }
          }
          *out++ = tinyml_lut_finish(rq, bias, acc0, oc, off, lo, hi);
          if (pair) {
            *out++ = tinyml_lut_finish(rq, bias, acc1, oc + 1, off, lo, hi);
          }
        }
      }
    }
  }
}
