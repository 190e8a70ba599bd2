/*
 * lut_conv2d_dsp.c - see lut_conv2d_dsp.h. Each byte of indices holds two 4-bit indices; a
 * 256-word table built once per layer maps it to both weights as a halfword pair, so four
 * multiply-accumulates cost two index bytes, two table words and two SMLADs, and the weights
 * are never expanded anywhere but in registers.
 */
#include "lut_conv2d_dsp.h"

#include "lut_dsp.h"
#include "../tinyml_conv_walk.h"

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/* (The asm uses r7, the frame pointer of unoptimized builds.) */
#define TINYML_LUT_MM_ASM 1
/* One group of four K indices against four columns: two index bytes, their two pair words
 * (r7 = the pair table), eight column words, eight SMLADs. */
#define TINYML_LUT_GROUP                \
  "ldrb   r9, [r12], #1\n\t"            \
  "ldrb   r10, [r12], #1\n\t"           \
  "ldr    r9, [r7, r9, lsl #2]\n\t"     \
  "ldr    r10, [r7, r10, lsl #2]\n\t"   \
  TINYML_DSP_ASM_COLS TINYML_DSP_ASM_SMLAD4("r9") TINYML_DSP_ASM_COLS TINYML_DSP_ASM_SMLAD4("r10")
#else
#define TINYML_LUT_MM_ASM 0
#endif

