/*
 * conv2d_mve.c - see conv2d_mve.h.
 */
#include "conv2d_mve.h"

/* The window of output pixel (oy, ox) as K consecutive bytes, padded taps at the zero point. */
static void gather_window(const tinyml_conv2d_mve_params *p, const int8_t *input, int32_t oy, int32_t ox,
                          int8_t *col) {
  const int32_t c = p->geo.input_depth;
  const int32_t fw = p->geo.filter_width;
  const int32_t in_w = p->geo.input_width;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
  const int32_t row_len = fw * c;
  const int8_t pad = (int8_t)p->pad_value;
  /* Without dilation the taps of a filter row that fall inside the input are one run of
   * consecutive input bytes: one copy, padding before and after it. */
  const int32_t dense = p->geo.dilation_width == 1;
  const int32_t fx_lo = ix0 < 0 ? -ix0 : 0;
  const int32_t fx_hi = in_w - ix0 < fw ? in_w - ix0 : fw;
  const int32_t iy_last = iy0 + (p->geo.filter_height - 1) * p->geo.dilation_height;
  if (dense && fx_lo == 0 && fx_hi == fw && iy0 >= 0 && iy_last < p->geo.input_height && row_len <= 16) {
    /* The common case (the window inside the input, filter rows of 16 bytes or fewer): one
     * predicated load and store per filter row, one predicate for all of them. */
    const int8_t *src = input + (iy0 * in_w + ix0) * c;
    const int32_t src_step = p->geo.dilation_height * in_w * c;
    const mve_pred16_t rp = vctp8q((uint32_t)row_len);
    for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
      vstrbq_p_s8(col, vldrbq_z_s8(src, rp), rp);
      col += row_len;
      src += src_step;
    }
    return;
  }
  if (dense && row_len <= 16) {
    /* A window over the padding (KWS's 10x4 first layer: most of them), rows of 16 bytes or
     * fewer: each row the zero point (one predicated store), then its in-image run over it (one
     * predicated load and store), where the byte-wise fills and copies cost a loop each. */
    const mve_pred16_t rp = vctp8q((uint32_t)row_len);
    const int8x16_t padv = vdupq_n_s8(pad);
    const int32_t lo = fx_lo * c;
    const int32_t run = fx_hi > fx_lo ? (fx_hi - fx_lo) * c : 0;
    const mve_pred16_t ip = vctp8q((uint32_t)run);
    const int8_t *src = input + (ix0 + fx_lo) * c;
    for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
      const int32_t iy = iy0 + fy * p->geo.dilation_height;
      vstrbq_p_s8(col, padv, rp);
      if (run > 0 && iy >= 0 && iy < p->geo.input_height) vstrbq_p_s8(col + lo, vldrbq_z_s8(src + iy * in_w * c, ip), ip);
      col += row_len;
    }
    return;
  }
  for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
    const int32_t iy = iy0 + fy * p->geo.dilation_height;
    if (iy < 0 || iy >= p->geo.input_height || fx_lo >= fx_hi) {
      tinyml_mve_fill(col, pad, row_len);
    } else if (dense) {
      if (fx_lo > 0) tinyml_mve_fill(col, pad, fx_lo * c);
      tinyml_mve_copy(col + fx_lo * c, input + (iy * in_w + ix0 + fx_lo) * c, (fx_hi - fx_lo) * c);
      if (fx_hi < fw) tinyml_mve_fill(col + fx_hi * c, pad, (fw - fx_hi) * c);
    } else {
      for (int32_t fx = 0; fx < fw; ++fx) {
        const int32_t ix = ix0 + fx * p->geo.dilation_width;
        if (ix < 0 || ix >= in_w) {
          tinyml_mve_fill(col + fx * c, pad, c);
        } else {
          tinyml_mve_copy(col + fx * c, input + (iy * in_w + ix) * c, c);
        }
      }
    }
    col += row_len;
  }
}

/* What every step of a layer shares: K in whole vectors and the rest, the output stage. */
typedef struct {
  int32_t chunks, tail, group_bytes, full, n_out, off, lo, hi;
  mve_pred16_t k_pred, n_pred;
} conv_steps;

TINYML_MVE_INLINE void store4(int8_t *out, int32x4_t z, const int FULL, mve_pred16_t pred) {
  if (FULL) {
    vstrbq_s32(out, z);
  } else {
    vstrbq_p_s32(out, z, pred);
  }
}

