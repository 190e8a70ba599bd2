/*
 * lut_fully_connected_dsp.c - see lut_fully_connected_dsp.h. Two output units at a time share
 * each input word expanded by SXTB16; two index bytes per unit give its weight pairs from the
 * pair table.
 */
#include "lut_fully_connected_dsp.h"

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
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *row = input + b * depth;
    int8_t *out = output + b * od;
    for (int32_t oc = 0; oc < od; oc += 2) {
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
