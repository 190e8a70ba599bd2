/*
 * squared_difference.h - SQUARED_DIFFERENCE, (x - y)^2 with numpy broadcasting (TFLite Micro
 * reference semantics, squared_difference.cc).
 *
 * Quantized: both re-centred inputs are shifted left (7 for int8, 0 for int16), brought to a
 * common scale by Q31 multipliers below one, their difference squared in int32 and requantized
 * to the output, then clamped. float32 squares in single precision, int32 in wrapping int32.
 */
#ifndef TINYML_SQUARED_DIFFERENCE_H
#define TINYML_SQUARED_DIFFERENCE_H

#include <stdint.h>

#include "tinyml_broadcast.h"

typedef struct {
  /* Output element count; when broadcast is 0 all three tensors share one flat layout. */
  int32_t size;
  int32_t broadcast;
  tinyml_broadcast bcast;
  /* Quantized kernels only (TFLite's ArithmeticParams); 0 for float32 and int32. */
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t left_shift;
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t activation_min;
  int32_t activation_max;
} tinyml_squared_difference_params;

void tinyml_squared_difference_s8(const tinyml_squared_difference_params *params, const int8_t *input1, const int8_t *input2, int8_t *output);
void tinyml_squared_difference_s16(const tinyml_squared_difference_params *params, const int16_t *input1, const int16_t *input2, int16_t *output);
void tinyml_squared_difference_s32(const tinyml_squared_difference_params *params, const int32_t *input1, const int32_t *input2, int32_t *output);
void tinyml_squared_difference_f32(const tinyml_squared_difference_params *params, const float *input1, const float *input2, float *output);

#endif /* TINYML_SQUARED_DIFFERENCE_H */
