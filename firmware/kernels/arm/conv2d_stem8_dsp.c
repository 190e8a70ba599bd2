/*
 * conv2d_stem8_dsp.c - VWW's first layer shape exactly (see conv2d_stem_dsp.h): 3x3 filters on
 * three channels, eight output channels, stride 2 across, an even output width, FAST_FOLDED
 * without the sign correction (TINYML_RQ_NOFIX) and no clamp (int8 and every sub-byte build of
 * VWW). conv2d_stem_dsp.c calls the two entry points through weak references, and the generator
 * lists this file only for a layer of that shape (src/ops/optimized/conv2d-stem.ts): the other
 * models' stems (KWS, ResNet-8, micro_speech) do not link its 4 KB of unrolled assembly.
 *
 * Where a pair of pixels' instructions go (qemu-m4, VWW's interior pairs, 416 for 432 MACs): the
 * dot product 290 (224 multiply-accumulates, 28 column LDRDs at constant offsets from sp, 38
 * LDMs of three weight words), requantization 56, stores 16, expansion of two filter rows 32 (the
 * first is the row before's last, kept in a row buffer), pointers and loop 22.
 */
#include "conv2d_stem_dsp.h"

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
#define STEM8_STR2(x) #x
#define STEM8_STR(x) STEM8_STR2(x)

/* An int8 as the low halfword of a word (high half zero). */
TINYML_DSP_INLINE uint32_t stem_half(int8_t x) { return (uint32_t)(int32_t)x & 0xFFFFu; }

/*
 * VWW's first layer shape exactly (3x3 filters on three channels, eight output channels, two
 * blocks) in FAST_FOLDED without the sign correction (TINYML_RQ_NOFIX) and no clamp: stem8_run,
 * whole runs of pairs with their state on the routine's own stack frame instead of behind a frame
 * pointer (which the steps need as a register: conv2d_stem_dsp.c's stem_pairs_run saves it around
 * every block), both blocks unrolled with their requantization inline and the output bytes at
 * constant offsets, the 14 steps entered at the first (no computed entry), their column words
 * read at constant offsets from sp and their weights three words per LDM (STEM8_STEPS). The
 * columns are stem_pairs_run's (conv2d_stem_dsp.c) but for the last word: (A's row 2 tail, B's
 * row 2 tail), one word for both pixels, which the last step reads with SMLABB / SMLABT (the
 * weights' bottom halves: their padding half is never read).
 *
 * Stride 2 across (window B 6 bytes after A), so A's filter-row tails are the high halves of B's
 * first SXTB16 words (B's third byte is A's ninth): the last column word is (B's row 2 tail, A's),
 * read by SMLABB for B and SMLABT for A. The pair loop tests pa against pa_end once, at its start:
 * nothing after that sets the flags until its closing branch.
 *
 * A pair's first filter row is not read from the input: its eight column words and its tails word
 * come from the pair's 9 words in `buf`, where the row above left its third filter row (stride 2
 * down: output row y's third filter row is row y + 1's first) or stem8_seed put the call's first
 * row's; the pair expands its second and third rows from pa + row and pa + 2 row (pa itself is
 * never read) and leaves the third in buf for the row below. 416 instructions an interior pair:
 * 290 dot product, 56 requantization, 16 stores, 32 expansion, 22 pointers, buffer and loop.
 *
 * After a row's last pair, the next of `rows` more rows (the output runs on; pa and pa_end move
 * by row_adv, edge starts again as edge0, the buffer's pointer again at its start).
 *
 * The frame (sp offsets): [0] block 0's eight bias words (one LDM from sp), then stem8_args'
 * first sixteen words: [32] pa, [36] row, [40] pa_end, [44] oa - 1 (so that block 1's last store
 * moves it on to the next pair's by its writeback), [48] edge, [52] w, [56] bias of block 1, [60]
 * [64] each block's records, [68] pad << 16, [72] (pad, pad), [76] rows, [80] row_adv, [84] span,
 * [88] edge0, [92] the pair's place in buf; then the columns at [96] (27 words), [204] buf's start;
 * then copies of block 0's records [208], block 1's bias [256] and records [288], in the order
 * they are read: after block 0's four records one LDM takes block 1's start values with no
 * pointer loaded for them.
 */
