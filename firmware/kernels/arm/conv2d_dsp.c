/*
 * conv2d_dsp.c - see conv2d_dsp.h.
 *
 * Column layout (scratch, 32-bit words): for each group j of four K indices, eight words
 *   [p0 (x0,x2)] [p1 (x0,x2)] [p2 (x0,x2)] [p3 (x0,x2)] [p0 (x1,x3)] [p1 ...] [p2 ...] [p3 ...]
 * i.e. the halfword pairs SXTB16 produces from a word of int8, so one weight word w expands to
 * sxtb16(w) = (w0, w2) and sxtb16(w, ror 8) = (w1, w3), each multiplied with four pixel words
 * by SMLAD. The weights need no reordering.
 */
#include "conv2d_dsp.h"

/* Index (in int16 units) of K index k of column s. */
TINYML_DSP_INLINE int32_t col_index(int32_t k, int32_t s) {
  return (((k >> 2) * 8 + (k & 1) * 4 + s) << 1) + ((k >> 1) & 1);
}

/* Writes n input bytes (K indices k0..k0+n-1) into column s; dbl doubles them. */
TINYML_DSP_INLINE void col_copy(int16_t *cols, int32_t s, int32_t k0, const int8_t *src, int32_t n, int32_t dbl) {
  if (((k0 | n) & 3) == 0) {
    uint32_t *c32 = (uint32_t *)cols + (k0 >> 2) * 8 + s;
    const int8_t *end = src + n;
    if (dbl) {
      while (src != end) {
        const uint32_t v = tinyml_ld32(src);
        src += 4;
        const uint32_t e = tinyml_sxtb16(v);
        const uint32_t o = tinyml_sxtb16_ror8(v);
        c32[0] = tinyml_sadd16(e, e);
        c32[4] = tinyml_sadd16(o, o);
        c32 += 8;
      }
    } else {
      while (src != end) {
        const uint32_t v = tinyml_ld32(src);
        src += 4;
        c32[0] = tinyml_sxtb16(v);
        c32[4] = tinyml_sxtb16_ror8(v);
        c32 += 8;
      }
    }
    return;
  }
  for (int32_t i = 0; i < n; ++i) {
    cols[col_index(k0 + i, s)] = (int16_t)((int32_t)src[i] << dbl);
  }
}

/* Writes n copies of value (already doubled if needed) into column s. */
TINYML_DSP_INLINE void col_fill(int16_t *cols, int32_t s, int32_t k0, int32_t value, int32_t n) {
  if (((k0 | n) & 3) == 0) {
    const uint32_t v = ((uint32_t)value & 0xFFFFu) * 0x10001u;
    uint32_t *c32 = (uint32_t *)cols + (k0 >> 2) * 8 + s;
    for (int32_t i = 0; i < n; i += 4) {
      c32[0] = v;
      c32[4] = v;
      c32 += 8;
    }
    return;
  }
  for (int32_t i = 0; i < n; ++i) {
    cols[col_index(k0 + i, s)] = (int16_t)value;
  }
}

/* im2col of output pixel (oy, ox) into column s. */
static void col_window(const tinyml_conv2d_dsp_params *p, int16_t *cols, int32_t s, const int8_t *input,
                       int32_t oy, int32_t ox, int32_t dbl) {
  const int32_t c = p->input_depth;
  const int32_t pad = p->pad_value << dbl;
  const int32_t iy0 = oy * p->stride_height - p->pad_height;
  const int32_t ix0 = ox * p->stride_width - p->pad_width;
  const int32_t row_len = p->filter_width * c;
  const int32_t row_inside = p->dilation_width == 1 && ix0 >= 0 && ix0 + p->filter_width <= p->input_width;
  int32_t k = 0;
  for (int32_t fy = 0; fy < p->filter_height; ++fy) {
    const int32_t iy = iy0 + fy * p->dilation_height;
    if (iy < 0 || iy >= p->input_height) {
      col_fill(cols, s, k, pad, row_len);
      k += row_len;
      continue;
    }
    const int8_t *row = input + iy * p->input_width * c;
    if (row_inside) {
      /* The whole filter row lies inside the image and is contiguous. */
      col_copy(cols, s, k, row + ix0 * c, row_len, dbl);
      k += row_len;
      continue;
    }
    for (int32_t fx = 0; fx < p->filter_width; ++fx) {
      const int32_t ix = ix0 + fx * p->dilation_width;
      if (ix < 0 || ix >= p->input_width) {
        col_fill(cols, s, k, pad, c);
      } else {
        col_copy(cols, s, k, row + ix * c, c, dbl);
      }
      k += c;
    }
  }
}

