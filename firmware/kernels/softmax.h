/*
 * softmax.h - quantized SOFTMAX over the innermost dimension (TFLite Micro reference semantics).
 *
 * int8 input: gemmlowp fixed-point exp of the scaled differences to the row maximum, summed in
 * Q12.19, normalised by a fixed-point reciprocal. Output quantization is fixed by TFLM: int8 with
 * scale 1/256 and zero point -128, or int16 with scale 1/65536 and zero point -32768.
 * int16 input: interpolated 513-entry lookup tables for exp and 1/(1+x), generated at build time.
 */
#ifndef TINYML_SOFTMAX_H
#define TINYML_SOFTMAX_H

#include <stdint.h>

typedef struct {
  /* Number of rows and row length (the innermost dimension). */
  int32_t outer_size;
  int32_t depth;
  /* beta * input_scale * 2^26 as a Q31 multiplier and a left shift (>= 0): Q5.26 differences. */
  int32_t input_multiplier;
  int32_t input_left_shift;
  /* Differences below this (negative) are too small to matter: exp counts as 0. */
  int32_t diff_min;
} tinyml_softmax_s8_params;

typedef struct {
  int32_t outer_size;
  int32_t depth;
  /* Maps input differences so that [-65535, 0] spans exp's table range [-10, 0]. */
  int32_t input_multiplier;
  int32_t input_shift;
  /* 513-entry Q0.15 tables: exp(x) on [-10, 0] and 1/(1+x) on [0, 1]. */
  const int16_t *exp_lut;
  const int16_t *one_over_one_plus_x_lut;
} tinyml_softmax_s16_params;

void tinyml_softmax_s8(const tinyml_softmax_s8_params *params, const int8_t *input, int8_t *output);
void tinyml_softmax_s8_s16(const tinyml_softmax_s8_params *params, const int8_t *input, int16_t *output);
/* Uses the output row as scratch for the exp values before normalising them in place. */
void tinyml_softmax_s16(const tinyml_softmax_s16_params *params, const int16_t *input, int16_t *output);

#endif /* TINYML_SOFTMAX_H */
