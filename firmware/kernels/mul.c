/*
 * mul.c - portable reference kernels for quantized MUL, bit-exact with TFLite Micro's reference
 * kernels (and with src/ops/mul.ts).
 */
#include "mul.h"

#include "tinyml_fixedpoint.h"

static inline int32_t mul_one(const tinyml_mul_params *p, int32_t x1, int32_t x2) {
  /* Re-centred operands are below 2^16 in magnitude (int16 has zero points of 0), so the product fits. */
  const int32_t product = (x1 + p->input1_offset) * (x2 + p->input2_offset);
  const int32_t out = tinyml_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
  return tinyml_clamp(out, p->activation_min, p->activation_max);
}

#define MUL_ONE(a, b) mul_one(params, a, b)

void tinyml_mul_s8(const tinyml_mul_params *params, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TINYML_BINARY_ELEMENTWISE(params, int8_t, input1, input2, output, MUL_ONE)
}

void tinyml_mul_s16(const tinyml_mul_params *params, const int16_t *input1, const int16_t *input2, int16_t *output) {
  TINYML_BINARY_ELEMENTWISE(params, int16_t, input1, input2, output, MUL_ONE)
}