typedef struct {
  const int8_t *pa;            /* window A's first row; B's is 6 bytes further, the next pair's A 12 */
  int32_t row;                 /* bytes from one row of a window to the next */
  const int8_t *pa_end;        /* pa after the pairs before the edge pair (pa itself: none) */
  int8_t *oa;                  /* pixel A's output (B's 8 bytes after it; the next pair's 16) */
  int32_t edge;                /* 1: then one pair whose window B has its third column over the right edge */
  const int16_t *w;            /* the weights */
  const int32_t *bias1;        /* block 1's bias words */
  const tinyml_dsp_rq *rq[2];  /* each block's records */
  uint32_t pad_hi;             /* the input zero point in the high half, the low half zero */
  uint32_t pad2;               /* the zero point in both halves */
  int32_t rows;                /* output rows after this one, each as this one */
  int32_t row_adv;             /* bytes pa and pa_end move from one output row to the next */
  int32_t span;                /* pa_end - pa at a row's start */
  int32_t edge0;               /* edge at a row's start */
  uint32_t *buf;               /* per pair 9 words: the first filter row's columns (stem8_seed), then each row's last */
  const int32_t *bias0;        /* block 0's bias words (copied to the frame) */
} stem8_args;

#define STEM8_FRAME 336
/* conv2d_stem_dsp.c's STEM_EXPAND_ROW with window B six bytes after A, both read from r11 (no
 * second pointer to move on from row to row). LDB loads B's second word; PAD follows the
 * expansion (STEM8_EDGE_ROW below). */
#define STEM8_ROW_(LDB, PAD)                   \
  "ldr    r6, [r11]\n\t"                       \
  "ldr    r8, [r11, #6]\n\t"                   \
  "sxtb16 r0, r6\n\t"                          \
  "sxtb16 r1, r8\n\t"                          \
  "sxtb16 r2, r6, ror #8\n\t"                  \
  "sxtb16 r3, r8, ror #8\n\t"                  \
  "ldr    r6, [r11, #4]\n\t"                   \
  LDB "   r8, [r11, #10]\n\t"                  \
  "sxtb16 r4, r6\n\t"                          \
  "sxtb16 r5, r8\n\t"                          \
  "sxtb16 r6, r6, ror #8\n\t"                  \
  "sxtb16 r8, r8, ror #8\n\t" PAD              \
  "stmia  r10!, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"
/* The same for the second filter row, which leaves r1 (the first row's B word 0, A's first tail
 * in its high half) alone: its eight words from r0 r2-r8, in the same order. */
#define STEM8_ROW1_(LDB, PAD)                  \
  "ldr    r5, [r11]\n\t"                       \
  "ldr    r6, [r11, #6]\n\t"                   \
  "sxtb16 r0, r5\n\t"                          \
  "sxtb16 r2, r6\n\t"                          \
  "sxtb16 r3, r5, ror #8\n\t"                  \
  "sxtb16 r4, r6, ror #8\n\t"                  \
  "ldr    r7, [r11, #4]\n\t"                   \
  LDB "   r8, [r11, #10]\n\t"                  \
  "sxtb16 r5, r7\n\t"                          \
  "sxtb16 r6, r8\n\t"                          \
  "sxtb16 r7, r7, ror #8\n\t"                  \
  "sxtb16 r8, r8, ror #8\n\t" PAD              \
  "stmia  r10!, {r0, r2, r3, r4, r5, r6, r7, r8}\n\t"
#define STEM8_EXPAND_ROW STEM8_ROW_("ldr ", "")
#define STEM8_EXPAND_ROW1 STEM8_ROW1_("ldr ", "")
/* B's third pixel over the right edge: its bytes 4 and 5 by LDRH (nothing past the image is
 * read), the zero point (r9: pad << 16) in the high halves of its second word's pairs. */
#define STEM8_EDGE_ROW STEM8_ROW_("ldrh", "orr    r5, r5, r9\n\torr    r8, r8, r9\n\t")
#define STEM8_EDGE_ROW1 STEM8_ROW1_("ldrh", "orr    r6, r6, r9\n\torr    r8, r8, r9\n\t")
/*
 * stem8_run's steps. The columns are on the routine's frame at sp + 96, read at constant offsets
 * (the steps are unrolled), so no register holds their address; the weights come three words at a
 * time (one LDM into r7 r11 lr) from r12, in the layout's order (per step the four channels'
 * words): 56 words a block in 19 loads, with the 14 column loads 33 (the two LDRDs of weights a
 * step took before: 42). Accumulators as conv2d_stem_dsp.c's STEM_STEP's; the column words of A and B in r9 r10.
 * STEM8_MAC(a, b, w): both pixels of one channel by the weight word in w.
 */
