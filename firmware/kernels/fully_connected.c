/*
 * fully_connected.c - portable reference FULLY_CONNECTED kernels, with TFLite Micro's
 * accumulation and requantization so results match bit for bit.
 */
#include "fully_connected.h"

#include "tinyml_conv_walk.h"
#include "tinyml_fixedpoint.h"

/*
 * The three kernels: IN_T activations, ACC_T accumulator (int32; int64 for 16x8 with int64 bias;
 * for 16x8 with int32 bias, uint32 so the wrap-around TFLM's int32 accumulator shows on
 * overflow, which int16 x int8 sums reach after a few hundred terms, is well defined), END the
 * requantization and store.
 */
#define FC_KERNEL(NAME, IN_T, BIAS_T, OUT_T, ACC_T, END)                                              \
  void NAME(const tinyml_fully_connected_params *p, const IN_T *input, const int8_t *weights,         \
            const BIAS_T *bias, OUT_T *output) {                                                      \
    TINYML_FC_WALK(                                                                                   \
        p, IN_T,                                                                                      \
        /* begin */                                                                                   \
        const int8_t *w = weights + oc * p->input_depth;                                              \
        ACC_T acc = 0;,                                                                               \
        /* tap */                                                                                     \
        acc += (ACC_T)(((int32_t)w[d] + p->weights_offset) * ((int32_t)row[d] + p->q.input_offset));, \
        /* end */                                                                                     \
        END)                                                                                          \
  }

#define FC_END_S8 TINYML_REQUANT_S8(output[b * p->output_depth + oc], p->q, bias, oc, acc);

/* 16x8: SCALE is the 64- or 32-bit requantization of ACC. */
#define FC_END_S16(ACC_T, SCALE, ACC)                                                               \
  if (bias != NULL) {                                                                               \
    acc += (ACC_T)bias[oc];                                                                         \
  }                                                                                                 \
  const int32_t ch = p->q.per_channel ? oc : 0;                                                     \
  int32_t scaled = SCALE(ACC, p->q.output_multiplier[ch], p->q.output_shift[ch]);                   \
  scaled += p->q.output_offset;                                                                     \
  output[b * p->output_depth + oc] = (int16_t)tinyml_clamp(scaled, p->q.activation_min, p->q.activation_max);

FC_KERNEL(tinyml_fully_connected_s8, int8_t, int32_t, int8_t, int32_t, FC_END_S8)
FC_KERNEL(tinyml_fully_connected_s16, int16_t, int64_t, int16_t, int64_t, FC_END_S16(int64_t, tinyml_mbqm64, acc))
FC_KERNEL(tinyml_fully_connected_s16_b32, int16_t, int32_t, int16_t, uint32_t,
          FC_END_S16(uint32_t, tinyml_mbqm, (int32_t)acc))
