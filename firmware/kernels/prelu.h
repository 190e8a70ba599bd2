/*
 * prelu.h - quantized PRELU (TFLite Micro reference semantics): inputs at or above their zero
 * point are rescaled by input_scale / output_scale, the others multiplied by the re-centred alpha
 * (broadcast against the input) and rescaled by input_scale * alpha_scale / output_scale.
 */
#ifndef TINYML_PRELU_H
#define TINYML_PRELU_H

#include <stdint.h>

#include "tinyml_broadcast.h"

typedef struct {
  /* Output element count; when broadcast is 0 input, alpha and output share one flat layout. */
  int32_t size;
  int32_t broadcast;
  tinyml_broadcast bcast; /* input 1 is the input, input 2 alpha */
  /* Negated zero points of the input and alpha; the output zero point. */
  int32_t input_offset;
  int32_t alpha_offset;
  int32_t output_offset;
  /* Q31 multipliers and shifts (positive: left) for the two branches. */
  int32_t multiplier_positive;
  int32_t shift_positive;
  int32_t multiplier_negative;
  int32_t shift_negative;
} tinyml_prelu_params;

void tinyml_prelu_s8(const tinyml_prelu_params *params, const int8_t *input, const int8_t *alpha, int8_t *output);
void tinyml_prelu_s16(const tinyml_prelu_params *params, const int16_t *input, const int16_t *alpha, int16_t *output);

#endif /* TINYML_PRELU_H */