#define STEM8_COLS(s) "ldrd   r9, r10, [sp, #(96 + 8 * (" #s "))]\n\t"
#define STEM8_W3 "ldmia  r12!, {r7, r11, lr}\n\t"
#define STEM8_MAC(a, b, w)                  \
  "smlad  " a ", " w ", r9, " a "\n\t"     \
  "smlad  " b ", " w ", r10, " b "\n\t"
/* Steps s, s + 1, s + 2 (s a multiple of three: twelve weight words, four LDMs, the registers'
 * roles rotating with the stream). */
#define STEM8_STEPS3(s)                                                                        \
  STEM8_COLS(s) STEM8_W3 STEM8_MAC("r0", "r1", "r7") STEM8_MAC("r2", "r3", "r11")              \
  STEM8_MAC("r4", "r5", "lr") STEM8_W3 STEM8_MAC("r6", "r8", "r7")                             \
  STEM8_COLS(s + 1) STEM8_MAC("r0", "r1", "r11") STEM8_MAC("r2", "r3", "lr") STEM8_W3         \
  STEM8_MAC("r4", "r5", "r7") STEM8_MAC("r6", "r8", "r11")                                     \
  STEM8_COLS(s + 2) STEM8_MAC("r0", "r1", "lr") STEM8_W3 STEM8_MAC("r2", "r3", "r7")           \
  STEM8_MAC("r4", "r5", "r11") STEM8_MAC("r6", "r8", "lr")
/* The last step: the shared word (B's tail, A's tail) times the weights' bottom halves. */
#define STEM8_LASTMAC(a, b, w)               \
  "smlabt " a ", " w ", r9, " a "\n\t"      \
  "smlabb " b ", " w ", r9, " b "\n\t"
/* All 14 steps of a block: 12 in threes, the 13th (its first three weights by one LDM, the fourth
 * with the last step's first two by the next), the last (its last two words by one LDM). */
#define STEM8_STEPS                                                                            \
  STEM8_STEPS3(0) STEM8_STEPS3(3) STEM8_STEPS3(6) STEM8_STEPS3(9)                              \
  STEM8_COLS(12) STEM8_W3 STEM8_MAC("r0", "r1", "r7") STEM8_MAC("r2", "r3", "r11")             \
  STEM8_MAC("r4", "r5", "lr") STEM8_W3 STEM8_MAC("r6", "r8", "r7")                             \
  "ldr    r9, [sp, #(96 + 8 * 13)]\n\t" STEM8_LASTMAC("r0", "r1", "r11")                     \
  STEM8_LASTMAC("r2", "r3", "lr") "ldmia  r12!, {r7, r11}\n\t"                                \
  STEM8_LASTMAC("r4", "r5", "r7") STEM8_LASTMAC("r6", "r8", "r11")
/* FOLDED without the sign correction, both pixels of one channel (conv2d_stem_dsp.c's STEM_RQ2_NF): record {m, t, e}
 * in r7 r10 r11 (records at r9). */
#define STEM8_RQ2(a, b)                 \
  "ldmia  r9!, {r7, r10, r11}\n\t"      \
  "smmlar " a ", " a ", r7, r10\n\t"    \
  "asr    " a ", " a ", r11\n\t"        \
  "ssat   " a ", #8, " a "\n\t"         \
  "smmlar " b ", " b ", r7, r10\n\t"    \
  "asr    " b ", " b ", r11\n\t"        \
  "ssat   " b ", #8, " b "\n\t"
/* Block b (its bias words in r0-r6 r8 already): the 14 steps, its requantization and its eight
 * bytes (A's at oa + 4b, B's 8 further). */
