/*
 * conv2d.c - portable reference CONV_2D kernels. Loop order and accumulation follow TFLite
 * Micro's reference kernel so results match bit for bit; speed is left to optimized variants
 * that take the same params struct. The loops are the shared window walk (tinyml_conv_walk.h).
 */
#include "conv2d.h"

#include "tinyml_conv_walk.h"
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
  TINYML_CONV_WALK(
      p->geo, 1,
      /* begin */
      int32_t acc_s8 = 0;
      int64_t acc_s16 = 0;
      /* Unsigned so that overflow wraps (defined) exactly like TFLM's int32 accumulator does
       * on every target it runs on. */
      uint32_t acc_b32 = 0;
      ,
      /* tap: the input pointer as each kernel would compute it alone */
      if (kind == CONV_S8) {
        const int8_t *in_px =
            in_s8 + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + in_c;
        const int8_t *f_px =
            filter + ((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) * p->geo.filter_input_depth;
        for (int32_t ic = 0; ic < p->geo.filter_input_depth; ++ic) {
          acc_s8 += ((int32_t)f_px[ic] + p->weights_offset) * ((int32_t)in_px[ic] + p->q.input_offset);
        }
      } else {
        const int16_t *in_px =
            in_s16 + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + in_c;
        const int8_t *f_px =
            filter + ((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) * p->geo.filter_input_depth;
        for (int32_t ic = 0; ic < p->geo.filter_input_depth; ++ic) {
          /* Symmetric int16 quantization: no input offset in the 16x8 kernels. */
          if (kind == CONV_S16_B64) {
            acc_s16 += (int32_t)f_px[ic] * (int32_t)in_px[ic];
          } else {
            acc_b32 += (uint32_t)((int32_t)f_px[ic] * (int32_t)in_px[ic]);
          }
        }
      },
      /* end */
      if (kind == CONV_S8) {
        TINYML_REQUANT_S8(*out_s8++, p->q, bias32, oc, acc_s8);
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
      });
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
