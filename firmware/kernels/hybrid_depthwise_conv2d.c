/*
 * hybrid_depthwise_conv2d.c - see hybrid_depthwise_conv2d.h. Per output pixel the window's taps
 * are the outer loop and channels the inner one, so both the quantized input pixel and the
 * weights of a tap are read contiguously; one int32 accumulator per channel lives in the scratch.
 */
#include "hybrid_depthwise_conv2d.h"

#include <stddef.h>

#include "hybrid_quantize.h"
#include "tinyml_f32.h"

void tinyml_hybrid_depthwise_conv2d(const tinyml_hybrid_depthwise_conv2d_params *p,
                                    const float *input, const int8_t *weights, const float *bias,
                                    float *output, void *scratch) {
  const int32_t in_h = p->input_height;
  const int32_t in_w = p->input_width;
  const int32_t in_c = p->input_depth;
  const int32_t out_c = p->output_depth;
  const int32_t mult = p->depth_multiplier;
  const int32_t in_elems = in_h * in_w * in_c;
  int8_t *xq = (int8_t *)scratch;
  int32_t *acc = (int32_t *)(void *)((uint8_t *)scratch + ((in_elems + 3) & ~3));
  for (int32_t b = 0; b < p->batches; ++b) {
    float input_scale;
    int32_t zero_point;
    tinyml_hybrid_quantize_asymmetric(input + (size_t)b * in_elems, in_elems, xq, &input_scale,
                                      &zero_point);
    for (int32_t oy = 0; oy < p->output_height; ++oy) {
      for (int32_t ox = 0; ox < p->output_width; ++ox) {
        for (int32_t oc = 0; oc < out_c; ++oc) {
          acc[oc] = 0;
        }
        const int32_t y0 = oy * p->stride_height - p->pad_height;
        const int32_t x0 = ox * p->stride_width - p->pad_width;
        for (int32_t fy = 0; fy < p->filter_height; ++fy) {
          const int32_t iy = y0 + fy * p->dilation_height;
          if (iy < 0 || iy >= in_h) {
            continue;
          }
          for (int32_t fx = 0; fx < p->filter_width; ++fx) {
            const int32_t ix = x0 + fx * p->dilation_width;
            if (ix < 0 || ix >= in_w) {
              continue;
            }
            const int8_t *x = xq + ((size_t)iy * in_w + ix) * in_c;
            const int8_t *w = weights + ((size_t)fy * p->filter_width + fx) * out_c;
            for (int32_t ic = 0; ic < in_c; ++ic) {
              const int32_t v = x[ic] - zero_point;
              for (int32_t m = 0; m < mult; ++m) {
                acc[ic * mult + m] += w[ic * mult + m] * v;
              }
            }
          }
        }
        float *out = output + (((size_t)b * p->output_height + oy) * p->output_width + ox) * out_c;
        for (int32_t oc = 0; oc < out_c; ++oc) {
          /* TFLite's order (its optimized kernel): the sum times the weight scale, times the
           * input scale, plus bias. */
          float v = ((float)acc[oc] * p->weight_scales[oc]) * input_scale;
          if (bias != NULL) {
            v += bias[oc];
          }
          out[oc] = tinyml_clamp_f32(v, p->activation_min, p->activation_max);
        }
      }
    }
  }
}
