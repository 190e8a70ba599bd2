/*
 * hybrid_depthwise_conv2d.c - see hybrid_depthwise_conv2d.h. With depth multiplier 1 (the usual
 * case) four channels are accumulated in registers with DSP instructions (hybrid_dw_mult1).
 * Otherwise, per output pixel the window's taps are the outer loop and channels the inner one,
 * so both the quantized input pixel and the weights of a tap are read contiguously; one int32
 * accumulator per channel lives in the scratch.
 */
#include "hybrid_depthwise_conv2d.h"

#include <stddef.h>

#include "arm/tinyml_dsp.h"
#include "hybrid_quantize.h"
#include "tinyml_conv_walk.h"
#include "tinyml_f32.h"

/* TFLite's order (its optimized kernel): the sum times the weight scale, times the input scale,
 * plus bias, then the activation clamp. */
static inline __attribute__((always_inline)) float hybrid_dw_output(
    const tinyml_hybrid_depthwise_conv2d_params *p, int32_t acc, int32_t oc, float input_scale,
    const float *bias) {
  float v = ((float)acc * p->weight_scales[oc]) * input_scale;
  if (bias != NULL) {
    v += bias[oc];
  }
  return tinyml_clamp_f32(v, p->activation_min, p->activation_max);
}

/*
 * Depth multiplier 1: channels c..c+3 of one output pixel in four register accumulators, the
 * window's taps inner. One word of weights and one of input give four channels: SXTB16 splits
 * them into halfword pairs (channels 0/2 and 1/3), SADD16 subtracts the zero point from both
 * input halves, and SMLABB/SMLATT accumulate each channel.
 */
static void hybrid_dw_mult1(const tinyml_hybrid_depthwise_conv2d_params *p, const int8_t *xq,
                            int32_t zero_point, float input_scale, const int8_t *weights,
                            const float *bias, int32_t oy, int32_t ox, float *out) {
  const int32_t in_h = p->geo.input_height;
  const int32_t in_w = p->geo.input_width;
  const int32_t ch = p->geo.output_depth;
  const int32_t y0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t x0 = ox * p->geo.stride_width - p->geo.pad_width;
  const uint32_t neg_zp = (uint32_t)(-zero_point) & 0xFFFFu;
  const uint32_t neg_zp2 = neg_zp | (neg_zp << 16);
  int32_t c = 0;
  for (; c + 4 <= ch; c += 4) {
    int32_t a0 = 0;
    int32_t a1 = 0;
    int32_t a2 = 0;
    int32_t a3 = 0;
    TINYML_WINDOW_TAPS_IN(p->geo.filter_height, p->geo.filter_width, p->geo.dilation_height,
                          p->geo.dilation_width, in_h, in_w, y0, x0,
      const uint32_t w4 = tinyml_ld32(weights + ((size_t)fy * p->geo.filter_width + fx) * ch + c);
      const uint32_t x4 = tinyml_ld32(xq + ((size_t)in_y * in_w + in_x) * ch + c);
      const uint32_t w02 = tinyml_sxtb16(w4);
      const uint32_t w13 = tinyml_sxtb16_ror8(w4);
      const uint32_t x02 = tinyml_sadd16(tinyml_sxtb16(x4), neg_zp2);
      const uint32_t x13 = tinyml_sadd16(tinyml_sxtb16_ror8(x4), neg_zp2);
      a0 = tinyml_smlabb(w02, x02, a0);
      a2 = tinyml_smlatt(w02, x02, a2);
      a1 = tinyml_smlabb(w13, x13, a1);
      a3 = tinyml_smlatt(w13, x13, a3);)
    out[c] = hybrid_dw_output(p, a0, c, input_scale, bias);
    out[c + 1] = hybrid_dw_output(p, a1, c + 1, input_scale, bias);
    out[c + 2] = hybrid_dw_output(p, a2, c + 2, input_scale, bias);
    out[c + 3] = hybrid_dw_output(p, a3, c + 3, input_scale, bias);
  }
  for (; c < ch; ++c) {
    int32_t acc = 0;
    TINYML_WINDOW_TAPS_IN(p->geo.filter_height, p->geo.filter_width, p->geo.dilation_height,
                          p->geo.dilation_width, in_h, in_w, y0, x0,
      acc += weights[((size_t)fy * p->geo.filter_width + fx) * ch + c] *
             (xq[((size_t)in_y * in_w + in_x) * ch + c] - zero_point);)
    out[c] = hybrid_dw_output(p, acc, c, input_scale, bias);
  }
}

void tinyml_hybrid_depthwise_conv2d(const tinyml_hybrid_depthwise_conv2d_params *p,
                                    const float *input, const int8_t *weights, const float *bias,
                                    float *output, void *scratch) {
  const int32_t in_h = p->geo.input_height;
  const int32_t in_w = p->geo.input_width;
  const int32_t in_c = p->geo.input_depth;
  const int32_t out_c = p->geo.output_depth;
  const int32_t mult = p->geo.depth_multiplier;
  const int32_t in_elems = in_h * in_w * in_c;
  int8_t *xq = (int8_t *)scratch;
  int32_t *acc = (int32_t *)(void *)((uint8_t *)scratch + ((in_elems + 3) & ~3));
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    float input_scale;
    int32_t zero_point;
    tinyml_hybrid_quantize_asymmetric(input + (size_t)b * in_elems, in_elems, xq, &input_scale,
                                      &zero_point);
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      for (int32_t ox = 0; ox < p->geo.output_width; ++ox) {
        float *out = output + (((size_t)b * p->geo.output_height + oy) * p->geo.output_width + ox) * out_c;
        if (mult == 1) {
          hybrid_dw_mult1(p, xq, zero_point, input_scale, weights, bias, oy, ox, out);
          continue;
        }
        for (int32_t oc = 0; oc < out_c; ++oc) {
          acc[oc] = 0;
        }
        const int32_t y0 = oy * p->geo.stride_height - p->geo.pad_height;
        const int32_t x0 = ox * p->geo.stride_width - p->geo.pad_width;
        TINYML_WINDOW_TAPS_IN(p->geo.filter_height, p->geo.filter_width, p->geo.dilation_height,
                              p->geo.dilation_width, in_h, in_w, y0, x0,
          const int8_t *x = xq + ((size_t)in_y * in_w + in_x) * in_c;
          const int8_t *w = weights + ((size_t)fy * p->geo.filter_width + fx) * out_c;
          for (int32_t ic = 0; ic < in_c; ++ic) {
            const int32_t v = x[ic] - zero_point;
            for (int32_t m = 0; m < mult; ++m) {
              acc[ic * mult + m] += w[ic * mult + m] * v;
            }
          })
        for (int32_t oc = 0; oc < out_c; ++oc) {
          out[oc] = hybrid_dw_output(p, acc[oc], oc, input_scale, bias);
        }
      }
    }
  }
}
