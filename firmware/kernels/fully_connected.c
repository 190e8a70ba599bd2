/*
 * fully_connected.c - portable reference FULLY_CONNECTED kernels, with TFLite Micro's
 * accumulation and requantization so results match bit for bit.
 */
#include "fully_connected.h"

#include "tinyml_conv_walk.h"
#include "tinyml_fixedpoint.h"

void tinyml_fully_connected_s8(const tinyml_fully_connected_params *p, const int8_t *input,
                               const int8_t *weights, const int32_t *bias, int8_t *output) {
  TINYML_FC_WALK(
      p, int8_t,
      /* begin */
      const int8_t *w = weights + oc * p->input_depth;
      int32_t acc = 0;,
      /* tap */
      acc += ((int32_t)w[d] + p->weights_offset) * ((int32_t)row[d] + p->q.input_offset);,
      /* end */
      TINYML_REQUANT_S8(output[b * p->output_depth + oc], p->q, bias, oc, acc);)
}

void tinyml_fully_connected_s16(const tinyml_fully_connected_params *p, const int16_t *input,
                                const int8_t *weights, const int64_t *bias, int16_t *output) {
  TINYML_FC_WALK(
      p, int16_t,
      /* begin */
      const int8_t *w = weights + oc * p->input_depth;
      int64_t acc = 0;,
      /* tap */
      acc += ((int32_t)w[d] + p->weights_offset) * ((int32_t)row[d] + p->q.input_offset);,
      /* end */
      if (bias != NULL) {
        acc += bias[oc];
      }
      const int32_t ch = p->q.per_channel ? oc : 0;
      int32_t scaled = tinyml_mbqm64(acc, p->q.output_multiplier[ch], p->q.output_shift[ch]);
      scaled += p->q.output_offset;
      output[b * p->output_depth + oc] = (int16_t)tinyml_clamp(scaled, p->q.activation_min, p->q.activation_max);)
}

void tinyml_fully_connected_s16_b32(const tinyml_fully_connected_params *p, const int16_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    int16_t *output) {
  TINYML_FC_WALK(
      p, int16_t,
      /* begin */
      const int8_t *w = weights + oc * p->input_depth;
      /* int16 x int8 products overflow an int32 sum after a few hundred terms; accumulate in
       * unsigned so the wrap-around TFLM's int32 accumulator shows is well defined here. */
      uint32_t acc = 0;,
      /* tap */
      acc += (uint32_t)(((int32_t)w[d] + p->weights_offset) * ((int32_t)row[d] + p->q.input_offset));,
      /* end */
      if (bias != NULL) {
        acc += (uint32_t)bias[oc];
      }
      const int32_t ch = p->q.per_channel ? oc : 0;
      int32_t scaled = tinyml_mbqm((int32_t)acc, p->q.output_multiplier[ch], p->q.output_shift[ch]);
      scaled += p->q.output_offset;
      output[b * p->output_depth + oc] = (int16_t)tinyml_clamp(scaled, p->q.activation_min, p->q.activation_max);)
}
