/*
 * tinyml_dsp.h - the Armv7E-M / Armv8-M DSP-extension instructions the optimized kernels use
 * (SMLAD, SXTB16, SMMLAR, SSAT...), as inline functions. With __ARM_FEATURE_DSP they are the
 * real instructions (inline asm); elsewhere (the host tests, Cortex-M3) they are portable C
 * with exactly the same results, so the same kernels run and are tested everywhere.
 *
 * Also the fast requantization the optimized kernels share (see tinyml_dsp_requant below).
 */
#ifndef TINYML_DSP_H
#define TINYML_DSP_H

#include <stdint.h>
#include <string.h>

#include "../tinyml_fixedpoint.h"

#define TINYML_DSP_INLINE static inline __attribute__((always_inline))

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(TINYML_DSP_PORTABLE)
#define TINYML_DSP_ASM 1
#else
#define TINYML_DSP_ASM 0
#endif

/* Unaligned 32-bit load/store (one LDR/STR on Cortex-M4/M7/M33; memcpy keeps C well defined). */
TINYML_DSP_INLINE uint32_t tinyml_ld32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

TINYML_DSP_INLINE void tinyml_st32(void *p, uint32_t v) { memcpy(p, &v, 4); }

#if TINYML_DSP_ASM

/*
 * rd = INSN(x), one inline function each: tinyml_sxtb16 (sign-extended byte 0, sign-extended
 * byte 2, as two halfwords), tinyml_sxtb16_ror8 (bytes 1 and 3), and the zero-extending
 * tinyml_uxtb16, tinyml_uxtb16_ror8.
 */
#define TINYML_DSP_UNARY_INSN(name, insn)                                             \
  TINYML_DSP_INLINE uint32_t name(uint32_t x) {                                       \
    uint32_t r;                                                                       \
    __asm__(insn : "=r"(r) : "r"(x));                                                 \
    return r;                                                                         \
  }
TINYML_DSP_UNARY_INSN(tinyml_sxtb16, "sxtb16 %0, %1")
TINYML_DSP_UNARY_INSN(tinyml_sxtb16_ror8, "sxtb16 %0, %1, ror #8")
TINYML_DSP_UNARY_INSN(tinyml_uxtb16, "uxtb16 %0, %1")
TINYML_DSP_UNARY_INSN(tinyml_uxtb16_ror8, "uxtb16 %0, %1, ror #8")
#undef TINYML_DSP_UNARY_INSN

/*
 * Instructions of the form rd = INSN(a, b, acc), one inline function each: tinyml_smlad (acc +
 * lo(a)*lo(b) + hi(a)*hi(b), halfwords signed; wraps like the hardware), tinyml_smlabb
 * (acc + lo(a)*lo(b)) and the other halfword combinations tinyml_smlatt, tinyml_smlabt,
 * tinyml_smlatb, and tinyml_smmlar (the high word of (acc << 32) + a * b, rounded:
 * (acc*2^32 + a*b + 2^31) >> 32).
 */
