/*
 * depthwise_conv2d.c - portable reference DEPTHWISE_CONV_2D kernels, following TFLite Micro's
 * loop and accumulation order so results match bit for bit (the shared window walk,
 * tinyml_conv_walk.h).
 */
#include "depthwise_conv2d.h"

#include "tinyml_conv_walk.h"
#include "tinyml_fixedpoint.h"

/*
 * One body for the int8 and 16x8 kernels, inlined into each with `s16` a constant: the compiler
 * drops the other kind's branches and accumulator. Exactly one of in_s8 / in_s16 and of
 * out_s8 / out_s16 is used; the bias is int32 for int8 and int64 for 16x8.
 */
static inline __attribute__((always_inline)) void depthwise_body(
    const tinyml_depthwise_conv2d_params *p, const int8_t *in_s8, const int16_t *in_s16,
    const int8_t *filter, const int32_t *bias32, const int64_t *bias64, int8_t *out_s8,
    int16_t *out_s16, int s16) {
  TINYML_DEPTHWISE_WALK(
      p->geo,
      /* begin */
      int32_t acc_s8 = 0;
      int64_t acc_s16 = 0;
      ,
      /* tap (out-of-image taps are zero padding, real zero: the walk skips them) */
      const int32_t at =
          ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + in_c;
      const int32_t f_val = filter[(fy * p->geo.filter_width + fx) * p->geo.output_depth + oc];
      if (s16) {
        /* Symmetric int16 activations: no input offset. */
        acc_s16 += (int64_t)f_val * (int64_t)in_s16[at];
      } else {
        acc_s8 += (f_val + p->weights_offset) * ((int32_t)in_s8[at] + p->q.input_offset);
      },
      /* end */
      const int32_t out_at =
          ((b * p->geo.output_height + out_y) * p->geo.output_width + out_x) * p->geo.output_depth + oc;
      if (s16) {
        if (bias64 != NULL) {
          acc_s16 += bias64[oc];
        }
        const int32_t ch = p->q.per_channel ? oc : 0;
        const int32_t scaled = tinyml_mbqm64(acc_s16, p->q.output_multiplier[ch], p->q.output_shift[ch]);
        out_s16[out_at] = (int16_t)tinyml_clamp(scaled, p->q.activation_min, p->q.activation_max);
      } else {
        TINYML_REQUANT_S8(out_s8[out_at], p->q, bias32, oc, acc_s8);
      });
}

void tinyml_depthwise_conv2d_s8(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output) {
  depthwise_body(p, input, NULL, filter, bias, NULL, output, NULL, 0);
}

void tinyml_depthwise_conv2d_s16(const tinyml_depthwise_conv2d_params *p, const int16_t *input,
                                 const int8_t *filter, const int64_t *bias, int16_t *output) {
  depthwise_body(p, NULL, input, filter, NULL, bias, NULL, output, 1);
}

/*
 * In place: `data` holds the input and receives the output. The filter_height input rows output
 * row oy reads are kept in `rows` (filter_height * input_width * input_depth bytes): rows still
 * needed move down when the window moves (dilation 1 along the height, stride <= filter height,
 * one batch) and only new rows are read from `data`, so each input row is read once, before the
 * output rows that overwrite it are written. The generator only picks this kernel when the
 * geometry guarantees that order (depthwiseInPlaceOk in src/ops/depthwise-in-place.ts). Same
 * arithmetic as tinyml_depthwise_conv2d_s8, taps read from `rows` instead of the input.
 */
void tinyml_depthwise_conv2d_s8_in_place(const tinyml_depthwise_conv2d_params *p, int8_t *data,
                                         const int8_t *filter, const int32_t *bias, int8_t *rows) {
  const int32_t row_bytes = p->geo.input_width * p->geo.input_depth;
  const int32_t fh = p->geo.filter_height;
  const int32_t stride = p->geo.stride_height;
  for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
    const int32_t in_y_origin = out_y * stride - p->geo.pad_height;
    int32_t first = 0;
    if (out_y > 0 && stride < fh) {
      /* Rows stride.. of the previous window are rows 0.. of this one (a forward copy is safe:
       * the destination is below the source). */
      first = fh - stride;
      for (int32_t i = 0; i < first * row_bytes; ++i) {
        rows[i] = rows[i + stride * row_bytes];
      }
    }
    for (int32_t fy = first; fy < fh; ++fy) {
      const int32_t in_y = in_y_origin + fy;
      if (in_y < 0 || in_y >= p->geo.input_height) {
        continue; /* never read: padding rows add nothing */
      }
      for (int32_t i = 0; i < row_bytes; ++i) {
        rows[fy * row_bytes + i] = data[in_y * row_bytes + i];
      }
    }
    for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x) {
      const int32_t in_x_origin = out_x * p->geo.stride_width - p->geo.pad_width;
      for (int32_t ic = 0; ic < p->geo.input_depth; ++ic) {
        for (int32_t m = 0; m < p->geo.depth_multiplier; ++m) {
          const int32_t oc = ic * p->geo.depth_multiplier + m;
          int32_t acc = 0;
          for (int32_t fy = 0; fy < fh; ++fy) {
            const int32_t in_y = in_y_origin + fy;
            if (in_y < 0 || in_y >= p->geo.input_height) {
              continue;
            }
            for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
              const int32_t in_x = in_x_origin + p->geo.dilation_width * fx;
              if (in_x < 0 || in_x >= p->geo.input_width) {
                continue;
              }
              const int32_t f_val = filter[(fy * p->geo.filter_width + fx) * p->geo.output_depth + oc];
              acc += (f_val + p->weights_offset) *
                     ((int32_t)rows[fy * row_bytes + in_x * p->geo.input_depth + ic] + p->q.input_offset);
            }
          }
          TINYML_REQUANT_S8(data[(out_y * p->geo.output_width + out_x) * p->geo.output_depth + oc], p->q, bias, oc,
                            acc);
        }
      }
    }
  }
}