/* One output channel's indices (advancing *idx past them) against four columns. */
TINYML_DSP_INLINE void lut_dot_1x4(const uint32_t *cols, const uint8_t **idx, int32_t depth4, const uint32_t *pairs,
                                   int32_t *A0, int32_t *A1, int32_t *A2, int32_t *A3) {
#if TINYML_LUT_MM_ASM
  register int32_t a0 __asm__("r0") = 0;
  register int32_t a1 __asm__("r1") = 0;
  register int32_t a2 __asm__("r2") = 0;
  register int32_t a3 __asm__("r3") = 0;
  register const uint32_t *cp __asm__("r11") = cols;
  register const uint8_t *ip __asm__("r12") = *idx;
  register const uint32_t *pp __asm__("r7") = pairs;
  register int32_t n __asm__("lr") = depth4;
  /* Two groups per iteration; an odd one first. */
  __asm__ volatile("lsrs   lr, lr, #1\n\t"
                   "bcc    2f\n\t" TINYML_LUT_GROUP
                   "2:\n\t"
                   "beq    4f\n"
                   "3:\n\t" TINYML_LUT_GROUP TINYML_LUT_GROUP
                   "subs   lr, lr, #1\n\t"
                   "bne    3b\n"
                   "4:\n\t"
                   : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(cp), "+r"(ip), "+r"(n)
                   : "r"(pp)
                   : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory");
  *idx = ip;
#else
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const uint32_t *c = cols;
  const uint8_t *ip = *idx;
  for (int32_t g = 0; g < depth4; ++g) {
    const uint32_t we = pairs[ip[0]];
    const uint32_t wo = pairs[ip[1]];
    ip += 2;
    TINYML_DSP_GROUP_1X4(we, wo, c);
    c += 8;
  }
  *idx = ip;
#endif
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
}

#if TINYML_LUT_MM_ASM
/*
 * Every output channel against one block of four full columns, entirely in assembly (the row
 * loop of conv2d_dsp.c's mm_1x4_asm with the LUT group): the dot product keeps every register,
 * so the loop state lives in a frame pushed on the stack,
 *   [sp] columns  [4] groups (pairs of groups when EVEN)  [8] q records  [12] out  [16] out end
 *   [20] output depth  [24] output offset,
 * and each channel's record {bias', m, t, e} gives the accumulators' start value and, by one
 * LDM, the requantization constants. EVEN (an even number of groups, at least two) drops the
 * odd-group test of every channel. FAST or FAST_FOLDED requantization, the whole int8 range.
 */
#define LUT_MM_DOT_EVEN  \
  "3:\n\t" TINYML_LUT_GROUP TINYML_LUT_GROUP \
  "subs   lr, lr, #1\n\t"                    \
  "bne    3b\n\t"
#define LUT_MM_DOT_ANY                        \
  "lsrs   lr, lr, #1\n\t"                    \
  "bcc    2f\n\t" TINYML_LUT_GROUP            \
  "2:\n\t"                                   \
  "beq    4f\n"                               \
  "3:\n\t" TINYML_LUT_GROUP TINYML_LUT_GROUP \
  "subs   lr, lr, #1\n\t"                    \
  "bne    3b\n"                               \
  "4:\n\t"
/* Accumulator a requantized with m, t, e in r5, r6, r8 (and the output offset in r4 if OFF). */
#define LUT_MM_RQ(a, OFF)                  \
  "add    r10, r6, " a ", asr #31\n\t"    \
  "smmlar " a ", " a ", r5, r10\n\t"      \
  "asr    " a ", " a ", r8\n\t" OFF       \
  "ssat   " a ", #8, " a "\n\t"
/* The same without the sign correction (TINYML_RQ_NOFIX layers, see tinyml_dsp.h). */
#define LUT_MM_RQ_NF(a, OFF)               \
  "smmlar " a ", " a ", r5, r6\n\t"       \
  "asr    " a ", " a ", r8\n\t" OFF       \
  "ssat   " a ", #8, " a "\n\t"
/* The pieces both row loops share: the frame pushed and each channel's bias' loaded into r0 ... */
#define LUT_MM_ENTER                                  \
  "ldmia  r11, {r0, r1, r2, r3, r4, r5, r6}\n\t"      \
  "push   {r0, r1, r2, r3, r4, r5, r6}\n"              \
  "1:\n\t"                                            \
  "ldr    r9, [sp, #8]\n\t"                           \
  "ldr    r0, [r9]\n\t"
/* ... the dot product, leaving the record pointer in r9 ... */
#define LUT_MM_DOT_FROM_FRAME(DOT)  \
  "ldr    r11, [sp]\n\t"            \
  "ldr    lr, [sp, #4]\n\t" DOT     \
  "ldr    r9, [sp, #8]\n\t"
/* ... and, the outputs stored, the next channel until the out end (r9: out). */
#define LUT_MM_NEXT              \
  "add    r9, r9, #1\n\t"       \
  "str    r9, [sp, #12]\n\t"    \
  "ldr    r10, [sp, #16]\n\t"   \
  "cmp    r9, r10\n\t"          \
  "bne    1b\n\t"               \
  "add    sp, sp, #28\n\t"
#define LUT_MM_ROWS(DOT, OFF_LOAD, OFF, RQ)                                                               \
  LUT_MM_ENTER                                                                                         \
  "mov    r1, r0\n\t"                                                                                  \
  "mov    r2, r0\n\t"                                                                                  \
  "mov    r3, r0\n\t" LUT_MM_DOT_FROM_FRAME(DOT)                                                        \
  "ldmia  r9!, {r4, r5, r6, r8}\n\t"                                                                   \
  "str    r9, [sp, #8]\n\t" OFF_LOAD                                                                   \
  RQ("r0", OFF("r0")) RQ("r1", OFF("r1")) RQ("r2", OFF("r2")) RQ("r3", OFF("r3"))                        \
  "ldr    r9, [sp, #12]\n\t"                                                                           \
  "ldr    r10, [sp, #20]\n\t"                                                                          \
  "strb   r0, [r9]\n\t"                                                                                \
  "strb   r1, [r9, r10]\n\t"                                                                           \
  "add    r11, r9, r10, lsl #1\n\t"                                                                    \
  "strb   r2, [r11]\n\t"                                                                               \
  "strb   r3, [r11, r10]\n\t" LUT_MM_NEXT
#define LUT_MM_ADD_OFF(a) "add    " a ", " a ", r4\n\t"

/*
 * The pointwise kernel's blocks of six pixels: the same loop with six accumulators (r0-r5), each
 * group's columns read three words at a time (per group of four channels, the six (x0, x2) words
 * then the six (x1, x3) words), so that each looked-up pair serves six pixels: 21 instructions
 * per 24 MACs where four pixels take 15 per 16. The record's m, t, e land in r8, r10, lr.
 */
#define LUT_MM6_HALF(W)                  \
  "ldrb   " W ", [r12], #1\n\t"         \
  "ldr    " W ", [r7, " W ", lsl #2]\n\t" \
  "ldmia  r11!, {r6, r8, r10}\n\t"      \
  "smlad  r0, " W ", r6, r0\n\t"        \
  "smlad  r1, " W ", r8, r1\n\t"        \
  "smlad  r2, " W ", r10, r2\n\t"       \
  "ldmia  r11!, {r6, r8, r10}\n\t"      \
  "smlad  r3, " W ", r6, r3\n\t"        \
  "smlad  r4, " W ", r8, r4\n\t"        \
  "smlad  r5, " W ", r10, r5\n\t"
#define LUT_MM6_GROUP LUT_MM6_HALF("r9") LUT_MM6_HALF("r9")
#define LUT_MM6_DOT_EVEN \
  "3:\n\t" LUT_MM6_GROUP LUT_MM6_GROUP \
  "subs   lr, lr, #1\n\t"              \
  "bne    3b\n\t"
#define LUT_MM6_DOT_ANY                 \
  "lsrs   lr, lr, #1\n\t"              \
  "bcc    2f\n\t" LUT_MM6_GROUP         \
  "2:\n\t"                             \
  "beq    4f\n"                         \
  "3:\n\t" LUT_MM6_GROUP LUT_MM6_GROUP \
  "subs   lr, lr, #1\n\t"              \
  "bne    3b\n"                         \
  "4:\n\t"
#define LUT_MM6_RQ(a, OFF)                 \
  "add    r11, r10, " a ", asr #31\n\t"   \
  "smmlar " a ", " a ", r8, r11\n\t"      \
  "asr    " a ", " a ", lr\n\t" OFF       \
  "ssat   " a ", #8, " a "\n\t"
#define LUT_MM6_RQ_NF(a, OFF)              \
  "smmlar " a ", " a ", r8, r10\n\t"      \
  "asr    " a ", " a ", lr\n\t" OFF       \
  "ssat   " a ", #8, " a "\n\t"
#define LUT_MM6_ROWS(DOT, OFF_LOAD, OFF, RQ)                                                          \
  LUT_MM_ENTER                                                                                         \
  "mov    r1, r0\n\t"                                                                                  \
  "mov    r2, r0\n\t"                                                                                  \
  "mov    r3, r0\n\t"                                                                                  \
  "mov    r4, r0\n\t"                                                                                  \
  "mov    r5, r0\n\t" LUT_MM_DOT_FROM_FRAME(DOT)                                                        \
  "ldmia  r9!, {r6, r8, r10, lr}\n\t"                                                                  \
  "str    r9, [sp, #8]\n\t" OFF_LOAD                                                                   \
  RQ("r0", OFF("r0")) RQ("r1", OFF("r1")) RQ("r2", OFF("r2"))                                          \
  RQ("r3", OFF("r3")) RQ("r4", OFF("r4")) RQ("r5", OFF("r5"))                                          \
  "ldr    r9, [sp, #12]\n\t"                                                                           \
  "ldr    r11, [sp, #20]\n\t"                                                                          \
  "strb   r0, [r9]\n\t"                                                                                \
  "strb   r1, [r9, r11]\n\t"                                                                           \
  "add    r10, r9, r11, lsl #1\n\t"                                                                    \
  "strb   r2, [r10]\n\t"                                                                               \
  "strb   r3, [r10, r11]\n\t"                                                                          \
  "add    r10, r10, r11, lsl #1\n\t"                                                                   \
  "strb   r4, [r10]\n\t"                                                                               \
  "strb   r5, [r10, r11]\n\t" LUT_MM_NEXT
#define LUT_MM6_ADD_OFF(a) "add    " a ", " a ", r6\n\t"
#define LUT_MM_NO_OFF(a) ""
/* One asm statement per variant: ROWS with the DOT and the output offset of the mode. */
#define LUT_MM_ASM(ROWS, DOT, OFF_LOAD, OFF, RQ)                                                    \
  __asm__ volatile(ROWS(DOT, OFF_LOAD, OFF, RQ)                                                     \
                   : "+r"(fr), "+r"(ip)                                                              \
                   : "r"(pp)                                                                         \
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "lr", "cc", "memory")
/* FAST_FOLDED (no offset) or FAST (OFF_REG loaded from the frame, added by ADD_OFF); RQ the
 * requantization (RQ_NF without the sign correction when nf, TINYML_RQ_NOFIX). */
#define LUT_MM_MODES(ROWS, DOT, OFF_LOAD, ADD_OFF, RQ, RQ_NF) \
  if (folded && nf) {                                         \
    LUT_MM_ASM(ROWS, DOT, "", LUT_MM_NO_OFF, RQ_NF);          \
  } else if (folded) {                                        \
    LUT_MM_ASM(ROWS, DOT, "", LUT_MM_NO_OFF, RQ);             \
  } else if (nf) {                                            \
    LUT_MM_ASM(ROWS, DOT, OFF_LOAD, ADD_OFF, RQ_NF);          \
  } else {                                                    \
    LUT_MM_ASM(ROWS, DOT, OFF_LOAD, ADD_OFF, RQ);             \
  }

/* Every output channel against one block of four (SIX: six) columns: the loops above. One copy
 * with the sign correction (lut_mm_asm) and one without (lut_mm_asm_nf), each linked when used. */
TINYML_DSP_INLINE void lut_mm_asm_body(const int32_t *frame, const uint8_t *idx, const uint32_t *pairs, const int six,
                                       const int even, const int folded, const int nf) {
  register const int32_t *fr __asm__("r11") = frame;
  register const uint8_t *ip __asm__("r12") = idx;
  register const uint32_t *pp __asm__("r7") = pairs;
  if (six) {
    if (even) {
      LUT_MM_MODES(LUT_MM6_ROWS, LUT_MM6_DOT_EVEN, "ldr    r6, [sp, #24]\n\t", LUT_MM6_ADD_OFF, LUT_MM6_RQ, LUT_MM6_RQ_NF)
    } else {
      LUT_MM_MODES(LUT_MM6_ROWS, LUT_MM6_DOT_ANY, "ldr    r6, [sp, #24]\n\t", LUT_MM6_ADD_OFF, LUT_MM6_RQ, LUT_MM6_RQ_NF)
    }
  } else {
    if (even) {
      LUT_MM_MODES(LUT_MM_ROWS, LUT_MM_DOT_EVEN, "ldr    r4, [sp, #24]\n\t", LUT_MM_ADD_OFF, LUT_MM_RQ, LUT_MM_RQ_NF)
    } else {
      LUT_MM_MODES(LUT_MM_ROWS, LUT_MM_DOT_ANY, "ldr    r4, [sp, #24]\n\t", LUT_MM_ADD_OFF, LUT_MM_RQ, LUT_MM_RQ_NF)
    }
  }
}
static void lut_mm_asm(const int32_t *frame, const uint8_t *idx, const uint32_t *pairs, const int six, const int even,
                       const int folded) {
  lut_mm_asm_body(frame, idx, pairs, six, even, folded, 0);
}
static void lut_mm_asm_nf(const int32_t *frame, const uint8_t *idx, const uint32_t *pairs, const int six,
                          const int even, const int folded) {
  lut_mm_asm_body(frame, idx, pairs, six, even, folded, 1);
}
/* The copy of MODE (a constant in the callers). */
#define LUT_MM_ASM_OF(MODE) (TINYML_RQ_NF(MODE) ? lut_mm_asm_nf : lut_mm_asm)
#undef LUT_MM_MODES
#undef LUT_MM_NO_OFF
#undef LUT_MM6_ADD_OFF
#undef LUT_MM6_ROWS
#undef LUT_MM6_RQ
#undef LUT_MM6_RQ_NF
#undef LUT_MM6_DOT_ANY
#undef LUT_MM6_DOT_EVEN
#undef LUT_MM6_GROUP
#undef LUT_MM6_HALF
#undef LUT_MM_ASM
#undef LUT_MM_ADD_OFF
#undef LUT_MM_ROWS
#undef LUT_MM_NEXT
#undef LUT_MM_DOT_FROM_FRAME
#undef LUT_MM_ENTER
#undef LUT_MM_RQ
#undef LUT_MM_RQ_NF
#undef LUT_MM_DOT_ANY
#undef LUT_MM_DOT_EVEN
#endif

#if TINYML_LUT_MM_ASM
/*
 * Pointwise rows decoded once per super-block (lut_pw_rows_asm): the LUT loops above look each
 * weight pair up again for every block of pixels (two instructions per pair and block), which
 * left the clustered pointwise layers 1.2-1.3x their int8 twins. Here each output channel's row
 * is looked up once into an int16 row in scratch, {bias' x4, (w0, w2), (w1, w3) per group, m, t,
 * e}: the int8 kernel's int16 stream (conv2d_dsp.c, W16), which the channel's blocks of four
 * pixels then read with one LDRD per group, as the int8 rows do, against the columns of up to
 * `blocks` blocks expanded once. Per channel and super-block the look-up costs about 2.4
 * instructions a pair; per block, the int8 row's instructions.
 *
 * The frame (copied to the stack, sp-relative; the channel loop state lives there):
 *   [0] columns  [4] indices  [8] q records  [12] out (this channel's)  [16] out end  [20] n_out
 *   [24] 3 n_out  [28] columns end  [32] first jump  [36] after the body  [40] output offset
 *   [44] pair table  [48] k4  [52] row end  [56] row  [60] tail pixels (LUT_PW_TAIL)
 * From C, [32] is the bytes of BODY the first pass runs and [36] 1 when a row takes more than one
 * pass of BODY (32 groups); the setup turns them into code addresses (Thumb bit set).
 */
#define LUT_PW_GROUPS16(G) G G G G G G G G G G G G G G G G
/* BODY of the rows that take more than one pass: 32 groups (VWW's 128-channel rows pass once, its
 * 256-channel rows twice: four instructions a pass saved per block, 704 bytes of code). */
#define LUT_PW_GROUPS32(G) LUT_PW_GROUPS16(G) LUT_PW_GROUPS16(G)
/* One group of the decoded row (r9, r10 by one LDRD) against four columns: 44 bytes. */
#define LUT_PW_GROUP_BYTES "44"
#define LUT_PW_PUSH                                        \
  "add    r7, r7, #32\n\t"                                \
  "ldmia  r7, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"       \
  "push   {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"           \
  "sub    r7, r7, #32\n\t"                                \
  "ldmia  r7, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"       \
  "push   {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"
/* The jump addresses (ADR: TINYML_ROWS_ADR_ALIGN's rule in conv2d_dsp.c, the section 4-aligned). */
#define LUT_PW_SETUP                  \
  ".p2align 2\n\t"                    \
  "adr.w  r10, 29f\n\t"               \
  "ldr    r9, [sp, #32]\n\t"          \
  "sub    r9, r10, r9\n\t"            \
  "orr    r9, r9, #1\n\t"             \
  "str    r9, [sp, #32]\n\t"          \
  "adr.w  r10, 23f\n\t"               \
  "adr.w  r9, 22f\n\t"                \
  "ldr    r8, [sp, #36]\n\t"          \
  "cmp    r8, #0\n\t"                 \
  "it     eq\n\t"                     \
  "moveq  r10, r9\n\t"                \
  "orr    r10, r10, #1\n\t"           \
  "str    r10, [sp, #36]\n\t"
/* Index byte in R looked up in the pair table (r7). */
#define LUT_PW_LOOK(R) "ldr    " R ", [r7, " R ", lsl #2]\n\t"
/*
 * A channel's row decoded (r12 its indices, r11 where its pair words go): k4's low bits first
 * (one group, then two), then four groups per iteration, each index byte one LDRB (no word load
 * and UXTB: 19 instructions per eight pair words instead of 21); then
 * its record {bias', m, t, e}: m, t, e after the row, bias' four times before it. The rows of a
 * known k4 (LUT_PW_ROWS_N) decode without the bit tests (LUT_PW_DECODE_N).
 */
#define LUT_PW_DEC_HEAD                                                                            \
  "ldr    r12, [sp, #4]\n\t"                                                                      \
  "ldr    r7, [sp, #44]\n\t"                                                                      \
  "ldr    r11, [sp, #56]\n\t"                                                                     \
  "add    r11, r11, #16\n\t"
/* Two groups' four index bytes to their pair words. */
#define LUT_PW_DEC_2                                                                               \
  "ldrb   r0, [r12], #1\n\t"                                                                     \
  "ldrb   r1, [r12], #1\n\t"                                                                     \
  "ldrb   r2, [r12], #1\n\t"                                                                     \
  "ldrb   r3, [r12], #1\n\t" LUT_PW_LOOK("r0") LUT_PW_LOOK("r1") LUT_PW_LOOK("r2") LUT_PW_LOOK("r3") \
  "stmia  r11!, {r0, r1, r2, r3}\n\t"
/* Four groups'. */
#define LUT_PW_DEC_4                                                                               \
  "ldrb   r0, [r12], #1\n\t"                                                                     \
  "ldrb   r1, [r12], #1\n\t"                                                                     \
  "ldrb   r2, [r12], #1\n\t"                                                                     \
  "ldrb   r3, [r12], #1\n\t"                                                                     \
  "ldrb   r4, [r12], #1\n\t"                                                                     \
  "ldrb   r5, [r12], #1\n\t"                                                                     \
  "ldrb   r6, [r12], #1\n\t"                                                                     \
  "ldrb   r8, [r12], #1\n\t" LUT_PW_LOOK("r0") LUT_PW_LOOK("r1") LUT_PW_LOOK("r2") LUT_PW_LOOK("r3") \
  LUT_PW_LOOK("r4") LUT_PW_LOOK("r5") LUT_PW_LOOK("r6") LUT_PW_LOOK("r8")                          \
  "stmia  r11!, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"
#define LUT_PW_DEC_LOOP4 \
  "8:\n\t" LUT_PW_DEC_4  \
  "subs   lr, lr, #1\n\t" \
  "bne    8b\n"
#define LUT_PW_DEC_RECORD                                                                          \
  "str    r12, [sp, #4]\n\t"                                                                      \
  "ldr    r9, [sp, #8]\n\t"                                                                       \
  "ldmia  r9!, {r0, r1, r2, r3}\n\t"                                                              \
  "str    r9, [sp, #8]\n\t"                                                                       \
  "stmia  r11, {r1, r2, r3}\n\t"                                                                  \
  "mov    r1, r0\n\t"                                                                             \
  "mov    r2, r0\n\t"                                                                             \
  "mov    r3, r0\n\t"                                                                             \
  "ldr    r12, [sp, #56]\n\t"                                                                     \
  "stmia  r12, {r0, r1, r2, r3}\n\t"
#define LUT_PW_DECODE                                                                              \
  LUT_PW_DEC_HEAD                                                                                 \
  "ldr    lr, [sp, #48]\n\t"                                                                      \
  "lsrs   lr, lr, #1\n\t"                                                                         \
  "bcc    6f\n\t"                                                                                 \
  "ldrb   r0, [r12], #1\n\t"                                                                      \
  "ldrb   r1, [r12], #1\n\t" LUT_PW_LOOK("r0") LUT_PW_LOOK("r1")                                  \
  "stmia  r11!, {r0, r1}\n"                                                                       \
  "6:\n\t"                                                                                        \
  "lsrs   lr, lr, #1\n\t"                                                                         \
  "bcc    7f\n\t" LUT_PW_DEC_2                                                                    \
  "7:\n\t"                                                                                        \
  "beq    9f\n" LUT_PW_DEC_LOOP4                                                                  \
  "9:\n\t" LUT_PW_DEC_RECORD
/* k4 = N, a constant: 2 and 4 straight, 8 and 16 the loop of four groups two or four times. */
#define LUT_PW_DECODE_2 LUT_PW_DEC_HEAD LUT_PW_DEC_2 LUT_PW_DEC_RECORD
#define LUT_PW_DECODE_4 LUT_PW_DEC_HEAD LUT_PW_DEC_4 LUT_PW_DEC_RECORD
#define LUT_PW_DECODE_8 LUT_PW_DEC_HEAD "mov    lr, #2\n" LUT_PW_DEC_LOOP4 LUT_PW_DEC_RECORD
#define LUT_PW_DECODE_16 LUT_PW_DEC_HEAD "mov    lr, #4\n" LUT_PW_DEC_LOOP4 LUT_PW_DEC_RECORD
/*
 * The channel's blocks: from bias' x4 (one LDM), the computed entry into BODY, the record (one
 * LDM of m, t, e), the requantization, four stores (lr = n_out; 3 n_out and the columns' end by
 * one LDRD), until the columns end. ENTER and LEAVE are the jumps into BODY and out of it (a row
 * of exactly 16 groups, as in KWS, runs a 16-group BODY and falls through both: LUT_PW_ROWS_ONE).
 */
#define LUT_PW_BLOCKS_(ENTER, LEAVE, RQ4, GROUPS, N)                                            \
  "ldr    r11, [sp, #0]\n\t"                                                                  \
  "ldr    r7, [sp, #12]\n\t"                                                                  \
  "ldr    lr, [sp, #20]\n"                                                                    \
  "5:\n\t"                                                                                    \
  "ldr    r12, [sp, #56]\n\t"                                                                 \
  "ldmia  r12!, {r0, r1, r2, r3}\n\t" ENTER                                                   \
  "28:\n\t" GROUPS(TINYML_DSP_ASM_GROUP_W16)                                                   \
  "29:\n\t"                                                                                   \
  ".if (29b - 28b) != " N "*" LUT_PW_GROUP_BYTES "\n\t"                                       \
  ".error \"lut_conv2d_dsp.c: an instruction of the unrolled body is not 32 bits wide\"\n\t"  \
  ".endif\n\t" LEAVE                                                                          \
  "ldmia  r12, {r4, r5, r6}\n\t" RQ4                                                          \
  "ldrd   r9, r10, [sp, #24]\n\t"                                                             \
  "strb   r1, [r7, lr]\n\t"                                                                   \
  "strb   r2, [r7, lr, lsl #1]\n\t"                                                           \
  "strb   r3, [r7, r9]\n\t"                                                                   \
  "strb   r0, [r7]\n\t"                                                                       \
  "add    r7, r7, lr, lsl #2\n\t"                                                             \
  "cmp    r11, r10\n\t"                                                                       \
  "bne    5b\n\t"
#define LUT_PW_ENTER "ldr    pc, [sp, #32]\n"
#define LUT_PW_LEAVE        \
  "ldr    pc, [sp, #36]\n"  \
  "23:\n\t"                 \
  "ldr    r10, [sp, #52]\n\t" \
  "cmp    r12, r10\n\t"     \
  "bne    28b\n"            \
  "22:\n\t"
/*
 * The layer's last pixels % 4 (frame [60]; only in its last super-block, else 0), each alone
 * against the channel's decoded row still in scratch: their columns (two words a group) follow
 * the blocks' (r11 there after the blocks), and r7 is at the first one's output. An odd k4's
 * first group alone (one LDRD of the row, one of the column, two SMLADs), then two groups per
 * step: one LDM of four row words, two LDRDs of the column, four SMLADs (4.5 instructions a
 * group instead of 6: VWW's 3x3 layers run every channel's ninth pixel here).
 */
#define LUT_PW_TAIL(RQ1)               \
  "ldr    r8, [sp, #60]\n\t"           \
  "cmp    r8, #0\n\t"                  \
  "beq    26f\n"                        \
  "25:\n\t"                             \
  "ldr    r12, [sp, #56]\n\t"          \
  "ldr    r0, [r12], #16\n\t"          \
  "ldr    r6, [sp, #52]\n\t"           \
  "ldr    r1, [sp, #48]\n\t"           \
  "lsrs   r1, r1, #1\n\t"              \
  "bcc    24f\n\t"                     \
  "ldrd   r9, r10, [r12], #8\n\t"      \
  "ldrd   r4, r5, [r11], #8\n\t"       \
  "smlad  r0, r9, r4, r0\n\t"          \
  "smlad  r0, r10, r5, r0\n\t"         \
  "beq    27f\n"                        \
  "24:\n\t"                             \
  "ldmia  r12!, {r1, r2, r3, r4}\n\t"  \
  "ldrd   r5, r9, [r11], #8\n\t"       \
  "smlad  r0, r1, r5, r0\n\t"          \
  "smlad  r0, r2, r9, r0\n\t"          \
  "ldrd   r5, r9, [r11], #8\n\t"       \
  "smlad  r0, r3, r5, r0\n\t"          \
  "smlad  r0, r4, r9, r0\n\t"          \
  "cmp    r12, r6\n\t"                 \
  "bne    24b\n"                        \
  "27:\n\t"                             \
  "ldmia  r12, {r4, r5, r6}\n\t" RQ1   \
  "strb   r0, [r7]\n\t"                \
  "add    r7, r7, lr\n\t"              \
  "subs   r8, r8, #1\n\t"              \
  "bne    25b\n"                        \
  "26:\n\t"
/* The next channel until the out end, then the frame dropped. */
#define LUT_PW_NEXT           \
  "ldr    r7, [sp, #12]\n\t" \
  "add    r7, r7, #1\n\t"    \
  "str    r7, [sp, #12]\n\t" \
  "ldr    r8, [sp, #16]\n\t" \
  "cmp    r7, r8\n\t"        \
  "bne    1b\n\t"            \
  "add    sp, sp, #64\n\t"
/*
 * m, t, e in r4 r5 r6 (the registers of RQ: TINYML_DSP_ASM_RQ, or TINYML_DSP_ASM_RQ_NF without the
 * sign correction for TINYML_RQ_NOFIX layers); FAST adds the output offset (r8, r9 for one).
 */
#define LUT_PW_RQ4_FOLDED_(RQ) RQ("r0", "") RQ("r1", "") RQ("r2", "") RQ("r3", "")
#define LUT_PW_RQ4_FAST_(RQ)                                                                               \
  "ldr    r8, [sp, #40]\n\t" RQ("r0", "add    r0, r0, r8\n\t") RQ("r1", "add    r1, r1, r8\n\t")          \
  RQ("r2", "add    r2, r2, r8\n\t") RQ("r3", "add    r3, r3, r8\n\t")
#define LUT_PW_RQ1_FAST_(RQ) "ldr    r9, [sp, #40]\n\t" RQ("r0", "add    r0, r0, r9\n\t")
#define LUT_PW_RQ4_FOLDED LUT_PW_RQ4_FOLDED_(TINYML_DSP_ASM_RQ)
#define LUT_PW_RQ4_FAST LUT_PW_RQ4_FAST_(TINYML_DSP_ASM_RQ)
#define LUT_PW_RQ1_FOLDED TINYML_DSP_ASM_RQ("r0", "")
#define LUT_PW_RQ1_FAST LUT_PW_RQ1_FAST_(TINYML_DSP_ASM_RQ)
#define LUT_PW_RQ4_FOLDED_NF LUT_PW_RQ4_FOLDED_(TINYML_DSP_ASM_RQ_NF)
#define LUT_PW_RQ4_FAST_NF LUT_PW_RQ4_FAST_(TINYML_DSP_ASM_RQ_NF)
#define LUT_PW_RQ1_FOLDED_NF TINYML_DSP_ASM_RQ_NF("r0", "")
#define LUT_PW_RQ1_FAST_NF LUT_PW_RQ1_FAST_(TINYML_DSP_ASM_RQ_NF)
#define LUT_PW_ROWS(RQ4, RQ1) \
  LUT_PW_PUSH LUT_PW_SETUP "1:\n\t" LUT_PW_DECODE LUT_PW_BLOCKS_(LUT_PW_ENTER, LUT_PW_LEAVE, RQ4, LUT_PW_GROUPS32, "32") LUT_PW_TAIL(RQ1) LUT_PW_NEXT
/* A row of exactly N groups, GROUPS its body: no jump addresses to compute either. */
#define LUT_PW_ROWS_N(RQ4, RQ1, GROUPS, N, DECODE) \
  LUT_PW_PUSH "1:\n\t" DECODE LUT_PW_BLOCKS_("", "", RQ4, GROUPS, N) LUT_PW_TAIL(RQ1) LUT_PW_NEXT
#define LUT_PW_ROWS_ONE(RQ4, RQ1) LUT_PW_ROWS_N(RQ4, RQ1, LUT_PW_GROUPS16, "16", LUT_PW_DECODE_16)
#define LUT_PW_GROUPS2(G) G G
#define LUT_PW_GROUPS4(G) G G G G
#define LUT_PW_GROUPS8(G) LUT_PW_GROUPS4(G) LUT_PW_GROUPS4(G)
/* The FOLDED rows (the usual mode) of exactly 2, 4 or 8 groups too (VWW's 8-, 16- and 32-channel
 * inputs: 2 instructions a block fewer, the entry and exit jumps), as conv2d_dsp.c's int16 rows. */
#define LUT_PW_ROWS_FOLDED(RQ4, RQ1)                                        \
  if (straight == 16) {                                                     \
    LUT_PW_ASM(LUT_PW_ROWS_ONE(RQ4, RQ1));                                  \
  } else if (straight == 8) {                                               \
    LUT_PW_ASM(LUT_PW_ROWS_N(RQ4, RQ1, LUT_PW_GROUPS8, "8", LUT_PW_DECODE_8));               \
  } else if (straight == 4) {                                               \
    LUT_PW_ASM(LUT_PW_ROWS_N(RQ4, RQ1, LUT_PW_GROUPS4, "4", LUT_PW_DECODE_4));               \
  } else if (straight == 2) {                                               \
    LUT_PW_ASM(LUT_PW_ROWS_N(RQ4, RQ1, LUT_PW_GROUPS2, "2", LUT_PW_DECODE_2));               \
  } else {                                                                  \
    LUT_PW_ASM(LUT_PW_ROWS(RQ4, RQ1));                                      \
  }
#define LUT_PW_ASM(ROWS)                                                                                  \
  __asm__ volatile(ROWS                                                                                   \
                   : "+r"(fr)                                                                             \
                   :                                                                                      \
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory")

/*
 * Inlined into each entry point (the mode a constant there): a model links the loops it runs.
 * straight: k4 when a straight copy runs it (16; FOLDED also 8, 4, 2), else 0.
 */
TINYML_DSP_INLINE void lut_pw_rows_asm(const int32_t *frame, const int folded, const int straight, const int nf) {
  register const int32_t *fr __asm__("r7") = frame;
  const int one = straight == 16;
  if (nf && folded) {
    LUT_PW_ROWS_FOLDED(LUT_PW_RQ4_FOLDED_NF, LUT_PW_RQ1_FOLDED_NF)
  } else if (nf && one) {
    LUT_PW_ASM(LUT_PW_ROWS_ONE(LUT_PW_RQ4_FAST_NF, LUT_PW_RQ1_FAST_NF));
  } else if (nf) {
    LUT_PW_ASM(LUT_PW_ROWS(LUT_PW_RQ4_FAST_NF, LUT_PW_RQ1_FAST_NF));
  } else if (folded) {
    LUT_PW_ROWS_FOLDED(LUT_PW_RQ4_FOLDED, LUT_PW_RQ1_FOLDED)
  } else if (one) {
    LUT_PW_ASM(LUT_PW_ROWS_ONE(LUT_PW_RQ4_FAST, LUT_PW_RQ1_FAST));
  } else {
    LUT_PW_ASM(LUT_PW_ROWS(LUT_PW_RQ4_FAST, LUT_PW_RQ1_FAST));
  }
}
#undef LUT_PW_ASM
#undef LUT_PW_ROWS_FOLDED
#undef LUT_PW_GROUPS8
#undef LUT_PW_GROUPS4
#undef LUT_PW_GROUPS2
#undef LUT_PW_ROWS_ONE
#undef LUT_PW_ROWS_N
#undef LUT_PW_LEAVE
#undef LUT_PW_ENTER
#undef LUT_PW_ROWS
#undef LUT_PW_RQ1_FAST
#undef LUT_PW_RQ1_FOLDED
#undef LUT_PW_TAIL
#undef LUT_PW_RQ4_FAST
#undef LUT_PW_RQ4_FOLDED
#undef LUT_PW_RQ4_FOLDED_NF
#undef LUT_PW_RQ4_FAST_NF
#undef LUT_PW_RQ1_FOLDED_NF
#undef LUT_PW_RQ1_FAST_NF
#undef LUT_PW_RQ4_FOLDED_
#undef LUT_PW_RQ4_FAST_
#undef LUT_PW_RQ1_FAST_
#undef LUT_PW_NEXT
#undef LUT_PW_BLOCKS_
#undef LUT_PW_DECODE
#undef LUT_PW_DECODE_2
#undef LUT_PW_DECODE_4
#undef LUT_PW_DECODE_8
#undef LUT_PW_DECODE_16
#undef LUT_PW_DEC_RECORD
#undef LUT_PW_DEC_LOOP4
#undef LUT_PW_DEC_4
#undef LUT_PW_DEC_2
#undef LUT_PW_DEC_HEAD
#undef LUT_PW_LOOK
#undef LUT_PW_SETUP
#undef LUT_PW_PUSH
#undef LUT_PW_GROUP_BYTES
#undef LUT_PW_GROUPS32
#undef LUT_PW_GROUPS16

/*
 * The columns of nb blocks of four pixels from src (depth bytes a pixel, a multiple of 4): per
 * block and group of four channels, the four pixels' (x0, x2) words then their (x1, x3) words,
 * each group four loads, eight SXTB16s and two STMs (the C loop took about twice that).
 */
static void lut_pw_cols(uint32_t *cols, const int8_t *src, int32_t depth, int32_t nb) {
  register const int8_t *s __asm__("r0") = src;
  register int32_t d __asm__("r1") = depth;
  register int32_t d3 __asm__("r2") = 3 * depth;
  register uint32_t *c __asm__("r3") = cols;
  register int32_t n __asm__("r7") = nb;
  __asm__ volatile("1:\n\t"
                   "lsr    lr, r1, #2\n"
                   "2:\n\t"
                   "ldr    r4, [r0]\n\t"
                   "ldr    r5, [r0, r1]\n\t"
                   "ldr    r6, [r0, r1, lsl #1]\n\t"
                   "ldr    r8, [r0, r2]\n\t"
                   "add    r0, r0, #4\n\t"
                   "sxtb16 r9, r4, ror #8\n\t"
                   "sxtb16 r10, r5, ror #8\n\t"
                   "sxtb16 r11, r6, ror #8\n\t"
                   "sxtb16 r12, r8, ror #8\n\t"
                   "sxtb16 r4, r4\n\t"
                   "sxtb16 r5, r5\n\t"
                   "sxtb16 r6, r6\n\t"
                   "sxtb16 r8, r8\n\t"
                   "stmia  r3!, {r4, r5, r6, r8}\n\t"
                   "stmia  r3!, {r9, r10, r11, r12}\n\t"
                   "subs   lr, lr, #1\n\t"
                   "bne    2b\n\t"
                   "add    r0, r0, r2\n\t"
                   "subs   r7, r7, #1\n\t"
                   "bne    1b\n\t"
                   : "+r"(s), "+r"(c), "+r"(n)
                   : "r"(d), "r"(d3)
                   : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}

/*
 * The pointwise pixels in super-blocks of up to `blocks` blocks of four (the generator's choice,
 * rq->pw_blocks: as many as its scratch holds), the columns of each expanded once, then every
 * channel's row decoded and run over them (lut_pw_rows_asm), the last pixels % 4 with the last
 * super-block. Returns the pixels done (all of them).
 */
TINYML_DSP_INLINE int32_t lut_pw_superblocks(const tinyml_conv2d_params *p, const int8_t *input,
                                             const uint8_t *idx, const int32_t *q, int8_t *output,
                                             const uint32_t *pairs, uint32_t *row, int32_t k4, int32_t blocks,
                                             const int folded, const int nf) {
  uint32_t *cols = row + TINYML_LUT4_PW_ROW_WORDS(k4);
  const int32_t pixels = p->geo.batches * p->geo.output_height * p->geo.output_width;
  const int32_t depth = p->geo.input_depth;
  const int32_t od = p->geo.output_depth;
  const int32_t whole = pixels & ~3;
  /* First pass of BODY: (k4 - 1) % 32 + 1 groups of 44 bytes; more passes when k4 > 32. */
  const int32_t first = (((k4 - 1) & 31) + 1) * 44;
  int32_t px = 0;
  while (px < whole) {
    const int32_t nb = (whole - px) >> 2 < blocks ? (whole - px) >> 2 : blocks;
    lut_pw_cols(cols, input + px * depth, depth, nb);
    /* The layer's last pixels % 4 with its last super-block: each pixel's columns, two words a group. */
    const int32_t tail = px + 4 * nb == whole ? pixels - whole : 0;
    for (int32_t t = 0; t < tail; ++t) {
      const int8_t *src = input + (whole + t) * depth;
      uint32_t *c = cols + 8 * k4 * nb + 2 * k4 * t;
      for (int32_t g = 0; g < k4; ++g, c += 2, src += 4) {
        const uint32_t v = tinyml_ld32(src);
        c[0] = tinyml_sxtb16(v);
        c[1] = tinyml_sxtb16_ror8(v);
      }
    }
    int8_t *o = output + px * od;
    /* Every word set one by one: an initializer that zeroes the rest calls memset. */
    int32_t frame[16];
    frame[0] = (int32_t)(intptr_t)cols;
    frame[1] = (int32_t)(intptr_t)idx;
    frame[2] = (int32_t)(intptr_t)q;
    frame[3] = (int32_t)(intptr_t)o;
    frame[4] = (int32_t)(intptr_t)(o + od);
    frame[5] = od;
    frame[6] = 3 * od;
    frame[7] = (int32_t)(intptr_t)(cols + 8 * k4 * nb);
    frame[8] = first;
    frame[9] = k4 > 32;
    frame[10] = p->q.output_offset;
    frame[11] = (int32_t)(intptr_t)pairs;
    frame[12] = k4;
    frame[13] = (int32_t)(intptr_t)(row + 4 + 2 * k4);
    frame[14] = (int32_t)(intptr_t)row;
    frame[15] = tail;
    lut_pw_rows_asm(frame, folded, k4 == 16 || (folded && (k4 == 8 || k4 == 4 || k4 == 2)) ? k4 : 0, nf);
    px += 4 * nb + tail;
  }
  return px;
}
#endif

/*
 * One output channel's indices (advancing *idx past them) against column 0 of the block (words
 * 8g and 8g + 4 of group g), from acc: two groups per step, the pointers stepped once.
 */
TINYML_DSP_INLINE int32_t lut_dot_1x1(const uint32_t *cols, const uint8_t **idx, int32_t k4, const uint32_t *pairs,
                                      int32_t acc) {
  const uint8_t *ip = *idx;
  const uint32_t *c = cols;
  int32_t g = k4;
  for (; g >= 2; g -= 2, ip += 4, c += 16) {
    acc = tinyml_smlad(pairs[ip[0]], c[0], acc);
    acc = tinyml_smlad(pairs[ip[1]], c[4], acc);
    acc = tinyml_smlad(pairs[ip[2]], c[8], acc);
    acc = tinyml_smlad(pairs[ip[3]], c[12], acc);
  }
  if (g) {
    acc = tinyml_smlad(pairs[ip[0]], c[0], acc);
    acc = tinyml_smlad(pairs[ip[1]], c[4], acc);
    ip += 2;
  }
  *idx = ip;
  return acc;
}

/* A window that leaves the image, as bytes: each tap's cin inputs, or the input zero point. */
static void lut_col_border(const tinyml_conv2d_params *p, const int8_t *input, int8_t *d, int32_t b, int32_t in_y0,
                           int32_t in_x0, int8_t zp) {
  const int32_t cin = p->geo.filter_input_depth;
  for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
    const int32_t in_y = in_y0 + p->geo.dilation_height * fy;
    const int row_in = in_y >= 0 && in_y < p->geo.input_height;
    for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
      const int32_t in_x = in_x0 + p->geo.dilation_width * fx;
      if (!row_in || in_x < 0 || in_x >= p->geo.input_width) {
        for (int8_t *const end = d + cin; d != end;) *d++ = zp;
        continue;
      }
      const int8_t *x = input + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth;
      for (int8_t *const end = d + cin; d != end;) *d++ = *x++;
    }
  }
}

/*
 * Column s for output pixel px of a windowed convolution (the layout above: per group of four
 * K indices, word 8g + s holds (x0, x2) and word 8g + 4 + s holds (x1, x3), each input plus its
 * offset). The window is first copied as bytes into `patch` (k4 * 4 bytes; a tap outside the
 * image and the padding up to k4 * 4 take the input zero point, which the offset turns into 0),
 * then expanded four bytes at a time by SXTB16, as the pointwise columns are.
 */
static void lut_col_window(const tinyml_conv2d_params *p, uint32_t *cols, int32_t s, const int8_t *input, int32_t px,
                           int32_t k4, int8_t *patch) {
  const int32_t ow = p->geo.output_width;
  const int32_t oh = p->geo.output_height;
  const int32_t b = px / (oh * ow);
  const int32_t oy = (px / ow) % oh;
  const int32_t ox = px % ow;
  const int32_t in_y0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t in_x0 = ox * p->geo.stride_width - p->geo.pad_width;
  const int32_t cin = p->geo.filter_input_depth;
  const int8_t zp = (int8_t)(-p->q.input_offset);
  const int32_t fh = p->geo.filter_height;
  const int32_t fw = p->geo.filter_width;
  int8_t *d = patch;
  if (p->geo.dilation_width == 1 && in_x0 >= 0 && in_x0 + fw <= p->geo.input_width && in_y0 >= 0 &&
      in_y0 + (fh - 1) * p->geo.dilation_height < p->geo.input_height) {
    /* Inside the image: each filter row is fw * cin contiguous input bytes, copied a word at a
     * time (unaligned: the Cortex-M4 allows it) and the rest byte by byte. */
    const int32_t n = fw * cin;
    const int8_t *x = input + ((b * p->geo.input_height + in_y0) * p->geo.input_width + in_x0) * p->geo.input_depth;
    const int32_t row_step = p->geo.dilation_height * p->geo.input_width * p->geo.input_depth;
    for (int32_t fy = 0; fy < fh; ++fy, x += row_step) {
      int32_t i = 0;
      for (; i + 4 <= n; i += 4, d += 4) tinyml_st32(d, tinyml_ld32(x + i));
      for (; i < n; ++i) *d++ = x[i];
    }
  } else {
    lut_col_border(p, input, d, b, in_y0, in_x0, zp);
    d += fh * fw * cin;
  }
  /* The padding up to k4 * 4 (at most 3 bytes; no loop, which gcc would make a memset call). */
  const int32_t rest = (int32_t)(patch + k4 * 4 - d);
  if (rest > 0) d[0] = zp;
  if (rest > 1) d[1] = zp;
  if (rest > 2) d[2] = zp;
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->q.input_offset) * 0x00010001u;
  uint32_t *c = cols + s;
  for (int32_t g = 0; g < k4; ++g, c += 8) {
    const uint32_t v = tinyml_ld32(patch + 4 * g);
    c[0] = tinyml_sadd16(tinyml_sxtb16(v), off2);
    c[4] = tinyml_sadd16(tinyml_sxtb16_ror8(v), off2);
  }
}

