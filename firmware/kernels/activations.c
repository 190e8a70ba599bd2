/*
 * activations.c - portable reference kernels for quantized RELU, RELU6, LEAKY_RELU and
 * HARD_SWISH, bit-exact with TFLite Micro's reference kernels (and src/ops/activations.ts).
 */
#include "activations.h"

#include "tinyml_fixedpoint.h"
#include "tinyml_gemmlowp.h"

static inline int32_t relu_one(const tinyml_relu_params *p, int32_t x) {
  const int32_t v = p->output_offset + tinyml_mbqm(x - p->input_offset, p->output_multiplier, p->output_shift);
  return tinyml_clamp(v, p->activation_min, p->activation_max);
}

void tinyml_relu_s8(const tinyml_relu_params *params, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)relu_one(params, input[i]);
  }
}

void tinyml_relu_s16(const tinyml_relu_params *params, const int16_t *input, int16_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)relu_one(params, input[i]);
  }
}

void tinyml_relu6_s8(const tinyml_relu6_params *params, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)tinyml_clamp(input[i], params->lower, params->upper);
  }
}

void tinyml_relu6_s16(const tinyml_relu6_params *params, const int16_t *input, int16_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)tinyml_clamp(input[i], params->lower, params->upper);
  }
}

static inline int32_t leaky_relu_one(const tinyml_leaky_relu_params *p, int32_t x) {
  const int32_t v = x - p->input_offset;
  if (v >= 0) {
    return p->output_offset + tinyml_mbqm(v, p->identity_multiplier, p->identity_shift);
  }
  /* The multiply wants a non-negative multiplier: apply |alpha| and restore the sign after. */
  if (p->alpha_multiplier < 0) {
    return p->output_offset - tinyml_mbqm(v, -p->alpha_multiplier, p->alpha_shift);
  }
  return p->output_offset + tinyml_mbqm(v, p->alpha_multiplier, p->alpha_shift);
}

void tinyml_leaky_relu_s8(const tinyml_leaky_relu_params *params, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)tinyml_clamp(leaky_relu_one(params, input[i]), INT8_MIN, INT8_MAX);
  }
}

void tinyml_leaky_relu_s16(const tinyml_leaky_relu_params *params, const int16_t *input, int16_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)tinyml_clamp(leaky_relu_one(params, input[i]), INT16_MIN, INT16_MAX);
  }
}

static inline int16_t saturating_left_shift16(int16_t value, int amount) {
  const int64_t r = (int64_t)value * ((int64_t)1 << amount);
  return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

void tinyml_hard_swish_s8(const tinyml_hard_swish_params *params, const int8_t *input, int8_t *output) {
  const tinyml_hard_swish_params *p = params;
  const int reluish_exponent = (int)p->reluish_multiplier_exponent;
  for (int32_t i = 0; i < p->size; ++i) {
    const int16_t input_value = (int16_t)(input[i] - p->input_zero_point);
    /* Seven bits of headroom for the int16 fixed-point steps; |input_value| <= 255 fits. */
    const int16_t hires = (int16_t)(input_value * (1 << 7));
    const int16_t preshift_output = tinyml_srdhm16(hires, (int16_t)p->output_multiplier_fixedpoint_int16);

    /* Rescale [-3, 3] onto [-1, 1]. Left shifts leave the last bit until after the multiply
     * so that any saturation happens in the final step and decides the result. */
    int16_t reluish = hires;
    if (reluish_exponent > 0) {
      reluish = saturating_left_shift16(reluish, reluish_exponent - 1);
    }
    reluish = tinyml_srdhm16(reluish, (int16_t)p->reluish_multiplier_fixedpoint_int16);
    if (reluish_exponent > 0) {
      reluish = saturating_left_shift16(reluish, 1);
    }
    if (reluish_exponent < 0) {
      reluish = tinyml_rdbpot16(reluish, -reluish_exponent);
    }
    /* [-1, 1] -> [0, 1]. */
    reluish = (int16_t)((reluish + (1 << 15)) >> 1);

    /* Truncating multiply: it cancels the bias of the rounding multiplies above. */
    const int16_t preshift = tinyml_sdhm16(reluish, preshift_output);
    int16_t v = tinyml_rdbpot16(preshift, (int)-p->output_multiplier_exponent);
    v = (int16_t)(v + p->output_zero_point);
    output[i] = (int8_t)tinyml_clamp(v, INT8_MIN, INT8_MAX);
  }
}
