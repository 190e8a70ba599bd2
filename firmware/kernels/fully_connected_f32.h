/*
 * fully_connected_f32.h - single-precision FULLY_CONNECTED (TFLite's reference_ops::FullyConnected
 * semantics): output[b][o] = sum_d input[b][d] * weights[o][d] + bias[o], clamped to the fused
 * activation. Weights are [output_depth, input_depth].
 */
#ifndef TINYML_FULLY_CONNECTED_F32_H
#define TINYML_FULLY_CONNECTED_F32_H

#include <stdint.h>

typedef struct {
  int32_t batches;
  int32_t input_depth;
  int32_t output_depth;
  float activation_min;
  float activation_max;
} tinyml_fully_connected_f32_params;

/* bias may be NULL. */
void tinyml_fully_connected_f32(const tinyml_fully_connected_f32_params *p, const float *input,
                                const float *weights, const float *bias, float *output);

#endif /* TINYML_FULLY_CONNECTED_F32_H */
