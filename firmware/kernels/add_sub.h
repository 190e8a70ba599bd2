/*
 * add_sub.h - quantized ADD and SUB with numpy broadcasting (TFLite Micro reference semantics).
 * Both inputs are re-centred, shifted left by left_shift, rescaled onto a common scale, summed
 * or subtracted in int32, then requantized to the output and clamped.
 */
#ifndef TINYML_ADD_SUB_H
#define TINYML_ADD_SUB_H

#include <stdint.h>

#include "tinyml_broadcast.h"

typedef struct {
  /* Output element count; when broadcast is 0 all three tensors share one flat layout. */
  int32_t size;
  int32_t broadcast;
  tinyml_broadcast bcast;
  /* 20 for int8, 15 for int16: headroom so the rescaled inputs keep their precision. */
  int32_t left_shift;
  /* Offsets are the negated input zero points; shifts are <= 0 (right shifts). */
  int32_t input1_offset;
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_offset;
  int32_t input2_multiplier;
  int32_t input2_shift;
  /* The output zero point. */
  int32_t output_offset;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t activation_min;
  int32_t activation_max;
} tinyml_add_sub_params;

void tinyml_add_s8(const tinyml_add_sub_params *params, const int8_t *input1, const int8_t *input2, int8_t *output);
void tinyml_sub_s8(const tinyml_add_sub_params *params, const int8_t *input1, const int8_t *input2, int8_t *output);
void tinyml_add_s16(const tinyml_add_sub_params *params, const int16_t *input1, const int16_t *input2, int16_t *output);
void tinyml_sub_s16(const tinyml_add_sub_params *params, const int16_t *input1, const int16_t *input2, int16_t *output);

#endif /* TINYML_ADD_SUB_H */
