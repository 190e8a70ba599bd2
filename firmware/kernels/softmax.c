/*
 * softmax.c - portable reference kernels for quantized SOFTMAX, bit-exact with TFLite Micro's
 * reference kernels (and with src/ops/softmax.ts).
 */
#include "softmax.h"

#include "tinyml_fixedpoint.h"
#include "tinyml_gemmlowp.h"

enum {
  SCALED_DIFF_INTEGER_BITS = 5,
  ACCUMULATION_INTEGER_BITS = 12
};

/* Declares max_in_row, the largest of row x's p->depth values (from LOWEST, the input type's
 * lowest), compared in TFLite's order. */
#define SOFTMAX_ROW_MAX(LOWEST)                                                                     \
  int32_t max_in_row = (LOWEST);                                                                    \
  for (int32_t c = 0; c < p->depth; ++c) {                                                          \
    if (x[c] > max_in_row) {                                                                        \
      max_in_row = x[c];                                                                            \
    }                                                                                               \
  }

/* exp(beta * scale * diff) in Q0.31 for a difference that passed the diff_min test. */
static inline int32_t exp_of_diff(const tinyml_softmax_s8_params *p, int32_t diff) {
  /* |diff| << left_shift stays below 2^31 because diff >= diff_min; shift unsigned to stay defined. */
  const int32_t shifted = (int32_t)((uint32_t)diff << p->input_left_shift);
  const int32_t scaled = tinyml_srdhm(shifted, p->input_multiplier);
  return tinyml_gl_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
}

/*
 * Shared body of the int8-input kernels: writes each row through `store`, which receives the
 * unsaturated value (already offset by the output minimum) and saturates to the output type.
 */
static void softmax_s8_rows(const tinyml_softmax_s8_params *p, const int8_t *input, void *output, int output_bits) {
  const int32_t out_min = output_bits == 8 ? INT8_MIN : INT16_MIN;
  const int32_t out_max = output_bits == 8 ? INT8_MAX : INT16_MAX;
  for (int32_t i = 0; i < p->outer_size; ++i) {
    const int8_t *x = input + i * p->depth;
    SOFTMAX_ROW_MAX(INT8_MIN)

    /* Sum of exps in Q12.19; plain int32 additions as in the reference. */
    int32_t sum_of_exps = 0;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      if (diff >= p->diff_min) {
        sum_of_exps = tinyml_wrap_add(sum_of_exps, tinyml_rdbpot(exp_of_diff(p, diff), ACCUMULATION_INTEGER_BITS));
      }
    }

    int num_bits_over_unit;
    const int32_t reciprocal = tinyml_gl_get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS, &num_bits_over_unit);
    const int exponent = num_bits_over_unit + 31 - output_bits;

    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      int32_t v = out_min;
      if (diff >= p->diff_min) {
        const int32_t unsat = tinyml_rdbpot(tinyml_srdhm(reciprocal, exp_of_diff(p, diff)), exponent);
        v = tinyml_clamp(unsat + out_min, out_min, out_max);
      }
      if (output_bits == 8) {
        ((int8_t *)output)[i * p->depth + c] = (int8_t)v;
      } else {
        ((int16_t *)output)[i * p->depth + c] = (int16_t)v;
      }
    }
  }
}

void tinyml_softmax_s8(const tinyml_softmax_s8_params *params, const int8_t *input, int8_t *output) {
  softmax_s8_rows(params, input, output, 8);
}

void tinyml_softmax_s8_s16(const tinyml_softmax_s8_params *params, const int8_t *input, int16_t *output) {
  softmax_s8_rows(params, input, output, 16);
}

void tinyml_softmax_s16(const tinyml_softmax_s16_params *params, const int16_t *input, int16_t *output) {
  const tinyml_softmax_s16_params *p = params;
  for (int32_t i = 0; i < p->outer_size; ++i) {
    const int16_t *x = input + i * p->depth;
    int16_t *y = output + i * p->depth;
    SOFTMAX_ROW_MAX(INT16_MIN)

    int32_t sum_of_exps = 0;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t scaled = tinyml_mbqm(x[c] - max_in_row, p->input_multiplier, p->input_shift);
      /* The table's input is symmetric: re-centre [-65535, 0] onto the int16 range. */
      const int16_t sym = (int16_t)tinyml_clamp(scaled + 32767, INT16_MIN, INT16_MAX);
      y[c] = tinyml_lut_lookup16(sym, p->exp_lut);
      sum_of_exps += y[c];
    }

    /*
     * Normalise the sum to [1, 2) with 16 fractional bits; the 1/(1+x) table takes x = sum - 1
     * re-centred onto the int16 range, and the final right shift undoes the normalisation.
     */
    const int headroom_plus_one = tinyml_clz32((uint32_t)sum_of_exps);
    const int32_t shifted_sum =
        (int32_t)((((int64_t)sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int16_t sym_shifted_sum = (int16_t)tinyml_clamp(shifted_sum - ((1 << 15) + (1 << 16)), INT16_MIN, INT16_MAX);
    const int16_t reciprocal = tinyml_lut_lookup16(sym_shifted_sum, p->one_over_one_plus_x_lut);

    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = (int64_t)1 << (right_shift - 1);
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t r = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
      y[c] = (int16_t)tinyml_clamp(r, 0, INT16_MAX);
    }
  }
}