#define STEM8_BLOCK(b, LAST)                                                   \
  STEM8_STEPS                                                              \
  "add    r9, sp, #(208 + 80 * " #b ")\n\t"                                \
  STEM8_RQ2("r0", "r1") STEM8_RQ2("r2", "r3") STEM8_RQ2("r4", "r5") STEM8_RQ2("r6", "r8") \
  "ldr    r10, [sp, #44]\n\t"                                              \
  "strb   r0, [r10, #(1 + 4 * " #b ")]\n\t"                                \
  "strb   r2, [r10, #(2 + 4 * " #b ")]\n\t"                                \
  "strb   r4, [r10, #(3 + 4 * " #b ")]\n\t"                                \
  "strb   r6, [r10, #(4 + 4 * " #b ")]\n\t"                                \
  "strb   r1, [r10, #(9 + 4 * " #b ")]\n\t"                                \
  "strb   r3, [r10, #(10 + 4 * " #b ")]\n\t"                               \
  "strb   r5, [r10, #(11 + 4 * " #b ")]\n\t"                               \
  "strb   r8, [r10, #(12 + 4 * " #b ")]" LAST "\n\t"

#define STEM8_RUN                                                              \
  "sub    sp, sp, #" STEM8_STR(STEM8_FRAME) "\n\t"                              \
  "add    lr, sp, #32\n\t"                                                     \
  "ldmia  r0!, {r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11}\n\t"             \
  "sub    r4, r4, #1\n\t"                                                      \
  "stmia  lr!, {r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11}\n\t"             \
  "ldmia  r0!, {r1, r2, r3, r4, r5}\n\t"                                       \
  "stmia  lr, {r1, r2, r3, r4, r5}\n\t"                                        \
  "str    r5, [sp, #204]\n\t"                                                  \
  "ldr    r0, [r0]\n\t"                                                        \
  "ldmia  r0, {r1, r2, r3, r4, r5, r6, r7, r8}\n\t"                            \
  "mov    lr, sp\n\t"                                                          \
  "stmia  lr, {r1, r2, r3, r4, r5, r6, r7, r8}\n\t"                            \
  "ldr    r1, [sp, #60]\n\t"                                                   \
  "add    lr, sp, #208\n\t"                                                    \
  "ldmia  r1, {r0, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}\n\t"         \
  "stmia  lr!, {r0, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}\n\t"        \
  "ldr    r1, [sp, #56]\n\t"                                                   \
  "ldmia  r1, {r0, r2, r3, r4, r5, r6, r7, r8}\n\t"                            \
  "stmia  lr!, {r0, r2, r3, r4, r5, r6, r7, r8}\n\t"                           \
  "ldr    r1, [sp, #64]\n\t"                                                   \
  "ldmia  r1, {r0, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}\n\t"         \
  "stmia  lr, {r0, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}\n\t"         \
  "ldr    r0, [sp, #32]\n\t"                                                   \
  "ldr    r1, [sp, #40]\n\t"                                                   \
  "cmp    r0, r1\n\t"                                                          \
  "beq    83f\n"                                                               \
  "60:\n\t"                                                                    \
  "ldrd   r11, lr, [sp, #32]\n\t"                                              \
  "ldr    r1, [sp, #40]\n\t"                                                   \
  "add    r0, r11, #12\n\t"                                                    \
  "str    r0, [sp, #32]\n\t"                                                   \
  "cmp    r0, r1\n\t"                                                          \
  "add    r10, sp, #96\n\t"                                                    \
  "ldr    r12, [sp, #92]\n\t"                                                  \
  "ldmia  r12, {r0, r1, r2, r3, r4, r5, r6, r8, r9}\n\t"                       \
  "stmia  r10!, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"                          \
  "add    r11, r11, lr\n\t"                                                    \
  STEM8_EXPAND_ROW1                                                            \
  "pkhtb  r7, r2, r9, asr #16\n\t"                                             \
  "ldrsb  r0, [r11, #14]\n\t"                                                  \
  "pkhbt  r9, r9, r0, lsl #16\n\t"                                             \
  "add    r11, r11, lr\n\t"                                                    \
  STEM8_EXPAND_ROW                                                             \
  "ldrsb  lr, [r11, #14]\n\t"                                                  \
  "pkhbt  lr, lr, r1\n\t"                                                      \
  "stmia  r12!, {r0, r1, r2, r3, r4, r5, r6, r8, lr}\n\t"                      \
  "str    r12, [sp, #92]\n\t"                                                  \
  "stmia  r10, {r7, r9, lr}\n"                                                 \
  "61:\n\t"                                                                    \
  "ldr    r12, [sp, #52]\n\t"                                                  \
  "ldmia  sp, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"                            \
  STEM8_BLOCK(0, "")                                                           \
  "ldmia  r9, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"                            \
  STEM8_BLOCK(1, "!")                                                          \
  "str    r10, [sp, #44]\n\t"                                                  \
  "bne    60b\n"                                                               \
  "83:\n\t"                                                                    \
  "ldr    r0, [sp, #48]\n\t"                                                   \
  "cmp    r0, #0\n\t"                                                          \
  "beq    98f\n\t"                                                             \
  "movs   r0, #0\n\t"                                                          \
  "str    r0, [sp, #48]\n\t"                                                   \
  "ldrd   r11, lr, [sp, #32]\n\t"                                              \
  "add    r10, sp, #96\n\t"                                                    \
  "ldr    r12, [sp, #92]\n\t"                                                  \
  "ldmia  r12, {r0, r1, r2, r3, r4, r5, r6, r7, r8}\n\t"                       \
  "stmia  r10!, {r0, r1, r2, r3, r4, r5, r6, r7}\n\t"                          \
  "mov    r1, r8\n\t"                                                          \
  "ldr    r9, [sp, #68]\n\t"                                                   \
  "add    r11, r11, lr\n\t"                                                    \
  STEM8_EDGE_ROW1                                                              \
  "pkhtb  r7, r2, r1, asr #16\n\t"                                             \
  "add    r11, r11, lr\n\t"                                                    \
  STEM8_EDGE_ROW                                                               \
  "pkhtb  r11, r1, r9, asr #16\n\t"                                            \
  "stmia  r12, {r0, r1, r2, r3, r4, r5, r6, r8, r11}\n\t"                      \
  "ldr    r9, [sp, #72]\n\t"                                                   \
  "stmia  r10, {r7, r9, r11}\n\t"                                              \
  "cmp    r7, r7\n\t"                                                          \
  "b      61b\n"                                                               \
  "98:\n\t"                                                                    \
  "ldr    r0, [sp, #76]\n\t"                                                   \
  "subs   r0, r0, #1\n\t"                                                      \
  "blt    99f\n\t"                                                             \
  "str    r0, [sp, #76]\n\t"                                                   \
  "ldrd   r1, r2, [sp, #80]\n\t"                                               \
  "ldr    r0, [sp, #40]\n\t"                                                   \
  "add    r1, r0, r1\n\t"                                                      \
  "str    r1, [sp, #40]\n\t"                                                   \
  "sub    r0, r1, r2\n\t"                                                      \
  "str    r0, [sp, #32]\n\t"                                                   \
  "ldr    r2, [sp, #88]\n\t"                                                   \
  "str    r2, [sp, #48]\n\t"                                                   \
  "ldr    r2, [sp, #204]\n\t"                                                  \
  "str    r2, [sp, #92]\n\t"                                                   \
  "cmp    r0, r1\n\t"                                                          \
  "beq    83b\n\t"                                                             \
  "b      60b\n"                                                               \
  "99:\n\t"                                                                    \
  "add    sp, sp, #" STEM8_STR(STEM8_FRAME) "\n\t"

