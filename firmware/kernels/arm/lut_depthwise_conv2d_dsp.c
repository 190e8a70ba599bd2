/*
 * lut_depthwise_conv2d_dsp.c - see lut_depthwise_conv2d_dsp.h. Four channels at a time keep
 * their accumulators in registers over all taps; per tap, one input word expands to the
 * (x0, x2) and (x1, x3) halfword pairs and two index bytes give the matching weight pairs from
 * the pair table, each product going to its own channel (SMLABB / SMLATT).
 */
#include "lut_depthwise_conv2d_dsp.h"

#include "lut_dsp.h"

void tinyml_depthwise_conv2d_lut4_s8_dsp(const tinyml_depthwise_conv2d_params *p,
                                         const int8_t *input, const tinyml_lut_weights *filter,
                                         const int32_t *bias, const tinyml_lut_rq *rq, int8_t *output,
                                         uint8_t *scratch) {
  uint32_t *pairs = (uint32_t *)(void *)scratch;
  tinyml_lut4_pairs(pairs, filter->table, rq);
  const int32_t off = p->output_offset;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->input_offset) * 0x00010001u;
  const int32_t depth = p->geo.input_depth;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->geo.stride_height - p->geo.pad_height;
      for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->geo.stride_width - p->geo.pad_width;
        int8_t *out = output + ((b * p->geo.output_height + out_y) * p->geo.output_width + out_x) * depth;
        /* The taps inside the image (out-of-image taps are zero padding and add nothing): their
         * input and index offsets, computed once per pixel rather than once per channel group. */
        int32_t in_off[TINYML_LUT_DW_MAX_TAPS];
        int32_t w_off[TINYML_LUT_DW_MAX_TAPS];
        int32_t taps = 0;
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
            in_off[taps] = ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * depth;
            w_off[taps] = ((fy * p->geo.filter_width + fx) * depth) >> 1;
            ++taps;
          }
        }
        for (int32_t c = 0; c < depth; c += 4) {
          int32_t acc0 = 0;
          int32_t acc1 = 0;
          int32_t acc2 = 0;
          int32_t acc3 = 0;
          const int8_t *x_c = input + c;
          const uint8_t *i_c = filter->indices + (c >> 1);
          for (int32_t k = 0; k < taps; ++k) {
            const uint32_t xw = tinyml_ld32(x_c + in_off[k]);
            const uint32_t x02 = tinyml_sadd16(tinyml_sxtb16(xw), off2);
            const uint32_t x13 = tinyml_sadd16(tinyml_sxtb16_ror8(xw), off2);
            const uint8_t *idx = i_c + w_off[k];
            const uint32_t w02 = pairs[idx[0]];
            const uint32_t w13 = pairs[idx[1]];
            acc0 = tinyml_smlabb(w02, x02, acc0);
            acc2 = tinyml_smlatt(w02, x02, acc2);
            acc1 = tinyml_smlabb(w13, x13, acc1);
            acc3 = tinyml_smlatt(w13, x13, acc3);
          }
          const int32_t accs[4] = {acc0, acc1, acc2, acc3};
          for (int32_t k = 0; k < 4; ++k) {
            const int32_t oc = c + k;
            out[oc] = tinyml_lut_finish(rq, bias, accs[k], oc, off, lo, hi);
          }
        }
      }
    }
  }
}
