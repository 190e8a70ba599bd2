/*
 * depthwise_conv2d_dsp.c - see depthwise_conv2d_dsp.h.
 *
 * For each output row the kh input rows it reads are in scratch with their left and right
 * padding filled with the input zero point (rows above or below the image entirely so), so
 * every output pixel is an interior one: no bounds checks in the tap loops; or, for the pixels
 * whose 3x3 windows lie inside the input, the input rows themselves (dw_direct_pixels, not in
 * place). `input` and `output` may be the same buffer when the layer's geometry allows it (see
 * fill_rows).
 */
#include "depthwise_conv2d_dsp.h"

/* Accumulates one tap of four channels: x holds the four input bytes, w02/w13 the weights. */
#define TINYML_DW_TAP4(x, w02, w13)             \
  do {                                          \
    const uint32_t xv_ = (x);                   \
    const uint32_t xe_ = tinyml_sxtb16(xv_);    \
    const uint32_t xo_ = tinyml_sxtb16_ror8(xv_); \
    a0 = tinyml_smlabb(xe_, (w02), a0);         \
    a2 = tinyml_smlatt(xe_, (w02), a2);         \
    a1 = tinyml_smlabb(xo_, (w13), a1);         \
    a3 = tinyml_smlatt(xo_, (w13), a3);         \
  } while (0)

/*
 * Accumulates two taps of four channels: xa and xb the two taps' input bytes, w the four words
 * (w_a, w_b) of channels 0-3 (the 3x3 layout, depthwise_conv2d_dsp.h).
 */
#define TINYML_DW_PAIR4(xa, xb, w)                           \
  do {                                                       \
    const uint32_t xa_ = (xa), xb_ = (xb);                   \
    const uint32_t lo_ = tinyml_pkhbt(xa_, xb_);             \
    const uint32_t hi_ = tinyml_pkhtb(xb_, xa_);             \
    a0 = tinyml_smlad(tinyml_sxtb16(lo_), (w)[0], a0);       \
    a1 = tinyml_smlad(tinyml_sxtb16_ror8(lo_), (w)[1], a1);  \
    a2 = tinyml_smlad(tinyml_sxtb16(hi_), (w)[2], a2);       \
    a3 = tinyml_smlad(tinyml_sxtb16_ror8(hi_), (w)[3], a3);  \
  } while (0)