/*
 * Output channels c..c+3 of one pixel whose K inputs are at x; w: the group's weights.
 * FULL: all four channels exist (plain store), else the store is predicated by s->n_pred.
 */
TINYML_MVE_INLINE void group4(const conv_steps *s, const int8_t *x, const int8_t *w, const tinyml_mve_rq4 *rq,
                              int8_t *out, const int FULL) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t i = 0; i < s->chunks; ++i) {
    const int8x16_t xv = vldrbq_s8(x);
    x += 16;
    a0 = vmladavaq_s8(a0, vldrbq_s8(w), xv);
    a1 = vmladavaq_s8(a1, vldrbq_s8(w + 16), xv);
    a2 = vmladavaq_s8(a2, vldrbq_s8(w + 32), xv);
    a3 = vmladavaq_s8(a3, vldrbq_s8(w + 48), xv);
    w += 64;
  }
  if (s->tail) {
    /* Inputs past K are not read (zeroed lanes); their weights are zero anyway. */
    const int8x16_t xv = vldrbq_z_s8(x, s->k_pred);
    a0 = vmladavaq_s8(a0, vldrbq_s8(w), xv);
    a1 = vmladavaq_s8(a1, vldrbq_s8(w + 16), xv);
    a2 = vmladavaq_s8(a2, vldrbq_s8(w + 32), xv);
    a3 = vmladavaq_s8(a3, vldrbq_s8(w + 48), xv);
  }
  store4(out, tinyml_mve_requant(tinyml_mve_lanes4(a0, a1, a2, a3), rq, s->off, s->lo, s->hi), FULL, s->n_pred);
}

/* Accumulators of four channels x two pixels. */
typedef struct {
  int32_t a0, a1, a2, a3, b0, b1, b2, b3;
} acc4x2;

/* Sixteen K indices of both pixels (xa, xb) against the group's 64 weight bytes at w. */
TINYML_MVE_INLINE void mac4x2(acc4x2 *s, int8x16_t xa, int8x16_t xb, const int8_t *w) {
  int8x16_t wv = vldrbq_s8(w);
  s->a0 = vmladavaq_s8(s->a0, wv, xa);
  s->b0 = vmladavaq_s8(s->b0, wv, xb);
  wv = vldrbq_s8(w + 16);
  s->a1 = vmladavaq_s8(s->a1, wv, xa);
  s->b1 = vmladavaq_s8(s->b1, wv, xb);
  wv = vldrbq_s8(w + 32);
  s->a2 = vmladavaq_s8(s->a2, wv, xa);
  s->b2 = vmladavaq_s8(s->b2, wv, xb);
  wv = vldrbq_s8(w + 48);
  s->a3 = vmladavaq_s8(s->a3, wv, xa);
  s->b3 = vmladavaq_s8(s->b3, wv, xb);
}

/* Both pixels' four channels requantized (one record load) and stored. */
TINYML_MVE_INLINE void store4x2(const conv_steps *s, const acc4x2 *acc, const tinyml_mve_rq4 *rq, int8_t *out0,
                                int8_t *out1, const int FULL) {
  const tinyml_mve_rqv q = tinyml_mve_rq_load(rq);
  store4(out0, tinyml_mve_requant_v(tinyml_mve_lanes4(acc->a0, acc->a1, acc->a2, acc->a3), q, s->off, s->lo, s->hi), FULL, s->n_pred);
  store4(out1, tinyml_mve_requant_v(tinyml_mve_lanes4(acc->b0, acc->b1, acc->b2, acc->b3), q, s->off, s->lo, s->hi), FULL, s->n_pred);
}

/*
 * The same for two pixels (inputs at x0 and x1, outputs at out0 and out1): every weight vector
 * and requantization record is loaded once for both, which is most of what a step costs when K
 * is small.
 */
TINYML_MVE_INLINE void group4x2(const conv_steps *s, const int8_t *x0, const int8_t *x1, const int8_t *w,
                                const tinyml_mve_rq4 *rq, int8_t *out0, int8_t *out1, const int FULL) {
  acc4x2 acc = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int32_t i = 0; i < s->chunks; ++i) {
    mac4x2(&acc, vldrbq_s8(x0), vldrbq_s8(x1), w);
    x0 += 16;
    x1 += 16;
    w += 64;
  }
  if (s->tail) mac4x2(&acc, vldrbq_z_s8(x0, s->k_pred), vldrbq_z_s8(x1, s->k_pred), w);
  store4x2(s, &acc, rq, out0, out1, FULL);
}

