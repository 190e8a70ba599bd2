/*
 * tinyml_mve.h - shared pieces of the Helium (MVE) kernels for the Cortex-M55/M85: the
 * requantization of four int32 accumulators at once, and predicated byte copies.
 *
 * Only for cores with MVE (the generator picks these kernels only there): there is no portable
 * fallback, the other targets use firmware/kernels/arm/ or the portable kernels.
 */
#ifndef TINYML_MVE_H
#define TINYML_MVE_H

#include <stdint.h>

#if !defined(__ARM_FEATURE_MVE) || !(__ARM_FEATURE_MVE & 1)
#error "firmware/kernels/mve/ needs a core with Helium (MVE), e.g. -mcpu=cortex-m55"
#endif

#include <arm_mve.h>

#define TINYML_MVE_INLINE static inline __attribute__((always_inline))

/*
 * Requantization constants of four output channels, generated offline: Q31 multipliers, the
 * left shift max(shift, 0) and the right shift as a negative count min(shift, 0) (what VRSHL
 * takes), and the channels' bias' (input offset folded in, wrapped to int32).
 */
typedef struct {
  int32_t multiplier[4];
  int32_t left[4];
  int32_t right[4];
  int32_t bias[4];
} tinyml_mve_rq4;

/*
 * TFLite's MultiplyByQuantizedMultiplier on four lanes, exactly:
 * - x << left wraps like the reference's int32 multiply by 2^left (VSHL truncates);
 * - VQRDMULH is SaturatingRoundingDoublingHighMul (both round half up; both saturate only for
 *   INT32_MIN * INT32_MIN);
 * - RoundingDivideByPOT rounds half away from zero, VRSHL rounds half up: subtracting 1 from
 *   negative values first (only when there is a right shift: `right` is negative then, so
 *   x & right has the sign of x) turns one into the other. VQADD keeps INT32_MIN from wrapping.
 */
TINYML_MVE_INLINE int32x4_t tinyml_mve_mbqm(int32x4_t x, int32x4_t m, int32x4_t left, int32x4_t right) {
  x = vshlq_s32(x, left);
  x = vqrdmulhq_s32(x, m);
  const int32x4_t fix = vshrq_n_s32(vandq_s32(x, right), 31);
  return vrshlq_s32(vqaddq_s32(x, fix), right);
}

/* A record loaded into vector registers (kernels that requantize several pixels with the same
 * channels load it once: stores through int8_t pointers would otherwise force reloads). */
typedef struct {
  int32x4_t multiplier, left, right, bias;
} tinyml_mve_rqv;

TINYML_MVE_INLINE tinyml_mve_rqv tinyml_mve_rq_load(const tinyml_mve_rq4 *rq) {
  tinyml_mve_rqv v;
  v.multiplier = vldrwq_s32(rq->multiplier);
  v.left = vldrwq_s32(rq->left);
  v.right = vldrwq_s32(rq->right);
  v.bias = vldrwq_s32(rq->bias);
  return v;
}

/*
 * Requantizes acc (bias not yet added), adds the output offset, clamps to [lo, hi] (vectors, so a
 * loop can keep them). RIGHT_ONLY: every lane has a right shift and none a left one
 * (tinyml_mve_right_only), so VSHL can go, and x & right has the sign of x: the fix-up needs no
 * AND.
 */
TINYML_MVE_INLINE int32x4_t tinyml_mve_requant_q(int32x4_t acc, tinyml_mve_rqv q, int32_t off, int32x4_t lo,
                                                 int32x4_t hi, const int RIGHT_ONLY) {
  int32x4_t z = vaddq_s32(acc, q.bias);
  if (RIGHT_ONLY) {
    z = vqrdmulhq_s32(z, q.multiplier);
    z = vrshlq_s32(vqaddq_s32(z, vshrq_n_s32(z, 31)), q.right);
  } else {
    z = tinyml_mve_mbqm(z, q.multiplier, q.left, q.right);
  }
  return vminq_s32(vmaxq_s32(vaddq_n_s32(z, off), lo), hi);
}
/* Whether every channel of the first `groups` records has a right shift and none a left one. */
TINYML_MVE_INLINE int tinyml_mve_right_only(const tinyml_mve_rq4 *rq, int32_t groups) {
  for (int32_t g = 0; g < groups; ++g, ++rq) {
    if ((rq->left[0] | rq->left[1] | rq->left[2] | rq->left[3]) || (rq->right[0] & rq->right[1] & rq->right[2] & rq->right[3]) >= 0) {
      return 0;
    }
  }
  return 1;
}
/* Requantizes acc (bias not yet added), adds the output offset, clamps (tinyml_mve_requant_q with
 * a general record and the clamp as scalars). */
TINYML_MVE_INLINE int32x4_t tinyml_mve_requant_v(int32x4_t acc, tinyml_mve_rqv rq, int32_t off, int32_t lo, int32_t hi) {
  int32x4_t z = tinyml_mve_mbqm(vaddq_s32(acc, rq.bias), rq.multiplier, rq.left, rq.right);
  z = vaddq_n_s32(z, off);
  z = vmaxq_s32(z, vdupq_n_s32(lo));
  return vminq_s32(z, vdupq_n_s32(hi));
}

TINYML_MVE_INLINE int32x4_t tinyml_mve_requant(int32x4_t acc, const tinyml_mve_rq4 *rq, int32_t off, int32_t lo,
                                               int32_t hi) {
  return tinyml_mve_requant_v(acc, tinyml_mve_rq_load(rq), off, lo, hi);
}

/* (a0, a1, a2, a3) as a vector: two VMOVs of two lanes each (four VSETQ_LANEs otherwise). */
TINYML_MVE_INLINE int32x4_t tinyml_mve_lanes4(int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
  int32x4_t v;
  __asm__("vmov %q0[2], %q0[0], %1, %2\n\tvmov %q0[3], %q0[1], %3, %4" : "=w"(v) : "r"(a0), "r"(a2), "r"(a1), "r"(a3));
  return v;
}

/* Copies n bytes: whole vectors, then one predicated step for the last 1..15 (nothing past n is
 * read or written; one predicate per copy, not one per vector). */
TINYML_MVE_INLINE void tinyml_mve_copy(int8_t *dst, const int8_t *src, int32_t n) {
  for (; n >= 16; n -= 16) {
    vstrbq_s8(dst, vldrbq_s8(src));
    dst += 16;
    src += 16;
  }
  if (n > 0) {
    const mve_pred16_t p = vctp8q((uint32_t)n);
    vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
  }
}

/* Writes n copies of value, the same way. */
TINYML_MVE_INLINE void tinyml_mve_fill(int8_t *dst, int8_t value, int32_t n) {
  const int8x16_t v = vdupq_n_s8(value);
  for (; n >= 16; n -= 16) {
    vstrbq_s8(dst, v);
    dst += 16;
  }
  if (n > 0) vstrbq_p_s8(dst, v, vctp8q((uint32_t)n));
}

#endif /* TINYML_MVE_H */