/*
 * a0..a3 += sum over k4 groups of four K indices of weights (int8, one row) x four columns;
 * advances w past the row.
 */
#if TINYML_DSP_ASM
#define TINYML_DOT_1X4_GROUP                          \
  "ldr    %[wv], [%[wp]], #4\n\t"                     \
  "ldmia  %[cp]!, {%[c0], %[c1], %[c2], %[c3]}\n\t"   \
  "sxtb16 %[t], %[wv]\n\t"                            \
  "smlad  %[a0], %[t], %[c0], %[a0]\n\t"              \
  "smlad  %[a1], %[t], %[c1], %[a1]\n\t"              \
  "smlad  %[a2], %[t], %[c2], %[a2]\n\t"              \
  "smlad  %[a3], %[t], %[c3], %[a3]\n\t"              \
  "ldmia  %[cp]!, {%[c0], %[c1], %[c2], %[c3]}\n\t"   \
  "sxtb16 %[t], %[wv], ror #8\n\t"                    \
  "smlad  %[a0], %[t], %[c0], %[a0]\n\t"              \
  "smlad  %[a1], %[t], %[c1], %[a1]\n\t"              \
  "smlad  %[a2], %[t], %[c2], %[a2]\n\t"              \
  "smlad  %[a3], %[t], %[c3], %[a3]\n\t"

#define TINYML_DOT_1X4(cols, w, k4, A0, A1, A2, A3)                                                           \
  do {                                                                                                      \
    register int32_t a0_ __asm__("r0") = (A0);                                                               \
    register int32_t a1_ __asm__("r1") = (A1);                                                               \
    register int32_t a2_ __asm__("r2") = (A2);                                                               \
    register int32_t a3_ __asm__("r3") = (A3);                                                               \
    register uint32_t c0_ __asm__("r4");                                                                     \
    register uint32_t c1_ __asm__("r5");                                                                     \
    register uint32_t c2_ __asm__("r6");                                                                     \
    register uint32_t c3_ __asm__("r8");                                                                     \
    register uint32_t wv_ __asm__("r9");                                                                     \
    register uint32_t t_ __asm__("r10");                                                                     \
    register const uint32_t *cp_ __asm__("r11") = (cols);                                                    \
    register const int8_t *wp_ __asm__("r12") = (w);                                                         \
    register int32_t n_ __asm__("lr") = (k4);                                                                \
    __asm__ volatile("lsrs   %[n], %[n], #1\n\t"                                                            \
                     "bcc    2f\n\t" TINYML_DOT_1X4_GROUP "2:\n\t"                                          \
                     "beq    3f\n"                                                                          \
                     "1:\n\t" TINYML_DOT_1X4_GROUP TINYML_DOT_1X4_GROUP "subs   %[n], %[n], #1\n\t"          \
                     "bne    1b\n"                                                                          \
                     "3:\n\t"                                                                              \
                     : [a0] "+r"(a0_), [a1] "+r"(a1_), [a2] "+r"(a2_), [a3] "+r"(a3_), [c0] "=&r"(c0_),          \
                       [c1] "=&r"(c1_), [c2] "=&r"(c2_), [c3] "=&r"(c3_), [wv] "=&r"(wv_), [t] "=&r"(t_),        \
                       [cp] "+r"(cp_), [wp] "+r"(wp_), [n] "+r"(n_)                                             \
                     :                                                                                      \
                     : "cc", "memory");                                                                     \
    (A0) = a0_;                                                                                              \
    (A1) = a1_;                                                                                              \
    (A2) = a2_;                                                                                              \
    (A3) = a3_;                                                                                              \
    (w) = wp_;                                                                                               \
  } while (0)
#else
#define TINYML_DOT_1X4(cols, w, k4, A0, A1, A2, A3)                                                           \
  do {                                                                                                      \
    const uint32_t *c_ = (cols);                                                                            \
    for (int32_t j_ = 0; j_ < (k4); ++j_) {                                                                 \
      const uint32_t wv_ = tinyml_ld32(w);                                                                  \
      (w) += 4;                                                                                             \
      const uint32_t we_ = tinyml_sxtb16(wv_);                                                              \
      (A0) = tinyml_smlad(we_, c_[0], (A0));                                                                \
      (A1) = tinyml_smlad(we_, c_[1], (A1));                                                                \
      (A2) = tinyml_smlad(we_, c_[2], (A2));                                                                \
      (A3) = tinyml_smlad(we_, c_[3], (A3));                                                                \
      const uint32_t wo_ = tinyml_sxtb16_ror8(wv_);                                                         \
      (A0) = tinyml_smlad(wo_, c_[4], (A0));                                                                \
      (A1) = tinyml_smlad(wo_, c_[5], (A1));                                                                \
      (A2) = tinyml_smlad(wo_, c_[6], (A2));                                                                \
      (A3) = tinyml_smlad(wo_, c_[7], (A3));                                                                \
      c_ += 8;                                                                                              \
    }                                                                                                       \
  } while (0)
