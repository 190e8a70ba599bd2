/*
 * add_sub_mve.c - see add_sub_mve.h.
 */
#include "add_sub_mve.h"

/*
 * Four elements' output from their two table entries; RIGHT: the output shift is negative.
 * RoundingDivideByPOT rounds half away from zero, VRSHL half up: subtracting 1 from negative
 * values first turns one into the other (VQADD keeps INT32_MIN from wrapping); a zero shift
 * divides by nothing and takes no fix-up.
 */
TINYML_MVE_INLINE int32x4_t out4(int32x4_t s, int32_t m, int32_t shift, int32_t off, int32x4_t lo, int32x4_t hi,
                                 const int RIGHT) {
  int32x4_t z = vqrdmulhq_n_s32(s, m);
  if (RIGHT) z = vrshlq_n_s32(vqaddq_s32(z, vshrq_n_s32(z, 31)), shift);
  return vminq_s32(vmaxq_s32(vaddq_n_s32(z, off), lo), hi);
}

TINYML_MVE_INLINE void add_sub(const tinyml_add_sub_mve_params *p, const uint8_t *x1, const uint8_t *x2, int8_t *out,
                               const int RIGHT) {
  const int32_t m = p->output_multiplier;
  const int32_t shift = p->output_shift;
  const int32_t off = p->output_offset;
  const int32x4_t lo = vdupq_n_s32(p->activation_min);
  const int32x4_t hi = vdupq_n_s32(p->activation_max);
  const int32_t *t1 = p->table1;
  const int32_t *t2 = p->table2;
  int32_t n = p->size;
  for (; n >= 4; n -= 4) {
    const int32x4_t s = vaddq_s32(vldrwq_gather_shifted_offset_s32(t1, vldrbq_u32(x1)), vldrwq_gather_shifted_offset_s32(t2, vldrbq_u32(x2)));
    vstrbq_s32(out, out4(s, m, shift, off, lo, hi, RIGHT));
    x1 += 4;
    x2 += 4;
    out += 4;
  }
  if (n > 0) {
    /* The last one to three elements predicated: nothing past the tensors is read or written. */
    const mve_pred16_t pr = vctp32q((uint32_t)n);
    const int32x4_t s = vaddq_s32(vldrwq_gather_shifted_offset_z_s32(t1, vldrbq_z_u32(x1, pr), pr),
                                  vldrwq_gather_shifted_offset_z_s32(t2, vldrbq_z_u32(x2, pr), pr));
    vstrbq_p_s32(out, out4(s, m, shift, off, lo, hi, RIGHT), pr);
  }
}

void tinyml_add_sub_s8_mve(const tinyml_add_sub_mve_params *p, const int8_t *input1, const int8_t *input2,
                           int8_t *output) {
  if (p->output_shift < 0) {
    add_sub(p, (const uint8_t *)input1, (const uint8_t *)input2, output, 1);
  } else {
    add_sub(p, (const uint8_t *)input1, (const uint8_t *)input2, output, 0);
  }
}