/* K <= 16: both pixels' inputs are one vector each (xa, xb), loaded once for every group. */
TINYML_MVE_INLINE void group4x2_short(const conv_steps *s, int8x16_t xa, int8x16_t xb, const int8_t *w,
                                      const tinyml_mve_rq4 *rq, int8_t *out0, int8_t *out1, const int FULL) {
  acc4x2 acc = {0, 0, 0, 0, 0, 0, 0, 0};
  mac4x2(&acc, xa, xb, w);
  store4x2(s, &acc, rq, out0, out1, FULL);
}

/*
 * Three pixels at a time (their inputs read in place in 1x1 layers, else three gathered windows), each group's four channels
 * as two halves of two: VMLADAVA accumulates into an even-numbered general register, of which
 * there are seven, so the eight accumulators of four channels x two pixels spilled and were
 * shuffled (22 instructions per 16 K indices for 128 MACs); six accumulators of two channels x
 * three pixels fit (11 for 96: three input loads, two weight loads, six VMLADAVA).
 */
typedef struct {
  int32_t p0, p1, p2, q0, q1, q2;
} acc2x3;

/*
 * The group's channels at w and w + 32 in each 64-byte step (0 and 2, or with w + 16, 1 and 3)
 * against the three pixels' K inputs (p the first channel, q the second), for K a whole number
 * of vectors (no tail), in assembly: compiled from intrinsics, the loop kept one
 * accumulator in an odd register and moved it every step, and each half spent ~30 instructions
 * around its loop. Here the first step's VMLADAV (no accumulate) starts the sums, WLS/LE run the
 * others: 11 instructions and the LE per 16 K indices, nothing else but the return.
 */
#define TINYML_MAC2X3_STEP(OP)            \
  "vldrb.8     q1, [%[w], #32]\n\t"      \
  "vldrb.8     q0, [%[w]], #64\n\t"      \
  "vldrb.8     q2, [%[a]], #16\n\t"      \
  OP "  r0, q0, q2\n\t"                  \
  OP "  r6, q1, q2\n\t"                  \
  "vldrb.8     q2, [%[b]], #16\n\t"      \
  OP "  r2, q0, q2\n\t"                  \
  OP "  r8, q1, q2\n\t"                  \
  "vldrb.8     q2, [%[c]], #16\n\t"      \
  OP "  r4, q0, q2\n\t"                  \
  OP "  r10, q1, q2\n\t"
TINYML_MVE_INLINE acc2x3 mac2x3_whole(int32_t chunks, const int8_t *x0, const int8_t *x1, const int8_t *x2,
                                      const int8_t *w) {
  register int32_t p0 __asm__("r0");
  register int32_t p1 __asm__("r2");
  register int32_t p2 __asm__("r4");
  register int32_t q0 __asm__("r6");
  register int32_t q1 __asm__("r8");
  register int32_t q2 __asm__("r10");
  int32_t rest = chunks - 1;
  __asm__ volatile(TINYML_MAC2X3_STEP("vmladav.s8 ")
                   "wls         lr, %[n], 2f\n"
                   "1:\n\t" TINYML_MAC2X3_STEP("vmladava.s8")
                   "le          lr, 1b\n"
                   "2:"
                   : "=&r"(p0), "=&r"(p1), "=&r"(p2), "=&r"(q0), "=&r"(q1), "=&r"(q2), [a] "+&r"(x0), [b] "+&r"(x1),
                     [c] "+&r"(x2), [w] "+&r"(w), [n] "+&r"(rest)
                   :
                   : "q0", "q1", "q2", "lr", "memory");
  const acc2x3 r = {p0, p1, p2, q0, q1, q2};
  return r;
}
/*
 * The same for K with a tail (k_tail = K % 16 indices in a last, partial vector: gathered windows
 * such as VWW's 3x3x3 and KWS's 10x4 first layers): the sums start from zero, the whole vectors
 * run as above (none when K < 16), then one step whose input loads are predicated to the tail
 * (VCTP once, before the loop, whose instructions are not predicated; each tail load under its
 * own VPST; the lanes past K read as zero, and the weights there are zero padding anyway).
 */
#define TINYML_MAC2X3_TAIL_X(X, LO, HI) \
  "vpst\n\t"                           \
  "vldrbt.8    q2, [%[" X "]]\n\t"     \
  "vmladava.s8 " LO ", q0, q2\n\t"     \
  "vmladava.s8 " HI ", q1, q2\n\t"
