/*
 * lut_fully_connected_dsp.c - see lut_fully_connected_dsp.h. Four output units at a time share
 * each input word expanded by SXTB16 (the units' index bytes interleaved so that one pointer
 * walks them); two index bytes per unit give its weight pairs from the pair table. The last
 * units (output depth mod 4) go two at a time from their own rows.
 */
#include "lut_fully_connected_dsp.h"

/*
 * The dot products of four units with the input row x (depth a multiple of 4, at least 4):
 * per four inputs, the units' two index bytes each in turn at idx (advanced past them).
 */
TINYML_DSP_INLINE void lut_fc_dot4(const int8_t *x, int32_t depth, const uint8_t **idx, const uint32_t *pairs,
                                   int32_t *A0, int32_t *A1, int32_t *A2, int32_t *A3) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const uint8_t *ip = *idx;
  const int8_t *const end = x + depth;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  /* In C, gcc keeps four index pointers and steps each; here one walks the interleaved bytes. */
  uint32_t v, e, t;
#define LUT_FC_UNIT(a)                             \
  "ldrb   %[t], [%[i]], #1\n\t"                   \
  "ldr    %[t], [%[p], %[t], lsl #2]\n\t"         \
  "smlad  %[" a "], %[t], %[e], %[" a "]\n\t"     \
  "ldrb   %[t], [%[i]], #1\n\t"                   \
  "ldr    %[t], [%[p], %[t], lsl #2]\n\t"         \
  "smlad  %[" a "], %[t], %[v], %[" a "]\n\t"
  __asm__ volatile("1:\n\t"
                   "ldr    %[v], [%[x]], #4\n\t"
                   "sxtb16 %[e], %[v]\n\t"
                   "sxtb16 %[v], %[v], ror #8\n\t" LUT_FC_UNIT("a0") LUT_FC_UNIT("a1") LUT_FC_UNIT("a2")
                       LUT_FC_UNIT("a3")
                   "cmp    %[x], %[end]\n\t"
                   "bne    1b\n\t"
                   : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [i] "+r"(ip),
                     [v] "=&r"(v), [e] "=&r"(e), [t] "=&r"(t)
                   : [p] "r"(pairs), [end] "r"(end)
                   : "cc", "memory");
#undef LUT_FC_UNIT
#else
  while (x != end) {
    const uint32_t xw = tinyml_ld32(x);
    x += 4;
    const uint32_t x02 = tinyml_sxtb16(xw);
    const uint32_t x13 = tinyml_sxtb16_ror8(xw);
    a0 = tinyml_smlad(pairs[ip[0]], x02, a0);
    a0 = tinyml_smlad(pairs[ip[1]], x13, a0);
    a1 = tinyml_smlad(pairs[ip[2]], x02, a1);
    a1 = tinyml_smlad(pairs[ip[3]], x13, a1);
    a2 = tinyml_smlad(pairs[ip[4]], x02, a2);
    a2 = tinyml_smlad(pairs[ip[5]], x13, a2);
    a3 = tinyml_smlad(pairs[ip[6]], x02, a3);
    a3 = tinyml_smlad(pairs[ip[7]], x13, a3);
    ip += 8;
  }
#endif
  *idx = ip;
  *A0 = a0;
  *A1 = a1;
  *A2 = a2;
  *A3 = a3;
}

void tinyml_fully_connected_lut4_s8_dsp(const tinyml_fully_connected_params *p, const int8_t *input,
                                        const tinyml_lut_weights *filter, const int32_t *bias_folded,
                                        const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {
  uint32_t *pairs = (uint32_t *)(void *)scratch;
  tinyml_lut4_pairs(pairs, filter->table, rq);
  const int32_t off = p->q.output_offset;
  const int32_t lo = p->q.activation_min;
  const int32_t hi = p->q.activation_max;
  const int32_t depth = p->input_depth;
  const int32_t row_bytes = depth >> 1;
  const int32_t od = p->output_depth;
  const int32_t full = od & ~3;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *row = input + b * depth;
    int8_t *out = output + b * od;
    /* Blocks of four units: block oc / 4 takes the bytes of rows oc..oc + 3, interleaved. */
    const uint8_t *ib = filter->indices;
    int32_t oc = 0;
    for (; oc < full; oc += 4) {
      int32_t a0, a1, a2, a3;
      lut_fc_dot4(row, depth, &ib, pairs, &a0, &a1, &a2, &a3);
      out[oc] = tinyml_lut_finish(rq, bias_folded, a0, oc, off, lo, hi);
      out[oc + 1] = tinyml_lut_finish(rq, bias_folded, a1, oc + 1, off, lo, hi);
      out[oc + 2] = tinyml_lut_finish(rq, bias_folded, a2, oc + 2, off, lo, hi);
      out[oc + 3] = tinyml_lut_finish(rq, bias_folded, a3, oc + 3, off, lo, hi);
    }
    for (; oc < od; oc += 2) {
      const int32_t two = oc + 1 < od;
      const uint8_t *i0 = filter->indices + oc * row_bytes;
      /* A missing second unit is computed from the first and not stored. */
      const uint8_t *i1 = two ? i0 + row_bytes : i0;
      const int8_t *x = row;
      const int8_t *const x_end = row + depth;
      int32_t a0 = 0;
      int32_t a1 = 0;
      while (x != x_end) {
        const uint32_t xw = tinyml_ld32(x);
        x += 4;
        const uint32_t x02 = tinyml_sxtb16(xw);
        const uint32_t x13 = tinyml_sxtb16_ror8(xw);
        TINYML_LUT_DOT2(pairs, i0, i1, x02, x13, a0, a1);
      }
      out[oc] = tinyml_lut_finish(rq, bias_folded, a0, oc, off, lo, hi);
      if (two) {
        out[oc + 1] = tinyml_lut_finish(rq, bias_folded, a1, oc + 1, off, lo, hi);
      }
    }
  }
}
