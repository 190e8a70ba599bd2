/*
 * lut_dsp.h - what the DSP clustered-weight kernels share: the pair table built from a 16-entry
 * table, and the requantization of tinyml_dsp.h (FAST modes: three instructions per output
 * instead of the reference's 64-bit MultiplyByQuantizedMultiplier).
 */
#ifndef TINYML_LUT_DSP_H
#define TINYML_LUT_DSP_H

#include <stdint.h>

#include "tinyml_dsp.h"

/*
 * The layer's requantization, planned at generation time (codegen/lut-layer.ts, planRequant):
 * in the FAST modes the accumulators must hold 2 * acc, so the pair table is built from doubled
 * table entries (an int8 value doubled still fits the int16 halfword) and `bias` is doubled.
 */
typedef struct {
  int32_t mode;        /* TINYML_RQ_* */
  int32_t per_channel; /* 1: one rq record per output channel; 0: one for all */
  const tinyml_dsp_rq *rq;
  /* Pointwise kernel only (else 0): blocks of four pixels per super-block of decoded rows, the
   * generator's choice from the scratch (TINYML_LUT4_PW_ROWS_SCRATCH); 0: six-pixel blocks;
   * -B: B blocks with the compact pair table (TINYML_LUT4_PW_COMPACT_SCRATCH). */
  int32_t pw_blocks;
} tinyml_lut_rq;

/*
 * pairs[b] = (t[b >> 4], t[b & 15]) as halfwords, doubled in the FAST modes. Every layer call
 * builds the table, so its cost counts on small layers: it is filled four columns at a time,
 * those four high halfwords held in registers while the 16 rows are written (one load of the
 * row's low halfword, four ORs and two doubleword stores per four entries), not reloaded per row.
 */
TINYML_DSP_INLINE void tinyml_lut4_pairs(uint32_t *pairs, const int8_t *t, const tinyml_lut_rq *rq) {
  const int32_t scale = TINYML_RQ_BASE(rq->mode) != TINYML_RQ_REF ? 2 : 1;
  uint32_t lo[16];
  for (uint32_t k = 0; k < 16u; ++k) lo[k] = (uint32_t)(uint16_t)(int16_t)((int32_t)t[k] * scale);
  for (uint32_t k = 0; k < 16u; k += 4) {
    const uint32_t h0 = lo[k] << 16, h1 = lo[k + 1] << 16, h2 = lo[k + 2] << 16, h3 = lo[k + 3] << 16;
    uint32_t *d = pairs + k;
    for (const uint32_t *l = lo; l != lo + 16; ++l, d += 16) {
      const uint32_t v = *l;
      d[0] = v | h0;
      d[1] = v | h1;
      d[2] = v | h2;
      d[3] = v | h3;
    }
  }
}

/* Bias (already doubled in the FAST modes), requantization, offset and clamp of channel oc. */
TINYML_DSP_INLINE int8_t tinyml_lut_finish(const tinyml_lut_rq *rq, const int32_t *bias, int32_t acc, int32_t oc,
                                           int32_t off, int32_t lo, int32_t hi) {
  const tinyml_dsp_rq *r = rq->rq + (rq->per_channel ? oc : 0);
  acc = (int32_t)((uint32_t)acc + (uint32_t)bias[oc]);
  if (TINYML_RQ_BASE(rq->mode) == TINYML_RQ_FAST_FOLDED) {
    return (int8_t)tinyml_rq(TINYML_RQ_FAST_FOLDED, acc, r->multiplier, r->t, r->e, off, lo, hi);
  }
  if (TINYML_RQ_BASE(rq->mode) == TINYML_RQ_FAST) {
    return (int8_t)tinyml_rq(TINYML_RQ_FAST, acc, r->multiplier, r->t, r->e, off, lo, hi);
  }
  return (int8_t)tinyml_rq(TINYML_RQ_REF, acc, r->multiplier, r->t, r->e, off, lo, hi);
}

/*
 * Four inputs, as their pairs x02 = (x0, x2) and x13 = (x1, x3), against two units' next two
 * index bytes i0 and i1 (advanced past them) into a0 and a1: the inner step of the two-unit
 * loops. A macro: as an inline function taking pointers, GCC schedules the loops differently.
 */
#define TINYML_LUT_DOT2(pairs, i0, i1, x02, x13, a0, a1) \
  do {                                                   \
    (a0) = tinyml_smlad((pairs)[(i0)[0]], (x02), (a0));  \
    (a0) = tinyml_smlad((pairs)[(i0)[1]], (x13), (a0));  \
    (a1) = tinyml_smlad((pairs)[(i1)[0]], (x02), (a1));  \
    (a1) = tinyml_smlad((pairs)[(i1)[1]], (x13), (a1));  \
    (i0) += 2;                                           \
    (i1) += 2;                                           \
  } while (0)

#endif /* TINYML_LUT_DSP_H */