/* Copies n bytes (word at a time where it can). */
static void copy_bytes(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t i = 0;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if ((((uintptr_t)dst | (uintptr_t)src) & 3) == 0 && n >= 16) {
    /* Word-aligned rows (depth a multiple of 4): 16 bytes per LDM/STM pair. */
    const int8_t *s16 = src;
    int8_t *d16 = dst;
    int32_t blocks = n >> 4;
    __asm__ volatile(
        "1:\n\t"
        "ldmia  %[s]!, {r4, r5, r6, r8}\n\t"
        "stmia  %[d]!, {r4, r5, r6, r8}\n\t"
        "subs   %[b], %[b], #1\n\t"
        "bne    1b\n\t"
        : [s] "+r"(s16), [d] "+r"(d16), [b] "+r"(blocks)
        :
        : "r4", "r5", "r6", "r8", "cc", "memory");
    i = n & ~15;
  }
#endif
  for (; i + 4 <= n; i += 4) tinyml_st32(dst + i, tinyml_ld32(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

static void fill_bytes(int8_t *dst, uint32_t v4, int32_t n) {
  int32_t i = 0;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (((uintptr_t)dst & 3) == 0 && n >= 16) {
    /* Word-aligned rows: 16 bytes per STM (a word a store cost about three instructions a word;
     * the padding rows and columns of the row kernel's copies, VWW's 3x3 layers most). */
    int8_t *d16 = dst;
    int32_t blocks = n >> 4;
    __asm__ volatile(
        "mov    r4, %[v]\n\t"
        "mov    r5, %[v]\n\t"
        "mov    r6, %[v]\n\t"
        "mov    r8, %[v]\n"
        "1:\n\t"
        "stmia  %[d]!, {r4, r5, r6, r8}\n\t"
        "subs   %[b], %[b], #1\n\t"
        "bne    1b\n\t"
        : [d] "+r"(d16), [b] "+r"(blocks)
        : [v] "r"(v4)
        : "r4", "r5", "r6", "r8", "cc", "memory");
    i = n & ~15;
  }
#endif
  for (; i + 4 <= n; i += 4) tinyml_st32(dst + i, v4);
  for (; i < n; ++i) dst[i] = (int8_t)v4;
}

/*
 * The kh padded input rows output row oy reads. With dilation 1 and a stride below the filter
 * height, rows fy >= stride of the previous output row are rows fy - stride of this one: they
 * move down inside scratch (a forward copy, the destination being below the source) and only the
 * `stride` new rows are read from the input. Besides costing no more than reading all kh rows,
 * this reads every input row exactly once, before the output rows that overwrite it are
 * written: what lets the layer run in place (output over input, see depthwise-in-place.ts).
 * moved: scratch holds output row oy - 1's rows (0 after a row read straight from the input).
 */
static void fill_rows(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *in, int32_t oy, int8_t *rows,
                      int32_t moved) {
  const int32_t c = p->geo.input_depth;
  const int32_t row_bytes = p->padded_width * c;
  const uint32_t pad4 = ((uint32_t)p->pad_value & 0xFFu) * 0x01010101u;
  const int32_t left = p->geo.pad_width * c;
  const int32_t body = p->geo.input_width * c < row_bytes - left ? p->geo.input_width * c : row_bytes - left;
  int32_t first = 0;
  if (moved && oy > 0 && p->geo.dilation_height == 1 && p->geo.stride_height < p->geo.filter_height) {
    first = p->geo.filter_height - p->geo.stride_height;
    copy_bytes(rows, rows + p->geo.stride_height * row_bytes, first * row_bytes);
  }
  for (int32_t fy = first; fy < p->geo.filter_height; ++fy) {
    const int32_t iy = oy * p->geo.stride_height - p->geo.pad_height + fy * p->geo.dilation_height;
    int8_t *r = rows + fy * row_bytes;
    if (iy < 0 || iy >= p->geo.input_height) {
      fill_bytes(r, pad4, row_bytes);
      continue;
    }
    fill_bytes(r, pad4, left);
    copy_bytes(r + left, in + iy * p->geo.input_width * c, body);
    fill_bytes(r + left + body, pad4, row_bytes - left - body);
  }
}

/*
 * Rows read straight from the input. A 3x3 window (dilation 1, no padding on the left) of an output
 * row whose three input rows lie inside the image needs no padding unless it reaches past the
 * input's last column: those output pixels (from the left) the row kernels can take from the
 * input rows themselves, with no copy to scratch (VWW's stride-2 layers: all but a row's last;
 * the copies cost 5 to 10% of those layers). Returns how many (0: none, or not this layer: the
 * caller allows it only when the output is not over the input).
 */
static int32_t dw_direct_pixels(const tinyml_depthwise_conv2d_dsp_params *p, int32_t oy) {
  const tinyml_packed_geometry *g = &p->geo;
  if (g->filter_height != 3 || g->filter_width != 3 || g->dilation_height != 1 || g->dilation_width != 1 ||
      g->pad_width != 0 || g->input_width < 3) {
    return 0;
  }
  const int32_t iy = oy * g->stride_height - g->pad_height;
  if (iy < 0 || iy + 3 > g->input_height) return 0;
  const int32_t n = (g->input_width - 3) / g->stride_width + 1;
  return n < g->output_width ? n : g->output_width;
}

/*
 * The three rows the output pixels of row oy from n on read (those past the input's last column
 * on the right), zero-point padded, into rows; returns their bytes per row.
 */
static int32_t dw_fill_tail(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *in, int32_t oy, int32_t n,
                            int8_t *rows) {
  const tinyml_packed_geometry *g = &p->geo;
  const int32_t c = g->input_depth;
  const int32_t x0 = n * g->stride_width;
  const int32_t w = (g->output_width - 1 - n) * g->stride_width + 3;
  const int32_t avail = g->input_width - x0 < w ? g->input_width - x0 : w;
  const uint32_t pad4 = ((uint32_t)p->pad_value & 0xFFu) * 0x01010101u;
  const int32_t iy = oy * g->stride_height - g->pad_height;
  for (int32_t fy = 0; fy < 3; ++fy) {
    int8_t *r = rows + fy * w * c;
    copy_bytes(r, in + ((iy + fy) * g->input_width + x0) * c, avail * c);
    fill_bytes(r + avail * c, pad4, (w - avail) * c);
  }
  return w * c;
}

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * One output pixel, all groups of four channels, 3x3: the whole group loop in assembly (bias
 * and requantization constants come from the per-group records). FOLDED: the output offset is
 * in t; else it is added from `off`. Clamp: SSAT to int8 (the whole range).
 */
#define TINYML_DW_ASM_TAP(addr)                       \
  "ldr    r4, " addr "\n\t"                           \
  "ldrd   r6, r8, [%[wp]], #8\n\t"                    \
  "sxtb16 r5, r4\n\t"                                 \
  "sxtb16 r4, r4, ror #8\n\t"                         \
  "smlabb r0, r5, r6, r0\n\t"                         \
  "smlatt r2, r5, r6, r2\n\t"                         \
  "smlabb r1, r4, r8, r1\n\t"                         \
  "smlatt r3, r4, r8, r3\n\t"
/*
 * Two taps A and B of four channels by four SMLADs: one PKHBT and one PKHTB put each channel's two
 * input bytes in one byte pair ((c0, c1) of A then of B; (c2, c3) likewise), an SXTB16 (ror 8 for
 * c1, c3) makes them the halves SMLAD multiplies by the channel's word (w_A, w_B), four words in
 * channel order (the 3x3 layout, depthwise_conv2d_dsp.h). 14 instructions for eight MACs where
 * two TINYML_DW_ASM_TAPs take 16; the fifth register it needs is r7 (the output pointer, kept on the
 * loop's frame meanwhile).
 */
#define TINYML_DW_ASM_PAIR(A, B) TINYML_DW_ASM_PAIR_LD("ldr    r4, " A "\n\t" "ldr    r5, " B "\n\t")
/* The same after LOADS (tap A's word into r4, B's into r5). */
#define TINYML_DW_ASM_PAIR_LD(LOADS)                  \
  LOADS                                               \
  "pkhtb  r6, r5, r4, asr #16\n\t"                    \
  "pkhbt  r4, r4, r5, lsl #16\n\t"                    \
  "ldrd   r5, r8, [%[wp]], #8\n\t"                    \
  "sxtb16 r7, r4\n\t"                                 \
  "smlad  r0, r7, r5, r0\n\t"                         \
  "sxtb16 r4, r4, ror #8\n\t"                         \
  "smlad  r1, r4, r8, r1\n\t"                         \
  "ldrd   r5, r8, [%[wp]], #8\n\t"                    \
  "sxtb16 r7, r6\n\t"                                 \
  "smlad  r2, r7, r5, r2\n\t"                         \
  "sxtb16 r6, r6, ror #8\n\t"                         \
  "smlad  r3, r6, r8, r3\n\t"
/*
 * The nine taps in the weights' order: pair (4, 5) and tap 8 and pair (6, 7) from r7 (the second,
 * then the third row: one ADD each, r7 being free until a pair's loads are done), pairs (2, 3) and
 * (0, 1) from p, whose last load steps p to the next group (no pointer moves down and back).
 */
#define TINYML_DW_ASM_TAPS9                                                                          \
  "add    r7, %[p], %[rs]\n\t" TINYML_DW_ASM_PAIR("[r7, %[cs]]", "[r7, %[cs], lsl #1]")                  \
  "add    r7, %[p], %[rs], lsl #1\n\t" TINYML_DW_ASM_TAP("[r7, %[cs], lsl #1]")                          \
  TINYML_DW_ASM_PAIR("[r7]", "[r7, %[cs]]") TINYML_DW_ASM_PAIR("[%[p], %[cs], lsl #1]", "[%[p], %[rs]]") \
  TINYML_DW_ASM_PAIR_LD("ldr    r5, [%[p], %[cs]]\n\t" "ldr    r4, [%[p]], #4\n\t")
#define TINYML_DW_ASM_RQ(a, ADD_OFF) "ldmia  %[q]!, {r4, r5, r6}\n\t" TINYML_DSP_ASM_RQ_STORE(a, ADD_OFF, "%[o]")
/* The same without the sign correction (TINYML_RQ_NOFIX layers). */
#define TINYML_DW_ASM_RQ_NF(a, ADD_OFF) "ldmia  %[q]!, {r4, r5, r6}\n\t" TINYML_DSP_ASM_RQ_STORE_NF(a, ADD_OFF, "%[o]")

/*
 * The loop over groups: the q records (bias' then {m, t, e} of each channel), three rows of
 * three taps, requantization (RQ: TINYML_DW_ASM_RQ, or _NF without the sign correction).
 * OFF_LOAD loads the output offset into r8 where ADD_OFF(a) adds it.
 */
#define TINYML_DW_ASM_LOOP(OFF_LOAD, ADD_OFF, RQ)                                                     \
  "ldrd   r4, r5, [r8]\n\t"                                                                          \
  "strd   r4, r5, [sp, #-16]!\n\t" TINYML_DW_ASM_GROUPS(OFF_LOAD, ADD_OFF, RQ, "8")                   \
  "add    sp, sp, #16\n\t"
/* The group loop itself (label 1), until the records reach the end at [sp] (the same for every
 * pixel of a row); the output pointer waits at [sp, #OS] while the taps use r7. */
#define TINYML_DW_ASM_GROUP(OFF_LOAD, ADD_OFF, RQ, OS)                                                \
  "ldmia  %[q]!, {r0, r1, r2, r3}\n\t"                                                               \
  "str    %[o], [sp, #" OS "]\n\t" TINYML_DW_ASM_TAPS9                                               \
  "ldr    %[o], [sp, #" OS "]\n\t" OFF_LOAD                                                           \
  RQ("r0", ADD_OFF("r0")) RQ("r1", ADD_OFF("r1")) RQ("r2", ADD_OFF("r2")) RQ("r3", ADD_OFF("r3"))
#define TINYML_DW_ASM_GROUPS_END                                                                      \
  "ldr    r8, [sp]\n\t"                                                                              \
  "cmp    %[q], r8\n\t"                                                                              \
  "bne    1b\n\t"
#define TINYML_DW_ASM_GROUPS(OFF_LOAD, ADD_OFF, RQ, OS) \
  "1:\n\t" TINYML_DW_ASM_GROUP(OFF_LOAD, ADD_OFF, RQ, OS) TINYML_DW_ASM_GROUPS_END
/* Two groups a loop test (an even number of groups). */
#define TINYML_DW_ASM_GROUPS2(OFF_LOAD, ADD_OFF, RQ, OS)                                             \
  "1:\n\t" TINYML_DW_ASM_GROUP(OFF_LOAD, ADD_OFF, RQ, OS) TINYML_DW_ASM_GROUP(OFF_LOAD, ADD_OFF, RQ, OS) \
  TINYML_DW_ASM_GROUPS_END
/*
 * A whole output row (depth a multiple of 4): after each pixel's groups, the next pixel's start
 * from a frame on the stack instead of a return to C (about 35 instructions a pixel before, 6
 * now; VWW's stride-2 layers have 4 to 32 groups a pixel; the last pixel's rewinds are harmless):
 *   [sp] the records' end  [4] output offset  [8] weights  [12] records
 *   [16] input bytes from a pixel's last group to the next pixel  [20] the row's output end
 *   [28] the output pointer during the taps
 */
#define TINYML_DW_ASM_ROW_LOOP(OFF_LOAD, ADD_OFF, RQ, GROUPS)                                         \
  "ldm    r8, {r0, r1, r2, r3, r4, r5}\n\t"                                                          \
  "sub    sp, sp, #8\n\t"                                                                            \
  "stmdb  sp!, {r0, r1, r2, r3, r4, r5}\n\t" GROUPS(OFF_LOAD, ADD_OFF, RQ, "28")                       \
  "ldrd   %[wp], %[q], [sp, #8]\n\t"                                                                 \
  "ldr    r8, [sp, #16]\n\t"                                                                         \
  "add    %[p], %[p], r8\n\t"                                                                        \
  "ldr    r8, [sp, #20]\n\t"                                                                         \
  "cmp    %[o], r8\n\t"                                                                              \
  "bne    1b\n\t"                                                                                    \
  "add    sp, sp, #32\n\t"
#define TINYML_DW_NO_OFF(a) ""
#define TINYML_DW_ADD_OFF(a) "add    " a ", " a ", r8\n\t"

/*
 * The registers of the 3x3 group loops (the int8 one here; the sub-byte weights' loop runs in the
 * same ones): r9 the pixel, r10 the column step, r11 the row bytes, r12 the weights, lr the q
 * records, r7 the output, r8 a frame {records' end, output offset}; r0-r3 accumulate and r4-r6
 * are scratch. TINYML_DW_K3_ASM(LOOP) runs LOOP on them; the function then writes back
 * *w, *q and *out (TINYML_DW_K3_DONE).
 */
#define TINYML_DW_K3_REGS(px, col_step, row_bytes, w, q, out, groups, off) \
  register const int8_t *rp __asm__("r9") = (px);                          \
  register int32_t rcs __asm__("r10") = (col_step);                        \
  register int32_t rrs __asm__("r11") = (row_bytes);                       \
  register const uint32_t *rwp __asm__("r12") = *(w);                      \
  register const int32_t *rq __asm__("lr") = *(q);                         \
  register int8_t *ro __asm__("r7") = *(out);                              \
  const int32_t *const q_end = *(q) + 16 * (groups);                       \
  int32_t stack[2] = {(int32_t)(intptr_t)q_end, (off)};                    \
  register int32_t *rst __asm__("r8") = stack
#define TINYML_DW_K3_ASM(LOOP)                                                                      \
  __asm__ volatile(LOOP                                                                             \
                   : [p] "+r"(rp), [wp] "+r"(rwp), [q] "+r"(rq), [o] "+r"(ro), "+r"(rst)             \
                   : [cs] "r"(rcs), [rs] "r"(rrs)                                                   \
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "cc", "memory")
#define TINYML_DW_K3_DONE(w, q, out) \
  do {                               \
    *(w) = rwp;                      \
    *(q) = rq;                       \
    *(out) = ro;                     \
  } while (0)

static void dw_groups_k3_asm(const int8_t *px, int32_t col_step, int32_t row_bytes, const uint32_t **w,
                             const int32_t **q, int8_t **out, int32_t groups, int32_t off, const int folded,
                             const int nf) {
  TINYML_DW_K3_REGS(px, col_step, row_bytes, w, q, out, groups, off);
  if (folded && nf) {
    TINYML_DW_K3_ASM(TINYML_DW_ASM_LOOP("", TINYML_DW_NO_OFF, TINYML_DW_ASM_RQ_NF));
  } else if (folded) {
    TINYML_DW_K3_ASM(TINYML_DW_ASM_LOOP("", TINYML_DW_NO_OFF, TINYML_DW_ASM_RQ));
  } else if (nf) {
    TINYML_DW_K3_ASM(TINYML_DW_ASM_LOOP("ldr    r8, [sp, #4]\n\t", TINYML_DW_ADD_OFF, TINYML_DW_ASM_RQ_NF));
  } else {
    TINYML_DW_K3_ASM(TINYML_DW_ASM_LOOP("ldr    r8, [sp, #4]\n\t", TINYML_DW_ADD_OFF, TINYML_DW_ASM_RQ));
  }
  TINYML_DW_K3_DONE(w, q, out);
}

/* All the pixels of an output row (width of them, depth c a multiple of 4) in one assembly loop;
 * depths of a multiple of 8 two groups a loop test (TINYML_DW_ASM_GROUPS2). */
static void dw_row_k3_asm(const int8_t *px, int32_t px_step, int32_t col_step, int32_t row_bytes, const int16_t *weights,
                          const int32_t *q, int8_t *out, int32_t c, int32_t width, int32_t off, const int folded,
                          const int nf) {
  register const int8_t *rp __asm__("r9") = px;
  register int32_t rcs __asm__("r10") = col_step;
  register int32_t rrs __asm__("r11") = row_bytes;
  register const uint32_t *rwp __asm__("r12") = (const uint32_t *)(const void *)weights;
  register const int32_t *rq __asm__("lr") = q;
  register int8_t *ro __asm__("r7") = out;
  int32_t frame[6] = {(int32_t)(intptr_t)(q + 4 * c), off, (int32_t)(intptr_t)weights, (int32_t)(intptr_t)q,
                      px_step - c, (int32_t)(intptr_t)(out + width * c)};
  register int32_t *rst __asm__("r8") = frame;
#define TINYML_DW_ROW_BY_MODE(GROUPS)                                                                          \
  if (folded && nf) {                                                                                         \
    TINYML_DW_K3_ASM(TINYML_DW_ASM_ROW_LOOP("", TINYML_DW_NO_OFF, TINYML_DW_ASM_RQ_NF, GROUPS));                \
  } else if (folded) {                                                                                        \
    TINYML_DW_K3_ASM(TINYML_DW_ASM_ROW_LOOP("", TINYML_DW_NO_OFF, TINYML_DW_ASM_RQ, GROUPS));                   \
  } else if (nf) {                                                                                            \
    TINYML_DW_K3_ASM(TINYML_DW_ASM_ROW_LOOP("ldr    r8, [sp, #4]\n\t", TINYML_DW_ADD_OFF, TINYML_DW_ASM_RQ_NF, GROUPS)); \
  } else {                                                                                                    \
    TINYML_DW_K3_ASM(TINYML_DW_ASM_ROW_LOOP("ldr    r8, [sp, #4]\n\t", TINYML_DW_ADD_OFF, TINYML_DW_ASM_RQ, GROUPS)); \
  }
  if ((c & 7) == 0) {
    TINYML_DW_ROW_BY_MODE(TINYML_DW_ASM_GROUPS2)
  } else {
    TINYML_DW_ROW_BY_MODE(TINYML_DW_ASM_GROUPS)
  }
#undef TINYML_DW_ROW_BY_MODE
}
#undef TINYML_DW_ASM_ROW_LOOP
#undef TINYML_DW_ASM_GROUPS2
#undef TINYML_DW_ASM_GROUPS
#undef TINYML_DW_ASM_GROUPS_END
#undef TINYML_DW_ASM_GROUP
#undef TINYML_DW_ADD_OFF
#undef TINYML_DW_NO_OFF
#undef TINYML_DW_ASM_LOOP
#undef TINYML_DW_ASM_RQ
#undef TINYML_DW_ASM_RQ_NF
#undef TINYML_DW_ASM_TAPS9
#undef TINYML_DW_ASM_PAIR_LD
#undef TINYML_DW_ASM_PAIR
#undef TINYML_DW_ASM_TAP
#endif

TINYML_DSP_INLINE void dw_row(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *rows, int32_t row_bytes,
                              int32_t width, const int16_t *weights, int8_t *out, const int MODE, const int FULL,
                              const int K3) {
  const int32_t c = p->geo.input_depth;
  const int32_t fh = K3 ? 3 : p->geo.filter_height;
  const int32_t fw = K3 ? 3 : p->geo.filter_width;
  const int32_t col_step = p->geo.dilation_width * c;
  const int32_t px_step = p->geo.stride_width * c;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  const int32_t groups = c >> 2;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (K3 && FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF && groups > 0 && 4 * groups == c && !p->pixel_calls) {
    dw_row_k3_asm(rows, px_step, col_step, row_bytes, weights, p->q, out, c, width, off,
                  TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED, TINYML_RQ_NF(MODE));
    return;
  }
#endif
  for (int32_t ox = 0; ox < width; ++ox) {
    const int8_t *px = rows + ox * px_step;
    const uint32_t *w = (const uint32_t *)(const void *)weights;
    const int32_t *q = p->q;
    int8_t *o = out;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
    if (K3 && FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF && groups > 0) {
      dw_groups_k3_asm(px, col_step, row_bytes, &w, &q, &o, groups, off, TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED,
                       TINYML_RQ_NF(MODE));
      px += 4 * groups;
    } else
#endif
    for (int32_t g = 0; g < groups; ++g) {
      int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
      if (K3) {
        /* Taps in pairs, tap 8 alone, in the 3x3 layout's order (depthwise_conv2d_dsp.h). */
        const int8_t *r0 = px;
        const int8_t *r1 = r0 + row_bytes;
        const int8_t *r2 = r1 + row_bytes;
        TINYML_DW_PAIR4(tinyml_ld32(r1 + col_step), tinyml_ld32(r1 + 2 * col_step), w);
        TINYML_DW_TAP4(tinyml_ld32(r2 + 2 * col_step), w[4], w[5]);
        TINYML_DW_PAIR4(tinyml_ld32(r2), tinyml_ld32(r2 + col_step), w + 6);
        TINYML_DW_PAIR4(tinyml_ld32(r0 + 2 * col_step), tinyml_ld32(r1), w + 10);
        TINYML_DW_PAIR4(tinyml_ld32(r0), tinyml_ld32(r0 + col_step), w + 14);
        w += 18;
      } else {
        for (int32_t fy = 0; fy < fh; ++fy) {
          const int8_t *rp = px + fy * row_bytes;
          for (int32_t fx = 0; fx < fw; ++fx) {
            TINYML_DW_TAP4(tinyml_ld32(rp), w[0], w[1]);
            rp += col_step;
            w += 2;
          }
        }
      }
      px += 4;
      o[0] = (int8_t)tinyml_rq(MODE, a0, q[4], q[5], q[6], off, lo, hi);
      o[1] = (int8_t)tinyml_rq(MODE, a1, q[7], q[8], q[9], off, lo, hi);
      o[2] = (int8_t)tinyml_rq(MODE, a2, q[10], q[11], q[12], off, lo, hi);
      o[3] = (int8_t)tinyml_rq(MODE, a3, q[13], q[14], q[15], off, lo, hi);
      q += 16;
      o += 4;
    }
    /* Remaining channels one at a time; their weights are per channel, tap-major. */
    const int16_t *w16 = (const int16_t *)(const void *)w;
    for (int32_t ch = groups * 4; ch < c; ++ch) {
      int32_t acc = q[0];
      for (int32_t fy = 0; fy < fh; ++fy) {
        const int8_t *rp = px + fy * row_bytes;
        for (int32_t fx = 0; fx < fw; ++fx) {
          acc = (int32_t)((uint32_t)acc + (uint32_t)((int32_t)*rp * *w16++));
          rp += col_step;
        }
      }
      ++px;
      *o++ = (int8_t)tinyml_rq(MODE, acc, q[1], q[2], q[3], off, lo, hi);
      q += 4;
    }
    out += c;
  }
}

/* Sub-byte records: {m, t, e, bias'} per channel, after each group's weight words. */
#define TINYML_DWS_RECORD_WORDS 16
/* A record's e as tinyml_rq takes it (undoes the FAST_MIXED encoding: e <= 0 stored as s - 256 for a left shift s). */
#define TINYML_DWS_E(MODE, e) (TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_MIXED && (e) <= 0 ? -((e) & 255) : (e))

/* ---- the plane kernel (band_rows > 0) ---- */

/*
 * Why planes: SMLAD multiplies two halfword pairs and adds both products to one accumulator, so
 * the two must be taps of the same channel; NHWC puts a pixel's channels side by side, so the
 * row kernel above pays two SXTB16 and a weight load per tap and multiplies one tap per
 * instruction. Copied once into an int16 plane per channel, a row of taps is a row of halfword
 * pairs: with a filter row's weights as the pairs P = (w0, w1) and Q = (w1, w2), the outputs x
 * (even) and x + 1 of stride 1 take four multiplies per filter row from two words (x: SMLAD(x01,
 * P) + SMLABT(x23, Q); x + 1: SMLATB(x01, P) + SMLAD(x23, Q)), those of stride 2 two each. The
 * assembly loops compute four (stride 1) or two (stride 2) outputs per step, loading each filter
 * row's words with one LDM; the channel's pairs, biases and requantization constants sit in a
 * small frame the loop reloads with LDRD/LDM, which frees the registers for the accumulators.
 * Tall narrow images (KWS: 25x5) run transposed, plane rows being input columns, so that the
 * rows are long and few blocks are partial. The padding is written once per band: the in-image
 * values of every channel land on the same plane positions.
 *
 * Every output of a band is computed from the channel's plane, which holds all the input rows
 * it reads: run in place (output over input), channel ch's output bytes only ever overwrite
 * channel ch's input bytes (depth multiplier 1), all read before; over several bands each
 * channel goes down its bands before the next (dw_plane_bands_run), so where the output rows lie
 * over the same input rows (the generator's condition) a band overwrites only rows it has read.
 */

/* The layer as the plane sees it: its rows and columns, swapped when transposed. */
typedef struct {
  int32_t out_rows, out_cols;         /* outputs across plane rows, along a plane row */
  int32_t stride_rows, stride_cols;
  int32_t pad_rows, pad_cols;
  int32_t in_rows, in_cols;
  int32_t in_row_step, in_col_step;   /* bytes of the input between rows, between columns */
  int32_t out_row_step, out_col_step; /* and of the output */
} dw_view;

static void dw_view_of(const tinyml_depthwise_conv2d_dsp_params *p, dw_view *v) {
  const tinyml_packed_geometry *g = &p->geo;
  const int32_t c = g->input_depth;
  const int32_t t = p->transposed;
  v->out_rows = t ? g->output_width : g->output_height;
  v->out_cols = t ? g->output_height : g->output_width;
  v->stride_rows = t ? g->stride_width : g->stride_height;
  v->stride_cols = t ? g->stride_height : g->stride_width;
  v->pad_rows = t ? g->pad_width : g->pad_height;
  v->pad_cols = t ? g->pad_height : g->pad_width;
  v->in_rows = t ? g->input_width : g->input_height;
  v->in_cols = t ? g->input_height : g->input_width;
  v->in_row_step = t ? c : g->input_width * c;
  v->in_col_step = t ? g->input_width * c : c;
  v->out_row_step = t ? c : g->output_width * c;
  v->out_col_step = t ? g->output_width * c : c;
}

/* The plane's n int16 (n even) all the pad value. */
static void dw_plane_pad(int16_t *plane, int32_t n, int32_t pad) {
  const uint32_t v = ((uint32_t)pad & 0xFFFFu) * 0x00010001u;
  uint32_t *d = (uint32_t *)(void *)plane;
  for (int32_t i = 0; i < n / 2; ++i) d[i] = v;
}

/*
 * Values from s (step bytes apart) into d as int16: `lead` (0 or 1) alone, which leaves d
 * word-aligned, then `blocks` runs of eight and `rest` (< 8) more. Two values per word store
 * (PKHBT of two LDRSB: two instructions a value), eight per iteration so that the loop's own
 * instructions are few. The counts are the same for every row of a layer (dw_plane_fill works
 * them out once per channel): on small images (KWS: rows of 25 values) the per-row work
 * around the copy used to cost as much as the copy.
 */
TINYML_DSP_INLINE void dw_plane_copy(int16_t *d, const int8_t *s, int32_t step, int32_t lead, int32_t blocks,
                                     int32_t rest) {
  if (lead) {
    *d++ = *s;
    s += step;
  }
  uint32_t *w = (uint32_t *)(void *)d;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (blocks > 0) {
    /* Eight values per iteration from two pointers four steps apart: 17 instructions. */
    const int8_t *s4 = s + 4 * step;
    uint32_t t0, t1, t2;
    __asm__ volatile(
        "1:\n\t"
        "ldrsb  %[t0], [%[s]]\n\t"
        "ldrsb  %[t1], [%[s], %[st]]\n\t"
        "pkhbt  %[t0], %[t0], %[t1], lsl #16\n\t"
        "ldrsb  %[t1], [%[s], %[st2]]\n\t"
        "ldrsb  %[t2], [%[s], %[st3]]\n\t"
        "pkhbt  %[t1], %[t1], %[t2], lsl #16\n\t"
        "strd   %[t0], %[t1], [%[w]], #8\n\t"
        "ldrsb  %[t0], [%[s4]]\n\t"
        "ldrsb  %[t1], [%[s4], %[st]]\n\t"
        "pkhbt  %[t0], %[t0], %[t1], lsl #16\n\t"
        "ldrsb  %[t1], [%[s4], %[st2]]\n\t"
        "ldrsb  %[t2], [%[s4], %[st3]]\n\t"
        "pkhbt  %[t1], %[t1], %[t2], lsl #16\n\t"
        "strd   %[t0], %[t1], [%[w]], #8\n\t"
        "add    %[s], %[s], %[st], lsl #3\n\t"
        "add    %[s4], %[s4], %[st], lsl #3\n\t"
        "subs   %[b], %[b], #1\n\t"
        "bne    1b\n\t"
        : [s] "+r"(s), [s4] "+r"(s4), [w] "+r"(w), [b] "+r"(blocks), [t0] "=&r"(t0), [t1] "=&r"(t1),
          [t2] "=&r"(t2)
        : [st] "r"(step), [st2] "r"(2 * step), [st3] "r"(3 * step)
        : "cc", "memory");
  }
#else
  for (; blocks > 0; --blocks) {
    const int8_t *s4 = s + 4 * step;
    w[0] = tinyml_pkhbt((uint32_t)(int32_t)s[0], (uint32_t)(int32_t)s[step]);
    w[1] = tinyml_pkhbt((uint32_t)(int32_t)s[2 * step], (uint32_t)(int32_t)s[3 * step]);
    w[2] = tinyml_pkhbt((uint32_t)(int32_t)s4[0], (uint32_t)(int32_t)s4[step]);
    w[3] = tinyml_pkhbt((uint32_t)(int32_t)s4[2 * step], (uint32_t)(int32_t)s4[3 * step]);
    w += 4;
    s += 8 * step;
  }
#endif
  /* The last 0..7 values: four, two and one as the bits of rest say, no loop. */
  if (rest & 4) {
    w[0] = tinyml_pkhbt((uint32_t)(int32_t)s[0], (uint32_t)(int32_t)s[step]);
    w[1] = tinyml_pkhbt((uint32_t)(int32_t)s[2 * step], (uint32_t)(int32_t)s[3 * step]);
    w += 2;
    s += 4 * step;
  }
  if (rest & 2) {
    *w++ = tinyml_pkhbt((uint32_t)(int32_t)s[0], (uint32_t)(int32_t)s[step]);
    s += 2 * step;
  }
  if (rest & 1) *(int16_t *)(void *)w = *s;
}

/* The number of in-image values of a plane row. */
static int32_t dw_plane_body(const dw_view *v) {
  const int32_t cols = (v->out_cols - 1) * v->stride_cols + 3 - v->pad_cols;
  return v->in_cols < cols ? v->in_cols : cols;
}

/* Most blocks of eight values a row dw_plane_rows_unrolled takes (VWW's 48-wide rows: 5). */
#define TINYML_DWP_FILL_UNROLL 6

/* How a band's plane rows are filled, the same for each channel (dw_plane_fill_plan). */
typedef struct {
  int32_t rows;       /* plane rows with input values, from the first: */
  int32_t first;      /* its plane row */
  int32_t src, dst;   /* its first value's input byte offset (from the channel's first), plane index */
  int32_t lead, blocks, rest; /* dw_plane_copy's counts */
  int32_t step;       /* input bytes between a row's values */
  int32_t src_row, dst_row; /* input bytes, plane int16 from one row to the next */
  /* The assembly row loop's words (dw_plane_rows): blocks << 4 | lead << 3 | rest, then the input
   * and plane bytes from where a row's copy ends to where the next one starts. */
  int32_t counts, src_next, dst_next;
  /* dw_plane_rows_unrolled's words: its entry into the unrolled blocks (TINYML_DWP_FILL_UNROLL -
   * blocks), the rest, and the input bytes from where its row ends (after the blocks) to the next. */
  int32_t entry, rest_index, src_next_u;
} dw_fill;

/* The fill of the band whose plane starts at input row iy0 and has `rows` rows. */
static void dw_plane_fill_plan(const dw_view *v, int32_t iy0, int32_t rows, int32_t pitch, const int16_t *plane,
                               dw_fill *f) {
  const int32_t body = dw_plane_body(v);
  const int32_t r0 = iy0 < 0 ? -iy0 : 0;
  const int32_t r1 = iy0 + rows > v->in_rows ? v->in_rows - iy0 : rows;
  /* The plane is word-aligned and its pitch even: every row starts as aligned as the first. */
  f->lead = body > 0 && ((uintptr_t)(plane + v->pad_cols) & 2u) != 0;
  f->blocks = (body - f->lead) >> 3;
  f->rest = (body - f->lead) & 7;
  f->rows = r1 > r0 ? r1 - r0 : 0;
  f->first = r0;
  f->src = (iy0 + r0) * v->in_row_step;
  f->dst = r0 * pitch + v->pad_cols;
  f->step = v->in_col_step;
  f->src_row = v->in_row_step;
  f->dst_row = pitch;
  f->counts = f->blocks << 4 | f->lead << 3 | f->rest;
  f->src_next = v->in_row_step - (body > 0 ? body : 0) * v->in_col_step;
  f->dst_next = 2 * (pitch - (body > 0 ? body : 0));
  f->entry = TINYML_DWP_FILL_UNROLL - f->blocks;
  f->rest_index = f->rest;
  f->src_next_u = v->in_row_step - (f->lead + 8 * f->blocks) * v->in_col_step;
}

/* dw_plane_rows and dw_plane_rows_unrolled read these words by offset. */
_Static_assert(__builtin_offsetof(dw_fill, lead) == 16 && __builtin_offsetof(dw_fill, step) == 28 &&
                   __builtin_offsetof(dw_fill, counts) == 40 && __builtin_offsetof(dw_fill, src_next) == 44 &&
                   __builtin_offsetof(dw_fill, dst_next) == 48 && __builtin_offsetof(dw_fill, entry) == 52 &&
                   __builtin_offsetof(dw_fill, rest_index) == 56 && __builtin_offsetof(dw_fill, src_next_u) == 60,
               "dw_plane_rows's offsets");

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * `rows` plane rows from s (input) into d (plane), each as dw_plane_copy does it, in one assembly
 * loop: the per-row work (the lead and rest tests, moving to the next row) is then about 13
 * instructions, where the C loop around dw_plane_copy spent about 40 (KWS: 25 values a row, so
 * it cost as much as a third of the copy). Registers: r0 d, r1 s, r2 f, r3 rows, r4 step, r5 3
 * step, r9 blocks left, r10 5 step, r11 7 step, r12 counts; r6-r8 and lr scratch.
 */
/* Four values at the addresses a-d into the plane (two words, one STRD). */
#define TINYML_DWP_FILL4(a, b, c, d)            \
  "ldrsb  r6, " a "\n\t"                        \
  "ldrsb  r7, " b "\n\t"                        \
  "pkhbt  r6, r6, r7, lsl #16\n\t"               \
  "ldrsb  r7, " c "\n\t"                        \
  "ldrsb  r8, " d "\n\t"                        \
  "pkhbt  r7, r7, r8, lsl #16\n\t"               \
  "strd   r6, r7, [r0], #8\n\t"
#define TINYML_DWP_FILL8                                                                     \
  TINYML_DWP_FILL4("[r1]", "[r1, r4]", "[r1, r4, lsl #1]", "[r1, r5]")                       \
  TINYML_DWP_FILL4("[r1, r4, lsl #2]", "[r1, r10]", "[r1, r5, lsl #1]", "[r1, r11]")           \
  "add    r1, r1, r4, lsl #3\n\t"
#define TINYML_DWP_FILL_PAIR(a, b)              \
  "ldrsb  r6, " a "\n\t"                        \
  "ldrsb  r7, " b "\n\t"                        \
  "pkhbt  r6, r6, r7, lsl #16\n\t"               \
  "str    r6, [r0], #4\n\t"
#define TINYML_DWP_FILL_ONE(a)                  \
  "ldrsb  r6, " a "\n\t"                        \
  "strh   r6, [r0], #2\n\t"
#define TINYML_DWP_FILL_4 TINYML_DWP_FILL4("[r1]", "[r1, r4]", "[r1, r4, lsl #1]", "[r1, r5]")
#define TINYML_DWP_FILL_LEAD TINYML_DWP_FILL_ONE("[r1]") "add    r1, r1, r4\n\t"
/* The step registers every fill loop addresses its values with: r4 the input step (f->step), r5 3x,
 * r10 5x, r11 7x it. */
#define TINYML_DWP_FILL_STEPS                   \
  "ldr    r4, [r2, #28]\n\t"                    \
  "add    r5, r4, r4, lsl #1\n\t"               \
  "add    r10, r4, r4, lsl #2\n\t"              \
  "rsb    r11, r4, r4, lsl #3\n\t"
__attribute__((noinline)) static void dw_plane_rows(int16_t *d, const int8_t *s, const dw_fill *f, int32_t rows) {
  register int16_t *r0 __asm__("r0") = d;
  register const int8_t *r1 __asm__("r1") = s;
  register const dw_fill *r2 __asm__("r2") = f;
  register int32_t r3 __asm__("r3") = rows;
  __asm__ volatile(
      TINYML_DWP_FILL_STEPS
      "ldr    r12, [r2, #40]\n"
      "1:\n\t"
      /* C: the lead; Z: no whole blocks of eight. */
      "lsrs   r9, r12, #4\n\t"
      "bcc    2f\n\t"
      TINYML_DWP_FILL_LEAD
      "2:\n\t"
      "beq    4f\n"
      "3:\n\t"
      TINYML_DWP_FILL8
      "subs   r9, r9, #1\n\t"
      "bne    3b\n"
      "4:\n\t"
      /* The rest: C four values, N two, then bit 0 one. */
      "lsls   r6, r12, #30\n\t"
      "bcc    5f\n\t"
      TINYML_DWP_FILL_4
      "add    r1, r1, r4, lsl #2\n"
      "5:\n\t"
      "bpl    6f\n\t"
      TINYML_DWP_FILL_PAIR("[r1]", "[r1, r4]")
      "add    r1, r1, r4, lsl #1\n"
      "6:\n\t"
      "tst    r12, #1\n\t"
      "beq    7f\n\t"
      TINYML_DWP_FILL_LEAD
      "7:\n\t"
      "ldrd   r6, r7, [r2, #44]\n\t"
      "add    r1, r1, r6\n\t"
      "add    r0, r0, r7\n\t"
      "subs   r3, r3, #1\n\t"
      "bne    1b\n\t"
      : "+r"(r0), "+r"(r1), "+r"(r3)
      : "r"(r2)
      : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}
/*
 * dw_plane_rows for rows of at most TINYML_DWP_FILL_UNROLL blocks of eight: the blocks written out
 * one after the other and entered through a jump table at the row's first (a row with a lone
 * first value at a stub that writes it, then jumps there), the rest (0 to 7 values) through
 * another, so that a row pays no tests for its counts (they are the same for every row of the
 * layer): VWW's rows of 12, 24 and 48 values took 42, 66 and 117 instructions in the loop above,
 * here about 28, 48 and 93. Registers as there, r12 the entry, lr the rest, r9 and r2 the input
 * and plane bytes to the next row.
 */
_Static_assert(TINYML_DWP_FILL_UNROLL == 6, "dw_plane_rows_unrolled's jump table");
__attribute__((noinline)) static void dw_plane_rows_unrolled(int16_t *d, const int8_t *s, const dw_fill *f,
                                                             int32_t rows) {
  register int16_t *r0 __asm__("r0") = d;
  register const int8_t *r1 __asm__("r1") = s;
  register const dw_fill *r2 __asm__("r2") = f;
  register int32_t r3 __asm__("r3") = rows;
  __asm__ volatile(
      TINYML_DWP_FILL_STEPS
      "ldr    r9, [r2, #16]\n\t"
      "ldrd   r12, lr, [r2, #52]\n\t"
      /* A row with a lead enters at the lead's stub (seven entries further on, 40-46). */
      "add    r12, r12, r9, lsl #3\n\t"
      "sub    r12, r12, r9\n\t"
      "ldr    r9, [r2, #60]\n\t"
      "ldr    r2, [r2, #48]\n"
      "1:\n\t"
      "tbh    [pc, r12, lsl #1]\n"
      "20:\n\t"
      ".hword (30f - 20b) / 2, (31f - 20b) / 2, (32f - 20b) / 2, (33f - 20b) / 2\n\t"
      ".hword (34f - 20b) / 2, (35f - 20b) / 2, (36f - 20b) / 2\n\t"
      ".hword (40f - 20b) / 2, (41f - 20b) / 2, (42f - 20b) / 2, (43f - 20b) / 2\n\t"
      ".hword (44f - 20b) / 2, (45f - 20b) / 2, (46f - 20b) / 2\n"
      "40:\n\t" TINYML_DWP_FILL_LEAD "b      30f\n"
      "41:\n\t" TINYML_DWP_FILL_LEAD "b      31f\n"
      "42:\n\t" TINYML_DWP_FILL_LEAD "b      32f\n"
      "43:\n\t" TINYML_DWP_FILL_LEAD "b      33f\n"
      "44:\n\t" TINYML_DWP_FILL_LEAD "b      34f\n"
      "45:\n\t" TINYML_DWP_FILL_LEAD "b      35f\n"
      "46:\n\t" TINYML_DWP_FILL_LEAD "b      36f\n"
      "30:\n\t" TINYML_DWP_FILL8
      "31:\n\t" TINYML_DWP_FILL8
      "32:\n\t" TINYML_DWP_FILL8
      "33:\n\t" TINYML_DWP_FILL8
      "34:\n\t" TINYML_DWP_FILL8
      "35:\n\t" TINYML_DWP_FILL8
      "36:\n\t"
      "tbh    [pc, lr, lsl #1]\n"
      "21:\n\t"
      ".hword (50f - 21b) / 2, (51f - 21b) / 2, (52f - 21b) / 2, (53f - 21b) / 2\n\t"
      ".hword (54f - 21b) / 2, (55f - 21b) / 2, (56f - 21b) / 2, (57f - 21b) / 2\n"
      "51:\n\t" TINYML_DWP_FILL_ONE("[r1]") "b      50f\n"
      "52:\n\t" TINYML_DWP_FILL_PAIR("[r1]", "[r1, r4]") "b      50f\n"
      "53:\n\t" TINYML_DWP_FILL_PAIR("[r1]", "[r1, r4]") TINYML_DWP_FILL_ONE("[r1, r4, lsl #1]") "b      50f\n"
      "54:\n\t" TINYML_DWP_FILL_4 "b      50f\n"
      "55:\n\t" TINYML_DWP_FILL_4 TINYML_DWP_FILL_ONE("[r1, r4, lsl #2]") "b      50f\n"
      "56:\n\t" TINYML_DWP_FILL_4 TINYML_DWP_FILL_PAIR("[r1, r4, lsl #2]", "[r1, r10]") "b      50f\n"
      "57:\n\t" TINYML_DWP_FILL_4 TINYML_DWP_FILL_PAIR("[r1, r4, lsl #2]", "[r1, r10]")
      TINYML_DWP_FILL_ONE("[r1, r5, lsl #1]")
      "50:\n\t"
      "add    r1, r1, r9\n\t"
      "add    r0, r0, r2\n\t"
      "subs   r3, r3, #1\n\t"
      "bne    1b\n\t"
      : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)
      :
      : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}
#undef TINYML_DWP_FILL_4
#undef TINYML_DWP_FILL_LEAD
#undef TINYML_DWP_FILL_ONE
#undef TINYML_DWP_FILL_PAIR
#undef TINYML_DWP_FILL8
#undef TINYML_DWP_FILL4
#undef TINYML_DWP_FILL_STEPS
#endif

/*
 * The in-image values of one channel (in: its byte of the first pixel) in its plane. A function
 * of its own, with the counts in f: inlined into the band driver, its row loop ran short of
 * registers and spilled on every row.
 */
__attribute__((noinline)) static void dw_plane_fill(const dw_fill *f, const int8_t *in, int16_t *plane) {
  const int8_t *s = in + f->src;
  int16_t *d = plane + f->dst;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (f->rows > 0 && f->blocks <= TINYML_DWP_FILL_UNROLL) {
    dw_plane_rows_unrolled(d, s, f, f->rows);
  } else if (f->rows > 0) {
    dw_plane_rows(d, s, f, f->rows);
  }
#else
  for (int32_t r = 0; r < f->rows; ++r) {
    dw_plane_copy(d, s, f->step, f->lead, f->blocks, f->rest);
    d += f->dst_row;
    s += f->src_row;
  }
#endif
}

/*
 * dw_plane_fill for rows of six values after one column of padding (VWW's 6x6 layers: the
 * fill's counts lead 1, no block of eight, rest 5): each row written as the
 * halfword at column 1, the word pairs (2, 3) (4, 5) by one STRD and the halfword at column 6,
 * 15 instructions a row where dw_plane_rows's general loop takes 27.
 */
#define TINYML_DWP_COUNTS6 (1 << 3 | 5)
/* One row of six values (r1; r4 the step, r5 3x, r2 5x) into the plane row at r0: the halfword at
 * byte a, the pairs (2, 3) (4, 5) by one STRD at b, the halfword at c. */
#define TINYML_DWP_FILL_ROW6(a, b, c)           \
  "ldrsb  r6, [r1]\n\t"                         \
  "strh   r6, [r0, #" a "]\n\t"                  \
  "ldrsb  r6, [r1, r4]\n\t"                     \
  "ldrsb  r7, [r1, r4, lsl #1]\n\t"             \
  "pkhbt  r6, r6, r7, lsl #16\n\t"              \
  "ldrsb  r7, [r1, r5]\n\t"                     \
  "ldrsb  r8, [r1, r4, lsl #2]\n\t"             \
  "pkhbt  r7, r7, r8, lsl #16\n\t"              \
  "strd   r6, r7, [r0, #" b "]\n\t"              \
  "ldrsb  r6, [r1, r2]\n\t"                     \
  "strh   r6, [r0, #" c "]\n\t"
__attribute__((noinline)) static void dw_plane_fill6(const dw_fill *f, const int8_t *in, int16_t *plane) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  /* d: the row's column 0 (word-aligned: the lead sits at column 1). */
  register int16_t *r0 __asm__("r0") = plane + f->dst - 1;
  register const int8_t *r1 __asm__("r1") = in + f->src;
  register int32_t r3 __asm__("r3") = f->rows;
  register int32_t r4 __asm__("r4") = f->step;
  register int32_t r12 __asm__("r12") = f->src_row;
  register int32_t rlr __asm__("lr") = 2 * f->dst_row;
  if (r3 == 0) return;
  __asm__ volatile(
      "add    r5, r4, r4, lsl #1\n\t"
      "add    r2, r4, r4, lsl #2\n"
      "1:\n\t"
      TINYML_DWP_FILL_ROW6("2", "4", "12")
      "add    r1, r1, r12\n\t"
      "add    r0, r0, lr\n\t"
      "subs   r3, r3, #1\n\t"
      "bne    1b\n\t"
      : "+r"(r0), "+r"(r1), "+r"(r3)
      : "r"(r4), "r"(r12), "r"(rlr)
      : "r2", "r5", "r6", "r7", "r8", "cc", "memory");
#else
  const int8_t *s = in + f->src;
  int16_t *d = plane + f->dst;
  for (int32_t r = 0; r < f->rows; ++r) {
    dw_plane_copy(d, s, f->step, f->lead, f->blocks, f->rest);
    d += f->dst_row;
    s += f->src_row;
  }
#endif
}

/* The channel's frame (int32 words) the assembly loops read through r12. */
#define TINYML_DWP_BIAS 0       /* bias' four times: the accumulators' start */
#define TINYML_DWP_PQ 4         /* P0 Q0 P1 Q1 P2 Q2 */
#define TINYML_DWP_RQ 10        /* m, t, e, output step (bytes between a row's outputs) */
#define TINYML_DWP_END 14       /* where the current row's whole blocks end (plane pointer) */
#define TINYML_DWP_OFF 15       /* output offset (FAST, not folded) */
#define TINYML_DWP_TAIL 16      /* plane and output bytes back to a last, overlapping block (0: none); */
#define TINYML_DWP_TAIL_ROW 18  /* the row's value of the first (the loop zeroes it once used) */
#define TINYML_DWP_SINGLE 19    /* plane and output byte offsets, from the row's start, of a last lone output (0: none) */
#define TINYML_DWP_ROWS 21      /* rows left, then the plane and output bytes from one row to the next */
#define TINYML_DWP_WHOLE 24     /* bytes of a row's whole blocks */
#define TINYML_DWP_CUR 25       /* the current row's plane and output pointers */
/* The unrolled stride-1 band loop's words (dw_plane_frame_layer): */
#define TINYML_DWP_ENTRY 27     /* its jump table's index, TINYML_DWP_UNROLL - whole blocks (-1: the loop above runs) */
#define TINYML_DWP_LONE 28      /* the row's end: 1 a last overlapping block, 2 a lone output, 3 both, 0 neither */
#define TINYML_DWP_ADV 29       /* plane and output bytes from where a row's work ends to the next row */
#define TINYML_DWP_BAND_END 31  /* the plane row after the band's last */
#define TINYML_DWP_BIAS2 32     /* bias' twice more: the six-output rows' last two accumulators */
#define TINYML_DWP_SIX 34       /* 1: rows of exactly six outputs, stride 1 both ways, plane pitch 8 (dw_band6_*) */
/*
 * The unrolled stride-1 loop's own copies (dw_band_s1u_*: it points r12 at TINYML_DWP_U_RQ, so
 * that one LDMDB starts the accumulators and one LDM loads all its requantization needs, and
 * stores a block's four outputs in five instructions with 3 x step at hand): bias' four times,
 * then e, the output step, 3 x step, m, t. The loop copies bias', e, m, t in on entry (once a
 * channel's band); the steps are the layer's (dw_plane_frame_layer).
 */
#define TINYML_DWP_U_BIAS 35
#define TINYML_DWP_U_RQ 39
/*
 * The six-wide channel loop's words (dw_band6c_*: whole channels, each its record and pairs copied
 * into the frame, its plane rows filled and its rows computed, in one call): the current
 * channel's input (its first in-image value) and output, where its pairs and record are read
 * (each moved on by one channel), the input after the last channel, and the fill's constants:
 * the first filled plane row's column 0, the filled rows, the input bytes between a row's values
 * and from one row to the next.
 */
#define TINYML_DWP_C_IN 44
#define TINYML_DWP_C_OUT 45
#define TINYML_DWP_C_PQ 46
#define TINYML_DWP_C_REC 47
#define TINYML_DWP_C_END 48
#define TINYML_DWP_C_FILL 49
#define TINYML_DWP_C_ROWS 50
#define TINYML_DWP_C_STEP 51
#define TINYML_DWP_C_SROW 52
/* And its requantization words, where its r12 points: bias' six times before, 3 x the output step
 * (the layer's), m, t, e, the output step, then the channel's pairs P0 Q0 P1 Q1 P2 Q2. */
#define TINYML_DWP_6_BIAS 53
#define TINYML_DWP_6_RQ 59
#define TINYML_DWP_6_PQ 64
#define TINYML_DWP_WORDS 70
/* Most whole blocks of a row the unrolled loop runs (VWW's 48-wide rows: 12). */
#define TINYML_DWP_UNROLL 12

/* The band loops of one requantization, at stride 1 and 2 (NULL: the C path). */
typedef void (*dw_plane_band_fn)(int32_t pitch_bytes, const int32_t *frame);
typedef struct {
  dw_plane_band_fn s1, s2, s1u, s1x6, s1x6c, s1x6m;
} dw_plane_bands;

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/* One filter row against the words r4 r5 r6 (plane columns x..x+5), P in r8 and Q in r9: four outputs. */
#define TINYML_DWP_MAC4            \
  "smlad  r0, r4, r8, r0\n\t"      \
  "smlatb r1, r4, r8, r1\n\t"      \
  "smlabt r0, r5, r9, r0\n\t"      \
  "smlad  r1, r5, r9, r1\n\t"      \
  "smlad  r2, r5, r8, r2\n\t"      \
  "smlatb r3, r5, r8, r3\n\t"      \
  "smlabt r2, r6, r9, r2\n\t"      \
  "smlad  r3, r6, r9, r3\n\t"
/* Stride 2: outputs at columns x and x + 2. */
#define TINYML_DWP_MAC2            \
  "smlad  r0, r4, r8, r0\n\t"      \
  "smlabt r0, r5, r9, r0\n\t"      \
  "smlad  r1, r5, r8, r1\n\t"      \
  "smlabt r1, r6, r9, r1\n\t"
/* Filter row k (k >= 1): the row pointer r7 moves down one plane row (r11 bytes). */
#define TINYML_DWP_ROW(k, MAC)                 \
  "add    r7, r7, r11\n\t"                     \
  "ldm    r7, {r4, r5, r6}\n\t"                \
  "ldrd   r8, r9, [r12, #" #k "]\n\t" MAC
/* A lone output at an even column (r7): two words per filter row. */
#define TINYML_DWP_ROW1(k)                     \
  "ldrd   r4, r5, [r7]\n\t"                    \
  "ldrd   r8, r9, [r12, #" #k "]\n\t"          \
  "smlad  r0, r4, r8, r0\n\t"                  \
  "smlabt r0, r5, r9, r0\n\t"
/* Requantize accumulator a (m r8, t r9, e r4; r7 scratch), the offset in r6 when OFF. */
#define TINYML_DWP_RQ1(a, OFF)                 \
  "add    r7, r9, " a ", asr #31\n\t"          \
  "smmlar " a ", " a ", r8, r7\n\t"            \
  "asr    " a ", " a ", r4\n\t" OFF(a)         \
  "ssat   " a ", #8, " a "\n\t"
/* The same without the sign correction (TINYML_RQ_NOFIX layers; r7 is left alone). */
#define TINYML_DWP_RQ1_NF(a, OFF)              \
  "smmlar " a ", " a ", r8, r9\n\t"            \
  "asr    " a ", " a ", r4\n\t" OFF(a)         \
  "ssat   " a ", #8, " a "\n\t"
#define TINYML_DWP_NO_OFF(a) ""
#define TINYML_DWP_ADD_OFF(a) "add    " a ", " a ", r6\n\t"
/*
 * A channel's band, row after row. Per row: the whole blocks (INIT starts the accumulators from
 * the frame, MAC multiplies, RQ_STORE requantizes and stores with r5 the output step, STEP bytes
 * per block); when the row's outputs are not a whole number of blocks, one more block ending at
 * the row's last output, overlapping the previous one (its outputs are written again, the same
 * values), its plane column even as LDM needs, and/or a lone last output at an even column.
 */
#define TINYML_DWP_BAND(INIT, MAC, RQ_STORE, STEP, PRE, RQ)                                        \
  "1:\n\t" INIT                                                                                    \
  "ldm    r10, {r4, r5, r6}\n\t"                                                                   \
  "ldrd   r8, r9, [r12, #16]\n\t" MAC                                                              \
  "add    r7, r10, r11\n\t"                                                                        \
  "ldm    r7, {r4, r5, r6}\n\t"                                                                    \
  "ldrd   r8, r9, [r12, #24]\n\t" MAC TINYML_DWP_ROW(32, MAC)                                      \
  "ldrd   r8, r9, [r12, #40]\n\t"                                                                  \
  "ldrd   r4, r5, [r12, #48]\n\t" RQ_STORE                                                         \
  "add    r10, r10, #" #STEP "\n\t"                                                                \
  "ldr    r7, [r12, #56]\n\t"                                                                      \
  "cmp    r10, r7\n\t"                                                                             \
  "bne    1b\n\t"                                                                                  \
  "ldrd   r7, r8, [r12, #64]\n\t"                                                                  \
  "cmp    r7, #0\n\t"                                                                              \
  "beq    2f\n\t"                                                                                  \
  "sub    r10, r10, r7\n\t"                                                                        \
  "sub    lr, lr, r8\n\t"                                                                          \
  "movs   r7, #0\n\t"                                                                              \
  "str    r7, [r12, #64]\n\t"                                                                      \
  "add    r7, r10, #" #STEP "\n\t"                                                                 \
  "str    r7, [r12, #56]\n\t"                                                                      \
  "b      1b\n\t"                                                                                  \
  "2:\n\t"                                                                                         \
  "ldrd   r7, r6, [r12, #76]\n\t"                                                                  \
  "cmp    r7, #0\n\t"                                                                              \
  "beq    4f\n\t"                                                                                  \
  "ldrd   r8, r9, [r12, #100]\n\t"                                                                 \
  "add    r7, r7, r8\n\t"                                                                          \
  "add    lr, r6, r9\n\t"                                                                          \
  "ldr    r0, [r12]\n\t" TINYML_DWP_ROW1(16) "add    r7, r7, r11\n\t" TINYML_DWP_ROW1(24)           \
  "add    r7, r7, r11\n\t" TINYML_DWP_ROW1(32)                                                     \
  "ldrd   r8, r9, [r12, #40]\n\t"                                                                  \
  "ldr    r4, [r12, #48]\n\t" PRE RQ("r0")                                                         \
  "strb   r0, [lr]\n\t"                                                                            \
  "4:\n\t"                                                                                         \
  "ldr    r7, [r12, #84]\n\t"                                                                      \
  "subs   r7, r7, #1\n\t"                                                                          \
  "beq    3f\n\t"                                                                                  \
  "str    r7, [r12, #84]\n\t"                                                                      \
  "ldrd   r8, r9, [r12, #100]\n\t"                                                                 \
  "ldrd   r4, r5, [r12, #88]\n\t"                                                                  \
  "add    r10, r8, r4\n\t"                                                                         \
  "add    lr, r9, r5\n\t"                                                                          \
  "strd   r10, lr, [r12, #100]\n\t"                                                                \
  "ldr    r6, [r12, #96]\n\t"                                                                      \
  "add    r6, r10, r6\n\t"                                                                         \
  "str    r6, [r12, #56]\n\t"                                                                      \
  "ldr    r6, [r12, #72]\n\t"                                                                      \
  "str    r6, [r12, #64]\n\t"                                                                      \
  "b      1b\n\t"                                                                                  \
  "3:\n\t"
/*
 * Stride 1, rows of at most TINYML_DWP_UNROLL whole blocks: the blocks written out one after the
 * other and entered through a jump table at the row's first (TBH), so that a block has no loop
 * test, and the row's end (a last overlapping block and/or a lone output, as the layer's
 * TINYML_DWP_LONE says, through a second jump table; then the next row) costs 8 instructions
 * when there is neither (VWW's rows of 12, 24, 48), from constants of the layer: after its blocks a row's plane and output
 * pointers have moved by the same bytes on every row (TINYML_DWP_ADV takes them to the next),
 * and a lone last output sits exactly where they then point.
 */
#define TINYML_DWP_BLOCK(RQ_STORE)                                                                 \
  "ldmdb  r12, {r0, r1, r2, r3}\n\t"                                                              \
  "ldm    r10, {r4, r5, r6}\n\t"                                                                   \
  "ldrd   r8, r9, [r12, #-140]\n\t" TINYML_DWP_MAC4                                                 \
  "add    r7, r10, r11\n\t"                                                                        \
  "ldm    r7, {r4, r5, r6}\n\t"                                                                    \
  "ldrd   r8, r9, [r12, #-132]\n\t" TINYML_DWP_MAC4 TINYML_DWP_ROW(-124, TINYML_DWP_MAC4)           \
  "ldm    r12, {r4, r5, r6, r8, r9}\n\t" RQ_STORE                                                  \
  "add    r10, r10, #8\n\t"
#define TINYML_DWP_B(n, RQ_STORE) #n ":\n\t" TINYML_DWP_BLOCK(RQ_STORE)
/* r12 moves to the loop's own words (TINYML_DWP_U_RQ): bias', e, m, t copied there first. */
#define TINYML_DWP_BAND_U_ENTRY                                                                    \
  "ldr    r0, [r12]\n\t"                                                                          \
  "ldrd   r8, r9, [r12, #40]\n\t"                                                                 \
  "ldr    r4, [r12, #48]\n\t"                                                                     \
  "strd   r0, r0, [r12, #140]\n\t"                                                                \
  "strd   r0, r0, [r12, #148]\n\t"                                                                \
  "str    r4, [r12, #156]\n\t"                                                                    \
  "strd   r8, r9, [r12, #168]\n\t"                                                                \
  "add    r12, r12, #156\n\t"
#define TINYML_DWP_BAND_U(RQ_STORE, PRE, RQ)                                                       \
  TINYML_DWP_BAND_U_ENTRY                                                                          \
  "1:\n\t"                                                                                         \
  "ldr    r7, [r12, #-48]\n\t"                                                                     \
  "tbh    [pc, r7, lsl #1]\n"                                                                      \
  "20:\n\t"                                                                                        \
  ".hword (30f - 20b) / 2, (31f - 20b) / 2, (32f - 20b) / 2, (33f - 20b) / 2\n\t"                    \
  ".hword (34f - 20b) / 2, (35f - 20b) / 2, (36f - 20b) / 2, (37f - 20b) / 2\n\t"                    \
  ".hword (38f - 20b) / 2, (39f - 20b) / 2, (40f - 20b) / 2, (41f - 20b) / 2\n"                     \
  TINYML_DWP_B(30, RQ_STORE) TINYML_DWP_B(31, RQ_STORE) TINYML_DWP_B(32, RQ_STORE)                \
  TINYML_DWP_B(33, RQ_STORE) TINYML_DWP_B(34, RQ_STORE) TINYML_DWP_B(35, RQ_STORE)                \
  TINYML_DWP_B(36, RQ_STORE) TINYML_DWP_B(37, RQ_STORE) TINYML_DWP_B(38, RQ_STORE)                \
  TINYML_DWP_B(39, RQ_STORE) TINYML_DWP_B(40, RQ_STORE) TINYML_DWP_B(41, RQ_STORE)                \
  "ldr    r7, [r12, #-44]\n\t"                                                                     \
  "tbh    [pc, r7, lsl #1]\n"                                                                      \
  "21:\n\t"                                                                                        \
  ".hword (4f - 21b) / 2, (60f - 21b) / 2, (61f - 21b) / 2, (60f - 21b) / 2\n"                     \
  "60:\n\t"                                                                                        \
  "ldrd   r7, r8, [r12, #-92]\n\t"                                                                 \
  "sub    r10, r10, r7\n\t"                                                                        \
  "sub    lr, lr, r8\n\t" TINYML_DWP_BLOCK(RQ_STORE)                                               \
  "ldr    r7, [r12, #-44]\n\t"                                                                     \
  "cmp    r7, #3\n\t"                                                                              \
  "bne    4f\n"                                                                                     \
  "61:\n\t"                                                                                        \
  "ldr    r0, [r12, #-4]\n\t"                                                                      \
  "mov    r7, r10\n\t" TINYML_DWP_ROW1(-140) "add    r7, r7, r11\n\t" TINYML_DWP_ROW1(-132)         \
  "add    r7, r7, r11\n\t" TINYML_DWP_ROW1(-124)                                                   \
  "ldrd   r8, r9, [r12, #12]\n\t"                                                                  \
  "ldr    r4, [r12]\n\t" PRE RQ("r0")                                                              \
  "strb   r0, [lr]\n"                                                                              \
  "4:\n\t"                                                                                         \
  "ldrd   r7, r8, [r12, #-40]\n\t"                                                                 \
  "add    r10, r10, r7\n\t"                                                                        \
  "add    lr, lr, r8\n\t"                                                                          \
  "ldr    r7, [r12, #-32]\n\t"                                                                     \
  "cmp    r10, r7\n\t"                                                                             \
  "bne    1b\n\t"
_Static_assert(TINYML_DWP_U_BIAS * 4 == 140 && TINYML_DWP_U_RQ * 4 == 156 && TINYML_DWP_U_BIAS + 4 == TINYML_DWP_U_RQ &&
                   TINYML_DWP_PQ * 4 - 156 == -140 && TINYML_DWP_ENTRY * 4 - 156 == -48 &&
                   TINYML_DWP_LONE * 4 - 156 == -44 && TINYML_DWP_TAIL * 4 - 156 == -92 &&
                   TINYML_DWP_ADV * 4 - 156 == -40 && TINYML_DWP_BAND_END * 4 - 156 == -32 &&
                   TINYML_DWP_OFF * 4 - 156 == -96 && TINYML_DWP_WORDS >= TINYML_DWP_U_RQ + 5,
               "dw_band_s1u's frame offsets (r12 at TINYML_DWP_U_RQ)");
/* The unrolled loop's four stores: r5 the step, r6 3 x step (unfolded: r6 is the offset, six). */
#define TINYML_DWP_STORE4U(PRE, RQ)                                                                \
  PRE RQ("r0") RQ("r1") RQ("r2") RQ("r3")                                                          \
  "strb   r0, [lr]\n\t"                                                                            \
  "strb   r1, [lr, r5]\n\t"                                                                        \
  "strb   r2, [lr, r5, lsl #1]\n\t"                                                                \
  "strb   r3, [lr, r6]\n\t"                                                                        \
  "add    lr, lr, r5, lsl #2\n\t"
#define TINYML_DWP_PRE_OFF_U "ldr    r6, [r12, #-96]\n\t"
#define TINYML_DWP_STORE4(PRE, RQ)                                                                 \
  PRE RQ("r0") RQ("r1") RQ("r2") RQ("r3")                                                          \
  "strb   r0, [lr]\n\t"                                                                            \
  "strb   r1, [lr, r5]\n\t"                                                                        \
  "add    lr, lr, r5, lsl #1\n\t"                                                                  \
  "strb   r2, [lr]\n\t"                                                                            \
  "strb   r3, [lr, r5]\n\t"                                                                        \
  "add    lr, lr, r5, lsl #1\n\t"
#define TINYML_DWP_STORE2(PRE, RQ)                                                                 \
  PRE RQ("r0") RQ("r1")                                                                            \
  "strb   r0, [lr]\n\t"                                                                            \
  "strb   r1, [lr, r5]\n\t"                                                                        \
  "add    lr, lr, r5, lsl #1\n\t"
/*
 * The requantizations: PRE loads what RQ(a) needs besides m (r8), t (r9) and e (r4). FOLDED:
 * the offset is in t; UNFOLDED: added from r6; LEFT: a FAST_MIXED channel with a left shift
 * (r4 = s, t = the offset): SMMLAR(acc << s, m, t), no sign correction and no right shift.
 */
#define TINYML_DWP_RQ_FOLDED(a) TINYML_DWP_RQ1(a, TINYML_DWP_NO_OFF)
#define TINYML_DWP_RQ_UNFOLDED(a) TINYML_DWP_RQ1(a, TINYML_DWP_ADD_OFF)
#define TINYML_DWP_RQ_FOLDED_NF(a) TINYML_DWP_RQ1_NF(a, TINYML_DWP_NO_OFF)
#define TINYML_DWP_RQ_UNFOLDED_NF(a) TINYML_DWP_RQ1_NF(a, TINYML_DWP_ADD_OFF)
#define TINYML_DWP_RQ_LEFT(a)                  \
  "lsl    " a ", " a ", r4\n\t"               \
  "smmlar " a ", " a ", r8, r9\n\t"           \
  "ssat   " a ", #8, " a "\n\t"
#define TINYML_DWP_PRE_OFF "ldr    r6, [r12, #60]\n\t"

/*
 * A channel's band (frame: the rows, blocks and constants), from the plane row at frame[CUR]:
 * one function per stride and requantization, so that a model links only those its layers take.
 */
#define TINYML_DWP_ASM(LOOP)                                                                       \
  __asm__ volatile(LOOP                                                                            \
                   : "+r"(r10), "+r"(rlr)                                                          \
                   : "r"(r11), "r"(r12)                                                            \
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "cc", "memory")
#define TINYML_DWP_INIT4 "ldm    r12, {r0, r1, r2, r3}\n\t"
#define TINYML_DWP_INIT2 "ldrd   r0, r1, [r12]\n\t"
#define TINYML_DWP_BAND_FN(NAME, INIT, MAC, STORE, PRE, RQ)                                        \
  static void NAME(int32_t pitch_bytes, const int32_t *frame) {                                    \
    register const int16_t *r10 __asm__("r10") = (const int16_t *)(intptr_t)frame[TINYML_DWP_CUR]; \
    register int32_t r11 __asm__("r11") = pitch_bytes;                                             \
    register const int32_t *r12 __asm__("r12") = frame;                                            \
    register int8_t *rlr __asm__("lr") = (int8_t *)(intptr_t)frame[TINYML_DWP_CUR + 1];            \
    TINYML_DWP_ASM(TINYML_DWP_BAND(INIT, MAC, STORE(PRE, RQ), 8, PRE, RQ));                        \
  }
#define TINYML_DWP_BAND_U_FN(NAME, STORE, PRE, RQ)                                                 \
  static void NAME(int32_t pitch_bytes, const int32_t *frame) {                                    \
    register const int16_t *r10 __asm__("r10") = (const int16_t *)(intptr_t)frame[TINYML_DWP_CUR]; \
    register int32_t r11 __asm__("r11") = pitch_bytes;                                             \
    register const int32_t *r12 __asm__("r12") = frame;                                            \
    register int8_t *rlr __asm__("lr") = (int8_t *)(intptr_t)frame[TINYML_DWP_CUR + 1];            \
    __asm__ volatile(TINYML_DWP_BAND_U(STORE(PRE, RQ), PRE, RQ)                                    \
                     : "+r"(r10), "+r"(rlr), "+r"(r12)                                             \
                     : "r"(r11)                                                                    \
                     : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "cc", "memory");  \
  }
TINYML_DWP_BAND_FN(dw_band_s1_folded, TINYML_DWP_INIT4, TINYML_DWP_MAC4, TINYML_DWP_STORE4, "", TINYML_DWP_RQ_FOLDED)
TINYML_DWP_BAND_FN(dw_band_s2_folded, TINYML_DWP_INIT2, TINYML_DWP_MAC2, TINYML_DWP_STORE2, "", TINYML_DWP_RQ_FOLDED)
TINYML_DWP_BAND_FN(dw_band_s1_unfolded, TINYML_DWP_INIT4, TINYML_DWP_MAC4, TINYML_DWP_STORE4, TINYML_DWP_PRE_OFF, TINYML_DWP_RQ_UNFOLDED)
TINYML_DWP_BAND_FN(dw_band_s2_unfolded, TINYML_DWP_INIT2, TINYML_DWP_MAC2, TINYML_DWP_STORE2, TINYML_DWP_PRE_OFF, TINYML_DWP_RQ_UNFOLDED)
TINYML_DWP_BAND_FN(dw_band_s1_left, TINYML_DWP_INIT4, TINYML_DWP_MAC4, TINYML_DWP_STORE4, "", TINYML_DWP_RQ_LEFT)
TINYML_DWP_BAND_FN(dw_band_s2_left, TINYML_DWP_INIT2, TINYML_DWP_MAC2, TINYML_DWP_STORE2, "", TINYML_DWP_RQ_LEFT)
TINYML_DWP_BAND_U_FN(dw_band_s1u_folded, TINYML_DWP_STORE4U, "", TINYML_DWP_RQ_FOLDED)
TINYML_DWP_BAND_U_FN(dw_band_s1u_unfolded, TINYML_DWP_STORE4, TINYML_DWP_PRE_OFF_U, TINYML_DWP_RQ_UNFOLDED)
TINYML_DWP_BAND_U_FN(dw_band_s1u_left, TINYML_DWP_STORE4U, "", TINYML_DWP_RQ_LEFT)
/* TINYML_RQ_NOFIX: the same bands without the sign correction, linked only when a layer takes them. */
TINYML_DWP_BAND_FN(dw_band_s1_folded_nf, TINYML_DWP_INIT4, TINYML_DWP_MAC4, TINYML_DWP_STORE4, "", TINYML_DWP_RQ_FOLDED_NF)
TINYML_DWP_BAND_FN(dw_band_s2_folded_nf, TINYML_DWP_INIT2, TINYML_DWP_MAC2, TINYML_DWP_STORE2, "", TINYML_DWP_RQ_FOLDED_NF)
TINYML_DWP_BAND_FN(dw_band_s1_unfolded_nf, TINYML_DWP_INIT4, TINYML_DWP_MAC4, TINYML_DWP_STORE4, TINYML_DWP_PRE_OFF,
                   TINYML_DWP_RQ_UNFOLDED_NF)
TINYML_DWP_BAND_FN(dw_band_s2_unfolded_nf, TINYML_DWP_INIT2, TINYML_DWP_MAC2, TINYML_DWP_STORE2, TINYML_DWP_PRE_OFF,
                   TINYML_DWP_RQ_UNFOLDED_NF)
TINYML_DWP_BAND_U_FN(dw_band_s1u_folded_nf, TINYML_DWP_STORE4U, "", TINYML_DWP_RQ_FOLDED_NF)
TINYML_DWP_BAND_U_FN(dw_band_s1u_unfolded_nf, TINYML_DWP_STORE4, TINYML_DWP_PRE_OFF_U, TINYML_DWP_RQ_UNFOLDED_NF)
/*
 * Stride-1 rows of exactly six outputs (VWW's 6x6 layers), the plane pitch 8 (the eight columns
 * those outputs read, 16 bytes): a block of four plus an overlapping one wasted a third of the
 * multiplies and paid two blocks' set-up per row. Here the whole row is one block: six
 * accumulators (r0-r5), each filter row's eight columns in r6-r9 by one LDM that also steps to
 * the next plane row (the pitch is what it loads), P and Q in r10 r11, twelve multiplies per
 * filter row; then the six requantizations with m r8, t r9, e r10, the offset r6 and the output
 * step r11, and the outputs stored two by two, which leaves the pointer on the next row's first
 * output (not transposed: a row's six outputs are the output row).
 */
#define TINYML_DWP6_MAC(PQ)                     \
  "ldmia  lr!, {r6, r7, r8, r9}\n\t"             \
  "ldrd   r10, r11, [r12, #" PQ "]\n\t"          \
  "smlad  r0, r6, r10, r0\n\t"                   \
  "smlatb r1, r6, r10, r1\n\t"                   \
  "smlabt r0, r7, r11, r0\n\t"                   \
  "smlad  r1, r7, r11, r1\n\t"                   \
  "smlad  r2, r7, r10, r2\n\t"                   \
  "smlatb r3, r7, r10, r3\n\t"                   \
  "smlabt r2, r8, r11, r2\n\t"                   \
  "smlad  r3, r8, r11, r3\n\t"                   \
  "smlad  r4, r8, r10, r4\n\t"                   \
  "smlatb r5, r8, r10, r5\n\t"                   \
  "smlabt r4, r9, r11, r4\n\t"                   \
  "smlad  r5, r9, r11, r5\n\t"
#define TINYML_DWP6_RQ(a, OFF)                  \
  "add    r7, r9, " a ", asr #31\n\t"            \
  "smmlar " a ", " a ", r8, r7\n\t"              \
  "asr    " a ", " a ", r10\n\t" OFF             \
  "ssat   " a ", #8, " a "\n\t"
#define TINYML_DWP6_FOLDED(a) TINYML_DWP6_RQ(a, "")
#define TINYML_DWP6_UNFOLDED(a) TINYML_DWP6_RQ(a, "add    " a ", " a ", r6\n\t")
/* Without the sign correction (TINYML_RQ_NOFIX; r7 is left alone). */
#define TINYML_DWP6_RQ_NF(a, OFF)               \
  "smmlar " a ", " a ", r8, r9\n\t"             \
  "asr    " a ", " a ", r10\n\t" OFF            \
  "ssat   " a ", #8, " a "\n\t"
#define TINYML_DWP6_FOLDED_NF(a) TINYML_DWP6_RQ_NF(a, "")
#define TINYML_DWP6_UNFOLDED_NF(a) TINYML_DWP6_RQ_NF(a, "add    " a ", " a ", r6\n\t")
#define TINYML_DWP6_LEFT(a)                     \
  "lsl    " a ", " a ", r10\n\t"                 \
  "smmlar " a ", " a ", r8, r9\n\t"              \
  "ssat   " a ", #8, " a "\n\t"
/* Two outputs at r7 and r7 + step (Thumb has no register post-index), r7 on to the next two. */
#define TINYML_DWP6_ST2(a, b)                   \
  "strb   " a ", [r7]\n\t"                       \
  "strb   " b ", [r7, r11]\n\t"                  \
  "add    r7, r7, r11, lsl #1\n\t"
#define TINYML_DWP6_BAND(PRE, RQ)                                                                  \
  "1:\n\t"                                                                                         \
  "ldm    r12, {r0, r1, r2, r3}\n\t"                                                               \
  "ldrd   r4, r5, [r12, #128]\n\t" TINYML_DWP6_MAC("16") TINYML_DWP6_MAC("24") TINYML_DWP6_MAC("32") \
  "sub    lr, lr, #32\n\t"                                                                         \
  "ldrd   r8, r9, [r12, #40]\n\t"                                                                  \
  "ldrd   r10, r11, [r12, #48]\n\t" PRE RQ("r0") RQ("r1") RQ("r2") RQ("r3") RQ("r4") RQ("r5")        \
  "ldr    r7, [r12, #104]\n\t"                                                                     \
  TINYML_DWP6_ST2("r0", "r1") TINYML_DWP6_ST2("r2", "r3") TINYML_DWP6_ST2("r4", "r5")                 \
  "str    r7, [r12, #104]\n\t"                                                                     \
  "ldr    r7, [r12, #124]\n\t"                                                                     \
  "cmp    lr, r7\n\t"                                                                              \
  "bne    1b\n\t"
_Static_assert(TINYML_DWP_BIAS2 * 4 == 128 && TINYML_DWP_CUR * 4 + 4 == 104 && TINYML_DWP_BAND_END * 4 == 124,
               "dw_band6's frame offsets");
/*
 * Whole channels of a one-band six-wide layer (VWW's 6x6): per channel its six pairs and record
 * {m, t, e, bias'} by two LDMs into the frame (bias' by three STRDs), its rows filled (as
 * dw_plane_fill6 does; six rows written out, the plane offsets immediates), its band and the next
 * channel's pointers: about 25 instructions a channel where the C driver's setup and two calls
 * took about 75, and 12 a filled row where the fill's loop took 15. r12 points at the loop's own
 * words (TINYML_DWP_6_RQ: 3 x step, m, t, e, step; bias' six times before, the pairs after), so that a row
 * starts its six accumulators with one LDMDB and loads its requantization with one LDM
 * (TINYML_DWP6_BAND: an LDRD more each).
 */
#define TINYML_DWP6C_ROW(a, b, c) TINYML_DWP_FILL_ROW6(a, b, c) "add    r1, r1, r9\n\t"
/* A channel's rows (r12 at TINYML_DWP_6_RQ), as TINYML_DWP6_BAND. */
/* The six stores with r6 = 3 x step (r7 on to the next row's first output): eight instructions. */
#define TINYML_DWP6C_ST6                                                                           \
  "strb   r0, [r7]\n\t"                                                                            \
  "strb   r1, [r7, r11]\n\t"                                                                       \
  "strb   r2, [r7, r11, lsl #1]\n\t"                                                               \
  "strb   r3, [r7, r6]\n\t"                                                                        \
  "strb   r4, [r7, r11, lsl #2]\n\t"                                                               \
  "add    r7, r7, r11, lsl #2\n\t"                                                                 \
  "strb   r5, [r7, r11]\n\t"                                                                       \
  "add    r7, r7, r11, lsl #1\n\t"
/* Unfolded: r6 is the offset, two by two (nine). */
#define TINYML_DWP6C_ST6_OFF TINYML_DWP6_ST2("r0", "r1") TINYML_DWP6_ST2("r2", "r3") TINYML_DWP6_ST2("r4", "r5")
#define TINYML_DWP6C_BAND(PRE, RQ, ST)                                                             \
  "ldr    lr, [r12, #-136]\n"                                                                      \
  "1:\n\t"                                                                                         \
  "ldmdb  r12, {r0, r1, r2, r3, r4, r5}\n\t" TINYML_DWP6_MAC("20") TINYML_DWP6_MAC("28")           \
  TINYML_DWP6_MAC("36")                                                                            \
  "sub    lr, lr, #32\n\t"                                                                         \
  "ldm    r12, {r6, r8, r9, r10, r11}\n\t" PRE RQ("r0") RQ("r1") RQ("r2") RQ("r3") RQ("r4")       \
  RQ("r5")                                                                                         \
  "ldr    r7, [r12, #-132]\n\t" ST                                                                 \
  "str    r7, [r12, #-132]\n\t"                                                                    \
  "ldr    r7, [r12, #-112]\n\t"                                                                    \
  "cmp    lr, r7\n\t"                                                                              \
  "bne    1b\n\t"
#define TINYML_DWP6C_PRE_OFF "ldr    r6, [r12, #-176]\n\t"
#define TINYML_DWP6C_CHANNELS(BAND)                                                                \
  "add    r12, r12, #236\n"                                                                        \
  "10:\n\t"                                                                                        \
  "ldrd   r10, r11, [r12, #-52]\n\t"                                                               \
  "ldm    r10!, {r0, r1, r2, r3, r4, r5}\n\t"                                                      \
  "ldm    r11!, {r6, r7, r8, r9}\n\t"                                                              \
  "strd   r10, r11, [r12, #-52]\n\t"                                                               \
  "add    r10, r12, #20\n\t"                                                                       \
  "stm    r10, {r0, r1, r2, r3, r4, r5}\n\t"                                                       \
  "strd   r6, r7, [r12, #4]\n\t"                                                                   \
  "str    r8, [r12, #12]\n\t"                                                                      \
  "strd   r9, r9, [r12, #-24]\n\t"                                                                 \
  "strd   r9, r9, [r12, #-16]\n\t"                                                                 \
  "strd   r9, r9, [r12, #-8]\n\t"                                                                  \
  "ldrd   r0, r3, [r12, #-40]\n\t"                                                                 \
  "ldrd   r4, r9, [r12, #-32]\n\t"                                                                 \
  "ldr    r1, [r12, #-60]\n\t"                                                                     \
  "add    r5, r4, r4, lsl #1\n\t"                                                                  \
  "add    r2, r4, r4, lsl #2\n\t"                                                                  \
  "cmp    r3, #6\n\t"                                                                              \
  "bne    11f\n\t"                                                                                 \
  TINYML_DWP6C_ROW("2", "4", "12") TINYML_DWP6C_ROW("18", "20", "28")                             \
  TINYML_DWP6C_ROW("34", "36", "44") TINYML_DWP6C_ROW("50", "52", "60")                           \
  TINYML_DWP6C_ROW("66", "68", "76") TINYML_DWP6C_ROW("82", "84", "92")                           \
  "b      13f\n"                                                                                   \
  "11:\n\t"                                                                                        \
  "cmp    r3, #0\n\t"                                                                              \
  "beq    13f\n"                                                                                   \
  "12:\n\t" TINYML_DWP6C_ROW("2", "4", "12")                                                      \
  "add    r0, r0, #16\n\t"                                                                         \
  "subs   r3, r3, #1\n\t"                                                                          \
  "bne    12b\n"                                                                                   \
  "13:\n\t" BAND                                                                                   \
  "ldrd   r0, r1, [r12, #-60]\n\t"                                                                 \
  "ldr    r2, [r12, #-44]\n\t"                                                                     \
  "adds   r0, r0, #1\n\t"                                                                          \
  "adds   r1, r1, #1\n\t"                                                                          \
  "strd   r0, r1, [r12, #-60]\n\t"                                                                 \
  "str    r1, [r12, #-132]\n\t"                                                                    \
  "cmp    r0, r2\n\t"                                                                              \
  "bne    10b\n\t"
#define TINYML_DWP_6_OFF(w) ((w) * 4 - TINYML_DWP_6_RQ * 4)
_Static_assert(TINYML_DWP_6_RQ * 4 == 236 && TINYML_DWP_6_BIAS + 6 == TINYML_DWP_6_RQ &&
                   TINYML_DWP_6_PQ == TINYML_DWP_6_RQ + 5 && TINYML_DWP_6_OFF(TINYML_DWP_C_IN) == -60 &&
                   TINYML_DWP_C_OUT == TINYML_DWP_C_IN + 1 && TINYML_DWP_6_OFF(TINYML_DWP_C_PQ) == -52 &&
                   TINYML_DWP_C_REC == TINYML_DWP_C_PQ + 1 && TINYML_DWP_6_OFF(TINYML_DWP_C_END) == -44 &&
                   TINYML_DWP_6_OFF(TINYML_DWP_C_FILL) == -40 && TINYML_DWP_C_ROWS == TINYML_DWP_C_FILL + 1 &&
                   TINYML_DWP_6_OFF(TINYML_DWP_C_STEP) == -32 && TINYML_DWP_C_SROW == TINYML_DWP_C_STEP + 1 &&
                   TINYML_DWP_6_OFF(TINYML_DWP_CUR) == -136 && TINYML_DWP_6_OFF(TINYML_DWP_CUR + 1) == -132 &&
                   TINYML_DWP_6_OFF(TINYML_DWP_BAND_END) == -112 && TINYML_DWP_6_OFF(TINYML_DWP_OFF) == -176 &&
                   TINYML_DWP_WORDS >= TINYML_DWP_6_PQ + 6,
               "dw_band6c's frame offsets (r12 at TINYML_DWP_6_RQ)");
#undef TINYML_DWP_6_OFF
#define TINYML_DWP6C_ONE(PRE, RQ) TINYML_DWP6C_BAND(PRE, RQ, TINYML_DWP6C_ST6)
#define TINYML_DWP6C_ONE_OFF(PRE, RQ) TINYML_DWP6C_BAND(PRE, RQ, TINYML_DWP6C_ST6_OFF)
/* FAST_MIXED: a channel whose e (its record's) is at most 0 shifts left by e & 255 (TINYML_DWS_E). */
#define TINYML_DWP6C_MIXED(RQ)                                                                     \
  "ldr    r0, [r12, #12]\n\t"                                                                      \
  "cmp    r0, #0\n\t"                                                                              \
  "bgt    15f\n\t"                                                                                 \
  "uxtb   r0, r0\n\t"                                                                              \
  "str    r0, [r12, #12]\n\t" TINYML_DWP6C_ONE("", TINYML_DWP6_LEFT)                               \
  "b      16f\n"                                                                                   \
  "15:\n\t" TINYML_DWP6C_ONE("", RQ)                                                               \
  "16:\n\t"
#define TINYML_DWP6C_FN(NAME, BAND)                                                                \
  static void NAME(int32_t unused, const int32_t *frame) {                                         \
    (void)unused;                                                                                  \
    register const int32_t *r12 __asm__("r12") = frame;                                            \
    __asm__ volatile(TINYML_DWP6C_CHANNELS(BAND)                                                   \
                     : "+r"(r12)                                                                   \
                     :                                                                             \
                     : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "lr", \
                       "cc", "memory");                                                            \
  }
TINYML_DWP6C_FN(dw_band6c_folded, TINYML_DWP6C_ONE("", TINYML_DWP6_FOLDED))
TINYML_DWP6C_FN(dw_band6c_unfolded, TINYML_DWP6C_ONE_OFF(TINYML_DWP6C_PRE_OFF, TINYML_DWP6_UNFOLDED))
TINYML_DWP6C_FN(dw_band6c_folded_nf, TINYML_DWP6C_ONE("", TINYML_DWP6_FOLDED_NF))
TINYML_DWP6C_FN(dw_band6c_unfolded_nf, TINYML_DWP6C_ONE_OFF(TINYML_DWP6C_PRE_OFF, TINYML_DWP6_UNFOLDED_NF))
TINYML_DWP6C_FN(dw_band6c_mixed, TINYML_DWP6C_MIXED(TINYML_DWP6_FOLDED))
TINYML_DWP6C_FN(dw_band6c_mixed_nf, TINYML_DWP6C_MIXED(TINYML_DWP6_FOLDED_NF))
#undef TINYML_DWP6C_FN
#undef TINYML_DWP6C_MIXED
#undef TINYML_DWP6C_ONE
#undef TINYML_DWP6C_ONE_OFF
#undef TINYML_DWP6C_ST6
#undef TINYML_DWP6C_ST6_OFF
#undef TINYML_DWP6C_PRE_OFF
#undef TINYML_DWP6C_BAND
#undef TINYML_DWP6C_CHANNELS
#undef TINYML_DWP6C_ROW
#define TINYML_DWP6_FN(NAME, PRE, RQ)                                                              \
  static void NAME(int32_t pitch_bytes, const int32_t *frame) {                                    \
    (void)pitch_bytes;                                                                             \
    register const int32_t *r12 __asm__("r12") = frame;                                            \
    register const int16_t *rlr __asm__("lr") = (const int16_t *)(intptr_t)frame[TINYML_DWP_CUR];  \
    __asm__ volatile(TINYML_DWP6_BAND(PRE, RQ)                                                     \
                     : "+r"(rlr)                                                                   \
                     : "r"(r12)                                                                    \
                     : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "cc", \
                       "memory");                                                                  \
  }
TINYML_DWP6_FN(dw_band6_folded, "", TINYML_DWP6_FOLDED)
TINYML_DWP6_FN(dw_band6_unfolded, TINYML_DWP_PRE_OFF, TINYML_DWP6_UNFOLDED)
TINYML_DWP6_FN(dw_band6_left, "", TINYML_DWP6_LEFT)
TINYML_DWP6_FN(dw_band6_folded_nf, "", TINYML_DWP6_FOLDED_NF)
TINYML_DWP6_FN(dw_band6_unfolded_nf, TINYML_DWP_PRE_OFF, TINYML_DWP6_UNFOLDED_NF)
#undef TINYML_DWP6_FN
#undef TINYML_DWP6_BAND
#undef TINYML_DWP6_ST2
#undef TINYML_DWP6_LEFT
#undef TINYML_DWP6_UNFOLDED
#undef TINYML_DWP6_FOLDED_NF
#undef TINYML_DWP6_UNFOLDED_NF
#undef TINYML_DWP6_RQ_NF
#undef TINYML_DWP6_FOLDED
#undef TINYML_DWP6_RQ
#undef TINYML_DWP6_MAC
#undef TINYML_DWP_BAND_U_FN
#undef TINYML_DWP_BAND_U
#undef TINYML_DWP_BAND_U_ENTRY
#undef TINYML_DWP_STORE4U
#undef TINYML_DWP_PRE_OFF_U
#undef TINYML_DWP_B
#undef TINYML_DWP_BLOCK
#undef TINYML_DWP_BAND_FN
#undef TINYML_DWP_INIT2
#undef TINYML_DWP_INIT4
#undef TINYML_DWP_ASM
#undef TINYML_DWP_PRE_OFF
#undef TINYML_DWP_RQ_LEFT
#undef TINYML_DWP_RQ_UNFOLDED
#undef TINYML_DWP_RQ_FOLDED
#undef TINYML_DWP_STORE2
#undef TINYML_DWP_STORE4
#undef TINYML_DWP_BAND
#undef TINYML_DWP_ADD_OFF
#undef TINYML_DWP_NO_OFF
#undef TINYML_DWP_RQ1
#undef TINYML_DWP_ROW1
#undef TINYML_DWP_ROW
#undef TINYML_DWP_MAC2
#undef TINYML_DWP_MAC4
/* s1x6c: whole channels (dw_band6c_*); s1x6m the same in FAST_MIXED with the table's right shifts
 * (the left-shift table has neither: its channels run one by one only in the other loops). */
static const dw_plane_bands dw_bands_folded = {dw_band_s1_folded, dw_band_s2_folded, dw_band_s1u_folded, dw_band6_folded,
                                               dw_band6c_folded, dw_band6c_mixed};
static const dw_plane_bands dw_bands_unfolded = {dw_band_s1_unfolded, dw_band_s2_unfolded, dw_band_s1u_unfolded,
                                                 dw_band6_unfolded, dw_band6c_unfolded, NULL};
static const dw_plane_bands dw_bands_left = {dw_band_s1_left, dw_band_s2_left, dw_band_s1u_left, dw_band6_left, NULL, NULL};
static const dw_plane_bands dw_bands_folded_nf = {dw_band_s1_folded_nf, dw_band_s2_folded_nf, dw_band_s1u_folded_nf,
                                                  dw_band6_folded_nf, dw_band6c_folded_nf, dw_band6c_mixed_nf};
static const dw_plane_bands dw_bands_unfolded_nf = {dw_band_s1_unfolded_nf, dw_band_s2_unfolded_nf,
                                                    dw_band_s1u_unfolded_nf, dw_band6_unfolded_nf, dw_band6c_unfolded_nf,
                                                    NULL};
/* The bands of a mode (TINYML_RQ_NOFIX: those without the sign correction). */
#define TINYML_DWP_BANDS(MODE)                                                                                \
  (TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST          ? (TINYML_RQ_NF(MODE) ? &dw_bands_unfolded_nf : &dw_bands_unfolded) \
   : TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED ? (TINYML_RQ_NF(MODE) ? &dw_bands_folded_nf : &dw_bands_folded)     \
                                                   : NULL)
#define TINYML_DWP_LEFT_BANDS (&dw_bands_left)
#else
#define TINYML_DWP_BANDS(MODE) ((const dw_plane_bands *)0)
#define TINYML_DWP_LEFT_BANDS ((const dw_plane_bands *)0)
#endif

/* One output from plane row r (its filter rows r, r + pitch, r + 2 pitch) at column x: the C path. */
TINYML_DSP_INLINE int32_t dw_plane_acc(const int16_t *r, int32_t pitch, int32_t x, const int32_t *fr) {
  int32_t acc = fr[TINYML_DWP_BIAS];
  for (int32_t k = 0; k < 3; ++k) {
    acc = tinyml_smlad(tinyml_ld32(r + x), (uint32_t)fr[TINYML_DWP_PQ + 2 * k], acc);
    /* Column x + 2 alone: the last output's x + 3 may lie past the plane. */
    acc = tinyml_smlabt((uint16_t)r[x + 2], (uint32_t)fr[TINYML_DWP_PQ + 2 * k + 1], acc);
    r += pitch;
  }
  return acc;
}


/* The plane's C path (REF, FAST_MIXED, fused clamps, rows shorter than a block) in MODE. */
TINYML_DSP_INLINE void dw_plane_c(const tinyml_depthwise_conv2d_dsp_params *p, const dw_view *v, const int16_t *plane,
                                  int32_t band, const int32_t *fr, int8_t *out, const int MODE) {
  const int32_t pitch = p->plane_pitch;
  const int32_t m = fr[TINYML_DWP_RQ], t = fr[TINYML_DWP_RQ + 1], e = fr[TINYML_DWP_RQ + 2];
  for (int32_t oy = 0; oy < band; ++oy) {
    const int16_t *row = plane + oy * v->stride_rows * pitch;
    int8_t *o = out + oy * v->out_row_step;
    for (int32_t x = 0; x < v->out_cols; ++x) {
      const int32_t acc = dw_plane_acc(row, pitch, x * v->stride_cols, fr);
      o[x * v->out_col_step] = (int8_t)tinyml_rq(MODE, acc, m, t, e, p->output_offset, p->activation_min, p->activation_max);
    }
  }
}

/* The C path in the layer's mode (a function of its own: the band driver only calls it). */
static void dw_plane_c_mode(const tinyml_depthwise_conv2d_dsp_params *p, const dw_view *v, const int16_t *plane,
                            int32_t band, const int32_t *fr, int8_t *out, int32_t mode) {
  if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST) {
    dw_plane_c(p, v, plane, band, fr, out, TINYML_RQ_FAST);
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {
    dw_plane_c(p, v, plane, band, fr, out, TINYML_RQ_FAST_FOLDED);
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED) {
    dw_plane_c(p, v, plane, band, fr, out, TINYML_RQ_FAST_MIXED);
  } else {
    dw_plane_c(p, v, plane, band, fr, out, TINYML_RQ_REF);
  }
}

/*
 * The frame words the assembly band loops read that are the same for every channel and band of
 * the layer (set once per call, not per channel: on small images the per-channel work is a large
 * share); returns whether those loops run (no fused clamp, a band function for the mode, at least
 * one whole block per row), else the C path does.
 */
static int32_t dw_plane_frame_layer(const tinyml_depthwise_conv2d_dsp_params *p, const dw_view *v, int32_t *fr,
                                    const dw_plane_bands *bands) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  const int32_t sc = v->stride_cols;
  const int32_t step = v->out_col_step;
  const int32_t per = sc == 1 ? 4 : 2;
  const int32_t whole = v->out_cols / per;
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;
  if (!full || bands == NULL || whole == 0) return 0;
  /*
   * After the whole blocks: at stride 2 a last overlapping block (its plane column, 2 (out_cols
   * - 2), is even); at stride 1 with two outputs left, a block at the even column out_cols - 4;
   * with one, a lone output (at the even column out_cols - 1); with three, a block at the even
   * column out_cols - 5 and a lone output.
   */
  const int32_t rest = v->out_cols - whole * per;
  const int32_t back = sc == 2 ? rest : rest >= 2 ? 2 : 0;
  const int32_t lone = sc == 1 && (rest & 1);
  fr[TINYML_DWP_TAIL_ROW] = 2 * sc * back;
  fr[TINYML_DWP_TAIL + 1] = back * step;
  fr[TINYML_DWP_SINGLE] = lone ? 2 * (v->out_cols - 1) : 0;
  fr[TINYML_DWP_SINGLE + 1] = (v->out_cols - 1) * step;
  fr[TINYML_DWP_ROWS + 1] = 2 * v->stride_rows * p->plane_pitch;
  fr[TINYML_DWP_ROWS + 2] = v->out_row_step;
  fr[TINYML_DWP_WHOLE] = 8 * whole;
  fr[TINYML_DWP_U_RQ + 1] = step;
  fr[TINYML_DWP_6_RQ] = 3 * step;
  fr[TINYML_DWP_6_RQ + 4] = step;
  fr[TINYML_DWP_U_RQ + 2] = 3 * step;
  /* The unrolled loop: after a row's blocks (and an overlapping one) its pointers have moved by
   * (plane, output) bytes, then sit on the lone output if there is one. */
  fr[TINYML_DWP_ENTRY] = sc == 1 && whole <= TINYML_DWP_UNROLL ? TINYML_DWP_UNROLL - whole : -1;
  /* dw_band6_*: a row's six outputs stored one after the other are the output row. */
  fr[TINYML_DWP_SIX] = sc == 1 && v->stride_rows == 1 && v->out_cols == 6 && p->plane_pitch == 8 && v->out_row_step == 6 * step;
  fr[TINYML_DWP_TAIL] = fr[TINYML_DWP_TAIL_ROW];
  fr[TINYML_DWP_LONE] = (back ? 1 : 0) | (lone ? 2 : 0);
  fr[TINYML_DWP_ADV] = fr[TINYML_DWP_ROWS + 1] - (8 * whole + (back ? 8 - 2 * back : 0));
  fr[TINYML_DWP_ADV + 1] = v->out_row_step - (4 * whole + (back ? 4 - back : 0)) * step;
  return 1;
#else
  (void)p;
  (void)v;
  (void)fr;
  (void)bands;
  return 0;
#endif
}

/* The band loop of `bands` a layer takes (dw_plane_frame_layer set the frame's words), once per call. */
static dw_plane_band_fn dw_plane_pick(const dw_plane_bands *bands, const dw_view *v, const int32_t *fr) {
  if (bands == NULL) return NULL;
  return v->stride_cols == 2 ? bands->s2 : fr[TINYML_DWP_SIX] ? bands->s1x6 : fr[TINYML_DWP_ENTRY] >= 0 ? bands->s1u : bands->s1;
}

/*
 * The band loop of a channel (its record in fr): fn, or lfn for a FAST_MIXED channel with a left
 * shift (its e then made the shift s the loop takes in r4); once per channel, before its bands.
 */
TINYML_DSP_INLINE dw_plane_band_fn dw_plane_channel_fn(int32_t mode, int32_t *fr, dw_plane_band_fn fn,
                                                       dw_plane_band_fn lfn) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (fn != NULL && TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED && fr[TINYML_DWP_RQ + 2] <= 0) {
    fr[TINYML_DWP_RQ + 2] = -fr[TINYML_DWP_RQ + 2];
    return lfn;
  }
#else
  (void)mode;
  (void)fr;
  (void)lfn;
#endif
  return fn;
}

/*
 * One channel's band of outputs (out: its first output byte) from its plane and frame: the
 * assembly band loop fn (dw_plane_channel_fn) when there is one, else the C path.
 */
/* The frame words of a band the assembly loops start from (out: the channel's first output). */
TINYML_DSP_INLINE void dw_plane_frame_band(const int16_t *plane, int32_t band, int32_t *fr, int8_t *out) {
  fr[TINYML_DWP_ROWS] = band;
  fr[TINYML_DWP_CUR] = (int32_t)(intptr_t)plane;
  fr[TINYML_DWP_CUR + 1] = (int32_t)(intptr_t)out;
  fr[TINYML_DWP_END] = (int32_t)(intptr_t)plane + fr[TINYML_DWP_WHOLE];
  fr[TINYML_DWP_TAIL] = fr[TINYML_DWP_TAIL_ROW];
  fr[TINYML_DWP_BAND_END] = (int32_t)(intptr_t)plane + band * fr[TINYML_DWP_ROWS + 1];
}

TINYML_DSP_INLINE void dw_plane_channel(const tinyml_depthwise_conv2d_dsp_params *p, const dw_view *v,
                                        const int16_t *plane, int32_t band, int32_t *fr, int8_t *out, int32_t mode,
                                        dw_plane_band_fn fn) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (fn != NULL) {
    dw_plane_frame_band(plane, band, fr, out);
    fn(2 * p->plane_pitch, fr);
    return;
  }
#else
  (void)fn;
#endif
  dw_plane_c_mode(p, v, plane, band, fr, out, mode);
}