#define TINYML_DSP_ACC_INSN(name, insn, T)                                            \
  TINYML_DSP_INLINE int32_t name(T a, T b, int32_t acc) {                             \
    int32_t r;                                                                        \
    __asm__(insn " %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));             \
    return r;                                                                         \
  }
TINYML_DSP_ACC_INSN(tinyml_smlad, "smlad", uint32_t)
TINYML_DSP_ACC_INSN(tinyml_smlabb, "smlabb", uint32_t)
TINYML_DSP_ACC_INSN(tinyml_smlatt, "smlatt", uint32_t)
TINYML_DSP_ACC_INSN(tinyml_smlabt, "smlabt", uint32_t)
TINYML_DSP_ACC_INSN(tinyml_smlatb, "smlatb", uint32_t)
TINYML_DSP_ACC_INSN(tinyml_smmlar, "smmlar", int32_t)
#undef TINYML_DSP_ACC_INSN

/*
 * rd = INSN(a, b): tinyml_sadd16 (halfword-wise wrapping add), tinyml_pkhbt and tinyml_pkhtb
 * ((lo(a), lo(b)) and (hi(a), hi(b)) halfword packing).
 */
#define TINYML_DSP_BINARY_INSN(name, insn)                                            \
  TINYML_DSP_INLINE uint32_t name(uint32_t a, uint32_t b) {                           \
    uint32_t r;                                                                       \
    __asm__(insn : "=r"(r) : "r"(a), "r"(b));                                         \
    return r;                                                                         \
  }
TINYML_DSP_BINARY_INSN(tinyml_sadd16, "sadd16 %0, %1, %2")
TINYML_DSP_BINARY_INSN(tinyml_pkhbt, "pkhbt %0, %1, %2, lsl #16")
TINYML_DSP_BINARY_INSN(tinyml_pkhtb, "pkhtb %0, %1, %2, asr #16")
#undef TINYML_DSP_BINARY_INSN

/* Saturate to int8. */
TINYML_DSP_INLINE int32_t tinyml_ssat8(int32_t x) {
  int32_t r;
  __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
  return r;
}

#else /* portable equivalents */

TINYML_DSP_INLINE uint32_t tinyml_sxtb16(uint32_t x) {
  const uint32_t lo = (uint32_t)(int32_t)(int8_t)(x & 0xFF) & 0xFFFFu;
  const uint32_t hi = (uint32_t)(int32_t)(int8_t)((x >> 16) & 0xFF) & 0xFFFFu;
  return lo | (hi << 16);
}

TINYML_DSP_INLINE uint32_t tinyml_sxtb16_ror8(uint32_t x) { return tinyml_sxtb16((x >> 8) | (x << 24)); }

TINYML_DSP_INLINE uint32_t tinyml_uxtb16(uint32_t x) { return x & 0x00FF00FFu; }

TINYML_DSP_INLINE uint32_t tinyml_uxtb16_ror8(uint32_t x) { return (x >> 8) & 0x00FF00FFu; }

TINYML_DSP_INLINE int32_t tinyml_lo16(uint32_t x) { return (int32_t)(int16_t)(x & 0xFFFFu); }
TINYML_DSP_INLINE int32_t tinyml_hi16(uint32_t x) { return (int32_t)(int16_t)(x >> 16); }

TINYML_DSP_INLINE int32_t tinyml_smlad(uint32_t a, uint32_t b, int32_t acc) {
  const uint32_t p = (uint32_t)(tinyml_lo16(a) * tinyml_lo16(b)) + (uint32_t)(tinyml_hi16(a) * tinyml_hi16(b));
  return (int32_t)((uint32_t)acc + p);
}

/* acc + HA(a) * HB(b), wrapping: tinyml_smlabb, tinyml_smlatt, tinyml_smlabt, tinyml_smlatb. */
#define TINYML_DSP_SMLAXY(name, HA, HB)                                               \
  TINYML_DSP_INLINE int32_t name(uint32_t a, uint32_t b, int32_t acc) {               \
    return (int32_t)((uint32_t)acc + (uint32_t)(HA(a) * HB(b)));                      \
  }
TINYML_DSP_SMLAXY(tinyml_smlabb, tinyml_lo16, tinyml_lo16)
TINYML_DSP_SMLAXY(tinyml_smlatt, tinyml_hi16, tinyml_hi16)
TINYML_DSP_SMLAXY(tinyml_smlabt, tinyml_lo16, tinyml_hi16)
TINYML_DSP_SMLAXY(tinyml_smlatb, tinyml_hi16, tinyml_lo16)
#undef TINYML_DSP_SMLAXY

TINYML_DSP_INLINE int32_t tinyml_smmlar(int32_t a, int32_t b, int32_t acc) {
  const uint64_t t = ((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * (int64_t)b) + 0x80000000u;
  return (int32_t)(uint32_t)(t >> 32);
}

TINYML_DSP_INLINE uint32_t tinyml_sadd16(uint32_t a, uint32_t b) {
  const uint32_t lo = (a + b) & 0xFFFFu;
  const uint32_t hi = ((a >> 16) + (b >> 16)) & 0xFFFFu;
  return lo | (hi << 16);
}

TINYML_DSP_INLINE uint32_t tinyml_pkhbt(uint32_t a, uint32_t b) { return (a & 0xFFFFu) | (b << 16); }

TINYML_DSP_INLINE uint32_t tinyml_pkhtb(uint32_t a, uint32_t b) { return (a & 0xFFFF0000u) | (b >> 16); }

TINYML_DSP_INLINE int32_t tinyml_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }

#endif

/*
 * Requantization.
 *
 * Every optimized kernel accumulates acc = bias' + sum(w * x) with the input offset folded into
 * bias' at generation time (bias'[c] = bias[c] + input_offset * sum(w[c])), and padded taps
 * reading the input zero point, so they still add nothing. Two ways to requantize:
 *
 * FAST (generation time has proven |acc| < 2^30 for every possible input, from the weights and
 * biases, and every channel has shift <= -1 or a zero multiplier): the kernels accumulate 2*acc
 * (inputs or weights doubled, bias doubled), and with e = -shift and t = 2^(e-1):
 *
 *   SMMLAR(2*acc, m, t + (acc < 0 ? -1 : 0)) = srdhm(acc, m) + t - [acc < 0]
 *   >> e                                      = rdbpot(srdhm(acc, m), e)
 *
 * which is TFLite's MultiplyByQuantizedMultiplier (both roundings included) in three
 * instructions. The output offset is then added (or, when every channel has e <= 22, folded
 * into t as off * 2^e). Zero-multiplier channels use e = 1, t = 1: the result is 0 (+ offset).
 * A channel whose output is the same for every possible input (a dead channel: a bias far beyond
 * what the weights can add, a tiny scale) needs no bound: it gets multiplier 0, e = 1 and
 * t = 2 * value + 1, which yields that value whatever the sign of acc.
 *
 * FAST_MIXED (the shifts of a per-channel layer on both sides of zero, as multipliers near 1 give,
 * common with sub-byte weights): each channel's e says which. e >= 1 is a channel of FOLDED
 * above (right shift e, t = 2^(e-1) + off * 2^e). e <= 0 is a channel with shift s = -e >= 0, for
 * which TFLite computes srdhm(acc * 2^s, m) with no rounding shift after it; generation time has
 * proven |acc| < 2^(30 - s), so 2 * acc * 2^s cannot wrap, and
 *
 *   SMMLAR(2*acc << s, m, off) = floor((acc * 2^s * m + 2^30) / 2^31) + off = srdhm(acc << s, m) + off
 *
 * (srdhm rounds both signs' ties up, which is what SMMLAR's + 2^31 does): t is the offset and no
 * sign correction applies. A constant channel gets m = 0, e = 0, t = its value.
 *
 * REF: acc (not doubled) is requantized with the portable tinyml_mbqm; exact for any acc,
 * including int32 wrap-around. Used when the bound cannot be proven or a shift is >= 0 (the
 * sub-byte kernels use FAST_MIXED for those).
 */
typedef struct {
  int32_t multiplier; /* FAST and REF: Q31 multiplier */
  int32_t t;          /* FAST: 2^(e-1) (+ off * 2^e when the offset is folded); FAST_MIXED, e <= 0: off; REF: shift */
  int32_t e;          /* FAST: right shift e >= 1; FAST_MIXED: either, e <= 0 a left shift -e; REF: unused */
} tinyml_dsp_rq;

#define TINYML_RQ_FAST 0        /* offset added after the shift */
#define TINYML_RQ_FAST_FOLDED 1 /* offset folded into t */
#define TINYML_RQ_REF 2
#define TINYML_RQ_FAST_MIXED 3 /* shifts of both signs, offset folded (sub-byte kernels only) */
/*
 * Flag on a FAST, FOLDED or FAST_MIXED mode: the layer's clamp minimum is >= its output offset
 * (a fused ReLU, ReLU6, ReLU_N1_TO_1 whose minimum is real 0 or above; with no fused clamp, SSAT
 * alone, an output offset of -128), so the sign correction (acc < 0 ? -1 : 0) is dead and the
 * kernels leave it out, one instruction less per output. Why it is exact: m >= 0 in these modes,
 * so for acc < 0, 2 * acc * m <= 0 and
 *
 *   SMMLAR(2*acc, m, t') = t' + floor((2 * acc * m + 2^31) / 2^32) <= t'
 *
 * for t' = t and t' = t - 1 alike. With t = 2^(e-1) + off * 2^e (FOLDED; FAST: off = 0 here and
 * the offset added after), (t' >> e) = off because 0 <= 2^(e-1) < 2^e, so both forms give a
 * value <= off before the clamp, and the clamp (minimum lo >= off) makes both exactly lo. For
 * acc >= 0 the correction is 0 anyway. Constant and zero-multiplier channels (m = 0, e = 1,
 * t = 2v + 1): SMMLAR leaves t, (2v + 1) >> 1 = v = (2v) >> 1, the same value either way.
 * FAST_MIXED: its e >= 1 channels are FOLDED channels (the same argument), its e <= 0 channels
 * have no correction at all. The generator sets the flag only when the predicate holds
 * (rqSignFixDead in src/ops/optimized/common.ts); a layer whose clamp minimum is below its
 * offset (no ReLU, offset > -128) needs the correction, the flag there would be wrong.
 *
 * Under the same clamps the generator also gives FAST and FOLDED channels with shift 0 (no
 * rounding shift after the high multiply): e = 0, t = 0 (+ off when folded). SMMLAR(2*acc, m, t)
 * is then srdhm(acc, m) + off, TFLite's exactly, without the correction; with it, one less for
 * acc < 0, where both are <= off and the clamp gives its minimum. (Sub-byte layers whose shifts
 * are all <= 0 then run FOLDED, not FAST_MIXED; int8 ones FOLDED, not REF.)
 */
#define TINYML_RQ_NOFIX 4
/* The mode without the flag, and the flag alone (both constants when mode is). */
#define TINYML_RQ_BASE(mode) ((mode) & 3)
#define TINYML_RQ_NF(mode) (((mode) & TINYML_RQ_NOFIX) != 0)

/* acc2 = 2 * acc, FAST modes: the requantized value (plus offset when folded into t). */
TINYML_DSP_INLINE int32_t tinyml_rq_fast(int32_t acc2, int32_t m, int32_t t, int32_t e) {
  return tinyml_smmlar(acc2, m, t + (acc2 >> 31)) >> e;
}
/* The same without the sign correction (TINYML_RQ_NOFIX layers only: exact under their clamp). */
TINYML_DSP_INLINE int32_t tinyml_rq_fast_nf(int32_t acc2, int32_t m, int32_t t, int32_t e) {
  return tinyml_smmlar(acc2, m, t) >> e;
}

/*
 * Requantize (per mode, a constant in the callers), add the offset, clamp. m, t, e are the
 * fields of the channel's tinyml_dsp_rq (loaded by the caller, so that they stay in registers).
 */
TINYML_DSP_INLINE int32_t tinyml_rq(int mode, int32_t acc, int32_t m, int32_t t, int32_t e, int32_t off, int32_t lo,
                                    int32_t hi) {
  int32_t z;
  if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED) {
    z = e > 0 ? (TINYML_RQ_NF(mode) ? tinyml_rq_fast_nf(acc, m, t, e) : tinyml_rq_fast(acc, m, t, e))
              : tinyml_smmlar((int32_t)((uint32_t)acc << (uint32_t)-e), m, t);
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {
    z = TINYML_RQ_NF(mode) ? tinyml_rq_fast_nf(acc, m, t, e) : tinyml_rq_fast(acc, m, t, e);
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST) {
    z = (TINYML_RQ_NF(mode) ? tinyml_rq_fast_nf(acc, m, t, e) : tinyml_rq_fast(acc, m, t, e)) + off;
  } else {
    (void)e;
    z = (int32_t)((uint32_t)tinyml_mbqm(acc, m, t) + (uint32_t)off);
  }
  /* Callers pass the whole int8 range as constants when there is no fused clamp: SSAT alone. */
  if (__builtin_constant_p(lo) && __builtin_constant_p(hi) && lo == -128 && hi == 127) {
    return tinyml_ssat8(z);
  }
  return tinyml_clamp(z, lo, hi);
}

/*
 * The four accumulators a0..a3 of a dot-product loop over four rows or columns, loaded from
 * *A0..*A3 and stored back. Under TINYML_DSP_ASM the assembly loops pin them to r0-r3 (every
 * other register serves the loop; TINYML_DSP_ACC4_REGS); the portable loops let the compiler
 * place them (TINYML_DSP_ACC4).
 */
#define TINYML_DSP_ACC4_REGS(A0, A1, A2, A3) \
  register int32_t a0 __asm__("r0") = *(A0); \
  register int32_t a1 __asm__("r1") = *(A1); \
  register int32_t a2 __asm__("r2") = *(A2); \
  register int32_t a3 __asm__("r3") = *(A3)
#define TINYML_DSP_ACC4(A0, A1, A2, A3) int32_t a0 = *(A0), a1 = *(A1), a2 = *(A2), a3 = *(A3)
/*
 * One group of four K indices of one row against four columns, in the column layout of the
 * convolution kernels (c[0..3]: the four columns' (x0, x2) words, c[4..7] their (x1, x3)):
 * WE = (w0, w2) and WO = (w1, w3) multiply-accumulated into a0..a3.
 */
#define TINYML_DSP_GROUP_1X4(WE, WO, c)  \
  do {                                   \
    a0 = tinyml_smlad((WE), (c)[0], a0); \
    a1 = tinyml_smlad((WE), (c)[1], a1); \
    a2 = tinyml_smlad((WE), (c)[2], a2); \
    a3 = tinyml_smlad((WE), (c)[3], a3); \
    a0 = tinyml_smlad((WO), (c)[4], a0); \
    a1 = tinyml_smlad((WO), (c)[5], a1); \
    a2 = tinyml_smlad((WO), (c)[6], a2); \
    a3 = tinyml_smlad((WO), (c)[7], a3); \
  } while (0)
#define TINYML_DSP_ACC4_STORE(A0, A1, A2, A3) \
  do {                                        \
    *(A0) = a0;                               \
    *(A1) = a1;                               \
    *(A2) = a2;                               \
    *(A3) = a3;                               \
  } while (0)
/*
 * The same step in the assembly loops' registers (r0-r3 the accumulators, r11 the columns):
 * TINYML_DSP_ASM_COLS loads the next four column words into r4 r5 r6 r8, TINYML_DSP_ASM_SMLAD4(W)
 * multiply-accumulates the pair in register W with them. Apart, so a loop can place its own
 * weight unpacking between the load and the multiplies.
 */
#define TINYML_DSP_ASM_COLS "ldmia  r11!, {r4, r5, r6, r8}\n\t"
#define TINYML_DSP_ASM_SMLAD4(W)        \
  "smlad  r0, " W ", r4, r0\n\t"       \
  "smlad  r1, " W ", r5, r1\n\t"       \
  "smlad  r2, " W ", r6, r2\n\t"       \
  "smlad  r3, " W ", r8, r3\n\t"
/*
 * One group of an int16 row (two words: (w0, w2), (w1, w3), by one LDRD from r12 into r9 r10)
 * against four columns: eleven 32-bit instructions, 44 bytes (unrolled bodies rely on it).
 */
#define TINYML_DSP_ASM_GROUP_W16 \
  "ldrd   r9, r10, [r12], #8\n\t" TINYML_DSP_ASM_COLS TINYML_DSP_ASM_SMLAD4("r9") TINYML_DSP_ASM_COLS TINYML_DSP_ASM_SMLAD4("r10")
/*
 * FAST / FOLDED requantization of accumulator register a in the row loops' registers: the
 * channel's multiplier, t and e in r4 r5 r6, r10 overwritten; ADD_OFF adds the output offset
 * (or is "" when folded into t); then saturated to int8.
 */
#define TINYML_DSP_ASM_RQ(a, ADD_OFF)     \
  "add    r10, r5, " a ", asr #31\n\t"  \
  "smmlar " a ", " a ", r4, r10\n\t"    \
  "asr    " a ", " a ", r6\n\t" ADD_OFF \
  "ssat   " a ", #8, " a "\n\t"
/* The same without the sign correction (TINYML_RQ_NOFIX; r10 is left alone). */
#define TINYML_DSP_ASM_RQ_NF(a, ADD_OFF)  \
  "smmlar " a ", " a ", r4, r5\n\t"     \
  "asr    " a ", " a ", r6\n\t" ADD_OFF \
  "ssat   " a ", #8, " a "\n\t"
/*
 * The depthwise assembly loops' FAST / FOLDED requantization of accumulator register a, its
 * record's multiplier, t and e already in r4 r5 r6 (r5 is overwritten): ADD_OFF adds the output
 * offset (or is "" when folded), then the int8 result is stored at [O], which advances.
 */
#define TINYML_DSP_ASM_RQ_STORE(a, ADD_OFF, O) \
  "add    r5, r5, " a ", asr #31\n\t"        \
  "smmlar " a ", " a ", r4, r5\n\t"          \
  "asr    " a ", " a ", r6\n\t"              \
  ADD_OFF                                    \
  "ssat   " a ", #8, " a "\n\t"              \
  "strb   " a ", [" O "], #1\n\t"
/* The same without the sign correction (TINYML_RQ_NOFIX; r5 is left alone). */
#define TINYML_DSP_ASM_RQ_STORE_NF(a, ADD_OFF, O) \
  "smmlar " a ", " a ", r4, r5\n\t"             \
  "asr    " a ", " a ", r6\n\t"                 \
  ADD_OFF                                       \
  "ssat   " a ", #8, " a "\n\t"                 \
  "strb   " a ", [" O "], #1\n\t"

/*
 * The entry points of a kernel, one per requantization mode and clamp (_full: the activation
 * range is the whole int8 range, no fused clamp, SSAT alone), so that the linker keeps only what
 * a model uses: void PREFIX##_fast_full PARAMS, _fast, _folded_full, _folded, _ref_full and
 * _ref, each BODY(ARGS..., MODE, FULL) with MODE and FULL constants, which BODY (an always-inline
 * function) specializes on.
 */
#define TINYML_DSP_MODE_ENTRIES(PREFIX, PARAMS, BODY, ...)                            \
  void PREFIX##_fast_full PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST, 1); }            \
  void PREFIX##_fast PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST, 0); }                 \
  void PREFIX##_folded_full PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST_FOLDED, 1); }   \
  void PREFIX##_folded PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST_FOLDED, 0); }        \
  void PREFIX##_ref_full PARAMS { BODY(__VA_ARGS__, TINYML_RQ_REF, 1); }              \
  void PREFIX##_ref PARAMS { BODY(__VA_ARGS__, TINYML_RQ_REF, 0); }                   \
  TINYML_DSP_MODE_NF_ENTRIES(PREFIX, PARAMS, BODY, __VA_ARGS__)
/* The TINYML_RQ_NOFIX entry points (_fast_full_nf, _fast_nf, _folded_full_nf, _folded_nf). */
#define TINYML_DSP_MODE_NF_ENTRIES(PREFIX, PARAMS, BODY, ...)                                             \
  void PREFIX##_fast_full_nf PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST | TINYML_RQ_NOFIX, 1); }          \
  void PREFIX##_fast_nf PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST | TINYML_RQ_NOFIX, 0); }               \
  void PREFIX##_folded_full_nf PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 1); } \
  void PREFIX##_folded_nf PARAMS { BODY(__VA_ARGS__, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 0); }
/* Their declarations, for the kernels' headers. */
#define TINYML_DSP_MODE_NF_DECLS(PREFIX, PARAMS) \
  void PREFIX##_fast_full_nf PARAMS;             \
  void PREFIX##_fast_nf PARAMS;                  \
  void PREFIX##_folded_full_nf PARAMS;           \
  void PREFIX##_folded_nf PARAMS;

#endif /* TINYML_DSP_H */
