/*
 * elementwise_f32.h - single-precision elementwise kernels (TFLite's float reference semantics):
 * ADD, SUB and MUL with numpy broadcasting and a fused activation clamp; RELU, RELU6,
 * LEAKY_RELU, HARD_SWISH, LOGISTIC and TANH.
 */
#ifndef TINYML_ELEMENTWISE_F32_H
#define TINYML_ELEMENTWISE_F32_H

#include <stdint.h>

#include "tinyml_broadcast.h"

typedef struct {
  /* Output element count; when broadcast is 0 all three tensors share one flat layout. */
  int32_t size;
  int32_t broadcast;
  tinyml_broadcast bcast;
  float activation_min;
  float activation_max;
} tinyml_binary_f32_params;

void tinyml_add_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output);
void tinyml_sub_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output);
void tinyml_mul_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output);

void tinyml_relu_f32(int32_t size, const float *input, float *output);
void tinyml_relu6_f32(int32_t size, const float *input, float *output);
void tinyml_leaky_relu_f32(int32_t size, float alpha, const float *input, float *output);
void tinyml_hard_swish_f32(int32_t size, const float *input, float *output);
void tinyml_logistic_f32(int32_t size, const float *input, float *output);
void tinyml_tanh_f32(int32_t size, const float *input, float *output);

#endif /* TINYML_ELEMENTWISE_F32_H */
