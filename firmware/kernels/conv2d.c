/*
 * conv2d.c - portable reference CONV_2D kernels. Loop order and accumulation follow TFLite
 * Micro's reference kernel so results match bit for bit; speed is left to optimized variants
 * that take the same params struct.
 */
#include "conv2d.h"

#include "tinyml_fixedpoint.h"

void tinyml_conv2d_s8(const tinyml_conv2d_params *p, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output) {
  const int32_t filters_per_group = p->output_depth / p->groups;
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t out_y = 0; out_y < p->output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->stride_height - p->pad_height;
      for (int32_t out_x = 0; out_x < p->output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->stride_width - p->pad_width;
        for (int32_t oc = 0; oc < p->output_depth; ++oc) {
          const int32_t in_c_base = (oc / filters_per_group) * p->filter_input_depth;
          int32_t acc = 0;
          for (int32_t fy = 0; fy < p->filter_height; ++fy) {
            const int32_t in_y = in_y_origin + p->dilation_height * fy;
            /* Taps outside the image read zero-valued (after offset) padding: skip them. */
            if (in_y < 0 || in_y >= p->input_height) {
              continue;
            }
            for (int32_t fx = 0; fx < p->filter_width; ++fx) {
              const int32_t in_x = in_x_origin + p->dilation_width * fx;
              if (in_x < 0 || in_x >= p->input_width) {
                continue;
              }
              const int8_t *in_px =
                  input + ((b * p->input_height + in_y) * p->input_width + in_x) * p->input_depth +
                  in_c_base;
              const int8_t *f_px =
                  filter + ((oc * p->filter_height + fy) * p->filter_width + fx) *
                               p->filter_input_depth;
              for (int32_t ic = 0; ic < p->filter_input_depth; ++ic) {
                acc += (int32_t)f_px[ic] * ((int32_t)in_px[ic] + p->input_offset);
              }
            }
          }
          if (bias != NULL) {
            acc += bias[oc];
          }
          const int32_t ch = p->per_channel ? oc : 0;
          acc = tinyml_mbqm(acc, p->output_multiplier[ch], p->output_shift[ch]);
          acc += p->output_offset;
          *output++ = (int8_t)tinyml_clamp(acc, p->activation_min, p->activation_max);
        }
      }
    }
  }
}

void tinyml_conv2d_s16(const tinyml_conv2d_params *p, const int16_t *input, const int8_t *filter,
                       const int64_t *bias, int16_t *output) {
  const int32_t filters_per_group = p->output_depth / p->groups;
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t out_y = 0; out_y < p->output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->stride_height - p->pad_height;
      for (int32_t out_x = 0; out_x < p->output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->stride_width - p->pad_width;
        for (int32_t oc = 0; oc < p->output_depth; ++oc) {
          const int32_t in_c_base = (oc / filters_per_group) * p->filter_input_depth;
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
              const int16_t *in_px =
                  input + ((b * p->input_height + in_y) * p->input_width + in_x) * p->input_depth +
                  in_c_base;
              const int8_t *f_px =
                  filter + ((oc * p->filter_height + fy) * p->filter_width + fx) *
                               p->filter_input_depth;
              for (int32_t ic = 0; ic < p->filter_input_depth; ++ic) {
                /* Symmetric int16 quantization: no input offset in the 16x8 kernels. */
                acc += (int32_t)f_px[ic] * (int32_t)in_px[ic];
              }
            }
          }
          if (bias != NULL) {
            acc += bias[oc];
          }
          const int32_t ch = p->per_channel ? oc : 0;
          const int32_t scaled = tinyml_mbqm64(acc, p->output_multiplier[ch], p->output_shift[ch]);
          *output++ = (int16_t)tinyml_clamp(scaled, p->activation_min, p->activation_max);
        }
      }
    }
  }
}

void tinyml_conv2d_s16_b32(const tinyml_conv2d_params *p, const int16_t *input,
                           const int8_t *filter, const int32_t *bias, int16_t *output) {
  const int32_t filters_per_group = p->output_depth / p->groups;
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t out_y = 0; out_y < p->output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->stride_height - p->pad_height;
      for (int32_t out_x = 0; out_x < p->output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->stride_width - p->pad_width;
        for (int32_t oc = 0; oc < p->output_depth; ++oc) {
          const int32_t in_c_base = (oc / filters_per_group) * p->filter_input_depth;
          /* Unsigned so that overflow wraps (defined) exactly like TFLM's int32 accumulator does
           * on every target it runs on. */
          uint32_t acc = 0;
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
              const int16_t *in_px =
                  input + ((b * p->input_height + in_y) * p->input_width + in_x) * p->input_depth +
                  in_c_base;
              const int8_t *f_px =
                  filter + ((oc * p->filter_height + fy) * p->filter_width + fx) *
                               p->filter_input_depth;
              for (int32_t ic = 0; ic < p->filter_input_depth; ++ic) {
                acc += (uint32_t)((int32_t)f_px[ic] * (int32_t)in_px[ic]);
              }
            }
          }
          if (bias != NULL) {
            acc += (uint32_t)bias[oc];
          }
          const int32_t ch = p->per_channel ? oc : 0;
          const int32_t scaled =
              tinyml_mbqm((int32_t)acc, p->output_multiplier[ch], p->output_shift[ch]);
          *output++ = (int16_t)tinyml_clamp(scaled, p->activation_min, p->activation_max);
        }
      }
    }
  }
}
