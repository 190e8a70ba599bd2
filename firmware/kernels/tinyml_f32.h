/*
 * tinyml_f32.h - helpers shared by the single-precision float kernels (*_f32.c).
 *
 * The float kernels compute what TFLite's float reference kernels compute, but not in the same
 * order: they block loops over output pixels and channels so that each loaded value feeds
 * several multiply-accumulates. Float sums depend on their order, so results agree with the
 * reference within rounding (the tests compare with a relative tolerance), not bit for bit.
 */
#ifndef TINYML_F32_H
#define TINYML_F32_H

#include <stdint.h>

#define TINYML_F32_INLINE static inline __attribute__((always_inline))

/* a * b + c. Where the core has a fused multiply-add (FPv4-SP and later: VFMA.F32) it is one
 * instruction with one rounding; elsewhere (the host build used by the tests) plain C, so the
 * kernels never call a slow software fmaf. */
#if defined(__ARM_FEATURE_FMA)
#define TINYML_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define TINYML_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* TFLite's ActivationFunctionWithMinMax: min(max(x, lo), hi) with std::max/std::min's argument
 * order, so a NaN input stays NaN (fmaxf/fminf would drop it). */
TINYML_F32_INLINE float tinyml_clamp_f32(float x, float lo, float hi) {
  const float y = x < lo ? lo : x;
  return hi < y ? hi : y;
}

/* The first and one-past-last filter index (lo, hi) whose tap, at `origin + index * dilation`,
 * lands inside [0, size): a window clipped to the input once, so the tap loops need no tests. */
TINYML_F32_INLINE void tinyml_f32_tap_range(int32_t origin, int32_t dilation, int32_t filter,
                                            int32_t size, int32_t *lo, int32_t *hi) {
  int32_t first = 0;
  if (origin < 0) {
    first = (-origin + dilation - 1) / dilation;
  }
  int32_t last = 0;
  if (origin <= size - 1) {
    last = (size - 1 - origin) / dilation + 1;
  }
  if (last > filter) {
    last = filter;
  }
  *lo = first;
  *hi = last > first ? last : first;
}

/*
 * The register tile every matrix-shaped float kernel is built on (CONV_2D per filter tap,
 * FULLY_CONNECTED):
 *   acc[r][c] += sum over k < depth of a[r * a_stride + k] * w[c * w_stride + k]
 * for r < nr rows (output pixels) and c < nc columns (output channels). nr and nc are
 * compile-time constants at every call site (at most 4 each), so after inlining the
 * accumulators live in FPU registers: a 4x4 tile keeps 16 sums and 8 operands in the 32
 * single-precision registers, and each loaded value feeds 4 multiply-accumulates. The depth
 * loop is unrolled 4 times so loads use immediate offsets and pointer updates are amortized.
 */
/* Starts the NR x NC accumulator tile ACC at the bias of output channels O.. (zero without
 * bias), as TFLite's float kernels start their sums. A macro: the unrolled loops then compile
 * exactly as they did written in each kernel. */
#define TINYML_F32_TILE_INIT(NR, NC, ACC, BIAS, O)                                                  \
  _Pragma("GCC unroll 4") for (int r = 0; r < (NR); ++r) {                                          \
    _Pragma("GCC unroll 4") for (int c = 0; c < (NC); ++c) {                                        \
      (ACC)[r][c] = (BIAS) != NULL ? (BIAS)[(O) + c] : 0.0f;                                        \
    }                                                                                               \
  }

/* Moves tinyml_f32_tile's row pointers ar[] and column pointers wc[] N values on. */
#define TINYML_F32_TILE_ADVANCE(N)                                                                  \
  _Pragma("GCC unroll 4") for (int r = 0; r < nr; ++r) {                                            \
    ar[r] += (N);                                                                                   \
  }                                                                                                 \
  _Pragma("GCC unroll 4") for (int c = 0; c < nc; ++c) {                                            \
    wc[c] += (N);                                                                                   \
  }

TINYML_F32_INLINE void tinyml_f32_tile(const int nr, const int nc, float acc[4][4], const float *a,
                                       int32_t a_stride, const float *w, int32_t w_stride,
                                       int32_t depth) {
  const float *ar[4];
  const float *wc[4];
#pragma GCC unroll 4
  for (int r = 0; r < nr; ++r) {
    ar[r] = a + r * a_stride;
  }
#pragma GCC unroll 4
  for (int c = 0; c < nc; ++c) {
    wc[c] = w + c * w_stride;
  }
  int32_t k = 0;
  for (; k + 4 <= depth; k += 4) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      float av[4];
      float wv[4];
#pragma GCC unroll 4
      for (int r = 0; r < nr; ++r) {
        av[r] = ar[r][u];
      }
#pragma GCC unroll 4
      for (int c = 0; c < nc; ++c) {
        wv[c] = wc[c][u];
      }
#pragma GCC unroll 4
      for (int r = 0; r < nr; ++r) {
#pragma GCC unroll 4
        for (int c = 0; c < nc; ++c) {
          acc[r][c] = TINYML_FMA(av[r], wv[c], acc[r][c]);
        }
      }
    }
    TINYML_F32_TILE_ADVANCE(4)
  }
  for (; k < depth; ++k) {
#pragma GCC unroll 4
    for (int r = 0; r < nr; ++r) {
#pragma GCC unroll 4
      for (int c = 0; c < nc; ++c) {
        acc[r][c] = TINYML_FMA(ar[r][0], wc[c][0], acc[r][c]);
      }
    }
    TINYML_F32_TILE_ADVANCE(1)
  }
}

#endif /* TINYML_F32_H */