/*
 * One channel (b, a constant) of a sub-byte group's weights as the plane's six SMLAD pairs in pq:
 * channel b's tap k tops at bit 16 (b >> 1) + 16 - bits (2 j + (b & 1)), j = k mod (8 / bits), of
 * word k / (8 / bits); doubled (dbl) in the FAST modes like the int8 weights. With b and bits
 * constants each weight is one SBFX; the doubling one SADD16 per pair (the halves are small).
 * Decoding with the field positions worked out at run time cost about 70 instructions a channel
 * more than the int8 weights' copy (VWW int4's 6x6x128 layers: some 9,000 each).
 */
TINYML_DSP_INLINE void dw_plane_decode_t(const uint32_t *g, const int32_t b, const int32_t bits, int32_t dbl,
                                         int32_t transposed, int32_t *pq) {
  const int32_t per = 8 / bits;
  int32_t w[9];
#pragma GCC unroll 9
  for (int32_t k = 0; k < 9; ++k) {
    const int32_t top = 16 * (b >> 1) + 16 - bits * (2 * (k % per) + (b & 1));
    w[k] = (int32_t)(g[k / per] << (32 - top)) >> (32 - bits);
  }
  /* Filter row k as the plane sees it: taps (k, j), or (j, k) transposed. */
  uint32_t v[6];
  if (transposed) {
#pragma GCC unroll 3
    for (int32_t k = 0; k < 3; ++k) {
      v[2 * k] = tinyml_pkhbt((uint32_t)w[k], (uint32_t)w[3 + k]);
      v[2 * k + 1] = tinyml_pkhbt((uint32_t)w[3 + k], (uint32_t)w[6 + k]);
    }
  } else {
#pragma GCC unroll 3
    for (int32_t k = 0; k < 3; ++k) {
      v[2 * k] = tinyml_pkhbt((uint32_t)w[3 * k], (uint32_t)w[3 * k + 1]);
      v[2 * k + 1] = tinyml_pkhbt((uint32_t)w[3 * k + 1], (uint32_t)w[3 * k + 2]);
    }
  }
  if (dbl) {
#pragma GCC unroll 6
    for (int32_t k = 0; k < 6; ++k) v[k] = tinyml_sadd16(v[k], v[k]);
  }
#pragma GCC unroll 6
  for (int32_t k = 0; k < 6; ++k) pq[k] = (int32_t)v[k];
}
TINYML_DSP_INLINE void dw_plane_decode(const tinyml_depthwise_conv2d_dsp_params *p, const uint32_t *g, const int32_t b,
                                       const int32_t bits, int32_t dbl, int32_t *pq) {
  dw_plane_decode_t(g, b, bits, dbl, p->transposed, pq);
}

