/*
 * add_sub.c - portable reference kernels for quantized ADD and SUB, bit-exact with TFLite
 * Micro's reference kernels (and with src/ops/add-sub.ts).
 */
#include "add_sub.h"

#include "tinyml_fixedpoint.h"

/* One input element moved onto the common intermediate scale. */
static inline int32_t rescale_input(int32_t x, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift) {
  /* (x + offset) < 2^16 and left_shift <= 20 keep this inside int32 for both int8 and int16. */
  const int32_t shifted = (x + offset) * ((int32_t)1 << left_shift);
  return tinyml_rdbpot(tinyml_srdhm(shifted, multiplier), -shift);
}

static inline int32_t add_sub_one(const tinyml_add_sub_params *p, int32_t x1, int32_t x2, int subtract) {
  const int32_t s1 = rescale_input(x1, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift);
  const int32_t s2 = rescale_input(x2, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
  const int32_t raw = subtract ? s1 - s2 : s1 + s2;
  const int32_t out = tinyml_rdbpot(tinyml_srdhm(raw, p->output_multiplier), -p->output_shift) + p->output_offset;
  return tinyml_clamp(out, p->activation_min, p->activation_max);
}

#define ADD_SUB_ONE(a, b) add_sub_one(p, a, b, subtract)

static void add_sub_s8(const tinyml_add_sub_params *p, const int8_t *in1, const int8_t *in2, int8_t *out, int subtract) {
  TINYML_BINARY_ELEMENTWISE(p, int8_t, in1, in2, out, ADD_SUB_ONE)
}

static void add_sub_s16(const tinyml_add_sub_params *p, const int16_t *in1, const int16_t *in2, int16_t *out, int subtract) {
  TINYML_BINARY_ELEMENTWISE(p, int16_t, in1, in2, out, ADD_SUB_ONE)
}

void tinyml_add_s8(const tinyml_add_sub_params *params, const int8_t *input1, const int8_t *input2, int8_t *output) {
  add_sub_s8(params, input1, input2, output, 0);
}

void tinyml_sub_s8(const tinyml_add_sub_params *params, const int8_t *input1, const int8_t *input2, int8_t *output) {
  add_sub_s8(params, input1, input2, output, 1);
}

void tinyml_add_s16(const tinyml_add_sub_params *params, const int16_t *input1, const int16_t *input2, int16_t *output) {
  add_sub_s16(params, input1, input2, output, 0);
}

void tinyml_sub_s16(const tinyml_add_sub_params *params, const int16_t *input1, const int16_t *input2, int16_t *output) {
  add_sub_s16(params, input1, input2, output, 1);
}
