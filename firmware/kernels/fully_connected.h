/*
 * fully_connected.h - FULLY_CONNECTED reference kernels (int8, and 16x8: int16 activations with
 * int8 weights), bit-exact with TFLite Micro's reference_integer_ops::FullyConnected and
 * FullyConnectedPerChannel. Weights are [output_depth, input_depth]; the input is read as
 * `batches` rows of `input_depth` values.
 */
#ifndef TINYML_FULLY_CONNECTED_H
#define TINYML_FULLY_CONNECTED_H

#include <stddef.h>
#include <stdint.h>

#include "tinyml_layer_quant.h"

typedef struct {
  int32_t batches;
  int32_t input_depth;
  int32_t output_depth;
  /* -weights zero point: only per-tensor weights carry one (and it is 0 in practice). */
  int32_t weights_offset;
  tinyml_layer_quant q;
} tinyml_fully_connected_params;

/* bias may be NULL. */
void tinyml_fully_connected_s8(const tinyml_fully_connected_params *p, const int8_t *input,
                               const int8_t *weights, const int32_t *bias, int8_t *output);

/* 16x8 with int64 bias (or none): 64-bit accumulator and requantization. */
void tinyml_fully_connected_s16(const tinyml_fully_connected_params *p, const int16_t *input,
                                const int8_t *weights, const int64_t *bias, int16_t *output);

/* 16x8 with int32 bias: TFLM accumulates in int32 and uses the 32-bit requantization. */
void tinyml_fully_connected_s16_b32(const tinyml_fully_connected_params *p, const int16_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    int16_t *output);

#endif /* TINYML_FULLY_CONNECTED_H */
