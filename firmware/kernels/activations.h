/*
 * activations.h - quantized RELU, RELU6, LEAKY_RELU and HARD_SWISH (TFLite Micro reference
 * semantics). Note that RELU6 does not requantize: like TFLM it clamps the raw input between the
 * input's quantized 0 and 6, assuming the output shares the input's quantization.
 */
#ifndef TINYML_ACTIVATIONS_H
#define TINYML_ACTIVATIONS_H

#include <stdint.h>

typedef struct {
  int32_t size;
  /* Input zero point (subtracted) and output zero point (added). */
  int32_t input_offset;
  int32_t output_offset;
  int32_t output_multiplier;
  int32_t output_shift;
  /* Lower bound is the output zero point (quantized 0.0), upper the type maximum. */
  int32_t activation_min;
  int32_t activation_max;
} tinyml_relu_params;

typedef struct {
  int32_t size;
  /* Quantized 0.0 and 6.0 on the input scale. */
  int32_t lower;
  int32_t upper;
} tinyml_relu6_params;

typedef struct {
  int32_t size;
  int32_t input_offset;
  int32_t output_offset;
  /* Multiplier for x >= 0 (input_scale / output_scale). */
  int32_t identity_multiplier;
  int32_t identity_shift;
  /* Multiplier for x < 0 (alpha * input_scale / output_scale); negative when alpha is. */
  int32_t alpha_multiplier;
  int32_t alpha_shift;
} tinyml_leaky_relu_params;

typedef struct {
  int32_t size;
  int32_t input_zero_point;
  int32_t output_zero_point;
  /* Q15 multiplier/exponent from the hi-res input scale (input_scale / 128) to 3/32768. */
  int32_t reluish_multiplier_fixedpoint_int16;
  int32_t reluish_multiplier_exponent;
  /* Q15 multiplier/exponent (<= 0) from the hi-res input scale to the output scale. */
  int32_t output_multiplier_fixedpoint_int16;
  int32_t output_multiplier_exponent;
} tinyml_hard_swish_params;

void tinyml_relu_s8(const tinyml_relu_params *params, const int8_t *input, int8_t *output);
void tinyml_relu_s16(const tinyml_relu_params *params, const int16_t *input, int16_t *output);
void tinyml_relu6_s8(const tinyml_relu6_params *params, const int8_t *input, int8_t *output);
void tinyml_relu6_s16(const tinyml_relu6_params *params, const int16_t *input, int16_t *output);
void tinyml_leaky_relu_s8(const tinyml_leaky_relu_params *params, const int8_t *input, int8_t *output);
void tinyml_leaky_relu_s16(const tinyml_leaky_relu_params *params, const int16_t *input, int16_t *output);
void tinyml_hard_swish_s8(const tinyml_hard_swish_params *params, const int8_t *input, int8_t *output);

#endif /* TINYML_ACTIVATIONS_H */
