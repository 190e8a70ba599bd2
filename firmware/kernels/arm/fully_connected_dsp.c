/*
 * fully_connected_dsp.c - see fully_connected_dsp.h.
 */
#include "fully_connected_dsp.h"

/*
 * Group j of four inputs (the word at SRC): x[2j] = (x0, x2), x[2j + 1] = (x1, x3), doubled if
 * dbl; their sum added to sum. (A macro: as an inline function it changes the loop's code.)
 */
#define TINYML_FC_EXPAND_GROUP(SRC)                                        \
  do {                                                                     \
    const uint32_t v = tinyml_ld32(SRC);                                   \
    uint32_t e = tinyml_sxtb16(v);                                         \
    uint32_t o = tinyml_sxtb16_ror8(v);                                    \
    if (dbl) {                                                             \
      e = tinyml_sadd16(e, e);                                             \
      o = tinyml_sadd16(o, o);                                             \
    }                                                                      \
    x[2 * j] = e;                                                          \
    x[2 * j + 1] = o;                                                      \
    sum = tinyml_smlad(e, 0x00010001u, tinyml_smlad(o, 0x00010001u, sum)); \
  } while (0)

/*
 * x[j] = (x0, x2), x[j + 1] = (x1, x3) per group of four inputs, doubled if dbl; zero-padded to
 * k4 groups. Returns the sum of the expanded values.
 */
static int32_t expand_input(const int8_t *in, int32_t depth, int32_t k4, uint32_t *x, const int dbl) {
  int32_t sum = 0;
  int32_t j = 0;
  for (; j < depth >> 2; ++j) TINYML_FC_EXPAND_GROUP(in + 4 * j);
  if (j < k4) {
    int8_t tail[4] = {0, 0, 0, 0};
    for (int32_t i = 4 * j; i < depth; ++i) tail[i - 4 * j] = in[i];
    TINYML_FC_EXPAND_GROUP(tail);
    for (++j; j < k4; ++j) {
      x[2 * j] = 0;
      x[2 * j + 1] = 0;
    }
  }
  return sum;
}

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * The registers of the four-row assembly loops: r0-r3 the accumulators (TINYML_DSP_ACC4_REGS),
 * r4-r10 free for the loop's words, r11 the expanded input, r12 the weights (of type WT), lr the
 * iteration count. TINYML_FC_4ROW_OPERANDS names r4-r10 for the loop's assembly (N4..N10) and
 * lists every register as an operand.
 */
#define TINYML_FC_4ROW_REGS(A0, A1, A2, A3, x, WT, w, count) \
  TINYML_DSP_ACC4_REGS(A0, A1, A2, A3);                      \
  register uint32_t r4_ __asm__("r4");                       \
  register uint32_t r5_ __asm__("r5");                       \
  register uint32_t r6_ __asm__("r6");                       \
  register uint32_t r7_ __asm__("r7");                       \
  register uint32_t r8_ __asm__("r8");                       \
  register uint32_t r9_ __asm__("r9");                       \
  register uint32_t r10_ __asm__("r10");                     \
  register const uint32_t *xp __asm__("r11") = (x);          \
  register WT wp __asm__("r12") = (w);                       \
  register int32_t n __asm__("lr") = (count)
#define TINYML_FC_4ROW_OPERANDS(N4, N5, N6, N7, N8, N9, N10)                                                       \
  : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [N4] "=&r"(r4_), [N5] "=&r"(r5_), [N6] "=&r"(r6_), \
    [N7] "=&r"(r7_), [N8] "=&r"(r8_), [N9] "=&r"(r9_), [N10] "=&r"(r10_), [xp] "+r"(xp), [wp] "+r"(wp), [n] "+r"(n) \
  :                                                                                                                \
  : "cc", "memory"
#define TINYML_FC_ROW(w, a)                  \
  "sxtb16 %[t], %[" #w "]\n\t"               \
  "smlad  %[" #a "], %[t], %[x0], %[" #a "]\n\t" \
  "sxtb16 %[" #w "], %[" #w "], ror #8\n\t"      \
  "smlad  %[" #a "], %[" #w "], %[x1], %[" #a "]\n\t"
/* GROUP n times (n >= 0 in %[n]), unrolled twice: the odd group first, then pairs. */
#define TINYML_FC_LOOP2(GROUP)      \
  "lsrs   %[n], %[n], #1\n\t"      \
  "bcc    2f\n\t" GROUP            \
  "2:\n\t"                         \
  "beq    3f\n"                     \
  "1:\n\t" GROUP GROUP             \
  "subs   %[n], %[n], #1\n\t"      \
  "bne    1b\n"                     \
  "3:\n\t"
/* The same unrolled four times (for the paired loops, whose groups are 14 instructions). */
#define TINYML_FC_LOOP4(GROUP)      \
  "lsrs   %[n], %[n], #1\n\t"      \
  "bcc    4f\n\t" GROUP            \
  "4:\n\t"                         \
  "lsrs   %[n], %[n], #1\n\t"      \
  "bcc    5f\n\t" GROUP GROUP      \
  "5:\n\t"                         \
  "beq    3f\n"                     \
  "1:\n\t" GROUP GROUP GROUP GROUP \
  "subs   %[n], %[n], #1\n\t"      \
  "bne    1b\n"                     \
  "3:\n\t"
