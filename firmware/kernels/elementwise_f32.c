/*
 * elementwise_f32.c - see elementwise_f32.h.
 */
#include "elementwise_f32.h"

#include <math.h>

#include "tinyml_f32.h"

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } binary_op;

TINYML_F32_INLINE float apply(const binary_op op, float a, float b) {
  return op == BIN_ADD ? a + b : op == BIN_SUB ? a - b : op == BIN_MUL ? a * b : a / b;
}

TINYML_F32_INLINE void binary(const binary_op op, const tinyml_binary_f32_params *p,
                              const float *in1, const float *in2, float *out) {
  const float lo = p->activation_min;
  const float hi = p->activation_max;
#define BINARY_ONE(a, b) tinyml_clamp_f32(apply(op, a, b), lo, hi)
  TINYML_BINARY_ELEMENTWISE(p, float, in1, in2, out, BINARY_ONE)
#undef BINARY_ONE
}

void tinyml_add_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output) {
  binary(BIN_ADD, params, input1, input2, output);
}

void tinyml_sub_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output) {
  binary(BIN_SUB, params, input1, input2, output);
}

void tinyml_mul_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output) {
  binary(BIN_MUL, params, input1, input2, output);
}

void tinyml_div_f32(const tinyml_binary_f32_params *params, const float *input1, const float *input2, float *output) {
  /* IEEE division as TFLite's: x / 0 is +-inf or NaN, which the clamp then bounds or lets through. */
  binary(BIN_DIV, params, input1, input2, output);
}

TINYML_F32_INLINE float prelu(float x, float alpha) {
  return x >= 0.0f ? x : x * alpha;
}

void tinyml_prelu_f32(const tinyml_prelu_f32_params *params, const float *input, const float *alpha, float *output) {
  TINYML_BINARY_ELEMENTWISE(params, float, input, alpha, output, prelu)
}

void tinyml_relu_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    /* A NaN stays NaN, as in the reference's max(0, x) written as x < 0 ? 0 : x. */
    output[i] = input[i] < 0.0f ? 0.0f : input[i];
  }
}

void tinyml_relu6_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    const float v = input[i];
    output[i] = v > 6.0f ? 6.0f : v < 0.0f ? 0.0f : v;
  }
}

void tinyml_leaky_relu_f32(int32_t size, float alpha, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    const float v = input[i];
    output[i] = v > 0.0f ? v : v * alpha;
  }
}

void tinyml_hard_swish_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    const float v = input[i];
    float r = v + 3.0f;
    r = r < 0.0f ? 0.0f : r;
    r = r > 6.0f ? 6.0f : r;
    output[i] = v * r / 6.0f;
  }
}

void tinyml_logistic_f32(int32_t size, const float *input, float *output) {
  /* TFLite's cut-offs: beyond them 1 / (1 + exp(-x)) is 1 in float, or exp(x) to float precision. */
  const float cutoff_upper = 16.619047164916992188f;
  const float cutoff_lower = -9.0f;
  for (int32_t i = 0; i < size; ++i) {
    const float v = input[i];
    if (v > cutoff_upper) {
      output[i] = 1.0f;
    } else if (v < cutoff_lower) {
      output[i] = expf(v);
    } else {
      output[i] = 1.0f / (1.0f + expf(-v));
    }
  }
}

void tinyml_tanh_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    output[i] = tanhf(input[i]);
  }
}

void tinyml_rsqrt_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    /* TFLite's 1.f / std::sqrt(x): a square root and a division, each rounded (not a fast
     * reciprocal-square-root estimate). */
    output[i] = 1.0f / sqrtf(input[i]);
  }
}

void tinyml_l2_normalization_f32(int32_t outer_size, int32_t depth, const float *input, float *output) {
  for (int32_t o = 0; o < outer_size; ++o) {
    const float *x = input + o * depth;
    float *y = output + o * depth;
    /* The sum in the reference's order, element by element (a core with FMA fuses each step). */
    float squared = 0.0f;
    for (int32_t c = 0; c < depth; ++c) {
      squared += x[c] * x[c];
    }
    /* TFLite's epsilon keeps an all-zero row finite (0 / 1e-6 = 0). */
    float norm = sqrtf(squared);
    norm = norm < 1e-6f ? 1e-6f : norm;
    for (int32_t c = 0; c < depth; ++c) {
      y[c] = x[c] / norm;
    }
  }
}