TINYML_MVE_INLINE acc2x3 mac2x3_tail(int32_t chunks, int32_t k_tail, const int8_t *x0, const int8_t *x1,
                                     const int8_t *x2, const int8_t *w) {
  register int32_t p0 __asm__("r0");
  register int32_t p1 __asm__("r2");
  register int32_t p2 __asm__("r4");
  register int32_t q0 __asm__("r6");
  register int32_t q1 __asm__("r8");
  register int32_t q2 __asm__("r10");
  /* Both counts in one register (one operand fewer than the registers left): the tail's
   * predicate is set first, and only the tail's loads are predicated. */
  int32_t nk = (int32_t)((uint32_t)chunks | ((uint32_t)k_tail << 16));
  __asm__ volatile("movs        r0, #0\n\t"
                   "movs        r2, #0\n\t"
                   "movs        r4, #0\n\t"
                   "movs        r6, #0\n\t"
                   "mov         r8, #0\n\t"
                   "mov         r10, #0\n\t"
                   "uxth        lr, %[nk]\n\t"
                   "lsrs        %[nk], %[nk], #16\n\t"
                   "vctp.8      %[nk]\n\t"
                   "wls         lr, lr, 2f\n"
                   "1:\n\t" TINYML_MAC2X3_STEP("vmladava.s8")
                   "le          lr, 1b\n"
                   "2:\n\t"
                   "vldrb.8     q1, [%[w], #32]\n\t"
                   "vldrb.8     q0, [%[w]]\n\t"
                   TINYML_MAC2X3_TAIL_X("a", "r0", "r6") TINYML_MAC2X3_TAIL_X("b", "r2", "r8")
                   TINYML_MAC2X3_TAIL_X("c", "r4", "r10")
                   : "=&r"(p0), "=&r"(p1), "=&r"(p2), "=&r"(q0), "=&r"(q1), "=&r"(q2), [a] "+&r"(x0), [b] "+&r"(x1),
                     [c] "+&r"(x2), [w] "+&r"(w), [nk] "+&r"(nk)
                   :
                   : "q0", "q1", "q2", "lr", "memory");
  const acc2x3 r = {p0, p1, p2, q0, q1, q2};
  return r;
}
#undef TINYML_MAC2X3_TAIL_X
#undef TINYML_MAC2X3_STEP

/* Lanes 0 and 2 of a new vector (1 and 3 are set next, by lanes13). */
TINYML_MVE_INLINE int32x4_t lanes02(int32_t a, int32_t b) {
  int32x4_t v;
  __asm__("vmov %q0[2], %q0[0], %1, %2" : "=w"(v) : "r"(a), "r"(b));
  return v;
}

TINYML_MVE_INLINE int32x4_t lanes13(int32x4_t v, int32_t a, int32_t b) {
  __asm__("vmov %q0[3], %q0[1], %1, %2" : "+w"(v) : "r"(a), "r"(b));
  return v;
}

/* Four channels of three pixels: channels 0 and 2 into lanes 0 and 2 of each pixel's vector,
 * then 1 and 3; one record load for the three requantizations. */
TINYML_MVE_INLINE void group4x3(const conv_steps *s, const int8_t *x0, const int8_t *x1, const int8_t *x2,
                                const int8_t *w, const tinyml_mve_rq4 *rq, int8_t *out0, int8_t *out1, int8_t *out2,
                                const int FULL) {
  const int whole = s->tail == 0;
  const acc2x3 e = whole ? mac2x3_whole(s->chunks, x0, x1, x2, w) : mac2x3_tail(s->chunks, s->tail, x0, x1, x2, w);
  int32x4_t v0 = lanes02(e.p0, e.q0);
  int32x4_t v1 = lanes02(e.p1, e.q1);
  int32x4_t v2 = lanes02(e.p2, e.q2);
  const acc2x3 o =
      whole ? mac2x3_whole(s->chunks, x0, x1, x2, w + 16) : mac2x3_tail(s->chunks, s->tail, x0, x1, x2, w + 16);
  v0 = lanes13(v0, o.p0, o.q0);
  v1 = lanes13(v1, o.p1, o.q1);
  v2 = lanes13(v2, o.p2, o.q2);
  const tinyml_mve_rqv q = tinyml_mve_rq_load(rq);
  store4(out0, tinyml_mve_requant_v(v0, q, s->off, s->lo, s->hi), FULL, s->n_pred);
  store4(out1, tinyml_mve_requant_v(v1, q, s->off, s->lo, s->hi), FULL, s->n_pred);
  store4(out2, tinyml_mve_requant_v(v2, q, s->off, s->lo, s->hi), FULL, s->n_pred);
}

