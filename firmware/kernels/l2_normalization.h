/*
 * l2_normalization.h - int8 L2_NORMALIZATION over the last axis (TFLite Micro reference
 * semantics): each row's re-centred values are multiplied by 1/sqrt(sum of their squares),
 * written in steps of 1/128 with zero point 0 (the output quantization TFLite fixes).
 */
#ifndef TINYML_L2_NORMALIZATION_H
#define TINYML_L2_NORMALIZATION_H

#include <stdint.h>

typedef struct {
  int32_t outer_size;
  int32_t depth; /* elements per normalised row (the last dimension) */
  int32_t input_zero_point;
} tinyml_l2_normalization_params;

void tinyml_l2_normalization_s8(const tinyml_l2_normalization_params *params, const int8_t *input, int8_t *output);

#endif /* TINYML_L2_NORMALIZATION_H */