#define TINYML_FC_GROUP4                                  \
  "ldmia  %[xp]!, {%[x0], %[x1]}\n\t"                     \
  "ldmia  %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"       \
  TINYML_FC_ROW(w0, a0) TINYML_FC_ROW(w1, a1) TINYML_FC_ROW(w2, a2) TINYML_FC_ROW(w3, a3)
#endif

/* Four rows: *A0..*A3 += rows . x over k4 groups; returns the weights pointer past them. */
TINYML_DSP_INLINE const int8_t *dot_4rows(const uint32_t *x, const int8_t *w, int32_t k4, int32_t *A0, int32_t *A1,
                                          int32_t *A2, int32_t *A3) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  TINYML_FC_4ROW_REGS(A0, A1, A2, A3, x, const int8_t *, w, k4);
  __asm__ volatile(
      TINYML_FC_LOOP2(TINYML_FC_GROUP4) TINYML_FC_4ROW_OPERANDS(x0, x1, w0, w1, w2, w3, t));
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
  return wp;
#else
  TINYML_DSP_ACC4(A0, A1, A2, A3);
  const uint32_t *wv = (const uint32_t *)(const void *)w;
  for (int32_t j = 0; j < k4; ++j) {
    const uint32_t x0 = x[2 * j], x1 = x[2 * j + 1];
    a0 = tinyml_smlad(tinyml_sxtb16_ror8(wv[0]), x1, tinyml_smlad(tinyml_sxtb16(wv[0]), x0, a0));
    a1 = tinyml_smlad(tinyml_sxtb16_ror8(wv[1]), x1, tinyml_smlad(tinyml_sxtb16(wv[1]), x0, a1));
    a2 = tinyml_smlad(tinyml_sxtb16_ror8(wv[2]), x1, tinyml_smlad(tinyml_sxtb16(wv[2]), x0, a2));
    a3 = tinyml_smlad(tinyml_sxtb16_ror8(wv[3]), x1, tinyml_smlad(tinyml_sxtb16(wv[3]), x0, a3));
    wv += 4;
  }
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
  return (const int8_t *)(const void *)wv;
#endif
}

TINYML_DSP_INLINE int32_t dot_1row(const uint32_t *x, const int8_t *w, int32_t k4, int32_t a) {
  for (int32_t j = 0; j < k4; ++j) {
    const uint32_t wv = tinyml_ld32(w + 4 * j);
    a = tinyml_smlad(tinyml_sxtb16(wv), x[2 * j], a);
    a = tinyml_smlad(tinyml_sxtb16_ror8(wv), x[2 * j + 1], a);
  }
  return a;
}

/* Requantizes and stores four outputs; returns the record of the next output. */
TINYML_DSP_INLINE const tinyml_dsp_rq *fc_store4(int8_t *o, int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                                                 const tinyml_dsp_rq *rq, int32_t rq_step, int32_t off, int32_t lo,
                                                 int32_t hi, const int MODE) {
  const tinyml_dsp_rq *q1 = rq + rq_step;
  const tinyml_dsp_rq *q2 = q1 + rq_step;
  const tinyml_dsp_rq *q3 = q2 + rq_step;
  o[0] = (int8_t)tinyml_rq(MODE, a0, rq->multiplier, rq->t, rq->e, off, lo, hi);
  o[1] = (int8_t)tinyml_rq(MODE, a1, q1->multiplier, q1->t, q1->e, off, lo, hi);
  o[2] = (int8_t)tinyml_rq(MODE, a2, q2->multiplier, q2->t, q2->e, off, lo, hi);
  o[3] = (int8_t)tinyml_rq(MODE, a3, q3->multiplier, q3->t, q3->e, off, lo, hi);
  return q3 + rq_step;
}

TINYML_DSP_INLINE void fc_body(const tinyml_fully_connected_dsp_params *p, const int8_t *input, const int8_t *weights,
                               int8_t *output, void *scratch, const int MODE, const int FULL) {
  uint32_t *x = (uint32_t *)scratch;
  const int32_t n_out = p->output_depth;
  const int32_t k4 = p->k4;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  const int32_t rq_step = p->per_channel ? 1 : 0;
  const int32_t quads = n_out >> 2;
  const int32_t rows_end = quads * 4;
  const int dbl = TINYML_RQ_BASE(MODE) != TINYML_RQ_REF;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->input_depth;
    int8_t *o = output + b * n_out;
    expand_input(in, p->input_depth, k4, x, dbl);
    const int8_t *w = weights;
    const int32_t *bias = p->bias;
    const tinyml_dsp_rq *rq = p->rq;
    for (int32_t n = 0; n < rows_end; n += 4) {
      int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
      bias += 4;
      w = dot_4rows(x, w, k4, &a0, &a1, &a2, &a3);
      /* The same record as fc_store4 returns; stepped here, this loop keeps its registers. */
      (void)fc_store4(o + n, a0, a1, a2, a3, rq, rq_step, off, lo, hi, MODE);
      rq += 4 * rq_step;
    }
    for (int32_t n = rows_end; n < n_out; ++n) {
      const int32_t a = dot_1row(x, w, k4, *bias++);
      w += 4 * k4;
      o[n] = (int8_t)tinyml_rq(MODE, a, rq->multiplier, rq->t, rq->e, off, lo, hi);
      rq += rq_step;
    }
  }
}