/* Every output channel of three pixels (inputs x0..x2, outputs out0 .. out0 + 2 n_out). */
static void pixel_triple_channels(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x0, const int8_t *x1,
                                  const int8_t *x2, const int8_t *w, int8_t *out0) {
  int8_t *out1 = out0 + s->n_out;
  int8_t *out2 = out1 + s->n_out;
  for (int32_t g = 0; g < s->full; ++g) {
    group4x3(s, x0, x1, x2, w, rq++, out0, out1, out2, 1);
    w += s->group_bytes;
    out0 += 4;
    out1 += 4;
    out2 += 4;
  }
  if (s->n_out & 3) group4x3(s, x0, x1, x2, w, rq, out0, out1, out2, 0);
}

/* Every output channel of one pixel whose K inputs are at x. */
static void pixel_channels(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x, const int8_t *w,
                           int8_t *out) {
  for (int32_t g = 0; g < s->full; ++g) {
    group4(s, x, w, rq++, out, 1);
    w += s->group_bytes;
    out += 4;
  }
  if (s->n_out & 3) group4(s, x, w, rq, out, 0);
}

/* Every output channel of two pixels. */
static void pixel_pair_channels(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x0, const int8_t *x1,
                                const int8_t *w, int8_t *out0, int8_t *out1) {
  if (s->chunks == 0) {
    const int8x16_t xa = vldrbq_z_s8(x0, s->k_pred);
    const int8x16_t xb = vldrbq_z_s8(x1, s->k_pred);
    for (int32_t g = 0; g < s->full; ++g) {
      group4x2_short(s, xa, xb, w, rq++, out0, out1, 1);
      w += 64;
      out0 += 4;
      out1 += 4;
    }
    if (s->n_out & 3) group4x2_short(s, xa, xb, w, rq, out0, out1, 0);
    return;
  }
  for (int32_t g = 0; g < s->full; ++g) {
    group4x2(s, x0, x1, w, rq++, out0, out1, 1);
    w += s->group_bytes;
    out0 += 4;
    out1 += 4;
  }
  if (s->n_out & 3) group4x2(s, x0, x1, w, rq, out0, out1, 0);
}

/*
 * Pointwise layers with K <= 32 and stride 1 (pixels K bytes apart, in the input as in the
 * output): one output channel at a time over all pixels, four pixels per step. The channel's
 * weights stay in one or two vectors (NW; the code takes up to four), so each step is NW loads
 * and VMLADAVs per pixel, the output stage and one scatter of the four bytes (NHWC: output_depth
 * apart). Steps of several channels and pixels share a record and the input loads among more
 * MACs, which a short K does not have: here they took more instructions per value (qemu-m55,
 * VWW's 24x24x32 -> 32 layer 211,188 in three-pixel steps against 149,375; at K = 64 the
 * three-pixel steps win, KWS's 64 -> 64 layers 115,799 against 130,858 with four weight vectors).
 * Lanes past K of a pixel's last vector hold the next pixel's inputs, against zero weights;
 * the last pixels, whose vectors would reach past the input, are loaded predicated (nothing past
 * the tensor is read).
 */

/* Keeps the loads on either side of it in program order (an empty asm that may touch memory). */
#define TINYML_MVE_ORDER() __asm__ volatile("" ::: "memory")

/*
 * TFLite's MultiplyByQuantizedMultiplier as in tinyml_mve_mbqm, for four values of one channel:
 * the bias, left shift and multiplier as scalar operands (VADD, VSHL and VQRDMULH by a general
 * register), the output offset as a vector with up to two weight vectors (a scalar with four),
 * the right shift as a vector with one (general registers run short in that step) and as a
 * scalar with more (Q registers do). RIGHT:
 * the channel has a right shift (right < 0); the sign fix-up is then x >> 31 on every lane
 * (x & right has the sign of x), and without one there is none.
 */