#endif

/*
 * Every output channel against four columns; out[s * n_out + n] for s < npx. MODE and FULL
 * (activation range is the whole int8 range) are constants in each instantiation.
 */
TINYML_DSP_INLINE void mm_1x4(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w,
                              int8_t *out, int32_t npx, const int MODE, const int FULL) {
  const int32_t n_out = p->output_depth;
  const int32_t k4 = p->k4;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  const tinyml_dsp_rq *rq = p->rq;
  const int32_t rq_step = p->per_channel ? 1 : 0;
  const int32_t *bias = p->bias;
  int8_t *o = out;
  int8_t *const o_end = out + n_out;
  while (o != o_end) {
    int32_t a0 = *bias++;
    int32_t a1 = a0, a2 = a0, a3 = a0;
    TINYML_DOT_1X4(cols, w, k4, a0, a1, a2, a3);
    const int32_t m = rq->multiplier, t = rq->t, e = rq->e;
    rq += rq_step;
    const int32_t z0 = tinyml_rq(MODE, a0, m, t, e, off, lo, hi);
    const int32_t z1 = tinyml_rq(MODE, a1, m, t, e, off, lo, hi);
    const int32_t z2 = tinyml_rq(MODE, a2, m, t, e, off, lo, hi);
    const int32_t z3 = tinyml_rq(MODE, a3, m, t, e, off, lo, hi);
    if (npx == 4) {
      o[0] = (int8_t)z0;
      o[n_out] = (int8_t)z1;
      o[2 * n_out] = (int8_t)z2;
      o[3 * n_out] = (int8_t)z3;
    } else {
      o[0] = (int8_t)z0;
      if (npx > 1) o[n_out] = (int8_t)z1;
      if (npx > 2) o[2 * n_out] = (int8_t)z2;
    }
    ++o;
  }
}

#define TINYML_MM_VARIANT(name, MODE, FULL)                                                                   \
  static void name(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w, int8_t *out,    \
                   int32_t npx) {                                                                            \
    mm_1x4(p, cols, w, out, npx, MODE, FULL);                                                                \
  }
TINYML_MM_VARIANT(mm_fast_full, TINYML_RQ_FAST, 1)
TINYML_MM_VARIANT(mm_folded_full, TINYML_RQ_FAST_FOLDED, 1)
TINYML_MM_VARIANT(mm_fast, TINYML_RQ_FAST, 0)
TINYML_MM_VARIANT(mm_folded, TINYML_RQ_FAST_FOLDED, 0)
TINYML_MM_VARIANT(mm_ref, TINYML_RQ_REF, 0)

typedef void (*mm_fn)(const tinyml_conv2d_dsp_params *, const uint32_t *, const int8_t *, int8_t *, int32_t);

void tinyml_conv2d_s8_dsp(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int8_t *weights,
                          int8_t *output, void *scratch) {
  int16_t *cols = (int16_t *)scratch;
  const int32_t dbl = p->mode != TINYML_RQ_REF;
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;
  mm_fn mm;
  if (p->mode == TINYML_RQ_FAST) {
    mm = full ? mm_fast_full : mm_fast;
  } else if (p->mode == TINYML_RQ_FAST_FOLDED) {
    mm = full ? mm_folded_full : mm_folded;
  } else {
    mm = mm_ref;
  }
  const int32_t npix = p->output_height * p->output_width;
  const int32_t c = p->input_depth;
  const int32_t pointwise = p->filter_height == 1 && p->filter_width == 1 && p->stride_height == 1 &&
                            p->stride_width == 1 && p->pad_height == 0 && p->pad_width == 0;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->input_height * p->input_width * c;
    int8_t *out = output + b * npix * p->output_depth;
    int32_t oy = 0;
    int32_t ox = 0;
    for (int32_t p0 = 0; p0 < npix; p0 += 4) {
      const int32_t npx = npix - p0 < 4 ? npix - p0 : 4;
      for (int32_t s = 0; s < npx; ++s) {
        if (pointwise) {
          col_copy(cols, s, 0, in + (p0 + s) * c, c, dbl);
        } else {
          col_window(p, cols, s, in, oy, ox, dbl);
          if (++ox == p->output_width) {
            ox = 0;
            ++oy;
          }
        }
      }
      mm(p, (const uint32_t *)cols, weights, out + p0 * p->output_depth, npx);
    }
  }
}