/* One entry point per requantization mode and clamp (tinyml_dsp.h). */
TINYML_DSP_MODE_ENTRIES(tinyml_fully_connected_s8_dsp,
                        (const tinyml_fully_connected_dsp_params *p, const int8_t *input, const int8_t *weights,
                         int8_t *output, void *scratch),
                        fc_body, p, input, weights, output, scratch)


/*
 * Long rows (slice_k4 < k4): the input expanded a slice of slice_k4 groups at a time, the
 * accumulators kept in scratch after the slice. One entry point for every mode and clamp (these
 * layers have few outputs per input, so the requantization need not be specialized).
 */
void tinyml_fully_connected_s8_dsp_sliced(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
    const int8_t *weights, int8_t *output, void *scratch, int32_t mode) {
  uint32_t *x = (uint32_t *)scratch;
  const int32_t n_out = p->output_depth;
  const int32_t k4 = p->k4;
  const int32_t slice = p->slice_k4;
  const int32_t off = p->output_offset;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  const int32_t rq_step = p->per_channel ? 1 : 0;
  const int32_t rows_end = (n_out >> 2) * 4;
  const int dbl = TINYML_RQ_BASE(mode) != TINYML_RQ_REF;
  int32_t *acc = (int32_t *)(void *)(x + 2 * slice);
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->input_depth;
    int8_t *o = output + b * n_out;
    for (int32_t n = 0; n < n_out; ++n) acc[n] = p->bias[n];
    for (int32_t j0 = 0; j0 < k4; j0 += slice) {
      const int32_t len = k4 - j0 < slice ? k4 - j0 : slice;
      const int32_t in_len = p->input_depth - 4 * j0 < 4 * len ? p->input_depth - 4 * j0 : 4 * len;
      expand_input(in + 4 * j0, in_len, len, x, dbl);
      for (int32_t n = 0; n < rows_end; n += 4) {
        int32_t a0 = acc[n], a1 = acc[n + 1], a2 = acc[n + 2], a3 = acc[n + 3];
        (void)dot_4rows(x, weights + (n * k4 + 4 * j0) * 4, len, &a0, &a1, &a2, &a3);
        acc[n] = a0;
        acc[n + 1] = a1;
        acc[n + 2] = a2;
        acc[n + 3] = a3;
      }
      for (int32_t n = rows_end; n < n_out; ++n) acc[n] = dot_1row(x, weights + (n * k4 + j0) * 4, len, acc[n]);
    }
    const tinyml_dsp_rq *rq = p->rq;
    for (int32_t n = 0; n < n_out; ++n) {
      const int32_t a = acc[n];
      int32_t z;
      if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {
        z = tinyml_rq(TINYML_RQ_FAST_FOLDED, a, rq->multiplier, rq->t, rq->e, off, lo, hi);
      } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST) {
        z = tinyml_rq(TINYML_RQ_FAST, a, rq->multiplier, rq->t, rq->e, off, lo, hi);
      } else {
        z = tinyml_rq(TINYML_RQ_REF, a, rq->multiplier, rq->t, rq->e, off, lo, hi);
      }
      o[n] = (int8_t)z;
      rq += rq_step;
    }
  }
}

/* ---- paired rows (the speed layout, see the header) ---- */

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * One word of a row pair against input word X: P += (256 * wb + wa) . x, then the word's low
 * bytes sign-extended (wa) and Q += wa . x. Two SMLAD and one SXTB16 for four MACs.
 */
#define TINYML_FCP_WORD(w, X, P, Q)                   \
  "smlad  %[" #P "], %[" #w "], %[" #X "], %[" #P "]\n\t" \
  "sxtb16 %[" #w "], %[" #w "]\n\t"                   \
  "smlad  %[" #Q "], %[" #w "], %[" #X "], %[" #Q "]\n\t"
#define TINYML_FCP_WORDS                                  \
  "ldmia  %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"       \
  TINYML_FCP_WORD(w0, x0, a0, a1) TINYML_FCP_WORD(w1, x1, a0, a1) TINYML_FCP_WORD(w2, x0, a2, a3) \
  TINYML_FCP_WORD(w3, x1, a2, a3)
/* Four inputs from the expanded row (scratch), or straight from the int8 input (two SXTB16). */
#define TINYML_FCP_GROUP_EXPANDED "ldmia  %[xp]!, {%[x0], %[x1]}\n\t" TINYML_FCP_WORDS
#define TINYML_FCP_GROUP_DIRECT        \
  "ldr    %[x0], [%[xp]], #4\n\t"      \
  "sxtb16 %[x1], %[x0], ror #8\n\t"    \
  "sxtb16 %[x0], %[x0]\n\t" TINYML_FCP_WORDS
#endif

