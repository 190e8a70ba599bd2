/*
 * lut_layers.c - portable clustered-weight kernels. The loops are the int8 reference kernels'
 * (conv2d.c, depthwise_conv2d.c, fully_connected.c), with each weight read as
 * table[index] instead of filter[i]; accumulation order and requantization are unchanged, so
 * the results are bit-exact with the int8 kernels applied to the decoded weights.
 */
#include "lut_layers.h"

#include "tinyml_conv_walk.h"
#include "tinyml_fixedpoint.h"

/* The table output channel `oc` reads. */
static inline const int8_t *lut_table(const tinyml_lut_weights *w, int32_t oc) {
  return w->table + (w->per_channel_table ? oc * w->entries : 0);
}

void tinyml_conv2d_lut_s8(const tinyml_conv2d_params *p, const int8_t *input,
                          const tinyml_lut_weights *filter, const int32_t *bias, int8_t *output) {
  const uint32_t bits = (uint32_t)filter->bits;
  int8_t *out = output;
  TINYML_CONV_WALK(
      p->geo, 1,
      /* begin */
      const int8_t *table = lut_table(filter, oc);
      int32_t acc = 0;
      ,
      /* tap */
      const int8_t *in_px =
          input + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + in_c;
      /* Bit offset of this tap's first weight; the taps' weights are contiguous. */
      uint32_t bit =
          (uint32_t)(((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) * p->geo.filter_input_depth) *
          bits;
      for (int32_t ic = 0; ic < p->geo.filter_input_depth; ++ic, bit += bits) {
        const int32_t w = table[tinyml_lut_index(filter->indices, bit, bits)];
        acc += w * ((int32_t)in_px[ic] + p->q.input_offset);
      },
      /* end */
      TINYML_REQUANT_S8(*out++, p->q, bias, oc, acc););
}

void tinyml_depthwise_conv2d_lut_s8(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                    const tinyml_lut_weights *filter, const int32_t *bias,
                                    int8_t *output) {
  const uint32_t bits = (uint32_t)filter->bits;
  TINYML_DEPTHWISE_WALK(
      p->geo,
      /* begin */
      const int8_t *table = lut_table(filter, oc);
      int32_t acc = 0;
      ,
      /* tap */
      const int32_t at =
          ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + in_c;
      /* Depthwise weights are [1, fh, fw, output_depth]: channel innermost. */
      const uint32_t bit = (uint32_t)((fy * p->geo.filter_width + fx) * p->geo.output_depth + oc) * bits;
      const int32_t w = table[tinyml_lut_index(filter->indices, bit, bits)];
      acc += w * ((int32_t)input[at] + p->q.input_offset);,
      /* end */
      const int32_t out_at =
          ((b * p->geo.output_height + out_y) * p->geo.output_width + out_x) * p->geo.output_depth + oc;
      TINYML_REQUANT_S8(output[out_at], p->q, bias, oc, acc););
}

void tinyml_fully_connected_lut_s8(const tinyml_fully_connected_params *p, const int8_t *input,
                                   const tinyml_lut_weights *weights, const int32_t *bias,
                                   int8_t *output) {
  const uint32_t bits = (uint32_t)weights->bits;
  TINYML_FC_WALK(
      p, int8_t,
      /* begin */
      const int8_t *table = lut_table(weights, oc);
      uint32_t bit = (uint32_t)(oc * p->input_depth) * bits;
      int32_t acc = 0;,
      /* tap */
      const int32_t w = table[tinyml_lut_index(weights->indices, bit, bits)];
      acc += (w + p->weights_offset) * ((int32_t)row[d] + p->q.input_offset);
      bit += bits;,
      /* end */
      TINYML_REQUANT_S8(output[b * p->output_depth + oc], p->q, bias, oc, acc);)
}
