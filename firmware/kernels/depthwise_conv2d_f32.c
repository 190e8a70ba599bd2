/*
 * depthwise_conv2d_f32.c - see depthwise_conv2d_f32.h.
 *
 * Each output pixel's taps are clipped to the input once; then, with a depth multiplier of 1,
 * 4 channels go together: per tap the 4 inputs and 4 weights are adjacent in memory and feed 4
 * independent accumulators held in registers. Other multipliers take one output channel at a
 * time.
 */
#include "depthwise_conv2d_f32.h"

#include <stddef.h>

#include "tinyml_f32.h"

/* Output channels [c, c + n) of one pixel, multiplier 1: input channel = output channel. */
TINYML_F32_INLINE void dw_channels(const int n, const tinyml_depthwise_conv2d_f32_params *p,
                                   const float *in_batch, int32_t in_y0, int32_t in_x0, int32_t fy0,
                                   int32_t fy1, int32_t fx0, int32_t fx1, int32_t c,
                                   const float *filter, const float *bias, float *out) {
  const int32_t depth = p->geo.output_depth;
  const int32_t col_stride = p->geo.dilation_width * depth;
  float acc[4];
#pragma GCC unroll 4
  for (int j = 0; j < n; ++j) {
    acc[j] = bias != NULL ? bias[c + j] : 0.0f;
  }
  for (int32_t fy = fy0; fy < fy1; ++fy) {
    const float *x = in_batch + (((in_y0 + fy * p->geo.dilation_height) * p->geo.input_width + in_x0) * depth +
                                 fx0 * col_stride + c);
    const float *w = filter + (fy * p->geo.filter_width + fx0) * depth + c;
    for (int32_t fx = fx0; fx < fx1; ++fx) {
#pragma GCC unroll 4
      for (int j = 0; j < n; ++j) {
        acc[j] = TINYML_FMA(x[j], w[j], acc[j]);
      }
      x += col_stride;
      w += depth;
    }
  }
#pragma GCC unroll 4
  for (int j = 0; j < n; ++j) {
    out[c + j] = tinyml_clamp_f32(acc[j], p->activation_min, p->activation_max);
  }
}

void tinyml_depthwise_conv2d_f32(const tinyml_depthwise_conv2d_f32_params *p, const float *input,
                                 const float *filter, const float *bias, float *output) {
  const int32_t in_c = p->geo.input_depth;
  const int32_t out_c = p->geo.output_depth;
  const int32_t mult = p->geo.depth_multiplier;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const float *in_batch = input + (size_t)b * p->geo.input_height * p->geo.input_width * in_c;
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      const int32_t in_y0 = oy * p->geo.stride_height - p->geo.pad_height;
      int32_t fy0;
      int32_t fy1;
      tinyml_f32_tap_range(in_y0, p->geo.dilation_height, p->geo.filter_height, p->geo.input_height, &fy0, &fy1);
      for (int32_t ox = 0; ox < p->geo.output_width; ++ox) {
        const int32_t in_x0 = ox * p->geo.stride_width - p->geo.pad_width;
        int32_t fx0;
        int32_t fx1;
        tinyml_f32_tap_range(in_x0, p->geo.dilation_width, p->geo.filter_width, p->geo.input_width, &fx0, &fx1);
        float *out = output + (((size_t)b * p->geo.output_height + oy) * p->geo.output_width + ox) * out_c;
        if (mult == 1) {
          int32_t c = 0;
          for (; c + 4 <= out_c; c += 4) {
            dw_channels(4, p, in_batch, in_y0, in_x0, fy0, fy1, fx0, fx1, c, filter, bias, out);
          }
          for (; c < out_c; ++c) {
            dw_channels(1, p, in_batch, in_y0, in_x0, fy0, fy1, fx0, fx1, c, filter, bias, out);
          }
          continue;
        }
        for (int32_t oc = 0; oc < out_c; ++oc) {
          const int32_t ic = oc / mult;
          float acc = bias != NULL ? bias[oc] : 0.0f;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            const int32_t in_y = in_y0 + fy * p->geo.dilation_height;
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              const int32_t in_x = in_x0 + fx * p->geo.dilation_width;
              acc = TINYML_FMA(in_batch[((size_t)in_y * p->geo.input_width + in_x) * in_c + ic],
                               filter[(fy * p->geo.filter_width + fx) * out_c + oc], acc);
            }
          }
          out[oc] = tinyml_clamp_f32(acc, p->activation_min, p->activation_max);
        }
      }
    }
  }
}
