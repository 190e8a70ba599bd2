/*
 * hybrid_dot.h - the int32 dot product the hybrid kernels share: an int16 column (the quantized
 * input minus its zero point, which fits int16) against an int8 weight row.
 *
 * The column is stored "paired": within each group of 4 values the order is 0, 2, 1, 3, so one
 * 32-bit load gives the halfword pair that SXTB16 produces from 4 weight bytes (bytes 0 and 2,
 * then 1 and 3) and each SMLAD does two multiply-accumulates. A tail of fewer than 4 values
 * stays in natural order. On cores without the DSP extension (and on the host) the same
 * functions are portable C with identical results.
 */
#ifndef TINYML_HYBRID_DOT_H
#define TINYML_HYBRID_DOT_H

#include <stdint.h>

#include "arm/tinyml_dsp.h"

/* Where value k of a column of n values is stored. */
static inline __attribute__((always_inline)) int32_t tinyml_hybrid_paired_index(int32_t k, int32_t n) {
  if (k >= (n & ~3)) {
    return k;
  }
  const int32_t lane = k & 3;
  return (k & ~3) | (lane == 1 ? 2 : lane == 2 ? 1 : lane);
}

/* sum over k < n of col[k] * w[k], col stored paired (see above). */
static inline __attribute__((always_inline)) int32_t tinyml_hybrid_dot(const int16_t *col,
                                                                      const int8_t *w, int32_t n) {
  int32_t acc = 0;
  int32_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const uint32_t w4 = tinyml_ld32(w + k);
    acc = tinyml_smlad(tinyml_sxtb16(w4), tinyml_ld32(col + k), acc);
    acc = tinyml_smlad(tinyml_sxtb16_ror8(w4), tinyml_ld32(col + k + 2), acc);
  }
  for (; k < n; ++k) {
    acc += (int32_t)col[k] * w[k];
  }
  return acc;
}

#endif /* TINYML_HYBRID_DOT_H */
