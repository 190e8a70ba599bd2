/*
 * rsqrt.h - quantized RSQRT (TFLite Micro reference semantics, elementwise.cc).
 *
 * Each re-centred input v = x - input_zero_point gets 1/sqrt(v) as a Q31 multiplier and shift
 * from TFLite's Newton-Raphson (GetInvSqrtQuantizedMultiplierExp), applied to 1 << 20 and then
 * rescaled by 1 / (sqrt(input_scale) * output_scale). v = 0 gives the type's maximum. TFLM
 * refuses v < 0 at run time; with no error path here it is computed as v = 1 (what the
 * multiplier routine does for every v <= 1). int16 has zero points 0.
 */
#ifndef TINYML_RSQRT_H
#define TINYML_RSQRT_H

#include <stdint.h>

typedef struct {
  int32_t size;
  int32_t input_zero_point;
  int32_t output_zero_point;
  /* 1 / (sqrt(input_scale) * output_scale) as a Q31 multiplier and shift (positive: left). */
  int32_t output_multiplier;
  int32_t output_shift;
} tinyml_rsqrt_params;

void tinyml_rsqrt_s8(const tinyml_rsqrt_params *params, const int8_t *input, int8_t *output);
void tinyml_rsqrt_s16(const tinyml_rsqrt_params *params, const int16_t *input, int16_t *output);

#endif /* TINYML_RSQRT_H */