/*
 * idx: the channels' index bytes, looked up in `pairs`; `cols` where the six- and four-pixel
 * loops expand their columns and `row` where the super-blocks decode theirs (both pairs + 256
 * after the 256-word table; after the compact table, lut_pw_compact).
 */
TINYML_DSP_INLINE void lut_mm_run(const tinyml_conv2d_params *p, const int8_t *input, const uint8_t *idx,
                                  const int32_t *q, int8_t *output, const uint32_t *pairs, uint32_t *cols,
                                  uint32_t *row, int32_t k4, int32_t blocks, const int MODE, const int FULL,
                                  const int WINDOW) {
  const int32_t off = p->q.output_offset;
  const int32_t lo = FULL ? -128 : p->q.activation_min;
  const int32_t hi = FULL ? 127 : p->q.activation_max;
  const int32_t pixels = p->geo.batches * p->geo.output_height * p->geo.output_width;
  const int32_t depth = p->geo.input_depth;
  const int32_t depth4 = k4;
  const int32_t od = p->geo.output_depth;
  int32_t px = 0;
  (void)blocks; /* (read by the assembly path only) */
  (void)row;
#if TINYML_LUT_MM_ASM
  if (!WINDOW && FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF && od > 0 && k4 > 0 && blocks > 0) {
    /* Pointwise with room for decoded rows: whole blocks of four in super-blocks; the rest below. */
    px = lut_pw_superblocks(p, input, idx, q, output, pairs, row, k4, blocks,
                            TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED, TINYML_RQ_NF(MODE));
  }
  if (!WINDOW && FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF && od > 0 && k4 > 0 && blocks == 0) {
    /* Pointwise: blocks of six pixels (lut_mm_asm, six); what is left, four at a time below. */
    const int even = (k4 & 1) == 0;
    for (; px + 6 <= pixels; px += 6) {
      for (int32_t s = 0; s < 6; ++s) {
        const int8_t *src = input + (px + s) * depth;
        uint32_t *c = cols + s;
        for (int32_t g = 0; g < depth4; ++g, c += 12) {
          const uint32_t v = tinyml_ld32(src);
          src += 4;
          c[0] = tinyml_sxtb16(v);
          c[6] = tinyml_sxtb16_ror8(v);
        }
      }
      int8_t *o = output + px * od;
      const int32_t frame[7] = {(int32_t)(intptr_t)cols, even ? k4 >> 1 : k4, (int32_t)(intptr_t)q,
                                (int32_t)(intptr_t)o, (int32_t)(intptr_t)(o + od), od, off};
      LUT_MM_ASM_OF(MODE)(frame, idx, pairs, 1, even, TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED);
    }
  }
#endif
  for (; px < pixels; px += 4) {
    const int32_t npx = pixels - px < 4 ? pixels - px : 4;
    for (int32_t s = 0; s < 4; ++s) {
      /* A missing pixel of the last block repeats the first; its outputs are not stored. */
      if (WINDOW) {
        lut_col_window(p, cols, s, input, px + (s < npx ? s : 0), k4, (int8_t *)(void *)(cols + 8 * k4));
        continue;
      }
      const int8_t *src = input + (px + (s < npx ? s : 0)) * depth;
      uint32_t *c = cols + s;
      for (int32_t g = 0; g < depth4; ++g) {
        const uint32_t v = tinyml_ld32(src);
        src += 4;
        c[0] = tinyml_sxtb16(v);
        c[4] = tinyml_sxtb16_ror8(v);
        c += 8;
      }
    }
    int8_t *o = output + px * od;
    if (npx == 1) {
      /* A last block of one pixel: its column alone, not four (a 3x3 image's ninth pixel). */
      const uint8_t *ix = idx;
      const int32_t *r = q;
      for (int32_t oc = 0; oc < od; ++oc, r += 4) {
        const int32_t acc = lut_dot_1x1(cols, &ix, depth4, pairs, r[0]);
        o[oc] = (int8_t)tinyml_rq(MODE, acc, r[1], r[2], r[3], off, lo, hi);
      }
      continue;
    }
#if TINYML_LUT_MM_ASM
    if (FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF && npx == 4 && od > 0 && k4 > 0) {
      const int even = (k4 & 1) == 0;
      const int32_t frame[7] = {(int32_t)(intptr_t)cols, even ? k4 >> 1 : k4, (int32_t)(intptr_t)q,
                                (int32_t)(intptr_t)o, (int32_t)(intptr_t)(o + od), od, off};
      LUT_MM_ASM_OF(MODE)(frame, idx, pairs, 0, even, TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED);
      continue;
    }
#endif
    const uint8_t *ix = idx;
    const int32_t *r = q;
    for (int32_t oc = 0; oc < od; ++oc, r += 4) {
      int32_t a0, a1, a2, a3;
      lut_dot_1x4(cols, &ix, depth4, pairs, &a0, &a1, &a2, &a3);
      const int32_t b = r[0];
      const int32_t m = r[1], t = r[2], e = r[3];
      o[oc] = (int8_t)tinyml_rq(MODE, (int32_t)((uint32_t)a0 + (uint32_t)b), m, t, e, off, lo, hi);
      if (npx > 1) o[od + oc] = (int8_t)tinyml_rq(MODE, (int32_t)((uint32_t)a1 + (uint32_t)b), m, t, e, off, lo, hi);
      if (npx > 2) o[2 * od + oc] = (int8_t)tinyml_rq(MODE, (int32_t)((uint32_t)a2 + (uint32_t)b), m, t, e, off, lo, hi);
      if (npx > 3) o[3 * od + oc] = (int8_t)tinyml_rq(MODE, (int32_t)((uint32_t)a3 + (uint32_t)b), m, t, e, off, lo, hi);
    }
  }
}

