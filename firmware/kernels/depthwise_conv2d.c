/*
 * depthwise_conv2d.c - portable reference DEPTHWISE_CONV_2D kernels, following TFLite Micro's
 * loop and accumulation order so results match bit for bit.
 */
#include "depthwise_conv2d.h"

#include "tinyml_fixedpoint.h"

void tinyml_depthwise_conv2d_s8(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t out_y = 0; out_y < p->output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->stride_height - p->pad_height;
      for (int32_t out_x = 0; out_x < p->output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->stride_width - p->pad_width;
        for (int32_t ic = 0; ic < p->input_depth; ++ic) {
          for (int32_t m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = ic * p->depth_multiplier + m;
            int32_t acc = 0;
            for (int32_t fy = 0; fy < p->filter_height; ++fy) {
              const int32_t in_y = in_y_origin + p->dilation_height * fy;
              /* Out-of-image taps are zero padding (real zero): they add nothing. */
              if (in_y < 0 || in_y >= p->input_height) {
                continue;
              }
              for (int32_t fx = 0; fx < p->filter_width; ++fx) {
                const int32_t in_x = in_x_origin + p->dilation_width * fx;
                if (in_x < 0 || in_x >= p->input_width) {
                  continue;
                }
                const int32_t in_val =
                    input[((b * p->input_height + in_y) * p->input_width + in_x) * p->input_depth +
                          ic];
                const int32_t f_val =
                    filter[(fy * p->filter_width + fx) * p->output_depth + oc];
                acc += f_val * (in_val + p->input_offset);
              }
            }
            if (bias != NULL) {
              acc += bias[oc];
            }
            const int32_t ch = p->per_channel ? oc : 0;
            acc = tinyml_mbqm(acc, p->output_multiplier[ch], p->output_shift[ch]);
            acc += p->output_offset;
            output[((b * p->output_height + out_y) * p->output_width + out_x) * p->output_depth +
                   oc] = (int8_t)tinyml_clamp(acc, p->activation_min, p->activation_max);
          }
        }
      }
    }
  }
}

void tinyml_depthwise_conv2d_s16(const tinyml_depthwise_conv2d_params *p, const int16_t *input,
                                 const int8_t *filter, const int64_t *bias, int16_t *output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t out_y = 0; out_y < p->output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->stride_height - p->pad_height;
      for (int32_t out_x = 0; out_x < p->output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->stride_width - p->pad_width;
        for (int32_t ic = 0; ic < p->input_depth; ++ic) {
          for (int32_t m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = ic * p->depth_multiplier + m;
            int64_t acc = 0;
            for (int32_t fy = 0; fy < p->filter_height; ++fy) {
              const int32_t in_y = in_y_origin + p->dilation_height * fy;
              if (in_y < 0 || in_y >= p->input_height) {
                continue;
              }
              for (int32_t fx = 0; fx < p->filter_width; ++fx) {
                const int32_t in_x = in_x_origin + p->dilation_width * fx;
                if (in_x < 0 || in_x >= p->input_width) {
                  continue;
                }
                const int32_t in_val =
                    input[((b * p->input_height + in_y) * p->input_width + in_x) * p->input_depth +
                          ic];
                const int32_t f_val =
                    filter[(fy * p->filter_width + fx) * p->output_depth + oc];
                /* Symmetric int16 activations: no input offset. */
                acc += (int64_t)f_val * (int64_t)in_val;
              }
            }
            if (bias != NULL) {
              acc += bias[oc];
            }
            const int32_t ch = p->per_channel ? oc : 0;
            const int32_t scaled = tinyml_mbqm64(acc, p->output_multiplier[ch], p->output_shift[ch]);
            output[((b * p->output_height + out_y) * p->output_width + out_x) * p->output_depth +
                   oc] = (int16_t)tinyml_clamp(scaled, p->activation_min, p->activation_max);
          }
        }
      }
    }
  }
}