/*
 * The two row pairs of a quad over count groups of four inputs: x is the expanded row (x[2j] =
 * (x0, x2), x[2j + 1] = (x1, x3)), or with DIRECT the int8 input itself (any alignment). *A0,
 * *A2 accumulate 256 * dot_b + dot_a of pairs A and B, *A1, *A3 dot_a. ONE: count is 1 (no
 * loop). Returns the weights pointer past the groups.
 */
TINYML_DSP_INLINE const int8_t *pair_dot(const void *x, const int8_t *w, int32_t count, int32_t *A0, int32_t *A1,
                                         int32_t *A2, int32_t *A3, const int DIRECT, const int ONE) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  TINYML_FC_4ROW_REGS(A0, A1, A2, A3, (const uint32_t *)x, const int8_t *, w, count);
  if (DIRECT && ONE) {
    __asm__ volatile(TINYML_FCP_GROUP_DIRECT TINYML_FC_4ROW_OPERANDS(x0, x1, w0, w1, w2, w3, t));
  } else if (DIRECT) {
    __asm__ volatile(TINYML_FC_LOOP4(TINYML_FCP_GROUP_DIRECT) TINYML_FC_4ROW_OPERANDS(x0, x1, w0, w1, w2, w3, t));
  } else {
    __asm__ volatile(TINYML_FC_LOOP4(TINYML_FCP_GROUP_EXPANDED) TINYML_FC_4ROW_OPERANDS(x0, x1, w0, w1, w2, w3, t));
  }
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
  return wp;
#else
  (void)ONE;
  TINYML_DSP_ACC4(A0, A1, A2, A3);
  const uint8_t *xb = (const uint8_t *)x;
  for (int32_t j = 0; j < count; ++j) {
    uint32_t x0, x1;
    if (DIRECT) {
      const uint32_t v = tinyml_ld32(xb + 4 * j);
      x0 = tinyml_sxtb16(v);
      x1 = tinyml_sxtb16_ror8(v);
    } else {
      x0 = tinyml_ld32(xb + 8 * j);
      x1 = tinyml_ld32(xb + 8 * j + 4);
    }
    const uint32_t w0 = tinyml_ld32(w), w1 = tinyml_ld32(w + 4), w2 = tinyml_ld32(w + 8), w3 = tinyml_ld32(w + 12);
    w += 16;
    a0 = tinyml_smlad(w1, x1, tinyml_smlad(w0, x0, a0));
    a1 = tinyml_smlad(tinyml_sxtb16(w1), x1, tinyml_smlad(tinyml_sxtb16(w0), x0, a1));
    a2 = tinyml_smlad(w3, x1, tinyml_smlad(w2, x0, a2));
    a3 = tinyml_smlad(tinyml_sxtb16(w3), x1, tinyml_smlad(tinyml_sxtb16(w2), x0, a3));
  }
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
  return w;
#endif
}

/*
 * One quad of rows over the whole input, chunk by chunk (pair_chunk_k4 groups of four inputs):
 * row a's accumulator is q; row b's is the sum over chunks of (p - q) / 256, exact because the
 * generator proved |256 * dot_b| < 2^31 over every chunk for every int8 input. *R0..*R3 get the
 * four rows' accumulators, bias' added and doubled when dbl (doubling afterwards is exact modulo
 * 2^32, as the reference's wrapping sums are). x: the expanded row, or with DIRECT the int8
 * input, whose last group (when the depth is not a multiple of four) is read from tail.
 */
TINYML_DSP_INLINE const int8_t *pair_quad(const void *x, const int8_t *tail, const int8_t *w,
                                          const tinyml_fully_connected_dsp_params *p, const int32_t *bias,
                                          int32_t *R0, int32_t *R1, int32_t *R2, int32_t *R3, const int DIRECT,
                                          const int dbl) {
  const int32_t k4 = p->k4;
  const int32_t full = p->input_depth >> 2;
  const int32_t chunk = p->pair_chunk_k4;
  int32_t p0 = 0, q0 = 0, p1 = 0, q1 = 0;
  uint32_t b0 = 0, b1 = 0;
  if (!DIRECT) {
    /* The expanded row is always one chunk (the generator reads rows that need more in place). */
    w = pair_dot(x, w, k4, &p0, &q0, &p1, &q1, 0, 0);
    b0 = (uint32_t)((int32_t)((uint32_t)p0 - (uint32_t)q0) >> 8);
    b1 = (uint32_t)((int32_t)((uint32_t)p1 - (uint32_t)q1) >> 8);
  } else {
    for (int32_t j0 = 0; j0 < k4; j0 += chunk) {
      const int32_t len = k4 - j0 < chunk ? k4 - j0 : chunk;
      /* Only the last chunk can end with the partial group. */
      const int32_t n = full - j0 < len ? full - j0 : len;
      w = pair_dot((const int8_t *)x + 4 * j0, w, n, &p0, &q0, &p1, &q1, 1, 0);
      if (n < len) w = pair_dot(tail, w, 1, &p0, &q0, &p1, &q1, 1, 1);
      b0 += (uint32_t)((int32_t)((uint32_t)p0 - (uint32_t)q0) >> 8);
      b1 += (uint32_t)((int32_t)((uint32_t)p1 - (uint32_t)q1) >> 8);
      p0 = q0;
      p1 = q1;
    }
  }
  *R0 = (int32_t)((uint32_t)bias[0] + ((uint32_t)q0 << dbl));
  *R1 = (int32_t)((uint32_t)bias[1] + (b0 << dbl));
  *R2 = (int32_t)((uint32_t)bias[2] + ((uint32_t)q1 << dbl));
  *R3 = (int32_t)((uint32_t)bias[3] + (b1 << dbl));
  return w;
}

