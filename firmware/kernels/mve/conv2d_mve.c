/*
 * conv2d_mve.c - see conv2d_mve.h.
 */
#include "conv2d_mve.h"

/* The window of output pixel (oy, ox) as K consecutive bytes, padded taps at the zero point (the
 * general case; see gather). */
static void gather_window(const tinyml_conv2d_mve_params *p, const int8_t *input, int32_t oy, int32_t ox,
                          int8_t *col) {
  const int32_t c = p->geo.input_depth;
  const int32_t fw = p->geo.filter_width;
  const int32_t in_w = p->geo.input_width;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
  const int32_t row_len = fw * c;
  const int8_t pad = (int8_t)p->pad_value;
  /* Without horizontal dilation the taps of a filter row that fall inside the input are one run
   * of consecutive input bytes. */
  const int32_t dense = p->geo.dilation_width == 1;
  const int32_t fx_lo = ix0 < 0 ? -ix0 : 0;
  const int32_t fx_hi = in_w - ix0 < fw ? in_w - ix0 : fw;
  if (dense) {
    /* The whole window at the zero point, then each filter row's run of input bytes over it. */
    tinyml_mve_fill(col, pad, p->geo.filter_height * row_len);
    if (fx_lo >= fx_hi) return;
    const int32_t run = (fx_hi - fx_lo) * c;
    const int8_t *src = input + (ix0 + fx_lo) * c;
    col += fx_lo * c;
    for (int32_t fy = 0; fy < p->geo.filter_height; ++fy, col += row_len) {
      const int32_t iy = iy0 + fy * p->geo.dilation_height;
      if (iy >= 0 && iy < p->geo.input_height) tinyml_mve_copy(col, src + iy * in_w * c, run);
    }
    return;
  }
  for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
    const int32_t iy = iy0 + fy * p->geo.dilation_height;
    if (iy < 0 || iy >= p->geo.input_height || fx_lo >= fx_hi) {
      tinyml_mve_fill(col, pad, row_len);
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

/* What gather needs of a layer, computed once. */
typedef struct {
  /* Windows inside the input can take the fast path: no horizontal dilation, filter rows of 16
   * bytes or fewer. */
  int32_t fast;
  int32_t fh, row_len, src_step, span_h;
  mve_pred16_t rp;
} gather_info;

/*
 * The window of output pixel (oy, ox) into col. The common case (the window inside the input,
 * filter rows of 16 bytes or fewer, no horizontal dilation: each filter row's taps are one run of
 * consecutive input bytes) is one predicated load and store per filter row (filter_height >= 1),
 * inlined; the others go through gather_window.
 */
TINYML_MVE_INLINE void gather(const tinyml_conv2d_mve_params *p, const gather_info *g, const int8_t *input, int32_t oy,
                              int32_t ox, int8_t *col) {
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
  if (g->fast && iy0 >= 0 && iy0 + g->span_h <= p->geo.input_height && ix0 >= 0 &&
      ix0 + p->geo.filter_width <= p->geo.input_width) {
    const int8_t *src = input + (iy0 * p->geo.input_width + ix0) * p->geo.input_depth;
    /* One predicate for every row, one VPSTT for each row's load and store (the intrinsics set
     * the predicate and a VPST for each). */
    int32_t n = g->fh;
    int8x16_t v;
    __asm__ volatile("vmsr p0, %[rp]\n"
                     "1:\n\t"
                     "vpstt\n\t"
                     "vldrbt.u8 %q[v], [%[src]]\n\t"
                     "vstrbt.8 %q[v], [%[col]]\n\t"
                     "add %[src], %[src], %[src_step]\n\t"
                     "add %[col], %[col], %[row_len]\n\t"
                     "subs %[n], %[n], #1\n\t"
                     "bne 1b"
                     : [src] "+r"(src), [col] "+r"(col), [n] "+r"(n), [v] "=&w"(v)
                     : [rp] "r"((uint32_t)g->rp), [src_step] "r"(g->src_step), [row_len] "r"(g->row_len)
                     : "memory", "cc");
    return;
  }
  gather_window(p, input, oy, ox, col);
}

/* What every step of a layer shares: K in whole vectors and the rest, the output stage. */
typedef struct {
  /* The clamp as vectors (one load each where it is used); right_only: every channel has a
   * right shift and none a left one (the requantization then skips VSHL and the fix-up's AND). */
  int32x4_t lo_v, hi_v;
  int32_t chunks, tail, group_bytes, full, n_out, off, lo, hi, right_only;
  /* k_pred: the tail's lanes; one_pred: the lanes of K when it is one vector (group_bytes 64). */
  mve_pred16_t k_pred, one_pred, n_pred;
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

/*
 * Both pixels' four sums (va: x0's channels 0..3, vb: x1's) over `chunks` (>= 1) whole vectors of
 * K, advancing x0, x1 and w past them: one asm (the first vector's VMLADAVs start the sums, a
 * loop adds the others, two VMOVs per pixel put them in lanes). VMLADAV's accumulator must be an
 * even register; there are eight even general registers only if the loop does not take lr for
 * LE, and compiled from intrinsics the eight accumulators do not fit and every step moves some
 * of them around (23 instructions per vector instead of 16). The asm names them (r0, r2, ...,
 * r12, lr: clobbers, which the compiler saves and works around) rather than asking for eight
 * even registers as operands, which the register allocator cannot always give.
 */
#define MAC4X2_STEP(OP)                    \
  "vldrb.u8 %q[xa], [%[x0]], #16\n\t"      \
  "vldrb.u8 %q[xb], [%[x1]], #16\n\t"      \
  "vldrb.u8 %q[wv], [%[w]], #16\n\t"       \
  OP " r0, %q[wv], %q[xa]\n\t"             \
  OP " r8, %q[wv], %q[xb]\n\t"             \
  "vldrb.u8 %q[wv], [%[w]], #16\n\t"       \
  OP " r2, %q[wv], %q[xa]\n\t"             \
  OP " r10, %q[wv], %q[xb]\n\t"            \
  "vldrb.u8 %q[wv], [%[w]], #16\n\t"       \
  OP " r4, %q[wv], %q[xa]\n\t"             \
  OP " r12, %q[wv], %q[xb]\n\t"            \
  "vldrb.u8 %q[wv], [%[w]], #16\n\t"       \
  OP " r6, %q[wv], %q[xa]\n\t"             \
  OP " lr, %q[wv], %q[xb]\n\t"

TINYML_MVE_INLINE void mac4x2_vec(const int8_t **x0, const int8_t **x1, const int8_t **w, int32_t chunks,
                                  int32x4_t *va, int32x4_t *vb) {
#if !defined(__OPTIMIZE__)
  /* Unoptimized builds keep the frame pointer in r7 and spill everything: the intrinsics. */
  acc4x2 s = {0, 0, 0, 0, 0, 0, 0, 0};
  for (; chunks > 0; --chunks) {
    mac4x2(&s, vldrbq_s8(*x0), vldrbq_s8(*x1), *w);
    *x0 += 16;
    *x1 += 16;
    *w += 64;
  }
  *va = tinyml_mve_lanes4(s.a0, s.a1, s.a2, s.a3);
  *vb = tinyml_mve_lanes4(s.b0, s.b1, s.b2, s.b3);
#else
  int8x16_t xa, xb, wv;
  int32x4_t a, b;
  /* Lanes as tinyml_mve_lanes4 sets them. */
  __asm__ volatile(MAC4X2_STEP("vmladav.s8")
                   "subs %[n], %[n], #1\n\t"
                   "beq 2f\n"
                   "1:\n\t"
                   MAC4X2_STEP("vmladava.s8")
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b\n"
                   "2:\n\t"
                   "vmov %q[a][2], %q[a][0], r0, r4\n\t"
                   "vmov %q[a][3], %q[a][1], r2, r6\n\t"
                   "vmov %q[b][2], %q[b][0], r8, r12\n\t"
                   "vmov %q[b][3], %q[b][1], r10, lr"
                   : [x0] "+r"(*x0), [x1] "+r"(*x1), [w] "+r"(*w), [n] "+r"(chunks), [xa] "=&w"(xa), [xb] "=&w"(xb),
                     [wv] "=&w"(wv), [a] "=&w"(a), [b] "=&w"(b)
                   :
                   : "r0", "r2", "r4", "r6", "r8", "r10", "r12", "lr", "memory", "cc");
  *va = a;
  *vb = b;
#endif
}

/* Both pixels' four channels requantized (one record load) and stored. */
TINYML_MVE_INLINE void store4x2(const conv_steps *s, const acc4x2 *acc, const tinyml_mve_rq4 *rq, int8_t *out0,
                                int8_t *out1, const int FULL) {
  const tinyml_mve_rqv q = tinyml_mve_rq_load(rq);
  store4(out0, tinyml_mve_requant_v(tinyml_mve_lanes4(acc->a0, acc->a1, acc->a2, acc->a3), q, s->off, s->lo, s->hi), FULL, s->n_pred);
  store4(out1, tinyml_mve_requant_v(tinyml_mve_lanes4(acc->b0, acc->b1, acc->b2, acc->b3), q, s->off, s->lo, s->hi), FULL, s->n_pred);
}

/* tinyml_mve_requant_q with the output offset and clamp vectors of s; RIGHT_ONLY: see conv_steps. */
TINYML_MVE_INLINE int32x4_t requant_s(const conv_steps *s, int32x4_t acc, const tinyml_mve_rqv *q, const int RIGHT_ONLY) {
  return tinyml_mve_requant_q(acc, *q, s->off, s->lo_v, s->hi_v, RIGHT_ONLY);
}

/* store4x2 for the whole-vector path. */
TINYML_MVE_INLINE void store4x2_v(const conv_steps *s, int32x4_t va, int32x4_t vb, const tinyml_mve_rq4 *rq,
                                  int8_t *out0, int8_t *out1, const int FULL, const int RIGHT_ONLY) {
  const tinyml_mve_rqv q = tinyml_mve_rq_load(rq);
  store4(out0, requant_s(s, va, &q, RIGHT_ONLY), FULL, s->n_pred);
  store4(out1, requant_s(s, vb, &q, RIGHT_ONLY), FULL, s->n_pred);
}

/*
 * Every output channel of two pixels whose K is whole vectors: the asm loop group after group (its
 * weight pointer runs on from one group to the next), each group's sums requantized and stored.
 */
TINYML_MVE_INLINE void pair_whole(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x0, const int8_t *x1,
                                  const int8_t *w, int8_t *out0, int8_t *out1, const int RIGHT_ONLY) {
  const int32_t chunks = s->chunks;
  const tinyml_mve_rq4 *const rq_end = rq + s->full;
  for (; rq < rq_end; ++rq) {
    const int8_t *a = x0;
    const int8_t *b = x1;
    int32x4_t va, vb;
    mac4x2_vec(&a, &b, &w, chunks, &va, &vb);
    store4x2_v(s, va, vb, rq, out0, out1, 1, RIGHT_ONLY);
    out0 += 4;
    out1 += 4;
  }
  if (s->n_out & 3) {
    int32x4_t va, vb;
    mac4x2_vec(&x0, &x1, &w, chunks, &va, &vb);
    store4x2_v(s, va, vb, rq, out0, out1, 0, 0);
  }
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

/* K <= 16: both pixels' four sums against the group's 64 weight bytes (xa, xb: their inputs), in
 * lanes; an asm with named accumulators, as mac4x2_vec. */
TINYML_MVE_INLINE void mac4x2_one(int8x16_t xa, int8x16_t xb, const int8_t *w, int32x4_t *va, int32x4_t *vb) {
#if !defined(__OPTIMIZE__)
  acc4x2 s = {0, 0, 0, 0, 0, 0, 0, 0};
  mac4x2(&s, xa, xb, w);
  *va = tinyml_mve_lanes4(s.a0, s.a1, s.a2, s.a3);
  *vb = tinyml_mve_lanes4(s.b0, s.b1, s.b2, s.b3);
#else
  int8x16_t wv;
  int32x4_t a, b;
  __asm__ volatile("vldrb.u8 %q[wv], [%[w]]\n\t"
                   "vmladav.s8 r0, %q[wv], %q[xa]\n\t"
                   "vmladav.s8 r8, %q[wv], %q[xb]\n\t"
                   "vldrb.u8 %q[wv], [%[w], #16]\n\t"
                   "vmladav.s8 r2, %q[wv], %q[xa]\n\t"
                   "vmladav.s8 r10, %q[wv], %q[xb]\n\t"
                   "vldrb.u8 %q[wv], [%[w], #32]\n\t"
                   "vmladav.s8 r4, %q[wv], %q[xa]\n\t"
                   "vmladav.s8 r12, %q[wv], %q[xb]\n\t"
                   "vldrb.u8 %q[wv], [%[w], #48]\n\t"
                   "vmladav.s8 r6, %q[wv], %q[xa]\n\t"
                   "vmladav.s8 lr, %q[wv], %q[xb]\n\t"
                   "vmov %q[a][2], %q[a][0], r0, r4\n\t"
                   "vmov %q[a][3], %q[a][1], r2, r6\n\t"
                   "vmov %q[b][2], %q[b][0], r8, r12\n\t"
                   "vmov %q[b][3], %q[b][1], r10, lr"
                   : [wv] "=&w"(wv), [a] "=&w"(a), [b] "=&w"(b)
                   : [xa] "w"(xa), [xb] "w"(xb), [w] "r"(w)
                   : "r0", "r2", "r4", "r6", "r8", "r10", "r12", "lr", "memory");
  *va = a;
  *vb = b;
#endif
}

/* Every output channel of two pixels whose K <= 16 (one vector each, loaded once for all groups). */
TINYML_MVE_INLINE void pair_short(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x0, const int8_t *x1,
                                  const int8_t *w, int8_t *out0, int8_t *out1, const int RIGHT_ONLY) {
  const int8x16_t xa = vldrbq_z_s8(x0, s->one_pred);
  const int8x16_t xb = vldrbq_z_s8(x1, s->one_pred);
  const tinyml_mve_rq4 *const rq_end = rq + s->full;
  for (; rq < rq_end; ++rq) {
    int32x4_t va, vb;
    mac4x2_one(xa, xb, w, &va, &vb);
    store4x2_v(s, va, vb, rq, out0, out1, 1, RIGHT_ONLY);
    w += 64;
    out0 += 4;
    out1 += 4;
  }
  if (s->n_out & 3) {
    int32x4_t va, vb;
    mac4x2_one(xa, xb, w, &va, &vb);
    store4x2_v(s, va, vb, rq, out0, out1, 0, 0);
  }
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

/* pair_whole for layers whose channels all have a right shift and no left one, and for any.
 * Not inlined: the asm's eight even registers must be free. */
static __attribute__((noinline)) void pair_whole_right(const conv_steps *s, const tinyml_mve_rq4 *rq,
                                                       const int8_t *x0, const int8_t *x1, const int8_t *w,
                                                       int8_t *out0, int8_t *out1) {
  pair_whole(s, rq, x0, x1, w, out0, out1, 1);
}

static __attribute__((noinline)) void pair_whole_any(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x0,
                                                     const int8_t *x1, const int8_t *w, int8_t *out0, int8_t *out1) {
  pair_whole(s, rq, x0, x1, w, out0, out1, 0);
}

/* Every output channel of two pixels whose K is one vector or has a tail. Not inlined: the asm's
 * eight even registers must be free. */
static __attribute__((noinline)) void pixel_pair_channels(const conv_steps *s, const tinyml_mve_rq4 *rq,
                                                          const int8_t *x0, const int8_t *x1, const int8_t *w,
                                                          int8_t *out0, int8_t *out1) {
  if (s->group_bytes == 64) {
    if (s->right_only) {
      pair_short(s, rq, x0, x1, w, out0, out1, 1);
    } else {
      pair_short(s, rq, x0, x1, w, out0, out1, 0);
    }
    return;
  }
  /* (K in whole vectors of more than one: pair_whole_*, which the layer calls directly.) */
  for (int32_t g = 0; g < s->full; ++g) {
    group4x2(s, x0, x1, w, rq++, out0, out1, 1);
    w += s->group_bytes;
    out0 += 4;
    out1 += 4;
  }
  if (s->n_out & 3) group4x2(s, x0, x1, w, rq, out0, out1, 0);
}

/*
 * One group of four output channels (weights w, record rq, first output byte out) over `pixels`
 * consecutive input pixels of K bytes (K whole vectors, read in place): two pixels per step
 * (mac4x2_vec), the group's record loaded once for all of them; an odd last pixel computed twice
 * and stored once.
 */
TINYML_MVE_INLINE void pw_group(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x, const int8_t *w,
                                int8_t *out, int32_t pixels, const int FULL, const int RIGHT_ONLY) {
  const int32_t chunks = s->chunks;
  const int32_t k = chunks << 4;
  const int32_t n_out = s->n_out;
  const mve_pred16_t n_pred = s->n_pred;
  const tinyml_mve_rqv q = tinyml_mve_rq_load(rq);
  for (int32_t i = pixels >> 1; i > 0; --i) {
    const int8_t *a = x;
    const int8_t *b = x + k;
    const int8_t *wg = w;
    int32x4_t va, vb;
    mac4x2_vec(&a, &b, &wg, chunks, &va, &vb);
    /* Both requantized before either store (which could otherwise change *s for the compiler). */
    const int32x4_t za = requant_s(s, va, &q, RIGHT_ONLY);
    const int32x4_t zb = requant_s(s, vb, &q, RIGHT_ONLY);
    store4(out, za, FULL, n_pred);
    store4(out + n_out, zb, FULL, n_pred);
    x = b; /* b ran on to the next pair's first pixel */
    out += 2 * n_out;
  }
  if (pixels & 1) {
    const int8_t *a = x;
    const int8_t *b = x;
    const int8_t *wg = w;
    int32x4_t va, vb;
    mac4x2_vec(&a, &b, &wg, chunks, &va, &vb);
    store4(out, requant_s(s, va, &q, RIGHT_ONLY), FULL, n_pred);
  }
}

/* Layers whose pixels are read in place one after the other with K in whole vectors (1x1, stride
 * 1, no padding: most pointwise layers, fully connected rows): group after group over all
 * pixels. RIGHT_ONLY: see conv_steps (the partial last group takes the general form). */
TINYML_MVE_INLINE void pointwise_groups(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x,
                                        const int8_t *w, int8_t *out, int32_t pixels, const int RIGHT_ONLY) {
  for (int32_t g = 0; g < s->full; ++g) {
    pw_group(s, rq + g, x, w + g * s->group_bytes, out + 4 * g, pixels, 1, RIGHT_ONLY);
  }
  if (s->n_out & 3) pw_group(s, rq + s->full, x, w + s->full * s->group_bytes, out + 4 * s->full, pixels, 0, 0);
}

/* pointwise_groups for layers whose channels all have a right shift and no left one, and for any.
 * Not inlined: the asm's eight registers must be free. */
static __attribute__((noinline)) void pointwise_right(const conv_steps *s, const tinyml_mve_rq4 *rq,
                                                      const int8_t *x, const int8_t *w, int8_t *out,
                                                      int32_t pixels) {
  pointwise_groups(s, rq, x, w, out, pixels, 1);
}

static __attribute__((noinline)) void pointwise_any(const conv_steps *s, const tinyml_mve_rq4 *rq, const int8_t *x,
                                                    const int8_t *w, int8_t *out, int32_t pixels) {
  pointwise_groups(s, rq, x, w, out, pixels, 0);
}

/*
 * Pointwise layers with K <= 32 and stride 1 (pixels K bytes apart, in the input as in the
 * output): one output channel at a time over all pixels, four pixels per step. The channel's
 * weights stay in one or two vectors (NW; the code takes up to four), so each step is NW loads
 * and VMLADAVs per pixel, the output stage and one scatter of the four bytes (NHWC: output_depth
 * apart). Steps of several channels and pixels share a record and the input loads among more
 * MACs, which a short K does not have: here they took more instructions per value (qemu-m55,
 * VWW's 24x24x32 -> 32 layer 166,624 in the group-major pointwise steps against 149,383; at
 * K = 64 those win, KWS's 64 -> 64 layers 105,796 against 130,858 with four weight vectors).
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

/* The other layers: the steps above. Its own function, so that its code is the same with the
 * short pointwise path's dispatch in front of it. */
static __attribute__((noinline)) void conv_steps_all(const tinyml_conv2d_mve_params *p, const int8_t *input,
                                                    const int8_t *weights, int8_t *output, void *scratch) {
  const int32_t c = p->geo.input_depth;
  const int32_t k = p->k;
  const int32_t out_w = p->geo.output_width;
  const int32_t direct = p->geo.filter_height == 1 && p->geo.filter_width == 1 && p->geo.pad_height == 0 && p->geo.pad_width == 0;
  conv_steps s;
  /* Gathered windows are padded to whole vectors (the bytes past K stay zero and meet zero
   * weights), so their K has no tail; inputs read in place keep theirs (nothing past the input
   * tensor is read). */
  const int32_t kv = direct ? k : (k + 15) & ~15;
  s.chunks = kv >> 4;
  s.tail = kv & 15;
  s.group_bytes = (s.chunks + (s.tail ? 1 : 0)) * 64;
  s.n_out = p->output_depth;
  s.full = s.n_out >> 2;
  s.off = p->output_offset;
  s.lo = p->activation_min;
  s.hi = p->activation_max;
  s.lo_v = vdupq_n_s32(s.lo);
  s.hi_v = vdupq_n_s32(s.hi);
  /* Only the two-pixel steps use right_only (a one-pixel layer, e.g. a fully connected layer's
   * one row, would spend more on the test than it saves). */
  s.right_only = p->geo.batches * p->geo.output_height * out_w >= 2 && tinyml_mve_right_only(p->rq, s.full);
  s.k_pred = vctp8q((uint32_t)s.tail);
  s.one_pred = vctp8q((uint32_t)(s.tail ? s.tail : 16));
  s.n_pred = vctp32q((uint32_t)(s.n_out & 3));
  gather_info g;
  g.fh = p->geo.filter_height;
  g.row_len = p->geo.filter_width * c;
  g.fast = p->geo.dilation_width == 1 && g.row_len <= 16;
  g.src_step = p->geo.dilation_height * p->geo.input_width * c;
  g.span_h = (p->geo.filter_height - 1) * p->geo.dilation_height + 1;
  g.rp = vctp8q((uint32_t)(g.fast ? g.row_len : 0));
  /* Two windows side by side (gathered layers), each padded to whole vectors. */
  int8_t *col0 = (int8_t *)scratch;
  int8_t *col1 = col0 + kv;
  if (!direct) tinyml_mve_fill(col0, 0, 2 * kv);
  const int32_t pixels = p->geo.output_height * out_w;
  /* What a pair of pixels runs, chosen once (K in whole vectors, more than one: straight to the
   * asm loop's routine). */
  void (*const pair_fn)(const conv_steps *, const tinyml_mve_rq4 *, const int8_t *, const int8_t *, const int8_t *,
                        int8_t *, int8_t *) = s.tail == 0 && s.group_bytes > 64
                                                   ? (s.right_only ? pair_whole_right : pair_whole_any)
                                                   : pixel_pair_channels;
  if (direct && s.tail == 0 && p->geo.stride_height == 1 && p->geo.stride_width == 1 && p->geo.batches * pixels >= 2) {
    /* Every pixel of every batch one after the other, in place (a single pixel, e.g. a fully
     * connected layer's one row, keeps the one-pixel steps below: here it would be computed
     * twice). */
    if (s.right_only) {
      pointwise_right(&s, p->rq, input, weights, output, p->geo.batches * pixels);
    } else {
      pointwise_any(&s, p->rq, input, weights, output, p->geo.batches * pixels);
    }
    return;
  }
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * p->geo.input_height * p->geo.input_width * c;
    int8_t *out = output + b * pixels * s.n_out;
    /* Output pixels in row-major order, two at a time (a pair may span two rows). */
    int32_t oy = 0, ox = 0;
    for (int32_t i = 0; i < pixels; i += 2) {
      const int32_t pair = i + 1 < pixels;
      const int32_t oy1 = ox + 1 < out_w ? oy : oy + 1;
      const int32_t ox1 = ox + 1 < out_w ? ox + 1 : 0;
      const int8_t *x0;
      const int8_t *x1;
      if (direct) {
        x0 = in + (oy * p->geo.stride_height * p->geo.input_width + ox * p->geo.stride_width) * c;
        x1 = in + (oy1 * p->geo.stride_height * p->geo.input_width + ox1 * p->geo.stride_width) * c;
      } else {
        gather(p, &g, in, oy, ox, col0);
        if (pair) gather(p, &g, in, oy1, ox1, col1);
        x0 = col0;
        x1 = col1;
      }
      if (pair) {
        pair_fn(&s, p->rq, x0, x1, weights, out, out + s.n_out);
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