/*
 * A group's four channels (g: its weight words) into pq (24 words), not transposed, doubled or
 * not as a constant (the six-wide channel loop's; its planes are never transposed): the words
 * read once into locals (pq might alias them), no tests per channel: about 24 instructions a
 * channel where dw_plane_weights, channel by channel, took about 42.
 */
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * dw_plane_decode_group for int4, doubled, in assembly: the group's five words by one LDM, per
 * channel nine SBFX at its fields (tap k at bit 16 (b >> 1) + 12 - 4 (b & 1) - 8 (k & 1) of word
 * k / 2), six PKHBT, six SADD16 and two STMs (23 instructions; the compiler's C took ~32, its
 * word loads and single stores).
 */
#define TINYML_DWP_DEC4_CH(L0, L1)              \
  "sbfx   r7, r2, #" L0 ", #4\n\t"              \
  "sbfx   r8, r2, #" L1 ", #4\n\t"              \
  "sbfx   r9, r3, #" L0 ", #4\n\t"              \
  "pkhbt  r10, r7, r8, lsl #16\n\t"             \
  "pkhbt  r11, r8, r9, lsl #16\n\t"             \
  "sbfx   r7, r3, #" L1 ", #4\n\t"              \
  "sbfx   r8, r4, #" L0 ", #4\n\t"              \
  "sbfx   r9, r4, #" L1 ", #4\n\t"              \
  "pkhbt  r12, r7, r8, lsl #16\n\t"             \
  "pkhbt  lr, r8, r9, lsl #16\n\t"              \
  "sadd16 r10, r10, r10\n\t"                    \
  "sadd16 r11, r11, r11\n\t"                    \
  "sadd16 r12, r12, r12\n\t"                    \
  "sadd16 lr, lr, lr\n\t"                       \
  "stmia  r1!, {r10, r11, r12, lr}\n\t"         \
  "sbfx   r7, r5, #" L0 ", #4\n\t"              \
  "sbfx   r8, r5, #" L1 ", #4\n\t"              \
  "sbfx   r9, r6, #" L0 ", #4\n\t"              \
  "pkhbt  r10, r7, r8, lsl #16\n\t"             \
  "pkhbt  r11, r8, r9, lsl #16\n\t"             \
  "sadd16 r10, r10, r10\n\t"                    \
  "sadd16 r11, r11, r11\n\t"                    \
  "stmia  r1!, {r10, r11}\n\t"