static __attribute__((noinline)) void stem8_run(stem8_args *a) {
  register stem8_args *ar __asm__("r0") = a;
  __asm__ volatile(STEM8_RUN : "+r"(ar) : : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
                   "lr", "cc", "memory");
}

/* The parts of stem8_args a layer fixes. */
static void stem8_init(stem8_args *a, const tinyml_conv2d_dsp_params *p, const int16_t *weights) {
  const uint32_t pad = (uint32_t)p->pad_value & 0xFFFFu;
  a->w = weights;
  a->bias0 = p->bias;
  a->bias1 = p->bias + 8;
  a->rq[0] = p->rq;
  a->rq[1] = p->rq + 4;
  a->pad_hi = pad << 16;
  a->pad2 = pad | (pad << 16);
  a->rows = 0;
  a->row_adv = 0;
  a->span = 0;
  a->edge0 = 0;
  a->buf = 0;
}

/*
 * The first filter row of the call's first output row into a->buf as stem8_run leaves each row's
 * last for the next: per pair (the regular ones from pa to pa_end, then the edge pair when edge)
 * its eight column words, then (B's tail, A's tail). stem8_run then reads every pair's first
 * filter row from there and expands only the other two from the input. All of it is read before
 * the call writes anything: in place, this row's bytes are read earlier than the kernel read them.
 */
