/*
 * quantize.h - QUANTIZE (float32 -> int8/int16, and integer requantization) and DEQUANTIZE
 * (int8/int16/uint8 -> float32), bit-exact with TFLite Micro's reference kernels. The float
 * kernels use single-precision arithmetic only; requantization is integer-only.
 */
#ifndef TINYML_QUANTIZE_H
#define TINYML_QUANTIZE_H

#include <stdint.h>

typedef struct {
  int32_t size;
  /* Output scale and zero point: q = zero_point + round(x / scale), saturated. */
  float scale;
  int32_t zero_point;
} tinyml_quantize_params;

typedef struct {
  int32_t size;
  int32_t input_zero_point;
  int32_t output_zero_point;
  /* input_scale / output_scale as a Q31 multiplier and exponent (positive shifts left). */
  int32_t multiplier;
  int32_t shift;
} tinyml_requantize_params;

typedef struct {
  int32_t size;
  /* x = scale * (q - zero_point). */
  float scale;
  int32_t zero_point;
} tinyml_dequantize_params;

void tinyml_quantize_f32_s8(const tinyml_quantize_params *params, const float *input, int8_t *output);
void tinyml_quantize_f32_s16(const tinyml_quantize_params *params, const float *input, int16_t *output);

void tinyml_requantize_s8_s8(const tinyml_requantize_params *params, const int8_t *input, int8_t *output);
void tinyml_requantize_s8_s16(const tinyml_requantize_params *params, const int8_t *input, int16_t *output);
void tinyml_requantize_s16_s8(const tinyml_requantize_params *params, const int16_t *input, int8_t *output);
void tinyml_requantize_s16_s16(const tinyml_requantize_params *params, const int16_t *input, int16_t *output);
void tinyml_requantize_s8_s32(const tinyml_requantize_params *params, const int8_t *input, int32_t *output);
void tinyml_requantize_s16_s32(const tinyml_requantize_params *params, const int16_t *input, int32_t *output);
void tinyml_requantize_s32_s8(const tinyml_requantize_params *params, const int32_t *input, int8_t *output);
void tinyml_requantize_s32_s16(const tinyml_requantize_params *params, const int32_t *input, int16_t *output);
void tinyml_requantize_u8_s8(const tinyml_requantize_params *params, const uint8_t *input, int8_t *output);
void tinyml_requantize_s8_u8(const tinyml_requantize_params *params, const int8_t *input, uint8_t *output);

void tinyml_dequantize_s8_f32(const tinyml_dequantize_params *params, const int8_t *input, float *output);
void tinyml_dequantize_s16_f32(const tinyml_dequantize_params *params, const int16_t *input, float *output);
void tinyml_dequantize_u8_f32(const tinyml_dequantize_params *params, const uint8_t *input, float *output);

#endif /* TINYML_QUANTIZE_H */
