/*
 * cumsum.h - CUMSUM along one axis (TFLite Micro reference semantics, cumsum.cc and
 * reference/cumsum.h): a running sum per row along the axis, exclusive (each output leaves its
 * own element out) and/or reversed (summing from the end).
 *
 * int8: re-centred inputs are shifted left by 20 and halved, summed in int32 (wrapping, as the
 * reference does) starting from the scaled -input_zero_point as TFLite Micro does, and each sum
 * is requantized to the output. float32: a single-precision running sum.
 */
#ifndef TINYML_CUMSUM_H
#define TINYML_CUMSUM_H

#include <stdint.h>

typedef struct {
  int32_t before; /* product of the dims before the axis */
  int32_t depth;  /* the axis extent */
  int32_t after;  /* product of the dims after the axis */
  int32_t exclusive;
  int32_t reverse;
  /* int8 only (0 for float32): */
  int32_t input_offset;
  int32_t output_offset;
  int32_t left_shift;
  int32_t input_multiplier;
  int32_t input_shift;
  int32_t output_multiplier;
  int32_t output_shift;
} tinyml_cumsum_params;

void tinyml_cumsum_s8(const tinyml_cumsum_params *params, const int8_t *input, int8_t *output);
void tinyml_cumsum_f32(const tinyml_cumsum_params *params, const float *input, float *output);

#endif /* TINYML_CUMSUM_H */
