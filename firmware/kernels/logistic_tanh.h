/*
 * logistic_tanh.h - quantized LOGISTIC and TANH (TFLite Micro reference semantics).
 *
 * int8: the re-centred input becomes a Q4.27 value (inputs beyond the radius saturate), goes
 * through gemmlowp's fixed-point logistic/tanh and is rounded into the output, whose
 * quantization TFLM fixes (1/256 with zero point -128 for logistic, 1/128 with 0 for tanh).
 * int16: an interpolated table of sigmoid(i/24); tanh(x) = 2 sigmoid(2x) - 1.
 */
#ifndef TINYML_LOGISTIC_TANH_H
#define TINYML_LOGISTIC_TANH_H

#include <stdint.h>

typedef struct {
  int32_t size;
  int32_t input_zero_point;
  /* |input - zero point| at or beyond this saturates the output directly. */
  int32_t input_range_radius;
  /* input_scale * 2^27 as a Q31 multiplier and power-of-two exponent (usually a left shift). */
  int32_t input_multiplier;
  int32_t input_left_shift;
} tinyml_logistic_tanh_s8_params;

typedef struct {
  int32_t size;
  /* 0 marks a power-of-two input scale: the kernel then multiplies by 3 << input_left_shift. */
  int32_t input_multiplier;
  int32_t input_left_shift;
} tinyml_logistic_tanh_s16_params;

void tinyml_logistic_s8(const tinyml_logistic_tanh_s8_params *params, const int8_t *input, int8_t *output);
void tinyml_tanh_s8(const tinyml_logistic_tanh_s8_params *params, const int8_t *input, int8_t *output);
void tinyml_logistic_s16(const tinyml_logistic_tanh_s16_params *params, const int16_t *input, int16_t *output);
void tinyml_tanh_s16(const tinyml_logistic_tanh_s16_params *params, const int16_t *input, int16_t *output);

#endif /* TINYML_LOGISTIC_TANH_H */