TINYML_DSP_INLINE void fc_pair_rows(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
                                    const int8_t *weights, int8_t *output, void *scratch, const int MODE,
                                    const int FULL, const int DIRECT, const int PER_CHANNEL) {
  const int32_t n_out = p->output_depth;
  const int32_t k = p->input_depth;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  const int32_t rq_step = PER_CHANNEL ? 1 : 0;
  const int dbl = TINYML_RQ_BASE(MODE) != TINYML_RQ_REF;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * k;
    int8_t *o = output + b * n_out;
    int8_t tail[4] = {0, 0, 0, 0};
    if (DIRECT) {
      for (int32_t i = k & ~3; i < k; ++i) tail[i & 3] = in[i];
    } else {
      (void)expand_input(in, k, p->k4, (uint32_t *)scratch, 0);
    }
    const void *x = DIRECT ? (const void *)in : (const void *)scratch;
    const int8_t *w = weights;
    const int32_t *bias = p->bias;
    const tinyml_dsp_rq *rq = p->rq;
    for (int32_t n = n_out; n > 0; n -= 4) {
      int32_t r0, r1, r2, r3;
      w = pair_quad(x, tail, w, p, bias, &r0, &r1, &r2, &r3, DIRECT, dbl);
      bias += 4;
      if (n >= 4) {
        rq = fc_store4(o, r0, r1, r2, r3, rq, rq_step, off, lo, hi, MODE);
        o += 4;
      } else {
        /* The last rows of a count that is not a multiple of four: the layout pads the quad
         * (weights, bias' and records), the padding rows' outputs are dropped. */
        int8_t last[4];
        (void)fc_store4(last, r0, r1, r2, r3, rq, rq_step, off, lo, hi, MODE);
        memcpy(o, last, (size_t)n);
      }
    }
  }
}

/* slice_k4 = k4: the input row expanded once into scratch; 0: read in place (few rows). */
TINYML_DSP_INLINE void fc_pair_body(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
                                    const int8_t *weights, int8_t *output, void *scratch, const int MODE,
                                    const int FULL) {
  /* Constant rq steps and input paths: the loop around the assembly keeps fewer values (measured). */
  if (p->slice_k4 != 0) {
    if (p->per_channel) {
      fc_pair_rows(p, input, weights, output, scratch, MODE, FULL, 0, 1);
    } else {
      fc_pair_rows(p, input, weights, output, scratch, MODE, FULL, 0, 0);
    }
  } else {
    fc_pair_rows(p, input, weights, output, scratch, MODE, FULL, 1, p->per_channel != 0);
  }
}

TINYML_DSP_MODE_ENTRIES(tinyml_fully_connected_s8_dsp_pair,
                        (const tinyml_fully_connected_dsp_params *p, const int8_t *input, const int8_t *weights,
                         int8_t *output, void *scratch),
                        fc_pair_body, p, input, weights, output, scratch)

/* ---- nibble-packed weights ---- */

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
#define TINYML_NIB_ROW(a)                             \
  "ldr    %[v], [%[wp]], #4\n\t"                      \
  "lsr    %[h], %[v], #4\n\t"                         \
  "and    %[v], %[v], #0x0F0F0F0F\n\t"                \
  "and    %[h], %[h], #0x0F0F0F0F\n\t"                \
  "uxtb16 %[t], %[v]\n\t"                             \
  "smlad  %[" #a "], %[t], %[x0], %[" #a "]\n\t"      \
  "uxtb16 %[v], %[v], ror #8\n\t"                     \
  "smlad  %[" #a "], %[v], %[x1], %[" #a "]\n\t"      \
  "uxtb16 %[t], %[h]\n\t"                             \
  "smlad  %[" #a "], %[t], %[x2], %[" #a "]\n\t"      \
  "uxtb16 %[h], %[h], ror #8\n\t"                     \
  "smlad  %[" #a "], %[h], %[x3], %[" #a "]\n\t"
#endif

/* Portable decode of one nibble word against eight expanded inputs (x[0..3]). */
TINYML_DSP_INLINE int32_t nib_dot8(uint32_t v, const uint32_t *x, int32_t a) {
  const uint32_t lo = v & 0x0F0F0F0Fu;
  const uint32_t hi = (v >> 4) & 0x0F0F0F0Fu;
  a = tinyml_smlad(lo & 0x00FF00FFu, x[0], a);
  a = tinyml_smlad((lo >> 8) & 0x00FF00FFu, x[1], a);
  a = tinyml_smlad(hi & 0x00FF00FFu, x[2], a);
  a = tinyml_smlad((hi >> 8) & 0x00FF00FFu, x[3], a);
  return a;
}