static void stem8_seed(const stem8_args *a) {
  const int8_t *r = a->pa;
  uint32_t *b = a->buf;
  for (; r != a->pa_end; r += 12, b += 9) {
    const uint32_t a0 = tinyml_ld32(r), a1 = tinyml_ld32(r + 4), b0 = tinyml_ld32(r + 6), b1 = tinyml_ld32(r + 10);
    b[0] = tinyml_sxtb16(a0);
    b[1] = tinyml_sxtb16(b0);
    b[2] = tinyml_sxtb16_ror8(a0);
    b[3] = tinyml_sxtb16_ror8(b0);
    b[4] = tinyml_sxtb16(a1);
    b[5] = tinyml_sxtb16(b1);
    b[6] = tinyml_sxtb16_ror8(a1);
    b[7] = tinyml_sxtb16_ror8(b1);
    b[8] = stem_half(r[14]) | ((uint32_t)(int32_t)r[8] << 16);
  }
  if (a->edge) {
    /* The edge pair: B's third pixel over the right edge, the zero point in its place (bytes 12-14). */
    const uint32_t a0 = tinyml_ld32(r), a1 = tinyml_ld32(r + 4), b0 = tinyml_ld32(r + 6);
    const uint32_t b1 = (uint32_t)(uint8_t)r[10] | ((uint32_t)(uint8_t)r[11] << 8);
    b[0] = tinyml_sxtb16(a0);
    b[1] = tinyml_sxtb16(b0);
    b[2] = tinyml_sxtb16_ror8(a0);
    b[3] = tinyml_sxtb16_ror8(b0);
    b[4] = tinyml_sxtb16(a1);
    b[5] = tinyml_sxtb16(b1) | a->pad_hi;
    b[6] = tinyml_sxtb16_ror8(a1);
    b[7] = tinyml_sxtb16_ror8(b1) | a->pad_hi;
    b[8] = (a->pad2 & 0xFFFFu) | ((uint32_t)(int32_t)r[8] << 16);
  }
}


/* First and last output index along one axis whose window [o * stride - pad, + filter) is inside [0, size). */
TINYML_DSP_INLINE void stem8_inside(int32_t size, int32_t stride, int32_t pad, int32_t outs, int32_t *lo, int32_t *hi) {
  *lo = (pad + stride - 1) / stride;
  *hi = size - 3 + pad < 0 ? -1 : (size - 3 + pad) / stride;
  if (*hi > outs - 1) *hi = outs - 1;
}

/* Most pairs stem8_layer gathers at once (three rows of 12 * 8 + 4 bytes on its frame). */
#define STEM8_GATHER_PAIRS 8
/* Most pairs of a row one stem8_run call takes (its first filter rows kept in stem8_layer's rowbuf:
 * 9 words each; VWW's row is 24 pairs). */
#define STEM8_ROW_PAIRS 24
/* Words of stem8_layer's gather buffer: STEM8_GATHER_PAIRS pairs' rows, or a row of the zero point
 * for the bottom row's pairs (12 bytes each and 16 more: the last pair's reads). */
#define STEM8_GATHER_WORDS \
  (3 * (3 * STEM8_GATHER_PAIRS + 1) > 3 * STEM8_ROW_PAIRS + 4 ? 3 * (3 * STEM8_GATHER_PAIRS + 1) : 3 * STEM8_ROW_PAIRS + 4)

/*
 * m <= STEM8_GATHER_PAIRS neighbouring pairs of stride-2 3x3 windows on three channels from
 * (iy0, ix0) on, as stem_gather_pair gathers one: the three rows' 12 * m + 3 bytes, 12 * m + 4
 * bytes a row in g, the zero point outside the image. A row inside the image is copied four
 * words a step and only its ends outside it are filled (a whole row of VWW's is 72 words).
 */
