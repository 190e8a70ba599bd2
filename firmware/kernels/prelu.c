/*
 * prelu.c - see prelu.h.
 */
#include "prelu.h"

#include "tinyml_fixedpoint.h"

static int32_t prelu_one(const tinyml_prelu_params *p, int32_t x, int32_t alpha) {
  const int32_t v = x + p->input_offset;
  /* The zero point itself takes the first branch, as in TFLM (v >= 0). */
  if (v >= 0) {
    return tinyml_mbqm(v, p->multiplier_positive, p->shift_positive) + p->output_offset;
  }
  return tinyml_mbqm(v * (alpha + p->alpha_offset), p->multiplier_negative, p->shift_negative) + p->output_offset;
}

/* The int8 and int16 kernels, alike but for the element type and its range. */
#define TINYML_PRELU_KERNEL(NAME, T, MIN, MAX)                                                      \
  void NAME(const tinyml_prelu_params *params, const T *input, const T *alpha, T *output) {         \
    tinyml_bcast_iter it;                                                                           \
    int32_t i;                                                                                      \
    tinyml_bcast_begin(&it);                                                                        \
    for (i = 0; i < params->size; ++i) {                                                            \
      /* Without broadcasting the iterator's offsets are just i, i. */                              \
      const int32_t a = params->broadcast ? it.in1_offset : i;                                      \
      const int32_t b = params->broadcast ? it.in2_offset : i;                                      \
      output[i] = (T)tinyml_clamp(prelu_one(params, input[a], alpha[b]), MIN, MAX);                 \
      if (params->broadcast) {                                                                      \
        tinyml_bcast_next(&params->bcast, &it);                                                     \
      }                                                                                             \
    }                                                                                               \
  }

TINYML_PRELU_KERNEL(tinyml_prelu_s8, int8_t, INT8_MIN, INT8_MAX)
TINYML_PRELU_KERNEL(tinyml_prelu_s16, int16_t, INT16_MIN, INT16_MAX)