TINYML_DSP_INLINE const uint32_t *nib_4rows(const uint32_t *x, const uint32_t *w, int32_t k8, int32_t *A0, int32_t *A1,
                                            int32_t *A2, int32_t *A3) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  TINYML_FC_4ROW_REGS(A0, A1, A2, A3, x, const uint32_t *, w, k8);
  __asm__ volatile(
      "1:\n\t"
      "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" TINYML_NIB_ROW(a0) TINYML_NIB_ROW(a1) TINYML_NIB_ROW(a2)
          TINYML_NIB_ROW(a3)
      "subs   %[n], %[n], #1\n\t"
      "bne    1b\n\t" TINYML_FC_4ROW_OPERANDS(x0, x1, x2, x3, v, h, t));
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
  return wp;
#else
  TINYML_DSP_ACC4(A0, A1, A2, A3);
  for (int32_t j = 0; j < k8; ++j) {
    a0 = nib_dot8(w[0], x, a0);
    a1 = nib_dot8(w[1], x, a1);
    a2 = nib_dot8(w[2], x, a2);
    a3 = nib_dot8(w[3], x, a3);
    w += 4;
    x += 4;
  }
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
  return w;
#endif
}

/* Adds a row's sparse corrections: x (int16, at the entry's byte offset) times its high half. */
TINYML_DSP_INLINE int32_t nib_corrections(const uint32_t **cp, int32_t count, const uint8_t *xs, int32_t a) {
  const uint32_t *c = *cp;
  for (int32_t i = 0; i < count; ++i) {
    const uint32_t e = c[i];
    int16_t xv;
    memcpy(&xv, xs + (e & 0xFFFFu), 2);
    a = tinyml_smlabt((uint32_t)(int32_t)xv, e, a);
  }
  *cp = c + count;
  return a;
}

TINYML_DSP_INLINE void fc_nib_body(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
                                   const uint32_t *weights, int8_t *output, void *scratch, const int MODE,
                                   const int FULL) {
  uint32_t *x = (uint32_t *)scratch;
  const uint8_t *xs = (const uint8_t *)scratch;
  const int32_t n_out = p->output_depth;
  const int32_t k8 = p->k8;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  const int32_t rq_step = p->per_channel ? 1 : 0;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int32_t sum = expand_input(input + b * p->input_depth, p->input_depth, 2 * k8, x, TINYML_RQ_BASE(MODE) != TINYML_RQ_REF);
    /* Every nibble carries +8: remove 8 * sum(x) from each row once. */
    const uint32_t bias8 = (uint32_t)sum * 8u;
    const uint32_t *w = weights;
    const int32_t *bias = p->bias;
    const tinyml_dsp_rq *rq = p->rq;
    const uint16_t *cc = p->corr_count;
    const uint32_t *cp = p->corr;
    int8_t *o = output + b * n_out;
    int32_t n = 0;
    for (; n + 4 <= n_out; n += 4) {
      int32_t a0 = (int32_t)((uint32_t)bias[0] - bias8), a1 = (int32_t)((uint32_t)bias[1] - bias8);
      int32_t a2 = (int32_t)((uint32_t)bias[2] - bias8), a3 = (int32_t)((uint32_t)bias[3] - bias8);
      bias += 4;
      w = nib_4rows(x, w, k8, &a0, &a1, &a2, &a3);
      a0 = nib_corrections(&cp, cc[0], xs, a0);
      a1 = nib_corrections(&cp, cc[1], xs, a1);
      a2 = nib_corrections(&cp, cc[2], xs, a2);
      a3 = nib_corrections(&cp, cc[3], xs, a3);
      cc += 4;
      rq = fc_store4(o, a0, a1, a2, a3, rq, rq_step, off, lo, hi, MODE);
      o += 4;
    }
    for (; n < n_out; ++n) {
      int32_t a = (int32_t)((uint32_t)*bias++ - bias8);
      for (int32_t j = 0; j < k8; ++j) a = nib_dot8(w[j], x + 4 * j, a);
      w += k8;
      a = nib_corrections(&cp, *cc++, xs, a);
      *o++ = (int8_t)tinyml_rq(MODE, a, rq->multiplier, rq->t, rq->e, off, lo, hi);
      rq += rq_step;
    }
  }
}

TINYML_DSP_MODE_ENTRIES(tinyml_fully_connected_s8_dsp_nib,
                        (const tinyml_fully_connected_dsp_params *p, const int8_t *input, const uint32_t *weights,
                         int8_t *output, void *scratch),
                        fc_nib_body, p, input, weights, output, scratch)

/* ---- sub-byte weights (2 or 1 bits; 4-bit weights take the nibble layout above) ---- */

/*
 * Field g of every byte of a weight word, as four bytes f = w + OFF (2 bits: OFF 2; binary
 * weights are one bit u with w = 2u - 1, extracted doubled: f = 2u = w + 1, OFF 1). UXTB16 then
 * yields the pairs that match the expanded input words (x0, x2) and (x1, x3) of one group.
 */
