/*
 * softmax_f32.h - single-precision SOFTMAX over the last dimension (TFLite's reference_ops
 * semantics): exp((x - max) * beta) / sum.
 */
#ifndef TINYML_SOFTMAX_F32_H
#define TINYML_SOFTMAX_F32_H

#include <stdint.h>

typedef struct {
  int32_t outer_size;
  int32_t depth;
  float beta;
} tinyml_softmax_f32_params;

void tinyml_softmax_f32(const tinyml_softmax_f32_params *params, const float *input, float *output);

#endif /* TINYML_SOFTMAX_F32_H */