static void stem8_gather_run(const tinyml_conv2d_dsp_params *p, const int8_t *input, int32_t iy0, int32_t ix0,
                             int32_t m, uint32_t *g) {
  const int32_t w_in = p->geo.input_width;
  const int32_t words = 3 * m + 1;
  const int32_t span = 12 * m + 3;
  const int32_t lo = ix0 < 0 ? -3 * ix0 : 0;
  const int32_t right = 3 * (w_in - ix0);
  const int32_t hi = right < span ? right : span;
  const int8_t pad = (int8_t)p->pad_value;
  const uint32_t pad4 = (uint32_t)(uint8_t)pad * 0x01010101u;
  for (int32_t fy = 0; fy < 3; ++fy, g += words) {
    const int32_t iy = iy0 + fy;
    if (iy < 0 || iy >= p->geo.input_height || lo >= hi) {
      for (int32_t i = 0; i < words; ++i) g[i] = pad4;
      continue;
    }
    const int8_t *r = input + (iy * w_in + ix0) * 3;
    int8_t *d = (int8_t *)(void *)g;
    for (int32_t i = 0; i < lo; ++i) d[i] = pad;
    int32_t i = lo;
    for (; i + 16 <= hi; i += 16) {
      const uint32_t v0 = tinyml_ld32(r + i), v1 = tinyml_ld32(r + i + 4);
      const uint32_t v2 = tinyml_ld32(r + i + 8), v3 = tinyml_ld32(r + i + 12);
      tinyml_st32(d + i, v0);
      tinyml_st32(d + i + 4, v1);
      tinyml_st32(d + i + 8, v2);
      tinyml_st32(d + i + 12, v3);
    }
    for (; i + 4 <= hi; i += 4) tinyml_st32(d + i, tinyml_ld32(r + i));
    for (; i < hi; ++i) d[i] = r[i];
    for (; i < 4 * words; ++i) d[i] = pad;
  }
}

/*
 * A layer stem8_run takes (3x3 on three channels, eight channels, FOLDED without the sign
 * correction and no clamp, stride 2 across, an even output width: pairs never span two rows): per
 * output row, the pairs whose windows are both inside the image as one run, with the row's last
 * pair in it when only its window B's third column is over the right edge (VWW's), and with stride
 * 2 down the inside rows after it that way in the same call (each row's first filter row is the
 * last one of the row before, kept in rowbuf); every other pair with both windows gathered
 * (stem8_gather_run), a row over the top or bottom edge up to STEM8_GATHER_PAIRS pairs per call.
 * A bottom row whose third filter row alone is over the edge right after such whole rows (VWW's
 * last) runs on rowbuf as they left it, its second filter row read in place and its third from a
 * row of the zero point: nothing gathered.
 */