TINYML_DSP_INLINE uint32_t fc_sb_field(uint32_t v, int32_t g, const int BITS) {
  if (BITS == 2) {
    return (v >> (2 * g)) & 0x03030303u;
  }
  return (g == 0 ? v << 1 : v >> (g - 1)) & 0x02020202u;
}

/* One word (8 / BITS groups of four inputs) of a row against the expanded input. */
TINYML_DSP_INLINE int32_t fc_sb_word(uint32_t v, const uint32_t *x, int32_t a, const int BITS) {
  for (int32_t g = 0; g < 8 / BITS; ++g) {
    const uint32_t m = fc_sb_field(v, g, BITS);
    a = tinyml_smlad(tinyml_uxtb16(m), x[2 * g], a);
    a = tinyml_smlad(tinyml_uxtb16_ror8(m), x[2 * g + 1], a);
  }
  return a;
}

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/* Fields of register v into f: shifted (SHIFT, one instruction) and masked; F0: masked only. */
#define TINYML_FCSB_F(SHIFT, MASK) SHIFT "and    %[f], %[f], #" MASK "\n\t"
#define TINYML_FCSB_SHR(n) "lsr    %[f], %[v], #" #n "\n\t"
#define TINYML_FCSB_F0(MASK) "and    %[f], %[v], #" MASK "\n\t"
#define TINYML_FCSB_PAIRS(a, X0, X1)                    \
  "uxtb16 %[t], %[f]\n\t"                               \
  "smlad  %[" #a "], %[t], %[" X0 "], %[" #a "]\n\t"    \
  "uxtb16 %[f], %[f], ror #8\n\t"                       \
  "smlad  %[" #a "], %[f], %[" X1 "], %[" #a "]\n\t"
/* Row r (word at [wp, #4r]) against four expanded input words: two groups, fields F1 and F2. */
#define TINYML_FCSB_ROW(R4, a, F1, F2)                  \
  "ldr    %[v], [%[wp], #" #R4 "]\n\t"                  \
  F1 TINYML_FCSB_PAIRS(a, "x0", "x1") F2 TINYML_FCSB_PAIRS(a, "x2", "x3")
#define TINYML_FCSB_PART(F1, F2)                        \
  "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"     \
  TINYML_FCSB_ROW(0, a0, F1, F2) TINYML_FCSB_ROW(4, a1, F1, F2) TINYML_FCSB_ROW(8, a2, F1, F2) TINYML_FCSB_ROW(12, a3, F1, F2)
#define TINYML_FCSB_M2 "0x03030303"
#define TINYML_FCSB_M1 "0x02020202"
#define TINYML_FCSB_WORD2                                                                                   \
  TINYML_FCSB_PART(TINYML_FCSB_F0(TINYML_FCSB_M2), TINYML_FCSB_F(TINYML_FCSB_SHR(2), TINYML_FCSB_M2)) \
  TINYML_FCSB_PART(TINYML_FCSB_F(TINYML_FCSB_SHR(4), TINYML_FCSB_M2), TINYML_FCSB_F(TINYML_FCSB_SHR(6), TINYML_FCSB_M2))
#define TINYML_FCSB_WORD1                                                                                   \
  TINYML_FCSB_PART(TINYML_FCSB_F("lsl    %[f], %[v], #1\n\t", TINYML_FCSB_M1), TINYML_FCSB_F0(TINYML_FCSB_M1)) \
  TINYML_FCSB_PART(TINYML_FCSB_F(TINYML_FCSB_SHR(1), TINYML_FCSB_M1), TINYML_FCSB_F(TINYML_FCSB_SHR(2), TINYML_FCSB_M1)) \
  TINYML_FCSB_PART(TINYML_FCSB_F(TINYML_FCSB_SHR(3), TINYML_FCSB_M1), TINYML_FCSB_F(TINYML_FCSB_SHR(4), TINYML_FCSB_M1)) \
  TINYML_FCSB_PART(TINYML_FCSB_F(TINYML_FCSB_SHR(5), TINYML_FCSB_M1), TINYML_FCSB_F(TINYML_FCSB_SHR(6), TINYML_FCSB_M1))

/* Four rows (words interleaved) against the expanded input, nw >= 1 words per row. */
static const uint32_t *fc_sb_4rows_asm(const uint32_t *x, const uint32_t *w, int32_t nw, int32_t *A, const int bits) {
  TINYML_DSP_ACC4_REGS(A, A + 1, A + 2, A + 3);
  register uint32_t x0 __asm__("r4");
  register uint32_t x1 __asm__("r5");
  register uint32_t x2 __asm__("r6");
  register uint32_t x3 __asm__("r7");
  register uint32_t v __asm__("r8");
  register uint32_t f __asm__("r9");
  register uint32_t t __asm__("r10");
  register const uint32_t *xp __asm__("r11") = x;
  register const uint32_t *wp __asm__("r12") = w;
  register int32_t n __asm__("lr") = nw;
#define TINYML_FCSB_ASM(WORD)                                                                                  \
  __asm__ volatile("1:\n\t" WORD "add    %[wp], %[wp], #16\n\t"                                              \
                   "subs   %[n], %[n], #1\n\t"                                                                 \
                   "bne    1b\n\t"                                                                             \
                   : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x0] "=&r"(x0), [x1] "=&r"(x1), \
                     [x2] "=&r"(x2), [x3] "=&r"(x3), [v] "=&r"(v), [f] "=&r"(f), [t] "=&r"(t), [xp] "+r"(xp),    \
                     [wp] "+r"(wp), [n] "+r"(n)                                                                \
                   :                                                                                           \
                   : "cc", "memory")
  if (bits == 2) {
    TINYML_FCSB_ASM(TINYML_FCSB_WORD2);
  } else {
    TINYML_FCSB_ASM(TINYML_FCSB_WORD1);
  }
