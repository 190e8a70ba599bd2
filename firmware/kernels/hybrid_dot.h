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

/* The dot products of one column with 4 consecutive weight rows (rows `n` bytes apart): each
 * pair of column words is loaded once for 4 rows, so a step of 16 multiply-accumulates costs
 * 2 column loads, 4 weight loads, 8 SXTB16 and 8 SMLAD. */
static inline __attribute__((always_inline)) void tinyml_hybrid_dot4(const int16_t *col,
                                                                    const int8_t *w, int32_t n,
                                                                    int32_t acc[4]) {
  /* One weight pointer with the other rows at fixed offsets keeps every operand in a register
   * (four row pointers would spill on Armv7-M). */
  const int32_t n2 = 2 * n;
  const int32_t n3 = 3 * n;
  int32_t a0 = 0;
  int32_t a1 = 0;
  int32_t a2 = 0;
  int32_t a3 = 0;
  const int8_t *pw = w;
  const int16_t *pc = col;
  const int16_t *end = col + (n & ~3);
  while (pc != end) {
    const uint32_t c02 = tinyml_ld32(pc);
    const uint32_t c13 = tinyml_ld32(pc + 2);
    uint32_t x = tinyml_ld32(pw);
    a0 = tinyml_smlad(tinyml_sxtb16(x), c02, a0);
    a0 = tinyml_smlad(tinyml_sxtb16_ror8(x), c13, a0);
    x = tinyml_ld32(pw + n);
    a1 = tinyml_smlad(tinyml_sxtb16(x), c02, a1);
    a1 = tinyml_smlad(tinyml_sxtb16_ror8(x), c13, a1);
    x = tinyml_ld32(pw + n2);
    a2 = tinyml_smlad(tinyml_sxtb16(x), c02, a2);
    a2 = tinyml_smlad(tinyml_sxtb16_ror8(x), c13, a2);
    x = tinyml_ld32(pw + n3);
    a3 = tinyml_smlad(tinyml_sxtb16(x), c02, a3);
    a3 = tinyml_smlad(tinyml_sxtb16_ror8(x), c13, a3);
    pc += 4;
    pw += 4;
  }
  for (int32_t k = n & ~3; k < n; ++k) {
    const int32_t c = col[k];
    a0 += c * w[k];
    a1 += c * w[k + n];
    a2 += c * w[k + n2];
    a3 += c * w[k + n3];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

#endif /* TINYML_HYBRID_DOT_H */
