/*
 * add_sub_dsp.c - see add_sub_dsp.h.
 */
#include "add_sub_dsp.h"

TINYML_DSP_INLINE void add_sub_body(const tinyml_add_sub_dsp_params *p, const int8_t *in1, const int8_t *in2,
                                    int8_t *out, const int MODE, const int FULL) {
  const uint8_t *a = (const uint8_t *)in1;
  const uint8_t *b = (const uint8_t *)in2;
  const int32_t *t1 = p->table1;
  const int32_t *t2 = p->table2;
  const int32_t m = p->rq.multiplier;
  const int32_t t = p->rq.t;
  const int32_t e = p->rq.e;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  /* Four elements per iteration, each element's bytes loaded with post-increment: ten
   * instructions an element (two byte loads, two table loads, the sum, three of requantization,
   * saturation, store). */
  int32_t n = p->size;
#define TINYML_ADD_ONE()                                                                   \
  do {                                                                                     \
    const int32_t r = (int32_t)((uint32_t)t1[*a++] + (uint32_t)t2[*b++]);                  \
    *out++ = (int8_t)tinyml_rq(MODE, r, m, t, e, off, lo, hi);                             \
  } while (0)
  for (; n >= 4; n -= 4) {
    TINYML_ADD_ONE();
    TINYML_ADD_ONE();
    TINYML_ADD_ONE();
    TINYML_ADD_ONE();
  }
  for (; n > 0; --n) TINYML_ADD_ONE();
#undef TINYML_ADD_ONE
}

/* The six entry points (tinyml_dsp.h). */
TINYML_DSP_MODE_ENTRIES(tinyml_add_sub_s8_dsp,
                        (const tinyml_add_sub_dsp_params *p, const int8_t *input1, const int8_t *input2, int8_t *output),
                        add_sub_body, p, input1, input2, output)
