/*
 * mul.h - quantized MUL with numpy broadcasting (TFLite Micro reference semantics): the product
 * of the re-centred inputs is requantized once to the output and clamped.
 */
#ifndef TINYML_MUL_H
#define TINYML_MUL_H

#include <stdint.h>

#include "tinyml_broadcast.h"

typedef struct {
  /* Output element count; when broadcast is 0 all three tensors share one flat layout. */
  int32_t size;
  int32_t broadcast;
  tinyml_broadcast bcast;
  /* Negated input zero points. */
  int32_t input1_offset;
  int32_t input2_offset;
  /* The output zero point. */
  int32_t output_offset;
  int32_t output_multiplier;
  /* Positive shifts left (the real multiplier can exceed 1). */
  int32_t output_shift;
  int32_t activation_min;
  int32_t activation_max;
} tinyml_mul_params;

void tinyml_mul_s8(const tinyml_mul_params *params, const int8_t *input1, const int8_t *input2, int8_t *output);
void tinyml_mul_s16(const tinyml_mul_params *params, const int16_t *input1, const int16_t *input2, int16_t *output);

#endif /* TINYML_MUL_H */
