/*
 * conv2d.c - portable reference CONV_2D kernels. Loop order and accumulation follow TFLite
 * Micro's reference kernel so results match bit for bit; speed is left to optimized variants
 * that take the same params struct.
 */
#include "conv2d.h"

#include "tinyml_fixedpoint.h"

/* The three kernels differ only in the input type, the accumulator and the requantization. */
typedef enum { CONV_S8, CONV_S16_B64, CONV_S16_B32 } conv_kind;

/*
 * One body for the three kernels, inlined into each with `kind` a constant: the compiler drops
 * the other kinds' branches and accumulators, so each kernel runs only its own loop. Exactly
 * one of in_s8 / in_s16, of out_s8 / out_s16 and of bias32 / bias64 is used.
 */
static inline __attribute__((always_inline)) void conv2d_body(
    const tinyml_conv2d_params *p, const int8_t *in_s8, const int16_t *in_s16,
    const int8_t *filter, const int32_t *bias32, const int64_t *bias64, int8_t *out_s8,
    int16_t *out_s16, conv_kind kind) {
  const int32_t filters_per_group = p->geo.output_depth / p->geo.groups;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->geo.stride_height - p->geo.pad_height;
      for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->geo.stride_width - p->geo.pad_width;
        for (int32_t oc = 0; oc < p->geo.output_depth; ++oc) {
          const int32_t in_c_base = (oc / filters_per_group) * p->geo.filter_input_depth;
          int32_t acc_s8 = 0;
          int64_t acc_s16 = 0;
          /* Unsigned so that overflow wraps (defined) exactly like TFLM's int32 accumulator does
           * on every target it runs on. */
          uint32_t acc_b32 = 0;
          for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
            const int32_t in_y = in_y_origin + p->geo.dilation_height * fy;
            /* Taps outside the image read zero-valued (after offset) padding: skip them. */
            if (in_y < 0 || in_y >= p->geo.input_height) {
              continue;
            }
            for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
              const int32_t in_x = in_x_origin + p->geo.dilation_width * fx;
              if (in_x < 0 || in_x >= p->geo.input_width) {
                continue;
              }
              /* The input pointer as each kernel would compute it alone. */
              if (kind == CONV_S8) {
                const int8_t *in_px =
                    in_s8 + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth +
                    in_c_base;
                const int8_t *f_px =
                    filter + ((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) *
                                 p->geo.filter_input_depth;
                for (int32_t ic = 0; ic < p->geo.filter_input_depth; ++ic) {
                  acc_s8 += ((int32_t)f_px[ic] + p->weights_offset) * ((int32_t)in_px[ic] + p->q.input_offset);
                }
              } else {
                const int16_t *in_px =
                    in_s16 + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth +
                    in_c_base;
                const int8_t *f_px =
                    filter + ((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) *
                                 p->geo.filter_input_depth;
                for (int32_t ic = 0; ic < p->geo.filter_input_depth; ++ic) {
                  /* Symmetric int16 quantization: no input offset in the 16x8 kernels. */
                  if (kind == CONV_S16_B64) {
                    acc_s16 += (int32_t)f_px[ic] * (int32_t)in_px[ic];
                  } else {
                    acc_b32 += (uint32_t)((int32_t)f_px[ic] * (int32_t)in_px[ic]);
                  }
                }
              }
            }
          }
          if (kind == CONV_S8) {
            if (bias32 != NULL) {
              acc_s8 += bias32[oc];
            }
            const int32_t ch = p->q.per_channel ? oc : 0;
            acc_s8 = tinyml_mbqm(acc_s8, p->q.output_multiplier[ch], p->q.output_shift[ch]);
            acc_s8 += p->q.output_offset;
            *out_s8++ = (int8_t)tinyml_clamp(acc_s8, p->q.activation_min, p->q.activation_max);
          } else {
            int32_t scaled;
            if (kind == CONV_S16_B64) {
              if (bias64 != NULL) {
                acc_s16 += bias64[oc];
              }
              const int32_t ch = p->q.per_channel ? oc : 0;
              scaled = tinyml_mbqm64(acc_s16, p->q.output_multiplier[ch], p->q.output_shift[ch]);
            } else {
              if (bias32 != NULL) {
                acc_b32 += (uint32_t)bias32[oc];
              }
              const int32_t ch = p->q.per_channel ? oc : 0;
              scaled = tinyml_mbqm((int32_t)acc_b32, p->q.output_multiplier[ch], p->q.output_shift[ch]);
            }
            *out_s16++ = (int16_t)tinyml_clamp(scaled, p->q.activation_min, p->q.activation_max);
          }
        }
      }
    }
  }
}

void tinyml_conv2d_s8(const tinyml_conv2d_params *p, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output) {
  conv2d_body(p, input, NULL, filter, bias, NULL, output, NULL, CONV_S8);
}

void tinyml_conv2d_s16(const tinyml_conv2d_params *p, const int16_t *input, const int8_t *filter,
                       const int64_t *bias, int16_t *output) {
  conv2d_body(p, NULL, input, filter, NULL, bias, NULL, output, CONV_S16_B64);
}

void tinyml_conv2d_s16_b32(const tinyml_conv2d_params *p, const int16_t *input,
                           const int8_t *filter, const int32_t *bias, int16_t *output) {
  conv2d_body(p, NULL, input, filter, bias, NULL, NULL, output, CONV_S16_B32);
}