__attribute__((noinline)) static void dw_plane_decode_group4(const uint32_t *g, int32_t *pq) {
  register const uint32_t *r0 __asm__("r0") = g;
  register int32_t *r1 __asm__("r1") = pq;
  __asm__ volatile("ldm    r0, {r2, r3, r4, r5, r6}\n\t" TINYML_DWP_DEC4_CH("12", "4") TINYML_DWP_DEC4_CH("8", "0")
                       TINYML_DWP_DEC4_CH("28", "20") TINYML_DWP_DEC4_CH("24", "16")
                   : "+r"(r1)
                   : "r"(r0)
                   : "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "memory");
}
#undef TINYML_DWP_DEC4_CH
#endif
TINYML_DSP_INLINE void dw_plane_decode_group(const uint32_t *g, const int32_t bits, const int32_t dbl, int32_t *pq) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (bits == 4 && dbl) {
    dw_plane_decode_group4(g, pq);
    return;
  }
#endif
  const int32_t words = bits == 4 ? 5 : 3;
#pragma GCC unroll 4
  for (int32_t b = 0; b < 4; ++b) {
    uint32_t gw[5];
#pragma GCC unroll 5
    for (int32_t i = 0; i < words; ++i) gw[i] = g[i];
    dw_plane_decode_t(gw, b, bits, dbl, 0, pq + 6 * b);
    /* One channel at a time: interleaved, the four channels' values spilled to the stack. */
    __asm__ volatile("" ::: "memory");
  }
}