#undef TINYML_FCSB_ASM
  TINYML_DSP_ACC4_STORE(A, A + 1, A + 2, A + 3);
  return wp;
}
#endif

TINYML_DSP_INLINE void fc_sb_body(const tinyml_fully_connected_dsp_params *p, const int8_t *input,
                                  const uint32_t *weights, int8_t *output, void *scratch, const int MODE,
                                  const int BITS) {
  uint32_t *x = (uint32_t *)scratch;
  const int32_t n_out = p->output_depth;
  const int32_t per = 8 / BITS;
  const int32_t nw = p->k4 / per;
  const int32_t off = p->output_offset;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  const int32_t rq_step = p->per_channel ? 1 : 0;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int32_t sum = expand_input(input + b * p->input_depth, p->input_depth, p->k4, x, TINYML_RQ_BASE(MODE) != TINYML_RQ_REF);
    /* Every field carries +OFF: remove OFF * sum(x) from each row once (wrapping, like the sums). */
    const uint32_t corr = (uint32_t)sum * (BITS == 2 ? 2u : 1u);
    const uint32_t *w = weights;
    const int32_t *bias = p->bias;
    const tinyml_dsp_rq *rq = p->rq;
    int8_t *o = output + b * n_out;
    int32_t n = 0;
    /* Four rows at a time, their words interleaved: each expanded input word is loaded once. */
    for (; n + 4 <= n_out; n += 4) {
      int32_t a0 = (int32_t)((uint32_t)bias[0] - corr), a1 = (int32_t)((uint32_t)bias[1] - corr);
      int32_t a2 = (int32_t)((uint32_t)bias[2] - corr), a3 = (int32_t)((uint32_t)bias[3] - corr);
      bias += 4;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
      int32_t acc[4] = {a0, a1, a2, a3};
      w = fc_sb_4rows_asm(x, w, nw, acc, BITS);
      a0 = acc[0];
      a1 = acc[1];
      a2 = acc[2];
      a3 = acc[3];
#else
      const uint32_t *xj = x;
      for (int32_t j = 0; j < nw; ++j) {
        a0 = fc_sb_word(w[0], xj, a0, BITS);
        a1 = fc_sb_word(w[1], xj, a1, BITS);
        a2 = fc_sb_word(w[2], xj, a2, BITS);
        a3 = fc_sb_word(w[3], xj, a3, BITS);
        w += 4;
        xj += 2 * per;
      }
#endif
      rq = fc_store4(o, a0, a1, a2, a3, rq, rq_step, off, lo, hi, MODE);
      o += 4;
    }
    for (; n < n_out; ++n) {
      int32_t a = (int32_t)((uint32_t)*bias++ - corr);
      for (int32_t j = 0; j < nw; ++j) a = fc_sb_word(w[j], x + 2 * per * j, a, BITS);
      w += nw;
      *o++ = (int8_t)tinyml_rq(MODE, a, rq->multiplier, rq->t, rq->e, off, lo, hi);
      rq += rq_step;
    }
  }
}

#define TINYML_FC_SB_ENTRY(BITS)                                                                                 \
  void tinyml_fully_connected_s8_dsp_sb##BITS(const tinyml_fully_connected_dsp_params *p, const int8_t *input,   \
                                              const uint32_t *weights, int8_t *output, void *scratch,           \
                                              int32_t mode) {                                                   \
    if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST) {                                                                               \
      fc_sb_body(p, input, weights, output, scratch, TINYML_RQ_FAST, BITS);                                     \
    } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {                                                                 \
      fc_sb_body(p, input, weights, output, scratch, TINYML_RQ_FAST_FOLDED, BITS);                              \
    } else {                                                                                                    \
      fc_sb_body(p, input, weights, output, scratch, TINYML_RQ_REF, BITS);                                      \
    }                                                                                                           \
  }                                                                                                             \
  /* FAST_MIXED on its own entry point (linked only by the models that use it). */                              \
  void tinyml_fully_connected_s8_dsp_sb##BITS##_mixed(const tinyml_fully_connected_dsp_params *p,               \
                                                      const int8_t *input, const uint32_t *weights,             \
                                                      int8_t *output, void *scratch) {                          \
    fc_sb_body(p, input, weights, output, scratch, TINYML_RQ_FAST_MIXED, BITS);                                 \
  }
TINYML_FC_SB_ENTRY(2)
TINYML_FC_SB_ENTRY(1)
