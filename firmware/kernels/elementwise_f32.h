/*
 * elementwise_f32.h - single-precision elementwise kernels (TFLite's float reference semantics):
 * ADD, SUB, MUL and DIV with numpy broadcasting and a fused activation clamp; PRELU with
 * broadcasting; RELU, RELU6, LEAKY_RELU, HARD_SWISH, LOGISTIC, TANH and RSQRT; L2_NORMALIZATION
 * over the last dimension.
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
void tinyml_div_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output);

typedef struct {
  int32_t size; /* output element count; when broadcast is 0 input, alpha and output share one layout */
  int32_t broadcast;
  tinyml_broadcast bcast;
} tinyml_prelu_f32_params;

/* x >= 0 ? x : x * alpha, alpha broadcast against x. */
void tinyml_prelu_f32(const tinyml_prelu_f32_params *params, const float *input, const float *alpha, float *output);

void tinyml_relu_f32(int32_t size, const float *input, float *output);
void tinyml_relu6_f32(int32_t size, const float *input, float *output);
void tinyml_leaky_relu_f32(int32_t size, float alpha, const float *input, float *output);
void tinyml_hard_swish_f32(int32_t size, const float *input, float *output);
void tinyml_logistic_f32(int32_t size, const float *input, float *output);
void tinyml_tanh_f32(int32_t size, const float *input, float *output);
void tinyml_rsqrt_f32(int32_t size, const float *input, float *output);

/* Each of outer_size rows of depth values divided by max(its L2 norm, 1e-6). */
void tinyml_l2_normalization_f32(int32_t outer_size, int32_t depth, const float *input, float *output);

#endif /* TINYML_ELEMENTWISE_F32_H */