/*
 * rq->pw_blocks = -B < 0: a layer of at most 256 index bytes (output depth x input depth / 2,
 * VWW's 48x48 8 -> 16: 64) whose scratch has no room for the 256-word pair table (the arena's
 * peak layer) looks up its own index bytes only. Compact table: cpairs[i] = the pair word of
 * index byte i, built from the 16 entries as tinyml_lut4_pairs builds its words; the loops then
 * read the bytes 0, 1, ..., n - 1 from scratch in place of the indices (n distinct "indices", so
 * the asm's look-ups and decode run unchanged), then the row and B blocks of columns
 * (TINYML_LUT4_PW_COMPACT_SCRATCH).
 */
static uint32_t *lut_pw_compact(const tinyml_lut_weights *filter, const tinyml_lut_rq *rq, uint32_t *cpairs, int32_t n) {
  const int32_t scale = TINYML_RQ_BASE(rq->mode) != TINYML_RQ_REF ? 2 : 1;
  uint8_t *fake = (uint8_t *)(void *)(cpairs + n);
  uint32_t lo[16];
  for (uint32_t k = 0; k < 16u; ++k) lo[k] = (uint32_t)(uint16_t)(int16_t)((int32_t)filter->table[k] * scale);
  for (int32_t i = 0; i < n; ++i) {
    const uint32_t b = filter->indices[i];
    cpairs[i] = lo[b >> 4] | (lo[b & 15u] << 16);
    fake[i] = (uint8_t)i;
  }
  /* The row after the bytes (rounded up to words). */
  return cpairs + n + ((n + 3) >> 2);
}

