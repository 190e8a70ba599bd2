/*
 * transpose_conv.c - portable reference TRANSPOSE_CONV kernels, following TFLite Micro's
 * scatter loop and requantization so results match bit for bit.
 */
#include "transpose_conv.h"

#include "tinyml_fixedpoint.h"

static int32_t output_count(const tinyml_transpose_conv_params *p) {
  return p->geo.batches * p->geo.output_height * p->geo.output_width * p->geo.output_depth;
}

/*
 * The scatter of both kinds: every input value times every filter tap, added into the
 * accumulators of the outputs its window covers. Inlined with `s16` a constant, so each kind
 * keeps only its own accumulator type (int32 for int8, int64 for 16x8) and input offset.
 * Exactly one of in_s8 / in_s16 and of acc32 / acc64 is used.
 */
static inline __attribute__((always_inline)) void scatter(const tinyml_transpose_conv_params *p,
                                                          const int8_t *in_s8, const int16_t *in_s16,
                                                          const int8_t *filter, int32_t *acc32,
                                                          int64_t *acc64, int s16) {
  const int32_t n = output_count(p);
  for (int32_t i = 0; i < n; ++i) {
    if (s16) {
      acc64[i] = 0;
    } else {
      acc32[i] = 0;
    }
  }
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    for (int32_t in_y = 0; in_y < p->geo.input_height; ++in_y) {
      for (int32_t in_x = 0; in_x < p->geo.input_width; ++in_x) {
        for (int32_t ic = 0; ic < p->geo.input_depth; ++ic) {
          const int32_t out_y_origin = in_y * p->geo.stride_height - p->geo.pad_height;
          const int32_t out_x_origin = in_x * p->geo.stride_width - p->geo.pad_width;
          const int32_t at = ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + ic;
          const int32_t in_val = s16 ? (int32_t)in_s16[at] : (int32_t)in_s8[at];
          for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
            const int32_t out_y = out_y_origin + fy;
            /* Window positions cropped away by the padding receive nothing. */
            if (out_y < 0 || out_y >= p->geo.output_height) {
              continue;
            }
            for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
              const int32_t out_x = out_x_origin + fx;
              if (out_x < 0 || out_x >= p->geo.output_width) {
                continue;
              }
              const int32_t out_at =
                  ((b * p->geo.output_height + out_y) * p->geo.output_width + out_x) * p->geo.output_depth;
              for (int32_t oc = 0; oc < p->geo.output_depth; ++oc) {
                const int32_t f_val =
                    filter[((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) * p->geo.input_depth +
                           ic];
                if (s16) {
                  acc64[out_at + oc] += (int64_t)(in_val * f_val);
                } else {
                  acc32[out_at + oc] += (in_val + p->q.input_offset) * f_val;
                }
              }
            }
          }
        }
      }
    }
  }
}

void tinyml_transpose_conv_s8(const tinyml_transpose_conv_params *p, const int8_t *input,
                              const int8_t *filter, const int32_t *bias, int8_t *output,
                              int32_t *scratch) {
  scatter(p, input, NULL, filter, scratch, NULL, 0);
  const int32_t n = output_count(p);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t oc = i % p->geo.output_depth;
    int32_t acc = scratch[i];
    TINYML_REQUANT_S8(output[i], p->q, bias, oc, acc);
  }
}

/* The 16x8 scatter shared by both bias widths. */
static void scatter_s16(const tinyml_transpose_conv_params *p, const int16_t *input,
                        const int8_t *filter, int64_t *scratch) {
  scatter(p, NULL, input, filter, NULL, scratch, 1);
}

static int16_t requantize_s16(const tinyml_transpose_conv_params *p, int64_t acc, int32_t oc) {
  const int32_t ch = p->q.per_channel ? oc : 0;
  const int32_t scaled = tinyml_mbqm64(acc, p->q.output_multiplier[ch], p->q.output_shift[ch]);
  return (int16_t)tinyml_clamp(scaled, p->q.activation_min, p->q.activation_max);
}

/* The 16x8 kernels for an int64 or an int16 bias. */
#define TRANSPOSE_CONV_S16_KERNEL(NAME, BIAS_T)                                                     \
  void NAME(const tinyml_transpose_conv_params *p, const int16_t *input, const int8_t *filter,      \
            const BIAS_T *bias, int16_t *output, int64_t *scratch) {                                \
    scatter_s16(p, input, filter, scratch);                                                         \
    const int32_t n = output_count(p);                                                              \
    for (int32_t i = 0; i < n; ++i) {                                                               \
      const int32_t oc = i % p->geo.output_depth;                                                   \
      output[i] = requantize_s16(p, scratch[i] + (bias != NULL ? (int64_t)bias[oc] : 0), oc);       \
    }                                                                                               \
  }

TRANSPOSE_CONV_S16_KERNEL(tinyml_transpose_conv_s16, int64_t)
TRANSPOSE_CONV_S16_KERNEL(tinyml_transpose_conv_s16_b16, int16_t)
