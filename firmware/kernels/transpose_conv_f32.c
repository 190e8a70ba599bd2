/*
 * transpose_conv_f32.c - see transpose_conv_f32.h. The scatter order (input pixel, input
 * channel, tap, output channel) is the reference's, so the sums are added in TFLite's order
 * (with a fused multiply-add where the core has one, which rounds once instead of twice).
 */
#include "transpose_conv_f32.h"

#include <stddef.h>

#include "tinyml_f32.h"

void tinyml_transpose_conv_f32(const tinyml_transpose_conv_f32_params *p, const float *input,
                               const float *filter, const float *bias, float *output) {
  const int32_t in_c = p->geo.input_depth;
  const int32_t out_c = p->geo.output_depth;
  const int32_t f_h = p->geo.filter_height;
  const int32_t f_w = p->geo.filter_width;
  const size_t n = (size_t)p->geo.batches * p->geo.output_height * p->geo.output_width * out_c;
  for (size_t i = 0; i < n; ++i) {
    output[i] = 0.0f;
  }
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    float *out_batch = output + (size_t)b * p->geo.output_height * p->geo.output_width * out_c;
    for (int32_t iy = 0; iy < p->geo.input_height; ++iy) {
      const int32_t oy0 = iy * p->geo.stride_height - p->geo.pad_height;
      int32_t fy0;
      int32_t fy1;
      tinyml_f32_tap_range(oy0, 1, f_h, p->geo.output_height, &fy0, &fy1);
      for (int32_t ix = 0; ix < p->geo.input_width; ++ix) {
        const int32_t ox0 = ix * p->geo.stride_width - p->geo.pad_width;
        int32_t fx0;
        int32_t fx1;
        tinyml_f32_tap_range(ox0, 1, f_w, p->geo.output_width, &fx0, &fx1);
        const float *in_px = input + (((size_t)b * p->geo.input_height + iy) * p->geo.input_width + ix) * in_c;
        for (int32_t ic = 0; ic < in_c; ++ic) {
          const float x = in_px[ic];
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              float *o = out_batch + ((size_t)(oy0 + fy) * p->geo.output_width + (ox0 + fx)) * out_c;
              const float *w = filter + (fy * f_w + fx) * in_c + ic;
              const int32_t w_stride = f_h * f_w * in_c;
              for (int32_t oc = 0; oc < out_c; ++oc) {
                o[oc] += x * w[oc * w_stride];
              }
            }
          }
        }
      }
    }
  }
  for (size_t i = 0, oc = 0; i < n; ++i) {
    const float v = bias != NULL ? output[i] + bias[oc] : output[i];
    output[i] = tinyml_clamp_f32(v, p->activation_min, p->activation_max);
    if (++oc == (size_t)out_c) {
      oc = 0;
    }
  }
}