/*
 * Four pixels at a time are expanded once into int16 columns (the layout of conv2d_dsp.c: per
 * group of four channels, the (x0, x2) words of the four pixels, then their (x1, x3) words), so
 * that each pair word looked up from two index bytes serves four pixels. One instantiation per
 * requantization mode and clamp, so that both are constants in the loop.
 */
/* One entry point per requantization mode and clamp (the suffixes of lut_dsp.h), so that the
 * linker keeps only the variants a model uses. */
#define TINYML_LUT_CONV_ENTRIES(SUFFIX, MODE, FULL)                                                               \
  void tinyml_conv2d_lut4_pw_s8_dsp_##SUFFIX(const tinyml_conv2d_params *p, const int8_t *input,                  \
                                             const tinyml_lut_weights *filter, const int32_t *q,                   \
                                             const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {          \
    uint32_t *pairs = (uint32_t *)(void *)scratch;                                                                \
    const int32_t k4 = p->geo.input_depth >> 2;                                                                   \
    const uint8_t *idx = filter->indices;                                                                         \
    uint32_t *row = pairs + 256;                                                                                  \
    uint32_t *cols = row;                                                                                         \
    int32_t blocks = rq->pw_blocks;                                                                               \
    if (blocks < 0) {                                                                                             \
      /* The compact table; the loops' columns where the blocks' go (TINYML_LUT4_PW_COMPACT_SCRATCH). */          \
      row = lut_pw_compact(filter, rq, pairs, 2 * k4 * p->geo.output_depth);                                      \
      idx = (const uint8_t *)(const void *)(pairs + 2 * k4 * p->geo.output_depth);                                \
      cols = row + TINYML_LUT4_PW_ROW_WORDS(k4);                                                                  \
      blocks = -blocks;                                                                                           \
    } else {                                                                                                      \
      tinyml_lut4_pairs(pairs, filter->table, rq);                                                                \
    }                                                                                                             \
    lut_mm_run(p, input, idx, q, output, pairs, cols, row, k4, blocks, MODE, FULL, 0);                            \
  }                                                                                                               \
  void tinyml_conv2d_lut4_im2col_s8_dsp_##SUFFIX(const tinyml_conv2d_params *p, const int8_t *input,              \
                                                 const tinyml_lut_weights *filter, const int32_t *q,               \
                                                 const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {      \
    uint32_t *pairs = (uint32_t *)(void *)scratch;                                                                \
    tinyml_lut4_pairs(pairs, filter->table, rq);                                                                  \
    const int32_t k4 = (p->geo.filter_height * p->geo.filter_width * p->geo.filter_input_depth + 3) >> 2;         \
    lut_mm_run(p, input, filter->indices, q, output, pairs, pairs + 256, pairs + 256, k4, 0, MODE, FULL, 1);                                            \
  }
