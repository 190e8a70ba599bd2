/*
 * hybrid_fully_connected.h - FULLY_CONNECTED of a dynamic-range ("hybrid") model: float input and
 * output, int8 weights [output_depth, input_depth], float bias. TFLite's hybrid semantics: each
 * input row is quantized to int8 at run time (asymmetrically when the layer's
 * asymmetric_quantize_inputs option is set, else symmetrically), each unit's int32 dot product is
 * scaled back to float and added to the bias:
 *   out = bias + acc * (input_scale * weight_scale)    (weight_scale per unit when per_channel)
 * then the fused activation.
 */
#ifndef TINYML_HYBRID_FULLY_CONNECTED_H
#define TINYML_HYBRID_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
  int32_t batches;
  int32_t input_depth;
  int32_t output_depth;
  int32_t asymmetric;
  /* 1: weight_scales has one scale per unit; 0: weight_scales[0] for all. */
  int32_t per_channel;
  const float *weight_scales;
  float activation_min;
  float activation_max;
} tinyml_hybrid_fully_connected_params;

/* bias may be NULL; scratch holds TINYML_HYBRID_FC_SCRATCH(input_depth) bytes, 4-byte aligned. */
#define TINYML_HYBRID_FC_SCRATCH(depth) ((((depth) + 3) & ~3) * 3)

void tinyml_hybrid_fully_connected(const tinyml_hybrid_fully_connected_params *p,
                                   const float *input, const int8_t *weights, const float *bias,
                                   float *output, void *scratch);

#endif /* TINYML_HYBRID_FULLY_CONNECTED_H */