/*
 * Channel ch's SMLAD pairs into pq (P, Q of each filter row as the plane sees it) and its
 * record {m, t, e, bias'}: bits 1, clustered (tinyml_dw_plane_lut4, records in p->q); bits 0, six words per channel as the generator laid them out (already
 * transposed for a transposed plane) and records in p->q; 4 or 2, decoded from the sub-byte
 * stream (per group of four channels its words, then its records) by dw_plane_decode.
 */
TINYML_DSP_INLINE const int32_t *dw_plane_weights(const tinyml_depthwise_conv2d_dsp_params *p, const void *weights,
                                                  int32_t ch, int32_t mode, const int32_t bits, const int32_t sub,
                                                  int32_t *pq) {
  if (bits == 0) {
    /* memcpy: LDM/STM (a loop of its own, the compiler's choice for the six-word copy, took 21). */
    memcpy(pq, (const int32_t *)weights + 6 * ch, 6 * sizeof(int32_t));
    return p->q + 4 * ch;
  }
  if (bits == 1) {
    /* Clustered: nine 4-bit indices from nibble 9 ch, already in plane order; the table's levels
     * doubled in the FAST modes like the int8 weights. */
    const tinyml_dw_plane_lut4 *l = (const tinyml_dw_plane_lut4 *)weights;
    const int32_t scale = TINYML_RQ_BASE(mode) == TINYML_RQ_REF ? 1 : 2;
    const int32_t n0 = 9 * ch;
    int32_t w[9];
#pragma GCC unroll 9
    for (int32_t k = 0; k < 9; ++k) {
      const uint32_t b = l->indices[(n0 + k) >> 1];
      w[k] = l->table[((n0 + k) & 1) ? b >> 4 : b & 15u] * scale;
    }
    for (int32_t k = 0; k < 3; ++k) {
      pq[2 * k] = (int32_t)tinyml_pkhbt((uint32_t)w[3 * k], (uint32_t)w[3 * k + 1]);
      pq[2 * k + 1] = (int32_t)tinyml_pkhbt((uint32_t)w[3 * k + 1], (uint32_t)w[3 * k + 2]);
    }
    return p->q + 4 * ch;
  }
  /* Sub-byte: one copy of the decode per channel of the group, so that its shifts are constants. */
  const int32_t per = 8 / bits;
  const int32_t words = (9 + per - 1) / per;
  const uint32_t *g = (const uint32_t *)weights + (ch >> 2) * (words + TINYML_DWS_RECORD_WORDS);
  const int32_t dbl = TINYML_RQ_BASE(mode) != TINYML_RQ_REF;
  /* sub: the channel's place in its group when the caller knows it (a constant), else -1. */
  switch (sub >= 0 ? sub : ch & 3) {
    case 0:
      dw_plane_decode(p, g, 0, bits, dbl, pq);
      break;
    case 1:
      dw_plane_decode(p, g, 1, bits, dbl, pq);
      break;
    case 2:
      dw_plane_decode(p, g, 2, bits, dbl, pq);
      break;
    default:
      dw_plane_decode(p, g, 3, bits, dbl, pq);
      break;
  }
  return (const int32_t *)(const void *)(g + words) + 4 * (sub >= 0 ? sub : ch & 3);
}

/* A channel's weights and record into the frame; returns its band loop (dw_plane_channel_fn). */
TINYML_DSP_INLINE dw_plane_band_fn dw_plane_setup(const tinyml_depthwise_conv2d_dsp_params *p, const void *weights,
                                                  int32_t ch, int32_t mode, const int32_t bits, const int32_t sub,
                                                  int32_t *fr, dw_plane_band_fn fn, dw_plane_band_fn lfn) {
  const int32_t *rec = dw_plane_weights(p, weights, ch, mode, bits, sub, fr + TINYML_DWP_PQ);
  fr[0] = fr[1] = fr[2] = fr[3] = fr[TINYML_DWP_BIAS2] = fr[TINYML_DWP_BIAS2 + 1] = rec[3];
  fr[TINYML_DWP_RQ] = rec[0];
  fr[TINYML_DWP_RQ + 1] = rec[1];
  fr[TINYML_DWP_RQ + 2] = TINYML_DWS_E(mode, rec[2]);
  return dw_plane_channel_fn(mode, fr, fn, lfn);
}

/*
 * One band: pad the plane, then per channel its values, its frame and its outputs (the padding is
 * written once: every channel's in-image values land on the same plane positions).
 */
TINYML_DSP_INLINE void dw_plane_one_band(const tinyml_depthwise_conv2d_dsp_params *p, const dw_view *v, const int8_t *in,
                              const void *weights, int8_t *out, int16_t *plane, int32_t mode, const int32_t bits,
                              int32_t *fr, dw_plane_band_fn fn, dw_plane_band_fn lfn, dw_plane_band_fn six) {
  const int32_t c = p->geo.input_depth;
  const int32_t pitch = p->plane_pitch;
  const int32_t band = v->out_rows;
  const int32_t rows = (band - 1) * v->stride_rows + 3;
  const int32_t iy0 = -v->pad_rows;
  dw_fill fill;
  dw_plane_fill_plan(v, iy0, rows, pitch, plane, &fill);
  /* The padding, once: the rows outside the image, and the columns around each filled row's
   * values (the fills write the rest), a quarter of the plane's words on VWW's 24x24; planes of
   * pitch 8 (the six-wide rows) whole, their rows too short for the loops around a row's ends. */
  if (pitch <= 8) {
    dw_plane_pad(plane, rows * pitch, p->pad_value);
  } else {
    const int32_t r1 = fill.first + fill.rows;
    const int32_t c0 = fill.dst - fill.first * pitch;
    const int32_t c1 = c0 + fill.lead + 8 * fill.blocks + fill.rest;
    const int16_t pad = (int16_t)p->pad_value;
    dw_plane_pad(plane, fill.first * pitch, p->pad_value);
    for (int32_t r = fill.first; r < r1; ++r) {
      int16_t *row = plane + r * pitch;
      for (int32_t x = 0; x < c0; ++x) row[x] = pad;
      for (int32_t x = c1; x < pitch; ++x) row[x] = pad;
    }
    dw_plane_pad(plane + r1 * pitch, (rows - r1) * pitch, p->pad_value);
  }
  /* A function pointer, chosen once per layer, so that other layers pay no test per channel. */
  void (*const fill_fn)(const dw_fill *, const int8_t *, int16_t *) =
      fill.counts == TINYML_DWP_COUNTS6 ? dw_plane_fill6 : dw_plane_fill;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  /* The stride-1 unrolled and six-wide loops change no frame word but the output pointer: the
   * others are set once here (dw_plane_channel sets them per channel, some 15 instructions). */
  const int32_t stable = fn != NULL && v->stride_cols == 1 && (fr[TINYML_DWP_SIX] || fr[TINYML_DWP_ENTRY] >= 0);
  if (stable) dw_plane_frame_band(plane, band, fr, out);
#else
  const int32_t stable = 0;
  (void)six;
#endif
  /* Sub-byte weights (depth a multiple of 4): a group's four channels written out, each decoding
   * its weights at its place in the group, a constant (no dispatch on it per channel). */
  const int32_t per = bits == 4 || bits == 2 ? 4 : 1;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  /* Six-wide rows filled six at a time, no left shifts: whole channels in assembly (dw_band6c_*),
   * int8 the layer in one call, decoded weights a group of four channels (one, clustered) a call
   * from their pairs decoded into pq (their records follow one another as the loop reads them). */
  if (stable && six != NULL && fr[TINYML_DWP_SIX] && fill_fn == dw_plane_fill6) {
    fr[TINYML_DWP_C_FILL] = (int32_t)(intptr_t)(plane + fill.dst - 1);
    fr[TINYML_DWP_C_ROWS] = fill.rows;
    fr[TINYML_DWP_C_STEP] = fill.step;
    fr[TINYML_DWP_C_SROW] = fill.src_row;
    const int32_t g = bits == 0 ? c : bits == 1 ? 1 : 4;
    int32_t pq[24];
    for (int32_t ch0 = 0; ch0 < c; ch0 += g) {
      const int32_t *rec;
      if (bits == 0) {
        fr[TINYML_DWP_C_PQ] = (int32_t)(intptr_t)((const int32_t *)weights + 6 * ch0);
        rec = p->q + 4 * ch0;
      } else if (bits == 1) {
        rec = dw_plane_weights(p, weights, ch0, mode, bits, -1, pq);
        fr[TINYML_DWP_C_PQ] = (int32_t)(intptr_t)pq;
      } else {
        /* Sub-byte: per group of four channels its weight words, then its four records; doubled
         * (the band loops run only in the FAST modes: REF has none, so never comes here). */
        const int32_t words = (9 + 8 / bits - 1) / (8 / bits);
        const uint32_t *gp = (const uint32_t *)weights + (ch0 >> 2) * (words + TINYML_DWS_RECORD_WORDS);
        dw_plane_decode_group(gp, bits, 1, pq);
        rec = (const int32_t *)(const void *)(gp + words);
        fr[TINYML_DWP_C_PQ] = (int32_t)(intptr_t)pq;
      }
      fr[TINYML_DWP_C_REC] = (int32_t)(intptr_t)rec;
      fr[TINYML_DWP_C_IN] = (int32_t)(intptr_t)(in + ch0 + fill.src);
      fr[TINYML_DWP_C_END] = (int32_t)(intptr_t)(in + ch0 + g + fill.src);
      fr[TINYML_DWP_C_OUT] = fr[TINYML_DWP_CUR + 1] = (int32_t)(intptr_t)(out + ch0);
      six(0, fr);
    }
    return;
  }
#endif
  for (int32_t ch0 = 0; ch0 < c; ch0 += per) {
#pragma GCC unroll 4
    for (int32_t b = 0; b < per; ++b) {
      const int32_t ch = ch0 + b;
      const dw_plane_band_fn cfn = dw_plane_setup(p, weights, ch, mode, bits, per == 4 ? b : -1, fr, fn, lfn);
      fill_fn(&fill, in + ch, plane);
      if (stable) {
        fr[TINYML_DWP_CUR + 1] = (int32_t)(intptr_t)(out + ch);
        cfn(2 * pitch, fr);
      } else {
        dw_plane_channel(p, v, plane, band, fr, out + ch, mode, cfn);
      }
    }
  }
}

/*
 * Several bands: channel after channel, each down its bands, the plane scrolling: the 3 - stride
 * plane rows a band shares with the next move to the plane's top (a copy of a few hundred bytes)
 * and only the new rows are filled. Each input value is so converted once (bands filled afresh
 * re-read those rows, about a quarter more for VWW's 48x48x8), the channel's frame is set once,
 * and run in place (output over input, stride 1, output rows over the same input rows) nothing
 * needs keeping: a band's outputs overwrite only its channel's input rows, those it read, and
 * the rows the next band shares are already in the plane.
 */
TINYML_DSP_INLINE void dw_plane_bands_run(const tinyml_depthwise_conv2d_dsp_params *p, const dw_view *v, const int8_t *in,
                               const void *weights, int8_t *out, int16_t *plane, int32_t mode, const int32_t bits,
                               int32_t *fr, dw_plane_band_fn fn, dw_plane_band_fn lfn) {
  const int32_t c = p->geo.input_depth;
  const int32_t pitch = p->plane_pitch;
  const int32_t sr = v->stride_rows;
  const int32_t keep = sr < 3 ? 3 - sr : 0;
  /* The padding columns, once: fills write only the in-image columns, and moves whole rows. */
  dw_plane_pad(plane, ((p->band_rows - 1) * sr + 3) * pitch, p->pad_value);
  /* The fill of a band wholly inside the image after the first (its rows and plane positions the
   * same for every such band and channel, its input rows the band's): planned once a layer. */
  dw_fill mid;
  int32_t have_mid = 0;
  for (int32_t ch = 0; ch < c; ++ch) {
    const dw_plane_band_fn cfn = dw_plane_setup(p, weights, ch, mode, bits, -1, fr, fn, lfn);
    int32_t prev = 0;
    for (int32_t oy0 = 0; oy0 < v->out_rows; oy0 += p->band_rows) {
      const int32_t band = v->out_rows - oy0 < p->band_rows ? v->out_rows - oy0 : p->band_rows;
      const int32_t rows = (band - 1) * sr + 3;
      const int32_t iy0 = oy0 * sr - v->pad_rows;
      int32_t first = 0;
      if (oy0 > 0 && keep > 0) {
        /* The shared rows up: a forward copy (16 bytes per LDM/STM), the destination below the source. */
        copy_bytes((int8_t *)plane, (const int8_t *)(plane + (prev - keep) * pitch), 2 * keep * pitch);
        first = keep;
      }
      const int32_t inside = first == keep && keep > 0 && band == p->band_rows && iy0 + first >= 0 &&
                             iy0 + rows <= v->in_rows;
      dw_fill fill;
      const dw_fill *fp = &fill;
      if (inside) {
        if (!have_mid) dw_plane_fill_plan(v, iy0 + first, rows - first, pitch, plane + first * pitch, &mid);
        have_mid = 1;
        mid.src = (iy0 + first) * v->in_row_step;
        fp = &mid;
      } else {
        /* Plane rows outside the image: the padding (rows of earlier bands lie there). */
        for (int32_t r = first; r < rows; ++r) {
          if (iy0 + r < 0 || iy0 + r >= v->in_rows) dw_plane_pad(plane + r * pitch, pitch, p->pad_value);
        }
        dw_plane_fill_plan(v, iy0 + first, rows - first, pitch, plane + first * pitch, &fill);
      }
      dw_plane_fill(fp, in + ch, plane + first * pitch);
      dw_plane_channel(p, v, plane, band, fr, out + oy0 * v->out_row_step + ch, mode, cfn);
      prev = rows;
    }
  }
}

/* The layer: one band (dw_plane_one_band) or several (dw_plane_bands_run), per batch. */
TINYML_DSP_INLINE void dw_plane_run_bits(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                         const void *weights, int8_t *output, void *scratch, int32_t mode,
                                         const int32_t bits, const dw_plane_bands *bands, const dw_plane_bands *left) {
  const int32_t c = p->geo.input_depth;
  dw_view v;
  dw_view_of(p, &v);
  int16_t *plane = (int16_t *)scratch;
  int32_t fr[TINYML_DWP_WORDS];
  fr[TINYML_DWP_RQ + 3] = v.out_col_step;
  fr[TINYML_DWP_OFF] = p->output_offset;
  const int32_t loops = dw_plane_frame_layer(p, &v, fr, bands);
  const dw_plane_band_fn fn = loops ? dw_plane_pick(bands, &v, fr) : NULL;
  const dw_plane_band_fn lfn = loops ? dw_plane_pick(left, &v, fr) : NULL;
  const dw_plane_band_fn six = !loops || bands == NULL               ? NULL
                               : TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED ? bands->s1x6m
                                                                            : bands->s1x6c;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * p->geo.input_height * p->geo.input_width * c;
    int8_t *out = output + b * p->geo.output_height * p->geo.output_width * c;
    if (p->band_rows >= v.out_rows) {
      dw_plane_one_band(p, &v, in, weights, out, plane, mode, bits, fr, fn, lfn, six);
    } else {
      dw_plane_bands_run(p, &v, in, weights, out, plane, mode, bits, fr, fn, lfn);
    }
  }
}

/*
 * One copy of the band driver per weight width (int8, 4 and 2 bits), so that each decodes its
 * weights with constant shifts and fills its planes inline, and a model links only those it uses.
 */
#define TINYML_DWP_RUN_FN(NAME, BITS)                                                                          \
  static void NAME(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input, const void *weights,       \
                   int8_t *output, void *scratch, int32_t mode, const dw_plane_bands *bands,                    \
                   const dw_plane_bands *left) {                                                                \
    dw_plane_run_bits(p, input, weights, output, scratch, mode, BITS, bands, left);                             \
  }
TINYML_DWP_RUN_FN(dw_plane_run8, 0)
TINYML_DWP_RUN_FN(dw_plane_run4, 4)
TINYML_DWP_RUN_FN(dw_plane_run2, 2)
TINYML_DWP_RUN_FN(dw_plane_run_lut4, 1)
#undef TINYML_DWP_RUN_FN
#define dw_plane_run(p, input, weights, output, scratch, mode, bits, bands, left)                                   \
  ((bits) == 4 ? dw_plane_run4 : (bits) == 2 ? dw_plane_run2 : (bits) == 1 ? dw_plane_run_lut4 : dw_plane_run8)( \
      p, input, weights, output, scratch, mode, bands, left)

TINYML_DSP_INLINE void dw_run(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                              int8_t *output, void *scratch, const int MODE, const int FULL) {
  const int32_t c = p->geo.input_depth;
  const int32_t k3 = p->geo.filter_height == 3 && p->geo.filter_width == 3;
  int8_t *rows = (int8_t *)scratch;
  if (p->band_rows > 0) {
    /* The band loops of this entry point's mode only (FULL: the loops have no clamp). */
    dw_plane_run(p, input, weights, output, scratch, MODE, 0, FULL ? TINYML_DWP_BANDS(MODE) : NULL, NULL);
    return;
  }
  /* Straight from the input rows (dw_direct_pixels) only when the output is not over the input. */
  const int32_t direct = (const void *)input != (const void *)output;
  const int32_t wo = p->geo.output_width;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * p->geo.input_height * p->geo.input_width * c;
    int8_t *out = output + b * p->geo.output_height * wo * c;
    int32_t moved = 0;
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      const int32_t n = direct ? dw_direct_pixels(p, oy) : 0;
      /* Part 0: the row from scratch, or its first n pixels from the input; part 1: the rest of
       * a direct row from scratch (one call site per dw_row form: each is inlined). */
      for (int32_t part = 0; part < 2; ++part) {
        const int8_t *src = rows;
        int32_t rb = p->padded_width * c, wd = wo, x0 = 0;
        if (part == 0 && n > 0) {
          rb = p->geo.input_width * c;
          src = in + (oy * p->geo.stride_height - p->geo.pad_height) * rb;
          wd = n;
          moved = 0;
        } else if (part == 0) {
          fill_rows(p, in, oy, rows, moved);
          moved = 1;
        } else if (n > 0 && n < wo) {
          rb = dw_fill_tail(p, in, oy, n, rows);
          wd = wo - n;
          x0 = n;
        } else {
          break;
        }
        if (k3) {
          dw_row(p, src, rb, wd, weights, out + x0 * c, MODE, FULL, 1);
        } else {
          dw_row(p, src, rb, wd, weights, out + x0 * c, MODE, FULL, 0);
        }
      }
      out += wo * c;
    }
  }
}

