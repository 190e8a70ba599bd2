/*
 * tinyml_layer_quant.h - the requantization the int8/16x8 reference kernels with weights share
 * (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED): embedded in their params structs
 * as `q`, at the place these fields held before, and filled by quantCommonFields() in
 * src/ops/c-emit.ts.
 */
#ifndef TINYML_LAYER_QUANT_H
#define TINYML_LAYER_QUANT_H

#include <stdint.h>

typedef struct {
  /* -input zero point and output zero point. The 16x8 conv-like kernels ignore them (they are
   * 0); the 16x8 fully connected kernel applies them, as TFLite Micro does. */
  int32_t input_offset;
  int32_t output_offset;
  /* Output clamp from the fused activation, in output quantized units. */
  int32_t activation_min;
  int32_t activation_max;
  /* 1: one multiplier/shift per output channel; 0: element 0 applies to every channel. */
  int32_t per_channel;
  const int32_t *output_multiplier; /* Q31 */
  const int32_t *output_shift;      /* exponent, positive = left shift */
} tinyml_layer_quant;

#endif /* TINYML_LAYER_QUANT_H */
