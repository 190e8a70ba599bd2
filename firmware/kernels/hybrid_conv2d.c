/*
 * hybrid_conv2d.c - see hybrid_conv2d.h. Per output pixel the window is gathered once into an
 * int16 column (quantized input minus its zero point; 0 where the window leaves the input, which
 * is what TFLite's skipped padding taps contribute) and every output channel takes one dot
 * product of that column with its weight row (SMLAD where the core has it).
 */
#include "hybrid_conv2d.h"

#include <stddef.h>

#include "hybrid_dot.h"
#include "hybrid_quantize.h"
#include "tinyml_f32.h"

/* TFLite's order (its optimized kernels): the sum times (weight scale times input scale), plus
 * bias, then the activation clamp. */
static inline __attribute__((always_inline)) float hybrid_conv_output(
    const tinyml_hybrid_conv2d_params *p, int32_t acc, int32_t oc, float input_scale,
    const float *bias) {
  const float ws = p->weight_scales[p->per_channel ? oc : 0];
  float v = (float)acc * (ws * input_scale);
  if (bias != NULL) {
    v += bias[oc];
  }
  return tinyml_clamp_f32(v, p->activation_min, p->activation_max);
}

void tinyml_hybrid_conv2d(const tinyml_hybrid_conv2d_params *p, const float *input,
                          const int8_t *weights, const float *bias, float *output, void *scratch) {
  const int32_t in_h = p->geo.input_height;
  const int32_t in_w = p->geo.input_width;
  const int32_t in_c = p->geo.input_depth;
  const int32_t f_h = p->geo.filter_height;
  const int32_t f_w = p->geo.filter_width;
  const int32_t out_c = p->geo.output_depth;
  const int32_t taps = f_h * f_w * in_c;
  const int32_t in_elems = in_h * in_w * in_c;
  int8_t *xq = (int8_t *)scratch;
  int16_t *col = (int16_t *)(void *)((uint8_t *)scratch + ((in_elems + 3) & ~3));
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    float input_scale;
    int32_t zero_point = 0;
    if (p->per_channel) {
      tinyml_hybrid_quantize_asymmetric(input + (size_t)b * in_elems, in_elems, xq, &input_scale,
                                        &zero_point);
    } else {
      tinyml_hybrid_quantize_symmetric(input + (size_t)b * in_elems, in_elems, xq, &input_scale);
    }
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      for (int32_t ox = 0; ox < p->geo.output_width; ++ox) {
        const int32_t y0 = oy * p->geo.stride_height - p->geo.pad_height;
        const int32_t x0 = ox * p->geo.stride_width - p->geo.pad_width;
        int32_t k = 0;
        for (int32_t fy = 0; fy < f_h; ++fy) {
          const int32_t iy = y0 + fy;
          for (int32_t fx = 0; fx < f_w; ++fx) {
            const int32_t ix = x0 + fx;
            if (iy >= 0 && iy < in_h && ix >= 0 && ix < in_w) {
              const int8_t *src = xq + ((size_t)iy * in_w + ix) * in_c;
              for (int32_t ic = 0; ic < in_c; ++ic, ++k) {
                col[tinyml_hybrid_paired_index(k, taps)] = (int16_t)(src[ic] - zero_point);
              }
            } else {
              for (int32_t ic = 0; ic < in_c; ++ic, ++k) {
                col[tinyml_hybrid_paired_index(k, taps)] = 0;
              }
            }
          }
        }
        float *out = output + (((size_t)b * p->geo.output_height + oy) * p->geo.output_width + ox) * out_c;
        int32_t oc = 0;
        for (; oc + 4 <= out_c; oc += 4) {
          int32_t acc[4];
          tinyml_hybrid_dot4(col, weights + (size_t)oc * taps, taps, acc);
          for (int32_t j = 0; j < 4; ++j) {
            out[oc + j] = hybrid_conv_output(p, acc[j], oc + j, input_scale, bias);
          }
        }
        for (; oc < out_c; ++oc) {
          const int32_t acc = tinyml_hybrid_dot(col, weights + (size_t)oc * taps, taps);
          out[oc] = hybrid_conv_output(p, acc, oc, input_scale, bias);
        }
      }
    }
  }
}