/* The six entry points (tinyml_dsp.h). */
TINYML_DSP_MODE_ENTRIES(tinyml_depthwise_conv2d_s8_dsp,
                        (const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                         int8_t *output, void *scratch),
                        dw_run, p, input, weights, output, scratch)

/* Clustered weights: the plane kernel only (the generator sets band_rows > 0). */
TINYML_DSP_INLINE void dw_lut4_run(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                   const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch, const int MODE,
                                   const int FULL) {
  dw_plane_run(p, input, weights, output, scratch, MODE, 1, FULL ? TINYML_DWP_BANDS(MODE) : NULL, NULL);
}

TINYML_DSP_MODE_ENTRIES(tinyml_depthwise_conv2d_s8_dsp_lut4,
                        (const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                         const tinyml_dw_plane_lut4 *weights, int8_t *output, void *scratch),
                        dw_lut4_run, p, input, weights, output, scratch)

/* ---- sub-byte weights (4 or 2 bits) ---- */

/*
 * Weight words hold 8 / BITS taps of one group of four channels, laid out so that one AND with
 * a halfword mask M (0xF000F000 for 4 bits, 0xC000C000 for 2) gives each SMLABB/SMLATT operand:
 * pair q of a word is (v << BITS * q) & M, pair 2j the weights of channels (0, 2) for the word's
 * tap j, pair 2j + 1 those of channels (1, 3); each field lands at the top of its halfword, so
 * it is the channel's weight times 2^(16 - BITS) as a signed halfword, with no sign extension to
 * do. The accumulators so start from zero and hold 2^(16 - BITS) times the sum of products; an
 * arithmetic shift by `shift` (16 - BITS, one less in the FAST modes, which want twice the sum)
 * brings it back exactly (the generator checked it cannot wrap) and bias' is added then.
 *
 * The weights are one stream in the order the loop reads it: per group of four channels, its
 * ceil(taps / (8 / BITS)) words, then each channel's record (m, t, e, bias'). In FAST_MIXED a
 * channel with a left shift s (e <= 0 in tinyml_dsp.h) stores e as s - 256: still <= 0, and its
 * low byte is s, which is all a register-specified LSL reads (no negation in the loop).
 */
#define TINYML_DWS_MASK(BITS) ((BITS) == 4 ? 0xF000F000u : 0xC000C000u)

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * An output row, all groups of four channels of each pixel, 3x3, sub-byte weights, the FAST
 * modes and no fused clamp: the group loop of dw_groups_k3_asm with each tap's weight pairs one
 * AND each from the word in lr, r7 holding M for the whole call; each group's records follow its
 * weight words in the stream (r12). The loop state lives on the stack (TINYML_DWS_ROW_LOOP), lr
 * holds out while requantizing.
 */
#define TINYML_DWS_TAP(addr, SA, SB)                \
  "ldr    r4, " addr "\n\t"                         \
  "and    r6, r7, lr" SA "\n\t"                     \
  "and    r8, r7, lr" SB "\n\t"                     \
  "sxtb16 r5, r4\n\t"                               \
  "sxtb16 r4, r4, ror #8\n\t"                       \
  "smlabb r0, r5, r6, r0\n\t"                       \
  "smlatt r2, r5, r6, r2\n\t"                       \
  "smlabb r1, r4, r8, r1\n\t"                       \
  "smlatt r3, r4, r8, r3\n\t"
/* The group's first tap starts the accumulators (multiplies without accumulating). */
#define TINYML_DWS_TAP0(addr, B)                    \
  "ldr    r4, " addr "\n\t"                         \
  "and    r6, r7, lr\n\t"                           \
  "and    r8, r7, lr, lsl #" B "\n\t"               \
  "sxtb16 r5, r4\n\t"                               \
  "sxtb16 r4, r4, ror #8\n\t"                       \
  "smulbb r0, r5, r6\n\t"                           \
  "smultt r2, r5, r6\n\t"                           \
  "smulbb r1, r4, r8\n\t"                           \
  "smultt r3, r4, r8\n\t"
#define TINYML_DWS_LD "ldr    lr, [%[wp]], #4\n\t"
#define TINYML_DWS_T4A(addr) TINYML_DWS_LD TINYML_DWS_TAP(addr, "", ", lsl #4")
#define TINYML_DWS_T4B(addr) TINYML_DWS_TAP(addr, ", lsl #8", ", lsl #12")
#define TINYML_DWS_TAPS4                                                                                   \
  TINYML_DWS_LD TINYML_DWS_TAP0("[%[p]]", "4") TINYML_DWS_T4B("[%[p], %[cs]]") TINYML_DWS_T4A("[%[p], %[cs], lsl #1]") \
  "add    %[p], %[p], %[rs]\n\t" TINYML_DWS_T4B("[%[p]]") TINYML_DWS_T4A("[%[p], %[cs]]")                 \
  TINYML_DWS_T4B("[%[p], %[cs], lsl #1]") "add    %[p], %[p], %[rs]\n\t" TINYML_DWS_T4A("[%[p]]")          \
  TINYML_DWS_T4B("[%[p], %[cs]]") TINYML_DWS_T4A("[%[p], %[cs], lsl #1]")
#define TINYML_DWS_TAPS2                                                                                   \
  TINYML_DWS_LD TINYML_DWS_TAP0("[%[p]]", "2") TINYML_DWS_TAP("[%[p], %[cs]]", ", lsl #4", ", lsl #6")           \
  TINYML_DWS_TAP("[%[p], %[cs], lsl #1]", ", lsl #8", ", lsl #10") "add    %[p], %[p], %[rs]\n\t"        \
  TINYML_DWS_TAP("[%[p]]", ", lsl #12", ", lsl #14") TINYML_DWS_LD TINYML_DWS_TAP("[%[p], %[cs]]", "", ", lsl #2") \
  TINYML_DWS_TAP("[%[p], %[cs], lsl #1]", ", lsl #4", ", lsl #6") "add    %[p], %[p], %[rs]\n\t"         \
  TINYML_DWS_TAP("[%[p]]", ", lsl #8", ", lsl #10") TINYML_DWS_TAP("[%[p], %[cs]]", ", lsl #12", ", lsl #14") \
  TINYML_DWS_LD TINYML_DWS_TAP("[%[p], %[cs], lsl #1]", "", ", lsl #2")
/* The channel's record (m, t, e, bias') into r4 r5 r6 r8 and bias' added to accumulator a
 * (2^(SH + 1) times the sum). */
#define TINYML_DWS_RQ_LOAD(a, SH)                   \
  "ldmia  %[wp]!, {r4, r5, r6, r8}\n\t"             \
  "add    " a ", r8, " a ", asr #" SH "\n\t"
/* FAST / FOLDED (N, the channel's index, unused). */
#define TINYML_DWS_RQ(a, SH, ADD_OFF, N) TINYML_DWS_RQ_LOAD(a, SH) TINYML_DSP_ASM_RQ_STORE(a, ADD_OFF, "lr")
/* The same without the sign correction (TINYML_RQ_NOFIX layers). */
#define TINYML_DWS_RQ_NF(a, SH, ADD_OFF, N) TINYML_DWS_RQ_LOAD(a, SH) TINYML_DSP_ASM_RQ_STORE_NF(a, ADD_OFF, "lr")
/*
 * FAST_MIXED: e > 0 as FOLDED above, in line; e <= 0 (a left shift by the low byte of e, see
 * above) branches to TINYML_DWS_LEFT(a, N), placed after the loop, and back (labels 3N and 4N):
 * a right-shift channel, the common kind, runs straight through.
 */
#define TINYML_DWS_RQ_MIXED(a, SH, ADD_OFF, N)      \
  TINYML_DWS_RQ_LOAD(a, SH)                         \
  "cmp    r6, #0\n\t"                               \
  "ble    3" N "f\n\t"                              \
  "add    r5, r5, " a ", asr #31\n\t"               \
  "smmlar " a ", " a ", r4, r5\n\t"                 \
  "asr    " a ", " a ", r6\n"                       \
  "4" N ":\n\t"                                     \
  "ssat   " a ", #8, " a "\n\t"                     \
  "strb   " a ", [lr], #1\n\t"
/* FAST_MIXED without the sign correction on its right-shift channels (TINYML_RQ_NOFIX). */
#define TINYML_DWS_RQ_MIXED_NF(a, SH, ADD_OFF, N)   \
  TINYML_DWS_RQ_LOAD(a, SH)                         \
  "cmp    r6, #0\n\t"                               \
  "ble    3" N "f\n\t"                              \
  "smmlar " a ", " a ", r4, r5\n\t"                 \
  "asr    " a ", " a ", r6\n"                       \
  "4" N ":\n\t"                                     \
  "ssat   " a ", #8, " a "\n\t"                     \
  "strb   " a ", [lr], #1\n\t"
#define TINYML_DWS_LEFT(a, N)                       \
  "3" N ":\n\t"                                     \
  "lsl    " a ", " a ", r6\n\t"                     \
  "smmlar " a ", " a ", r4, r5\n\t"                 \
  "b      4" N "b\n"
#define TINYML_DWS_LEFT4 "b      5f\n" TINYML_DWS_LEFT("r0", "0") TINYML_DWS_LEFT("r1", "1") TINYML_DWS_LEFT("r2", "2") TINYML_DWS_LEFT("r3", "3") "5:\n\t"
/*
 * A whole output row, as TINYML_DW_ASM_ROW_LOOP does it for int8 weights: after each pixel's
 * groups the next pixel's start from the stack frame
 *   [sp] the pixel's output end  [4] output offset  [8] out  [12] weights  [16] input bytes from
 *   a pixel's last group to the next pixel  [20] the row's output end  [24] depth
 */
#define TINYML_DWS_ROW_LOOP(TAPS, MASK, SH, OFF, RQ, AFTER)                                         \
  "ldm    r8, {r0, r1, r2, r3, r4, r5, r6}\n\t"                                                    \
  "stmdb  sp!, {r0, r1, r2, r3, r4, r5, r6}\n\t"                                                   \
  "mov    r7, #" MASK "\n"                                                                          \
  "1:\n\t" TAPS                                                                                     \
  "sub    %[p], %[p], %[rs], lsl #1\n\t"                                                            \
  "add    %[p], %[p], #4\n\t"                                                                       \
  "ldr    lr, [sp, #8]\n\t"                                                                         \
  RQ("r0", SH, OFF("r0"), "0") RQ("r1", SH, OFF("r1"), "1") RQ("r2", SH, OFF("r2"), "2")            \
  RQ("r3", SH, OFF("r3"), "3")                                                                      \
  "str    lr, [sp, #8]\n\t"                                                                         \
  "ldr    r8, [sp]\n\t"                                                                             \
  "cmp    lr, r8\n\t"                                                                               \
  "bne    1b\n\t" AFTER                                                                             \
  "ldr    r8, [sp, #20]\n\t"                                                                        \
  "cmp    lr, r8\n\t"                                                                               \
  "beq    2f\n\t"                                                                                   \
  "ldr    %[wp], [sp, #12]\n\t"                                                                     \
  "ldr    r8, [sp, #16]\n\t"                                                                        \
  "add    %[p], %[p], r8\n\t"                                                                       \
  "ldr    r8, [sp, #24]\n\t"                                                                        \
  "add    r8, lr, r8\n\t"                                                                           \
  "str    r8, [sp]\n\t"                                                                             \
  "b      1b\n"                                                                                      \
  "2:\n\t"                                                                                          \
  "mov    r7, lr\n\t"                                                                               \
  "add    sp, sp, #28\n\t"
#define TINYML_DWS_NO_OFF(a) ""
#define TINYML_DWS_ADD_OFF(a) "ldr    r6, [sp, #4]\n\t" "add    " a ", " a ", r6\n\t"

/* All the pixels of an output row (width of them, depth c) in one assembly loop. */
TINYML_DSP_INLINE void dw_sb_row_k3_asm(const int8_t *px, int32_t px_step, int32_t col_step, int32_t row_bytes,
                                        const uint32_t *weights, int8_t *out, int32_t c, int32_t width, int32_t off,
                                        const int mode, const int bits) {
  register const int8_t *rp __asm__("r9") = px;
  register int32_t rcs __asm__("r10") = col_step;
  register int32_t rrs __asm__("r11") = row_bytes;
  register const uint32_t *rwp __asm__("r12") = weights;
  register int8_t *ro __asm__("r7") = out;
  int32_t frame[7] = {(int32_t)(intptr_t)(out + c), off, (int32_t)(intptr_t)out, (int32_t)(intptr_t)weights,
                      px_step - c, (int32_t)(intptr_t)(out + width * c), c};
  register int32_t *rst __asm__("r8") = frame;
#define TINYML_DWS_ASM(LOOP)                                                                        \
  __asm__ volatile(LOOP                                                                             \
                   : [p] "+r"(rp), [wp] "+r"(rwp), "+r"(ro), "+r"(rst)                              \
                   : [cs] "r"(rcs), [rs] "r"(rrs)                                                   \
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "lr", "cc", "memory")
  /* Each mode (and TINYML_RQ_NOFIX) its own loop: a constant in the callers, so only one is kept. */
#define TINYML_DWS_BY_MODE(TAPS, MASK, SH)                                                                 \
  if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED && TINYML_RQ_NF(mode)) {                               \
    TINYML_DWS_ASM(TINYML_DWS_ROW_LOOP(TAPS, MASK, SH, TINYML_DWS_NO_OFF, TINYML_DWS_RQ_MIXED_NF, TINYML_DWS_LEFT4)); \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED) {                                              \
    TINYML_DWS_ASM(TINYML_DWS_ROW_LOOP(TAPS, MASK, SH, TINYML_DWS_NO_OFF, TINYML_DWS_RQ_MIXED, TINYML_DWS_LEFT4)); \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED && TINYML_RQ_NF(mode)) {                       \
    TINYML_DWS_ASM(TINYML_DWS_ROW_LOOP(TAPS, MASK, SH, TINYML_DWS_NO_OFF, TINYML_DWS_RQ_NF, ""));        \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {                                             \
    TINYML_DWS_ASM(TINYML_DWS_ROW_LOOP(TAPS, MASK, SH, TINYML_DWS_NO_OFF, TINYML_DWS_RQ, ""));           \
  } else if (TINYML_RQ_NF(mode)) {                                                                        \
    TINYML_DWS_ASM(TINYML_DWS_ROW_LOOP(TAPS, MASK, SH, TINYML_DWS_ADD_OFF, TINYML_DWS_RQ_NF, ""));       \
  } else {                                                                                                \
    TINYML_DWS_ASM(TINYML_DWS_ROW_LOOP(TAPS, MASK, SH, TINYML_DWS_ADD_OFF, TINYML_DWS_RQ, ""));          \
  }
  if (bits == 4) {
    TINYML_DWS_BY_MODE(TINYML_DWS_TAPS4, "0xF000F000", "11")
  } else {
    TINYML_DWS_BY_MODE(TINYML_DWS_TAPS2, "0xC000C000", "13")
  }
#undef TINYML_DWS_BY_MODE
#undef TINYML_DWS_ASM
}

/*
 * The same output row group after group, each group's pixels in one assembly loop (rows of
 * TINYML_DWG_MIN_WIDTH outputs or more): the group's 18 operand words (what the loop above ANDs
 * out of the weight words at every tap of every pixel) are worked out once per row into a frame
 * the pixel loop reads like the int8 loop its int16 weights, in the int8 3x3 layout's SMLAD pairs
 * of taps (depthwise_conv2d_dsp.h), so a pixel's group costs about the int8 one plus the bias added
 * to the shifted sums (VWW int4: about 99 instructions a group and pixel where the loop above
 * takes 118). The frame (r7):
 *   [0..15] taps 0-7 in pairs, per pair a word per channel (tap a's operand low, tap b's high)
 *   [16..17] tap 8's operands (channels 0 and 2, then 1 and 3)
 *   [72] input bytes from a pixel to the next  [76] output bytes from a pixel's last output to
 *   the next pixel's first  [80] the group's output end  [84] the output offset  [100] the group's
 *   records (r12 is the taps' fifth register, reloaded for each pixel's requantization: the last
 *   pixel's leaves it at the next group's weights)
 * r9 the pixel, r10 the column step, r11 the row bytes, r12 the group's records, lr the output.
 */
#define TINYML_DWG_MIN_WIDTH 3
#define TINYML_DWG_TAP(addr, off, OP)             \
  "ldr    r4, " addr "\n\t"                        \
  "ldrd   r6, r8, [r7, #" off "]\n\t"              \
  "sxtb16 r5, r4\n\t"                              \
  "sxtb16 r4, r4, ror #8\n\t" OP
#define TINYML_DWG_MLA                            \
  "smlabb r0, r5, r6, r0\n\t"                      \
  "smlatt r2, r5, r6, r2\n\t"                      \
  "smlabb r1, r4, r8, r1\n\t"                      \
  "smlatt r3, r4, r8, r3\n\t"
/* Two taps by SMLAD as TINYML_DW_ASM_PAIR (r12 the fifth register; ML "smlad" or, first, "smuad"). */
#define TINYML_DWG_PAIR(A, B, off, off8, ML, ACC)     \
  "ldr    r4, " A "\n\t"                              \
  "ldr    r5, " B "\n\t"                              \
  "pkhtb  r6, r5, r4, asr #16\n\t"                    \
  "pkhbt  r4, r4, r5, lsl #16\n\t"                    \
  "ldrd   r5, r8, [r7, #" off "]\n\t"                 \
  "sxtb16 r12, r4\n\t"                                \
  ML "  r0, r12, r5" ACC("r0") "\n\t"                 \
  "sxtb16 r4, r4, ror #8\n\t"                         \
  ML "  r1, r4, r8" ACC("r1") "\n\t"                  \
  "ldrd   r5, r8, [r7, #" off8 "]\n\t"                \
  "sxtb16 r12, r6\n\t"                                \
  ML "  r2, r12, r5" ACC("r2") "\n\t"                 \
  "sxtb16 r6, r6, ror #8\n\t"                         \
  ML "  r3, r6, r8" ACC("r3") "\n\t"
#define TINYML_DWG_ACC(a) ", " a
#define TINYML_DWG_NOACC(a) ""
#define TINYML_DWG_LOOP(SH, OFF, RQ, AFTER)                                                         \
  "1:\n\t"                                                                                         \
  TINYML_DWG_PAIR("[%[p]]", "[%[p], %[cs]]", "0", "8", "smuad", TINYML_DWG_NOACC)                     \
  TINYML_DWG_PAIR("[%[p], %[cs], lsl #1]", "[%[p], %[rs]]", "16", "24", "smlad", TINYML_DWG_ACC)      \
  "add    %[p], %[p], %[rs]\n\t"                                                                   \
  TINYML_DWG_PAIR("[%[p], %[cs]]", "[%[p], %[cs], lsl #1]", "32", "40", "smlad", TINYML_DWG_ACC)      \
  "add    %[p], %[p], %[rs]\n\t"                                                                   \
  TINYML_DWG_PAIR("[%[p]]", "[%[p], %[cs]]", "48", "56", "smlad", TINYML_DWG_ACC)                     \
  TINYML_DWG_TAP("[%[p], %[cs], lsl #1]", "64", TINYML_DWG_MLA)                                      \
  "ldr    %[wp], [r7, #100]\n\t"                                                                   \
  RQ("r0", SH, OFF("r0"), "0") RQ("r1", SH, OFF("r1"), "1") RQ("r2", SH, OFF("r2"), "2")            \
  RQ("r3", SH, OFF("r3"), "3")                                                                      \
  "ldrd   r4, r5, [r7, #72]\n\t"                                                                   \
  "add    %[p], %[p], r4\n\t"                                                                      \
  "add    lr, lr, r5\n\t"                                                                          \
  "ldr    r4, [r7, #80]\n\t"                                                                       \
  "cmp    lr, r4\n\t"                                                                              \
  "bne    1b\n\t" AFTER
#define TINYML_DWG_ADD_OFF(a) "ldr    r6, [r7, #84]\n\t" "add    " a ", " a ", r6\n\t"

/*
 * A group's operand words into the frame (r7; r12 its weight words, left at its records): per pair
 * of taps four ANDs of a word with a shifted operand, two PKHBTs and two PKHTBs, one STM (through
 * r9). Word j holds taps 8/BITS * j on, pair q of a word shifted by BITS * q (see
 * TINYML_DWS_MASK). Run in the same assembly as the pixel loop, group after group (44 instructions
 * a group and row; with a C loop over the groups around a C decode each group cost about 80 more
 * than its pixels, which kept rows under six outputs off this loop).
 */
#define TINYML_DWG_AND(d, v, sh) "and    " d ", lr, " v sh "\n\t"
/*
 * Taps a and b's operands from word v (shifts: a's channels 0 and 2, 1 and 3, then b's), as the
 * pair's four words (channel k: a's operand low, b's high) stored by one STM.
 */
#define TINYML_DWG_PAIRW(v, s0, s1, s2, s3)                                                            \
  TINYML_DWG_AND("r0", v, s0) TINYML_DWG_AND("r2", v, s2) TINYML_DWG_AND("r1", v, s1) TINYML_DWG_AND("r3", v, s3) \
  "pkhtb  r4, r2, r0, asr #16\n\t"                                                                    \
  "pkhbt  r0, r0, r2, lsl #16\n\t"                                                                    \
  "pkhtb  r5, r3, r1, asr #16\n\t"                                                                    \
  "pkhbt  r1, r1, r3, lsl #16\n\t"                                                                    \
  "stmia  r9!, {r0, r1, r4, r5}\n\t"