TINYML_LUT_CONV_ENTRIES(fast_full, TINYML_RQ_FAST, 1)
TINYML_LUT_CONV_ENTRIES(fast, TINYML_RQ_FAST, 0)
TINYML_LUT_CONV_ENTRIES(folded_full, TINYML_RQ_FAST_FOLDED, 1)
TINYML_LUT_CONV_ENTRIES(folded, TINYML_RQ_FAST_FOLDED, 0)
TINYML_LUT_CONV_ENTRIES(ref_full, TINYML_RQ_REF, 1)
TINYML_LUT_CONV_ENTRIES(ref, TINYML_RQ_REF, 0)
/* TINYML_RQ_NOFIX layers: no sign correction (tinyml_dsp.h). */
TINYML_LUT_CONV_ENTRIES(fast_full_nf, TINYML_RQ_FAST | TINYML_RQ_NOFIX, 1)
TINYML_LUT_CONV_ENTRIES(fast_nf, TINYML_RQ_FAST | TINYML_RQ_NOFIX, 0)
TINYML_LUT_CONV_ENTRIES(folded_full_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 1)
TINYML_LUT_CONV_ENTRIES(folded_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 0)

void tinyml_conv2d_lut4_s8_dsp(const tinyml_conv2d_params *p, const int8_t *input,
                               const tinyml_lut_weights *filter, const int32_t *bias,
                               const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {
  uint32_t *pairs = (uint32_t *)(void *)scratch;
  tinyml_lut4_pairs(pairs, filter->table, rq);
  const int32_t off = p->q.output_offset;
  const int32_t lo = p->q.activation_min;
  const int32_t hi = p->q.activation_max;
  /* (input_offset, input_offset) as halfwords: added to each expanded input pair. */
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->q.input_offset) * 0x00010001u;
  const int32_t depth4 = p->geo.filter_input_depth >> 2;
  const int32_t tap_bytes = depth4 * 2;
  const int32_t channel_bytes = p->geo.filter_height * p->geo.filter_width * tap_bytes;
  int8_t *out = output;
  /* Two output channels at a time share each expanded input word. */
  TINYML_CONV_WALK(
      p->geo, 2,
      /* begin */
      const int32_t pair = oc + 1 < p->geo.output_depth;
      int32_t acc0 = 0;
      int32_t acc1 = 0;
      ,
      /* tap */
      const int8_t *x =
          input + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth;
      const uint8_t *i0 =
          filter->indices + ((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) * tap_bytes;
      if (pair) {
        const uint8_t *i1 = i0 + channel_bytes;
        for (int32_t g = 0; g < depth4; ++g) {
          const uint32_t xw = tinyml_ld32(x);
          x += 4;
          const uint32_t x02 = tinyml_sadd16(tinyml_sxtb16(xw), off2);
          const uint32_t x13 = tinyml_sadd16(tinyml_sxtb16_ror8(xw), off2);
          TINYML_LUT_DOT2(pairs, i0, i1, x02, x13, acc0, acc1);
        }
      } else {
        for (int32_t g = 0; g < depth4; ++g) {
          const uint32_t xw = tinyml_ld32(x);
          x += 4;
          acc0 = tinyml_smlad(pairs[i0[0]], tinyml_sadd16(tinyml_sxtb16(xw), off2), acc0);
          acc0 = tinyml_smlad(pairs[i0[1]], tinyml_sadd16(tinyml_sxtb16_ror8(xw), off2), acc0);
          i0 += 2;
        }
      },
      /* end */
      *out++ = tinyml_lut_finish(rq, bias, acc0, oc, off, lo, hi);
      if (pair) {
        *out++ = tinyml_lut_finish(rq, bias, acc1, oc + 1, off, lo, hi);
      });
}
