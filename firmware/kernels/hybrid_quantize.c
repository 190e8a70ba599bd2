/*
 * hybrid_quantize.c - see hybrid_quantize.h.
 */
#include "hybrid_quantize.h"

#include <math.h>
#include <string.h>

/* roundf (half away from zero) for |x| < 2^23, which every value here is (at most 128 in
 * magnitude): the truncated integer part is exact, and so is x minus it. Armv7E-M's FPU has no
 * rounding instruction, and a call to roundf per element cost more than the quantization. */
static inline __attribute__((always_inline)) int32_t round_half_away(float x) {
  int32_t r = (int32_t)x;
  const float frac = x - (float)r;
  if (frac >= 0.5f) {
    ++r;
  } else if (frac <= -0.5f) {
    --r;
  }
  return r;
}

void tinyml_hybrid_quantize_symmetric(const float *x, int32_t n, int8_t *q, float *scale) {
  float lo = 0.0f;
  float hi = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  const float range = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
  if (range == 0.0f) {
    /* An all-zero input: TFLite writes zeros with scale 1 rather than divide by zero. */
    memset(q, 0, (size_t)n);
    *scale = 1.0f;
    return;
  }
  *scale = range / 127.0f;
  const float inv = 127.0f / range;
  for (int32_t i = 0; i < n; ++i) {
    int32_t v = round_half_away(x[i] * inv);
    v = v < -127 ? -127 : v;
    q[i] = (int8_t)(v > 127 ? 127 : v);
  }
}

void tinyml_hybrid_quantize_asymmetric(const float *x, int32_t n, int8_t *q, float *scale,
                                       int32_t *offset) {
  float lo = 0.0f;
  float hi = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  if (lo == hi) {
    memset(q, 0, (size_t)n);
    *scale = 1.0f;
    *offset = 0;
    return;
  }
  /* The zero point is chosen in double precision, as TFLite does, from whichever end of the range
   * loses less to rounding; this runs once per batch, so the soft-float cost does not matter. */
  const double rmin = lo;
  const double rmax = hi;
  const double s = (rmax - rmin) / 255.0;
  const double zp_from_min = -128.0 - rmin / s;
  const double zp_from_max = 127.0 - rmax / s;
  const double err_min = 128.0 + fabs(rmin / s);
  const double err_max = 127.0 + fabs(rmax / s);
  const double zp = err_min < err_max ? zp_from_min : zp_from_max;
  int32_t zero_point;
  if (zp <= -128.0) {
    zero_point = -128;
  } else if (zp >= 127.0) {
    zero_point = 127;
  } else {
    zero_point = (int32_t)round(zp);
  }
  *scale = (float)s;
  *offset = zero_point;
  const float inv = (float)(1.0 / (double)*scale);
  const float zf = (float)zero_point;
  for (int32_t i = 0; i < n; ++i) {
    int32_t v = round_half_away(zf + x[i] * inv);
    v = v < -128 ? -128 : v;
    q[i] = (int8_t)(v > 127 ? 127 : v);
  }
}