TINYML_MVE_INLINE int32x4_t short_requant(int32x4_t acc, int32_t bias, int32_t m, int32_t left, int32x4_t right_v,
                                          int32_t right, int32x4_t off, int32_t off_s, int32x4_t lo, int32x4_t hi,
                                          const int RIGHT, const int NW) {
  int32x4_t z = vqrdmulhq_n_s32(vshlq_r_s32(vaddq_n_s32(acc, bias), left), m);
  if (RIGHT) {
    z = vqaddq_s32(z, vshrq_n_s32(z, 31));
    z = NW == 1 ? vrshlq_s32(z, right_v) : vrshlq_n_s32(z, right);
  }
  return vminq_s32(vmaxq_s32(NW <= 2 ? vaddq_s32(z, off) : vaddq_n_s32(z, off_s), lo), hi);
}

/* The channel's weight vectors: values, not an array (which the order barriers would reload). */
typedef struct {
  int8x16_t w0, w1, w2, w3;
} short_weights;

/* One pixel's sum: its NW vectors (x) against the channel's (w). */
TINYML_MVE_INLINE int32_t short_sum(const int8_t *x, short_weights w, const int NW) {
  int32_t a = vmladavq_s8(vldrbq_s8(x), w.w0);
  if (NW > 1) a = vmladavaq_s8(a, vldrbq_s8(x + 16), w.w1);
  if (NW > 2) a = vmladavaq_s8(a, vldrbq_s8(x + 32), w.w2);
  if (NW > 3) a = vmladavaq_s8(a, vldrbq_s8(x + 48), w.w3);
  return a;
}

/* The same, each vector loaded predicated (p[j]: the lanes of vector j inside the pixel). */
TINYML_MVE_INLINE int32_t short_sum_z(const int8_t *x, short_weights w, const mve_pred16_t *p, const int NW) {
  int32_t a = vmladavq_s8(vldrbq_z_s8(x, p[0]), w.w0);
  if (NW > 1) a = vmladavaq_s8(a, vldrbq_z_s8(x + 16, p[1]), w.w1);
  if (NW > 2) a = vmladavaq_s8(a, vldrbq_z_s8(x + 32, p[2]), w.w2);
  if (NW > 3) a = vmladavaq_s8(a, vldrbq_z_s8(x + 48, p[3]), w.w3);
  return a;
}

/* Channel c's values of every pixel (w: its weights, out: its first output byte). PX: K when it is
 * a constant (immediate load offsets), else 0 and k. */
TINYML_MVE_INLINE void short_channel(const int8_t *in, int32_t pixels, int32_t k, int32_t safe, short_weights w,
                                     int32_t bias, int32_t m, int32_t left, int32_t right, int32_t n_out,
                                     uint32x4_t out_offsets, int8_t *out, int32_t off_s, int32x4_t lo, int32x4_t hi,
                                     const mve_pred16_t *pk, const int RIGHT, const int NW, const int PX) {
  const int32_t ps = PX ? PX : k;
  const int32x4_t right_v = vdupq_n_s32(right);
  const int32x4_t off = vdupq_n_s32(off_s);
  const int8_t *x = in;
  int32_t i = 0;
  for (; i + 4 <= safe; i += 4) {
    /* Each sum right after its loads: the compiler would otherwise load all the vectors first,
     * which with the weights, clamp, offsets and right shift needs more than the eight Q
     * registers (a spill per step). */
    const int32_t a0 = short_sum(x, w, NW);
    TINYML_MVE_ORDER();
    const int32_t a1 = short_sum(x + ps, w, NW);
    TINYML_MVE_ORDER();
    const int32_t a2 = short_sum(x + 2 * ps, w, NW);
    TINYML_MVE_ORDER();
    const int32_t a3 = short_sum(x + 3 * ps, w, NW);
    const int32x4_t acc = tinyml_mve_lanes4(a0, a1, a2, a3);
    vstrbq_scatter_offset_s32(out, out_offsets, short_requant(acc, bias, m, left, right_v, right, off, off_s, lo, hi, RIGHT, NW));
    x += 4 * ps;
    out += 4 * n_out;
  }
  /* The last pixels (up to three whose vectors fit, then those loaded predicated). */
  for (; i < pixels; i += 4) {
    int32_t a[4] = {0, 0, 0, 0};
    const int32_t n = pixels - i < 4 ? pixels - i : 4;
    for (int32_t j = 0; j < n; ++j) a[j] = short_sum_z(x + j * ps, w, pk, NW);
    const int32x4_t acc = tinyml_mve_lanes4(a[0], a[1], a[2], a[3]);
    vstrbq_scatter_offset_p_s32(out, out_offsets, short_requant(acc, bias, m, left, right_v, right, off, off_s, lo, hi, RIGHT, NW),
                                vctp32q((uint32_t)n));
    x += 4 * ps;
    out += 4 * n_out;
  }
}

