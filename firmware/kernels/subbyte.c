/*
 * subbyte.c - portable sub-byte weight kernels (see subbyte.h). The loops and the accumulation
 * order are the int8 reference kernels' (the shared walk, tinyml_conv_walk.h); only the weight
 * load differs, so the results are the same bit for bit. Each body is inlined with `bits` a constant, so each entry point decodes
 * its own width without a branch per weight.
 */
#include "subbyte.h"

#include "tinyml_conv_walk.h"
#include "tinyml_fixedpoint.h"

/* Through a function taking the fields, not in place: the inlined call keeps the instructions
 * these kernels were measured with (in place, or given &p->q, some boards' loops grew). */
static inline __attribute__((always_inline)) int8_t requant(int32_t acc, const int32_t *bias, int32_t oc,
                                                            int32_t per_channel, const int32_t *mult,
                                                            const int32_t *shift, int32_t out_off,
                                                            int32_t lo, int32_t hi) {
  const tinyml_layer_quant q = {.output_offset = out_off, .activation_min = lo, .activation_max = hi,
                                .per_channel = per_channel, .output_multiplier = mult, .output_shift = shift};
  int8_t out;
  TINYML_REQUANT_S8(out, q, bias, oc, acc);
  return out;
}

static inline __attribute__((always_inline)) void conv_body(const tinyml_conv2d_params *p, const int8_t *input,
                                                            const uint8_t *filter, const int32_t *bias,
                                                            int8_t *output, const int bits) {
  int8_t *out = output;
  TINYML_CONV_WALK(
      p->geo, 1,
      /* begin */
      int32_t acc = 0;
      ,
      /* tap */
      const int8_t *in_px =
          input + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + in_c;
      const int32_t f0 = ((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) * p->geo.filter_input_depth;
      for (int32_t ic = 0; ic < p->geo.filter_input_depth; ++ic) {
        acc += tinyml_subbyte_get(filter, f0 + ic, bits) * ((int32_t)in_px[ic] + p->q.input_offset);
      },
      /* end */
      *out++ = requant(acc, bias, oc, p->q.per_channel, p->q.output_multiplier, p->q.output_shift, p->q.output_offset, p->q.activation_min, p->q.activation_max););
}

static inline __attribute__((always_inline)) void depthwise_body(const tinyml_depthwise_conv2d_params *p,
                                                                 const int8_t *input, const uint8_t *filter,
                                                                 const int32_t *bias, int8_t *output,
                                                                 const int bits) {
  TINYML_DEPTHWISE_WALK(
      p->geo,
      /* begin */
      int32_t acc = 0;
      ,
      /* tap */
      const int32_t at = ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + in_c;
      const int32_t f = tinyml_subbyte_get(filter, (fy * p->geo.filter_width + fx) * p->geo.output_depth + oc, bits);
      acc += f * ((int32_t)input[at] + p->q.input_offset);,
      /* end */
      const int32_t out_at = ((b * p->geo.output_height + out_y) * p->geo.output_width + out_x) * p->geo.output_depth + oc;
      output[out_at] = requant(acc, bias, oc, p->q.per_channel, p->q.output_multiplier, p->q.output_shift, p->q.output_offset, p->q.activation_min, p->q.activation_max););
}

static inline __attribute__((always_inline)) void fc_body(const tinyml_fully_connected_params *p, const int8_t *input,
                                                          const uint8_t *weights, const int32_t *bias,
                                                          int8_t *output, const int bits) {
  TINYML_FC_WALK(
      p, int8_t,
      /* begin */
      const int32_t w0 = oc * p->input_depth;
      int32_t acc = 0;,
      /* tap */
      acc += tinyml_subbyte_get(weights, w0 + d, bits) * ((int32_t)row[d] + p->q.input_offset);,
      /* end */
      output[b * p->output_depth + oc] = requant(acc, bias, oc, p->q.per_channel, p->q.output_multiplier,
                                                 p->q.output_shift, p->q.output_offset, p->q.activation_min,
                                                 p->q.activation_max);)
}

#define TINYML_SUBBYTE_ENTRIES(BITS)                                                                         \
  void tinyml_conv2d_s8_w##BITS(const tinyml_conv2d_params *p, const int8_t *input, const uint8_t *filter,   \
                                const int32_t *bias, int8_t *output) {                                       \
    conv_body(p, input, filter, bias, output, BITS);                                                         \
  }                                                                                                          \
  void tinyml_depthwise_conv2d_s8_w##BITS(const tinyml_depthwise_conv2d_params *p, const int8_t *input,      \
                                          const uint8_t *filter, const int32_t *bias, int8_t *output) {      \
    depthwise_body(p, input, filter, bias, output, BITS);                                                    \
  }                                                                                                          \
  void tinyml_fully_connected_s8_w##BITS(const tinyml_fully_connected_params *p, const int8_t *input,        \
                                         const uint8_t *weights, const int32_t *bias, int8_t *output) {      \
    fc_body(p, input, weights, bias, output, BITS);                                                          \
  }

TINYML_SUBBYTE_ENTRIES(4)
TINYML_SUBBYTE_ENTRIES(2)
TINYML_SUBBYTE_ENTRIES(1)
