/*
 * quantize.c - portable reference kernels for QUANTIZE and DEQUANTIZE, bit-exact with TFLite
 * Micro's reference kernels (and with src/ops/quantize.ts).
 */
#include "quantize.h"

#include "tinyml_fixedpoint.h"

/*
 * zero_point + round(x / scale) saturated to [qmin, qmax], rounding half away from zero like
 * roundf but without libm. The quotient is clamped first so the float -> int conversion is
 * always defined (anything that far out saturates anyway); NaN maps to the zero point.
 */
static inline int32_t quantize_one(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  float q = x / scale;
  if (q != q) {
    q = 0.0f;
  }
  const float limit = 1.0e9f;
  if (q > limit) {
    q = limit;
  } else if (q < -limit) {
    q = -limit;
  }
  int32_t t = (int32_t)q;
  /* Exact: q and its integer part share an exponent range, so the fraction has no rounding. */
  const float frac = q - (float)t;
  if (frac >= 0.5f) {
    ++t;
  } else if (frac <= -0.5f) {
    --t;
  }
  return tinyml_clamp(t + zero_point, qmin, qmax);
}

void tinyml_quantize_f32_s8(const tinyml_quantize_params *params, const float *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)quantize_one(input[i], params->scale, params->zero_point, INT8_MIN, INT8_MAX);
  }
}

void tinyml_quantize_f32_s16(const tinyml_quantize_params *params, const float *input, int16_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)quantize_one(input[i], params->scale, params->zero_point, INT16_MIN, INT16_MAX);
  }
}

static inline int32_t requantize_one(const tinyml_requantize_params *p, int32_t x, int32_t qmin, int32_t qmax) {
  const int32_t v = tinyml_mbqm(x - p->input_zero_point, p->multiplier, p->shift) + p->output_zero_point;
  return tinyml_clamp(v, qmin, qmax);
}

void tinyml_requantize_s8_s8(const tinyml_requantize_params *params, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)requantize_one(params, input[i], INT8_MIN, INT8_MAX);
  }
}

void tinyml_requantize_s8_s16(const tinyml_requantize_params *params, const int8_t *input, int16_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)requantize_one(params, input[i], INT16_MIN, INT16_MAX);
  }
}

void tinyml_requantize_s16_s8(const tinyml_requantize_params *params, const int16_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)requantize_one(params, input[i], INT8_MIN, INT8_MAX);
  }
}

void tinyml_requantize_s16_s16(const tinyml_requantize_params *params, const int16_t *input, int16_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)requantize_one(params, input[i], INT16_MIN, INT16_MAX);
  }
}

/*
 * With int32 on either side, zero points are subtracted and added in wrapping int32 arithmetic
 * (done in unsigned to stay defined): TFLM does the same int32 operations without a check.
 */
static inline int32_t requantize_one_wrap(const tinyml_requantize_params *p, int32_t x) {
  const int32_t centred = (int32_t)((uint32_t)x - (uint32_t)p->input_zero_point);
  return (int32_t)((uint32_t)tinyml_mbqm(centred, p->multiplier, p->shift) + (uint32_t)p->output_zero_point);
}
void tinyml_requantize_s8_s32(const tinyml_requantize_params *params, const int8_t *input, int32_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = requantize_one_wrap(params, input[i]);
  }
}
void tinyml_requantize_s16_s32(const tinyml_requantize_params *params, const int16_t *input, int32_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = requantize_one_wrap(params, input[i]);
  }
}
void tinyml_requantize_s32_s8(const tinyml_requantize_params *params, const int32_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)tinyml_clamp(requantize_one_wrap(params, input[i]), INT8_MIN, INT8_MAX);
  }
}
void tinyml_requantize_s32_s16(const tinyml_requantize_params *params, const int32_t *input, int16_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)tinyml_clamp(requantize_one_wrap(params, input[i]), INT16_MIN, INT16_MAX);
  }
}
void tinyml_requantize_u8_s8(const tinyml_requantize_params *params, const uint8_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)requantize_one(params, input[i], INT8_MIN, INT8_MAX);
  }
}

void tinyml_requantize_s8_u8(const tinyml_requantize_params *params, const int8_t *input, uint8_t *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (uint8_t)requantize_one(params, input[i], 0, UINT8_MAX);
  }
}

/*
 * TFLM multiplies in double and rounds to float; the exact product of a float scale and an
 * integer below 2^17 fits a double, so one single-precision multiply rounds to the same value.
 */
void tinyml_dequantize_s8_f32(const tinyml_dequantize_params *params, const int8_t *input, float *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (float)(input[i] - params->zero_point) * params->scale;
  }
}

void tinyml_dequantize_s16_f32(const tinyml_dequantize_params *params, const int16_t *input, float *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (float)(input[i] - params->zero_point) * params->scale;
  }
}

void tinyml_dequantize_u8_f32(const tinyml_dequantize_params *params, const uint8_t *input, float *output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (float)(input[i] - params->zero_point) * params->scale;
  }
}