/* Every channel of every pixel, with NW and PX as in short_channel. */
TINYML_MVE_INLINE void pointwise_short(const tinyml_conv2d_mve_params *p, const int8_t *input, const int8_t *weights,
                                       int8_t *output, int32_t pixels, const int NW, const int PX) {
  const int32_t k = p->k;
  const int32_t n_out = p->output_depth;
  /* Pixels whose NW vectors end inside the input. */
  const int32_t safe = pixels * k >= 16 * NW ? (pixels * k - 16 * NW) / k + 1 : 0;
  /* The lanes of each vector inside one pixel. */
  mve_pred16_t pk[NW];
  for (int j = 0; j < NW; ++j) pk[j] = vctp8q((uint32_t)(k - 16 * j < 0 ? 0 : k - 16 * j < 16 ? k - 16 * j : 16));
  const int32x4_t lo = vdupq_n_s32(p->activation_min);
  const int32x4_t hi = vdupq_n_s32(p->activation_max);
  const uint32x4_t out_offsets = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)n_out);
  const tinyml_mve_rq4 *rq = p->rq;
  for (int32_t c = 0; c < n_out; ++c) {
    const int32_t lane = c & 3;
    /* Channel c's weights: 16 bytes per chunk of 16 K indices, 64 bytes per chunk of its group. */
    const int8_t *wc = weights + (c >> 2) * NW * 64 + lane * 16;
    short_weights w;
    w.w0 = vldrbq_s8(wc);
    w.w1 = NW > 1 ? vldrbq_s8(wc + 64) : w.w0;
    w.w2 = NW > 2 ? vldrbq_s8(wc + 128) : w.w0;
    w.w3 = NW > 3 ? vldrbq_s8(wc + 192) : w.w0;
    const int32_t bias = rq->bias[lane];
    const int32_t m = rq->multiplier[lane];
    const int32_t left = rq->left[lane];
    const int32_t right = rq->right[lane];
    int8_t *out = output + c;
    if (right < 0) {
      short_channel(input, pixels, k, safe, w, bias, m, left, right, n_out, out_offsets, out, p->output_offset, lo, hi, pk, 1, NW, PX);
    } else {
      short_channel(input, pixels, k, safe, w, bias, m, left, right, n_out, out_offsets, out, p->output_offset, lo, hi, pk, 0, NW, PX);
    }
    if (lane == 3) ++rq;
  }
}

/* The usual depths of short pointwise layers (8, 16, 32: MobileNets) as constants, and any other
 * K <= 16 or <= 32; each its own function, so that one's registers are allocated
 * without the others' loops. */
#define TINYML_POINTWISE_SHORT(name, nw, px)                                                                   \
  static __attribute__((noinline)) void name(const tinyml_conv2d_mve_params *p, const int8_t *input,          \
                                             const int8_t *weights, int8_t *output, int32_t pixels) {         \
    pointwise_short(p, input, weights, output, pixels, nw, px);                                               \
  }
TINYML_POINTWISE_SHORT(pointwise_short_k8, 1, 8)
TINYML_POINTWISE_SHORT(pointwise_short_k16, 1, 16)
TINYML_POINTWISE_SHORT(pointwise_short_k32, 2, 32)
TINYML_POINTWISE_SHORT(pointwise_short_one, 1, 0)
TINYML_POINTWISE_SHORT(pointwise_short_two, 2, 0)

/* The other layers: four channels x three pixels per step (x two for a layer's last one or two).
 * Its own function, so that its code is the same with the pointwise path's dispatch in front of it. */