void tinyml_conv2d_s8_stem8_layer(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                  int8_t *output) {
  /* The output pixels whose windows lie inside the image: rows oy_lo..oy_hi, columns ox_lo..ox_hi. */
  struct {
    int32_t oy_lo, oy_hi, ox_lo, ox_hi, row;
  } in;
  stem8_inside(p->geo.input_height, p->geo.stride_height, p->geo.pad_height, p->geo.output_height, &in.oy_lo, &in.oy_hi);
  stem8_inside(p->geo.input_width, p->geo.stride_width, p->geo.pad_width, p->geo.output_width, &in.ox_lo, &in.ox_hi);
  in.row = p->geo.input_width * 3;
  const int32_t ow = p->geo.output_width;
  const int32_t last_x0 = (ow - 1) * p->geo.stride_width - p->geo.pad_width;
  const int32_t edge_ok = last_x0 >= 0 && last_x0 + 2 == p->geo.input_width;
  const int32_t in_size = p->geo.input_height * in.row;
  const int32_t down2 = p->geo.stride_height == 2;
  uint32_t gather[STEM8_GATHER_WORDS];
  uint32_t rowbuf[9 * STEM8_ROW_PAIRS];
  stem8_args a;
  stem8_init(&a, p, weights);
  a.buf = rowbuf;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in_b = input + b * in_size;
    int8_t *out = output + b * p->geo.output_height * ow * 8;
    /* rowbuf holds the last filter row of whole output row `chained` (-1: none), pairs as a.span, a.edge0. */
    int32_t chained = -1;
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
      const int32_t rows_in = oy >= in.oy_lo && oy <= in.oy_hi;
      int8_t *row_out = out + oy * ow * 8;
      int32_t ox = 0;
      if (down2 && chained >= 0 && chained == oy - 1 && !rows_in && iy0 >= 0 && iy0 + 2 == p->geo.input_height) {
        /* Row 0 from rowbuf; rows 1 and 2 at pa + row and pa + 2 row: the input's row iy0 + 1 and a
         * row of the zero point (the gather buffer), so pa is never read itself. */
        const uintptr_t r1 = (uintptr_t)(in_b + (iy0 + 1) * in.row - p->geo.pad_width * 3);
        const uintptr_t zp = (uintptr_t)gather;
        const int32_t words = (a.span + 12 * a.edge0 + 16) >> 2;
        const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
        for (int32_t i = 0; i < words; ++i) gather[i] = pad4;
        a.oa = row_out;
        a.pa = (const int8_t *)(2 * r1 - zp);
        a.row = (int32_t)(zp - r1);
        a.pa_end = (const int8_t *)(2 * r1 - zp + (uintptr_t)a.span);
        a.edge = a.edge0;
        a.rows = 0;
        stem8_run(&a);
        chained = -1;
        continue;
      }
      chained = -1;
      while (ox < ow) {
        a.oa = row_out + ox * 8;
        if (rows_in && ox >= in.ox_lo && ox < in.ox_hi) {
          /* Pixels ox .. nx - 1 inside, then the edge pair (nx, nx + 1) when it qualifies; at most
           * STEM8_ROW_PAIRS - 1 of them (the edge pair's place in rowbuf after them). */
          const int32_t k0 = (in.ox_hi - ox + 1) >> 1;
          const int32_t k = k0 < STEM8_ROW_PAIRS - 1 ? k0 : STEM8_ROW_PAIRS - 1;
          const int32_t nx = ox + 2 * k;
          const int32_t edge = edge_ok && k == k0 && nx == in.ox_hi && nx + 2 == ow;
          a.pa = in_b + iy0 * in.row + (2 * ox - p->geo.pad_width) * 3;
          a.row = in.row;
          a.pa_end = a.pa + 12 * k;
          a.edge = edge;
          a.rows = 0;
          a.span = 12 * k;
          a.edge0 = edge;
          if (ox == 0 && nx + 2 * edge == ow && down2) {
            /* The whole row, and each inside row after it the same way, in this one call. */
            a.rows = in.oy_hi - oy;
            a.row_adv = 2 * in.row;
            row_out += a.rows * ow * 8;
            oy += a.rows;
            chained = oy;
          }
          ox = nx + 2 * edge;
        } else {
          /* A row over the top or bottom edge up to STEM8_GATHER_PAIRS pairs at a time, else this pair. */
          const int32_t left = (ow - ox) >> 1;
          const int32_t m = !rows_in ? (left < STEM8_GATHER_PAIRS ? left : STEM8_GATHER_PAIRS) : 1;
          stem8_gather_run(p, in_b, iy0, 2 * ox - p->geo.pad_width, m, gather);
          a.pa = (const int8_t *)gather;
          a.row = 12 * m + 4;
          a.pa_end = a.pa + 12 * m;
          a.edge = 0;
          a.rows = 0;
          ox += 2 * m;
        }
        stem8_seed(&a);
        stem8_run(&a);
      }
    }
  }
}

/*
 * A pair of tinyml_conv2d_s8_stem_dsp_pair's (its caller checked the shape): on stem8_run where it
 * lies, with B's third column over the right edge where only that leaves the image, else both
 * windows gathered on this frame (rows of 16 bytes).
 */
void tinyml_conv2d_s8_stem8_pair(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                 int32_t oy, int32_t ox, int8_t *out) {
  const int32_t w_in = p->geo.input_width;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * 2 - p->geo.pad_width;
  const int32_t rows_in = iy0 >= 0 && iy0 + 3 <= p->geo.input_height;
  const int32_t inside = rows_in && ix0 >= 0 && ix0 + 5 <= w_in;
  uint32_t g[12];
  uint32_t rowbuf[9];
  stem8_args a;
  stem8_init(&a, p, weights);
  a.oa = out;
  a.pa = input + (iy0 * w_in + ix0) * 3;
  a.row = w_in * 3;
  a.edge = !inside && rows_in && ix0 >= 0 && ix0 + 5 == w_in + 1;
  if (!inside && !a.edge) {
    stem8_gather_run(p, input, iy0, ix0, 1, g);
    a.pa = (const int8_t *)g;
    a.row = 16;
  }
  a.pa_end = a.edge ? a.pa : a.pa + 12;
  a.buf = rowbuf;
  stem8_seed(&a);
  stem8_run(&a);
}
#endif
