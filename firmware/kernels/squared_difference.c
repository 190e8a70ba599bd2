/*
 * squared_difference.c - portable SQUARED_DIFFERENCE kernels, bit-exact with TFLite Micro's
 * reference kernel (and with src/ops/squared-difference.ts).
 */
#include "squared_difference.h"

#include "tinyml_fixedpoint.h"

static inline int32_t squared_difference_q(const tinyml_squared_difference_params *p, int32_t x, int32_t y) {
  /* The shifted values fit int32: |x - zp| <= 255 (int8, shift 7) or <= 65535 (int16, shift 0). */
  const int32_t s1 = (x + p->input1_offset) * (1 << p->left_shift);
  const int32_t s2 = (y + p->input2_offset) * (1 << p->left_shift);
  /* Both multipliers are at most 1/2, so the difference stays below 2^15 and its square fits. */
  const int32_t diff = tinyml_mbqm(s1, p->input1_multiplier, p->input1_shift) - tinyml_mbqm(s2, p->input2_multiplier, p->input2_shift);
  const int32_t raw = tinyml_mbqm(diff * diff, p->output_multiplier, p->output_shift) + p->output_offset;
  return tinyml_clamp(raw, p->activation_min, p->activation_max);
}

/* int32 wraps as the reference's int32_t arithmetic does (computed unsigned to stay defined). */
static inline int32_t squared_difference_s32(int32_t x, int32_t y) {
  const uint32_t d = (uint32_t)x - (uint32_t)y;
  return (int32_t)(d * d);
}

static inline float squared_difference_f32(float x, float y) {
  const float d = x - y;
  return d * d;
}

/* One body per type; `op(a, b)` computes one element from the two stored values. */
#define TINYML_SQDIFF_KERNEL(name, type, op)                                                        \
  void name(const tinyml_squared_difference_params *params, const type *input1, const type *input2, \
            type *output) {                                                                         \
    TINYML_BINARY_ELEMENTWISE(params, type, input1, input2, output, op)                             \
  }

#define TINYML_SQDIFF_Q(a, b) squared_difference_q(params, (a), (b))

TINYML_SQDIFF_KERNEL(tinyml_squared_difference_s8, int8_t, TINYML_SQDIFF_Q)
TINYML_SQDIFF_KERNEL(tinyml_squared_difference_s16, int16_t, TINYML_SQDIFF_Q)
TINYML_SQDIFF_KERNEL(tinyml_squared_difference_s32, int32_t, squared_difference_s32)
TINYML_SQDIFF_KERNEL(tinyml_squared_difference_f32, float, squared_difference_f32)