static __attribute__((noinline)) void conv_steps_all(const tinyml_conv2d_mve_params *p, const int8_t *input,
                                                    const int8_t *weights, int8_t *output, void *scratch) {
  const int32_t c = p->geo.input_depth;
  const int32_t k = p->k;
  const int32_t out_w = p->geo.output_width;
  const int32_t direct = p->geo.filter_height == 1 && p->geo.filter_width == 1 && p->geo.pad_height == 0 && p->geo.pad_width == 0;
  conv_steps s;
  s.chunks = k >> 4;
  s.tail = k & 15;
  s.group_bytes = (s.chunks + (s.tail ? 1 : 0)) * 64;
  s.n_out = p->output_depth;
  s.full = s.n_out >> 2;
  s.off = p->output_offset;
  s.lo = p->activation_min;
  s.hi = p->activation_max;
  s.k_pred = vctp8q((uint32_t)s.tail);
  s.n_pred = vctp32q((uint32_t)(s.n_out & 3));
  /* Three windows side by side (gathered layers; the last pair of a layer uses two). */
  int8_t *col0 = (int8_t *)scratch;
  int8_t *col1 = col0 + k;
  const int32_t pixels = p->geo.output_height * out_w;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * p->geo.input_height * p->geo.input_width * c;
    int8_t *out = output + b * pixels * s.n_out;
    /* Output pixels in row-major order, three at a time where the inputs are read in place
     * (pixel_triple_channels), then two at a time (a pair may span two rows). */
    int32_t oy = 0, ox = 0;
    int32_t i = 0;
    const int32_t sh = p->geo.stride_height * p->geo.input_width * c;
    const int32_t sw = p->geo.stride_width * c;
    for (; i + 3 <= pixels; i += 3) {
      const int8_t *x[3];
      for (int32_t j = 0; j < 3; ++j) {
        if (direct) {
          x[j] = in + oy * sh + ox * sw;
        } else {
          gather_window(p, in, oy, ox, col0 + j * k);
          x[j] = col0 + j * k;
        }
        if (++ox == out_w) {
          ox = 0;
          ++oy;
        }
      }
      pixel_triple_channels(&s, p->rq, x[0], x[1], x[2], weights, out);
      out += 3 * s.n_out;
    }
    for (; i < pixels; i += 2) {
      const int32_t pair = i + 1 < pixels;
      const int32_t oy1 = ox + 1 < out_w ? oy : oy + 1;
      const int32_t ox1 = ox + 1 < out_w ? ox + 1 : 0;
      const int8_t *x0;
      const int8_t *x1;
      if (direct) {
        x0 = in + (oy * p->geo.stride_height * p->geo.input_width + ox * p->geo.stride_width) * c;
        x1 = in + (oy1 * p->geo.stride_height * p->geo.input_width + ox1 * p->geo.stride_width) * c;
      } else {
        gather_window(p, in, oy, ox, col0);
        if (pair) gather_window(p, in, oy1, ox1, col1);
        x0 = col0;
        x1 = col1;
      }
      if (pair) {
        pixel_pair_channels(&s, p->rq, x0, x1, weights, out, out + s.n_out);
      } else {
        pixel_channels(&s, p->rq, x0, weights, out);
      }
      out += 2 * s.n_out;
      oy = ox1 + 1 < out_w ? oy1 : oy1 + 1;
      ox = ox1 + 1 < out_w ? ox1 + 1 : 0;
    }
  }
}

void tinyml_conv2d_s8_mve(const tinyml_conv2d_mve_params *p, const int8_t *input, const int8_t *weights,
                          int8_t *output, void *scratch) {
  const int32_t k = p->k;
  const int32_t direct = p->geo.filter_height == 1 && p->geo.filter_width == 1 && p->geo.pad_height == 0 && p->geo.pad_width == 0;
  /* Every batch's pixels are K bytes apart in the input and n_out in the output: one run. */
  const int32_t pixels = p->geo.batches * p->geo.output_height * p->geo.output_width;
  /* The pointwise path costs some 30 instructions per output channel besides its steps: with
   * fewer than 8 pixels (a fully connected layer's one row) four channels x two pixels per step
   * take fewer (qemu-m55 AD01, whose 8 -> 128 layer has one row: 70,763 instructions against
   * 80,982 on the pointwise path). */
  if (direct && k <= 32 && pixels >= 8 && p->geo.stride_height == 1 && p->geo.stride_width == 1) {
    if (k == 8) {
      pointwise_short_k8(p, input, weights, output, pixels);
    } else if (k == 16) {
      pointwise_short_k16(p, input, weights, output, pixels);
    } else if (k == 32) {
      pointwise_short_k32(p, input, weights, output, pixels);
    } else if (k < 16) {
      pointwise_short_one(p, input, weights, output, pixels);
    } else {
      pointwise_short_two(p, input, weights, output, pixels);
    }
    return;
  }
  conv_steps_all(p, input, weights, output, scratch);
}