/* Two taps a word: shifts 0, 4 (tap 2j), 8, 12 (tap 2j + 1); words 0-3 the pairs, word 4 tap 8. */
#define TINYML_DWG_DECODE4                                                                                   \
  "mov    r9, r7\n\t"                                                                                        \
  "mov    lr, #0xF000F000\n\t"                                                                               \
  "ldmia  r12!, {r6, r8}\n\t"                                                                                \
  TINYML_DWG_PAIRW("r6", "", ", lsl #4", ", lsl #8", ", lsl #12")                                            \
  TINYML_DWG_PAIRW("r8", "", ", lsl #4", ", lsl #8", ", lsl #12")                                            \
  "ldmia  r12!, {r6, r8}\n\t"                                                                                \
  TINYML_DWG_PAIRW("r6", "", ", lsl #4", ", lsl #8", ", lsl #12")                                            \
  TINYML_DWG_PAIRW("r8", "", ", lsl #4", ", lsl #8", ", lsl #12")                                            \
  "ldr    r6, [r12], #4\n\t" TINYML_DWG_AND("r0", "r6", "") TINYML_DWG_AND("r1", "r6", ", lsl #4")           \
  "stmia  r9, {r0, r1}\n\t"
/* Four taps a word: shifts 4q and 4q + 2 for tap 4j + q; words 0-1 two pairs each, word 2 tap 8. */
#define TINYML_DWG_DECODE2                                                                                   \
  "mov    r9, r7\n\t"                                                                                        \
  "mov    lr, #0xC000C000\n\t"                                                                               \
  "ldmia  r12!, {r6, r8}\n\t"                                                                                \
  TINYML_DWG_PAIRW("r6", "", ", lsl #2", ", lsl #4", ", lsl #6")                                             \
  TINYML_DWG_PAIRW("r6", ", lsl #8", ", lsl #10", ", lsl #12", ", lsl #14")                                  \
  TINYML_DWG_PAIRW("r8", "", ", lsl #2", ", lsl #4", ", lsl #6")                                             \
  TINYML_DWG_PAIRW("r8", ", lsl #8", ", lsl #10", ", lsl #12", ", lsl #14")                                  \
  "ldr    r6, [r12], #4\n\t" TINYML_DWG_AND("r0", "r6", "") TINYML_DWG_AND("r1", "r6", ", lsl #2")           \
  "stmia  r9, {r0, r1}\n\t"
/*
 * The groups (label 6): the group's operands, its pixels from [88] (input) and [92] (output) on,
 * then those two and the output end [80] four bytes on, until r12 (past the group's records)
 * reaches [96] (the weights' end).
 */
#define TINYML_DWG_GROUPS(DECODE, SH, OFF, RQ, AFTER) \
  TINYML_DWG_GROUPS_OF(DECODE, "", TINYML_DWG_LOOP(SH, OFF, RQ, AFTER))
/*
 * FAST_MIXED: a group whose four channels RQ_RIGHT (the FOLDED requantization, what RQ's
 * right-shift branch computes) gets right runs the pixel loop with it instead of RQ's test and
 * branch per channel (label 8); the others RQ. ONE(x) turns a channel's e (in x) into a value
 * whose bits are 0 when the channel is one of those; TEST branches to 8 when the four ORed
 * together set Z (ORRS) or clear N.
 */
#define TINYML_DWG_GROUPS_MIXED(DECODE, SH, RQ, RQ_RIGHT, ONE, TEST)                                  \
  TINYML_DWG_GROUPS_OF(DECODE,                                                                       \
                       "ldr    r4, [r12, #8]\n\t"                                                    \
                       "ldr    r5, [r12, #24]\n\t"                                                   \
                       "ldr    r6, [r12, #40]\n\t"                                                   \
                       "ldr    r8, [r12, #56]\n\t" ONE("r4") ONE("r5") ONE("r6") ONE("r8")           \
                       "orr    r4, r4, r5\n\t"                                                       \
                       "orr    r6, r6, r8\n\t"                                                       \
                       "orrs   r4, r4, r6\n\t" TEST,                                                 \
                       TINYML_DWG_LOOP(SH, TINYML_DWS_NO_OFF, RQ, TINYML_DWS_LEFT4)                    \
                       "b      9f\n"                                                                  \
                       "8:\n\t" TINYML_DWG_LOOP(SH, TINYML_DWS_NO_OFF, RQ_RIGHT, "") "9:\n\t")
/* With the sign correction: channels with e >= 1 (e - 1 >= 0, every N clear). */
#define TINYML_DWG_E_RIGHT(x) "sub    " x ", " x ", #1\n\t"
#define TINYML_DWG_TEST_PL "bpl    8f\n\t"
/* Without it (TINYML_RQ_NOFIX): also e <= 0 with a low byte of 0 (a left shift by 0, which the ASR
 * by register RQ_RIGHT does reads as a shift by 0 too); e & (e << 24) is 0 exactly for those and
 * for e in 1..31 (e <= 0 is s - 256, s the left shift in 0..31: its bits 24-31 set). */
#define TINYML_DWG_E_RIGHT_NF(x) "and    " x ", " x ", " x ", lsl #24\n\t"
#define TINYML_DWG_TEST_EQ "beq    8f\n\t"
/* The groups around PIXELS (after CHOOSE, which may look at the group's records in r12). */
#define TINYML_DWG_GROUPS_OF(DECODE, CHOOSE, PIXELS)                                                  \
  "6:\n\t" DECODE                                                                                    \
  "str    r12, [r7, #100]\n\t"                                                                       \
  "ldrd   r9, lr, [r7, #88]\n\t" CHOOSE PIXELS                                                        \
  "ldrd   r4, r5, [r7, #88]\n\t"                                                                     \
  "add    r4, r4, #4\n\t"                                                                            \
  "add    r5, r5, #4\n\t"                                                                            \
  "strd   r4, r5, [r7, #88]\n\t"                                                                     \
  "ldr    r4, [r7, #80]\n\t"                                                                         \
  "add    r4, r4, #4\n\t"                                                                            \
  "str    r4, [r7, #80]\n\t"                                                                         \
  "ldr    r4, [r7, #96]\n\t"                                                                         \
  "cmp    r12, r4\n\t"                                                                               \
  "bne    6b\n\t"

/*
 * An output row (3x3, FAST modes, no fused clamp), group after group (see above), all in one
 * assembly block. The frame past the operands: [72] input step (from the third row), [76] output step, [80] the group's
 * output end, [84] output offset, [88] the group's first pixel, [92] its first output, [96] the
 * weights' end.
 */
TINYML_DSP_INLINE void dw_sb_row_groups_asm(const int8_t *rows, int32_t px_step, int32_t col_step, int32_t row_bytes,
                                            const uint32_t *weights, int8_t *out, int32_t c, int32_t width,
                                            int32_t off, const int mode, const int bits) {
  const int32_t words = (9 + 8 / bits - 1) / (8 / bits);
  uint32_t fw[26];
  fw[18] = (uint32_t)(px_step - 2 * row_bytes); /* from the pixel's third row to the next pixel */
  fw[19] = (uint32_t)(c - 4);
  fw[20] = (uint32_t)(uintptr_t)(out + width * c);
  fw[21] = (uint32_t)off;
  fw[22] = (uint32_t)(uintptr_t)rows;
  fw[23] = (uint32_t)(uintptr_t)out;
  fw[24] = (uint32_t)(uintptr_t)(weights + (c >> 2) * (words + TINYML_DWS_RECORD_WORDS));
  register const int8_t *rp __asm__("r9") = rows;
  register int32_t rcs __asm__("r10") = col_step;
  register int32_t rrs __asm__("r11") = row_bytes;
  register const uint32_t *rq __asm__("r12") = weights;
  register int8_t *ro __asm__("lr") = out;
  register uint32_t *rfw __asm__("r7") = fw;
#define TINYML_DWG_ASM(LOOP)                                                                        \
  __asm__ volatile(LOOP                                                                             \
                   : [p] "+r"(rp), [wp] "+r"(rq), "+r"(ro)                                          \
                   : [cs] "r"(rcs), [rs] "r"(rrs), "r"(rfw)                                         \
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "cc", "memory")
#define TINYML_DWG_BY_MODE(DECODE, SH)                                                                          \
  if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED && TINYML_RQ_NF(mode)) {                                   \
    TINYML_DWG_ASM(TINYML_DWG_GROUPS_MIXED(DECODE, SH, TINYML_DWS_RQ_MIXED_NF, TINYML_DWS_RQ_NF,              \
                                           TINYML_DWG_E_RIGHT_NF, TINYML_DWG_TEST_EQ));                       \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED) {                                                  \
    TINYML_DWG_ASM(TINYML_DWG_GROUPS_MIXED(DECODE, SH, TINYML_DWS_RQ_MIXED, TINYML_DWS_RQ, TINYML_DWG_E_RIGHT, \
                                           TINYML_DWG_TEST_PL));                                              \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED && TINYML_RQ_NF(mode)) {                           \
    TINYML_DWG_ASM(TINYML_DWG_GROUPS(DECODE, SH, TINYML_DWS_NO_OFF, TINYML_DWS_RQ_NF, ""));                   \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {                                                 \
    TINYML_DWG_ASM(TINYML_DWG_GROUPS(DECODE, SH, TINYML_DWS_NO_OFF, TINYML_DWS_RQ, ""));                      \
  } else if (TINYML_RQ_NF(mode)) {                                                                            \
    TINYML_DWG_ASM(TINYML_DWG_GROUPS(DECODE, SH, TINYML_DWG_ADD_OFF, TINYML_DWS_RQ_NF, ""));                  \
  } else {                                                                                                    \
    TINYML_DWG_ASM(TINYML_DWG_GROUPS(DECODE, SH, TINYML_DWG_ADD_OFF, TINYML_DWS_RQ, ""));                     \
  }
  if (bits == 4) {
    TINYML_DWG_BY_MODE(TINYML_DWG_DECODE4, "11")
  } else {
    TINYML_DWG_BY_MODE(TINYML_DWG_DECODE2, "13")
  }
#undef TINYML_DWG_BY_MODE
#undef TINYML_DWG_ASM
}
#undef TINYML_DWG_GROUPS
#undef TINYML_DWG_GROUPS_MIXED
#undef TINYML_DWG_E_RIGHT
#undef TINYML_DWG_E_RIGHT_NF
#undef TINYML_DWG_TEST_PL
#undef TINYML_DWG_TEST_EQ
#undef TINYML_DWG_GROUPS_OF
#undef TINYML_DWG_DECODE2
#undef TINYML_DWG_DECODE4
#undef TINYML_DWG_PAIRW
#undef TINYML_DWG_AND
#undef TINYML_DWG_ADD_OFF
#undef TINYML_DWG_LOOP
#undef TINYML_DWG_PAIR
#undef TINYML_DWG_ACC
#undef TINYML_DWG_NOACC
#undef TINYML_DWG_MLA
#undef TINYML_DWG_TAP
#endif

/* The taps of one group of four channels: tap t's weight pairs come from word t / (8 / BITS). */
TINYML_DSP_INLINE void dw_sb_row(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *rows,
                                 int32_t row_bytes, int32_t width, const uint32_t *weights, int8_t *out, int32_t shift, const int MODE, const int BITS,
                                 const int K3, const int FULL) {
  const int32_t c = p->geo.input_depth;
  const int32_t col_step = p->geo.dilation_width * c;
  const int32_t px_step = p->geo.stride_width * c;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  const int32_t groups = c >> 2;
  const uint32_t mask = TINYML_DWS_MASK(BITS);
  const int32_t fh = K3 ? 3 : p->geo.filter_height;
  const int32_t fw = K3 ? 3 : p->geo.filter_width;
  const int32_t per = 8 / BITS;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (K3 && FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF && width >= TINYML_DWG_MIN_WIDTH) {
    dw_sb_row_groups_asm(rows, px_step, col_step, row_bytes, weights, out, c, width, off, MODE, BITS);
    return;
  }
  if (K3 && FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF) {
    dw_sb_row_k3_asm(rows, px_step, col_step, row_bytes, weights, out, c, width, off, MODE, BITS);
    return;
  }
#endif
  for (int32_t ox = 0; ox < width; ++ox) {
    const int8_t *px = rows + ox * px_step;
    const uint32_t *w = weights;
    int8_t *o = out;
    for (int32_t g = 0; g < groups; ++g) {
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int32_t t = 0;
      uint32_t v = 0;
      for (int32_t fy = 0; fy < fh; ++fy) {
        const int8_t *rp = px + fy * row_bytes;
        for (int32_t fx = 0; fx < fw; ++fx) {
          if (t == 0) {
            v = *w++;
          }
          const uint32_t f02 = (v << (2 * BITS * t)) & mask;
          const uint32_t f13 = (v << (2 * BITS * t + BITS)) & mask;
          TINYML_DW_TAP4(tinyml_ld32(rp), f02, f13);
          t = t + 1 == per ? 0 : t + 1;
          rp += col_step;
        }
      }
      px += 4;
      /* The group's records follow its weight words. */
      const int32_t *q = (const int32_t *)(const void *)w;
      w += TINYML_DWS_RECORD_WORDS;
      o[0] = (int8_t)tinyml_rq(MODE, q[3] + (a0 >> shift), q[0], q[1], TINYML_DWS_E(MODE, q[2]), off, lo, hi);
      o[1] = (int8_t)tinyml_rq(MODE, q[7] + (a1 >> shift), q[4], q[5], TINYML_DWS_E(MODE, q[6]), off, lo, hi);
      o[2] = (int8_t)tinyml_rq(MODE, q[11] + (a2 >> shift), q[8], q[9], TINYML_DWS_E(MODE, q[10]), off, lo, hi);
      o[3] = (int8_t)tinyml_rq(MODE, q[15] + (a3 >> shift), q[12], q[13], TINYML_DWS_E(MODE, q[14]), off, lo, hi);
      o += 4;
    }
    out += c;
  }
}

/*
 * The row loop both sub-byte depthwise runners share: fill the rows a window reads, then one row of
 * outputs, accumulators shifted back by SHIFT, through ROW(k3, full), which picks the dw_sb_row specialisation (3x3 or any filter;
 * clamped or full int8 range). A macro, not a function, so each runner compiles to the same code
 * as when it was written out.
 */
#define TINYML_DW_SB_ROWS(SHIFT, ROW)                                                            \
  const int32_t c = p->geo.input_depth;                                                         \
  const int32_t shift = (SHIFT);                                                                \
  const int32_t k3 = p->geo.filter_height == 3 && p->geo.filter_width == 3;                     \
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;                   \
  const int32_t direct = (const void *)input != (const void *)output;                           \
  const int32_t wo = p->geo.output_width;                                                       \
  int8_t *scr = (int8_t *)scratch;                                                              \
  for (int32_t b = 0; b < p->geo.batches; ++b) {                                                \
    const int8_t *in = input + b * p->geo.input_height * p->geo.input_width * c;                \
    int8_t *obase = output + b * p->geo.output_height * wo * c;                                 \
    int32_t moved = 0;                                                                          \
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {                                     \
      const int32_t n = direct ? dw_direct_pixels(p, oy) : 0;                                   \
      /* Part 0: the row from scratch, or its first n pixels straight from the input           \
       * (dw_direct_pixels); part 1: the rest of a direct row from scratch. */                  \
      for (int32_t part = 0; part < 2; ++part) {                                                \
        const int8_t *rows = scr;                                                               \
        int8_t *out = obase + oy * wo * c;                                                      \
        int32_t rb = p->padded_width * c, wd = wo;                                              \
        if (part == 0 && n > 0) {                                                               \
          rb = p->geo.input_width * c;                                                          \
          rows = in + (oy * p->geo.stride_height - p->geo.pad_height) * rb;                      \
          wd = n;                                                                               \
          moved = 0;                                                                            \
        } else if (part == 0) {                                                                 \
          fill_rows(p, in, oy, scr, moved);                                                     \
          moved = 1;                                                                            \
        } else if (n > 0 && n < wo) {                                                           \
          rb = dw_fill_tail(p, in, oy, n, scr);                                                 \
          out += n * c;                                                                         \
          wd = wo - n;                                                                          \
        } else {                                                                                \
          break;                                                                                \
        }                                                                                       \
        if (k3 && full) {                                                                       \
          ROW(1, 1);                                                                            \
        } else if (k3) {                                                                        \
          ROW(1, 0);                                                                            \
        } else {                                                                                \
          ROW(0, 0);                                                                            \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  }

#define TINYML_DW_SB_ROW_BY_MODE(K3, FULL)                                                       \
  do {                                                                                          \
    if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST) {                                                               \
      dw_sb_row(p, rows, rb, wd, weights, out, shift, TINYML_RQ_FAST, BITS, K3, FULL);                  \
    } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {                                                 \
      dw_sb_row(p, rows, rb, wd, weights, out, shift, TINYML_RQ_FAST_FOLDED, BITS, K3, FULL);           \
    } else {                                                                                    \
      dw_sb_row(p, rows, rb, wd, weights, out, shift, TINYML_RQ_REF, BITS, K3, FULL);                   \
    }                                                                                           \
  } while (0)

#define TINYML_DW_SB_ROW_MIXED(K3, FULL) dw_sb_row(p, rows, rb, wd, weights, out, shift, TINYML_RQ_FAST_MIXED, BITS, K3, FULL)
/* The same two for TINYML_RQ_NOFIX layers (FAST and FOLDED only; REF has no correction to drop). */
#define TINYML_DW_SB_ROW_BY_MODE_NF(K3, FULL)                                                                      \
  do {                                                                                                            \
    if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST) {                                                                 \
      dw_sb_row(p, rows, rb, wd, weights, out, shift, TINYML_RQ_FAST | TINYML_RQ_NOFIX, BITS, K3, FULL);                  \
    } else {                                                                                                      \
      dw_sb_row(p, rows, rb, wd, weights, out, shift, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, BITS, K3, FULL);           \
    }                                                                                                             \
  } while (0)
#define TINYML_DW_SB_ROW_MIXED_NF(K3, FULL) \
  dw_sb_row(p, rows, rb, wd, weights, out, shift, TINYML_RQ_FAST_MIXED | TINYML_RQ_NOFIX, BITS, K3, FULL)

TINYML_DSP_INLINE void dw_sb_run(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                 const uint32_t *weights, int8_t *output, void *scratch, int32_t mode, const int BITS) {
  if (p->band_rows > 0) {
    dw_plane_run(p, input, weights, output, scratch, mode, BITS, TINYML_DWP_BANDS(mode), NULL);
    return;
  }
  TINYML_DW_SB_ROWS((16 - BITS) - (TINYML_RQ_BASE(mode) != TINYML_RQ_REF ? 1 : 0), TINYML_DW_SB_ROW_BY_MODE)
}

/* TINYML_RQ_NOFIX layers (mode FAST or FOLDED, the flag optional): entry points of their own. */
TINYML_DSP_INLINE void dw_sb_run_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                    const uint32_t *weights, int8_t *output, void *scratch, int32_t mode, const int BITS) {
  if (p->band_rows > 0) {
    dw_plane_run(p, input, weights, output, scratch, mode, BITS, TINYML_DWP_BANDS(mode | TINYML_RQ_NOFIX), NULL);
    return;
  }
  TINYML_DW_SB_ROWS((16 - BITS) - 1, TINYML_DW_SB_ROW_BY_MODE_NF)
}

/* FAST_MIXED on entry points of their own, so that models without it do not link its loops (NF: TINYML_RQ_NOFIX). */
TINYML_DSP_INLINE void dw_sb_run_mixed(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                       const uint32_t *weights, int8_t *output, void *scratch, const int BITS,
                                       const int NF) {
  if (p->band_rows > 0) {
    dw_plane_run(p, input, weights, output, scratch, TINYML_RQ_FAST_MIXED, BITS,
                 NF ? TINYML_DWP_BANDS(TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX) : TINYML_DWP_BANDS(TINYML_RQ_FAST_FOLDED),
                 TINYML_DWP_LEFT_BANDS);
    return;
  }
  if (NF) {
    TINYML_DW_SB_ROWS((16 - BITS) - 1, TINYML_DW_SB_ROW_MIXED_NF)
  } else {
    TINYML_DW_SB_ROWS((16 - BITS) - 1, TINYML_DW_SB_ROW_MIXED)
  }
}

void tinyml_depthwise_conv2d_s8_dsp_sb4_mixed(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                              const uint32_t *weights, int8_t *output, void *scratch) {
  dw_sb_run_mixed(p, input, weights, output, scratch, 4, 0);
}

void tinyml_depthwise_conv2d_s8_dsp_sb4_mixed_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                                 const uint32_t *weights, int8_t *output, void *scratch) {
  dw_sb_run_mixed(p, input, weights, output, scratch, 4, 1);
}

void tinyml_depthwise_conv2d_s8_dsp_sb2_mixed(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                              const uint32_t *weights, int8_t *output, void *scratch) {
  dw_sb_run_mixed(p, input, weights, output, scratch, 2, 0);
}

void tinyml_depthwise_conv2d_s8_dsp_sb2_mixed_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                                 const uint32_t *weights, int8_t *output, void *scratch) {
  dw_sb_run_mixed(p, input, weights, output, scratch, 2, 1);
}

void tinyml_depthwise_conv2d_s8_dsp_sb4(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                        const uint32_t *weights, int8_t *output, void *scratch, int32_t mode) {
  dw_sb_run(p, input, weights, output, scratch, mode, 4);
}

void tinyml_depthwise_conv2d_s8_dsp_sb4_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                           const uint32_t *weights, int8_t *output, void *scratch, int32_t mode) {
  dw_sb_run_nf(p, input, weights, output, scratch, mode, 4);
}

void tinyml_depthwise_conv2d_s8_dsp_sb2(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                        const uint32_t *weights, int8_t *output, void *scratch, int32_t mode) {
  dw_sb_run(p, input, weights, output, scratch, mode, 2);
}

void tinyml_depthwise_conv2d_s8_dsp_sb2_nf(const tinyml_depthwise_conv2d_dsp_params *p, const int8_t *input,
                                           const uint32_t *weights, int8_t *output, void *scratch, int32_t mode) {
  dw_sb_run_nf(p, input, weights, output, scratch, mode, 2);
}
