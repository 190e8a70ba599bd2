/*
 * log_softmax.c - portable LOG_SOFTMAX kernels, bit-exact with TFLite Micro's reference kernel
 * (and with src/ops/log-softmax.ts).
 */
#include "log_softmax.h"

#include <math.h>

#include "tinyml_gemmlowp.h"

#define LOG_SOFTMAX_INPUT_INTEGER_BITS 5
#define LOG_SOFTMAX_ACCUMULATION_INTEGER_BITS 12
#define LOG_SOFTMAX_OUTPUT_INTEGER_BITS 4

static int32_t saturating_add(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + (int64_t)b;
  return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

/*
 * TFLite's log_x_for_x_greater_than_or_equal_to_1_impl: ln(x) for a fixed-point x >= 1 with
 * `input_integer_bits`, result with `output_integer_bits`. x is split into a power of two (found
 * from its leading zeros at two offsets, the better one kept) and a remainder near 1 whose log
 * comes from a rational approximation; the sum is accumulated with one extra integer bit.
 */
static int32_t log_x_for_x_ge_1(int32_t x, int input_integer_bits, int output_integer_bits) {
  const int accum_bits = output_integer_bits + 1;
  const int32_t log_2 = 1488522236;
  const int32_t sqrt_sqrt_half = 1805811301;
  const int32_t sqrt_half = 1518500250;
  const int32_t one_quarter = 536870912;
  const int32_t alpha_n = 117049297;
  const int32_t alpha_d = 127690142;
  const int32_t alpha_i = 1057819769;
  const int32_t alpha_f = 638450708;
  const int32_t shifted_quarter = tinyml_gl_rescale(one_quarter, 0, accum_bits);

  const int32_t z_a = x;
  const int z_a_headroom_plus_1 = tinyml_clz32((uint32_t)z_a);
  const int32_t r_a_tmp = tinyml_srmbpot(z_a, z_a_headroom_plus_1 - 1);
  const int32_t r_a_raw = tinyml_srmbpot(tinyml_srdhm(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj =
      saturating_add(tinyml_srmbpot(input_integer_bits - z_a_headroom_plus_1, 31 - accum_bits), shifted_quarter);

  const int32_t z_b = tinyml_srdhm(z_a, sqrt_half);
  const int z_b_headroom = tinyml_clz32((uint32_t)z_b) - 1;
  const int32_t r_b_raw = tinyml_srmbpot(z_a, z_b_headroom);
  const int32_t z_b_pow_2_adj =
      saturating_add(tinyml_srmbpot(input_integer_bits - z_b_headroom, 31 - accum_bits), -shifted_quarter);

  const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;

  const int32_t p = tinyml_gl_rounding_half_sum(r, sqrt_sqrt_half);
  int32_t q = tinyml_wrap_sub(r, sqrt_sqrt_half);
  q = tinyml_wrap_add(q, q);
  const int32_t common_sq = tinyml_srdhm(q, q);
  const int32_t num = tinyml_wrap_add(tinyml_srdhm(q, r), tinyml_srdhm(tinyml_srdhm(q, common_sq), alpha_n));
  const int32_t denom_minus_one = tinyml_wrap_add(
      tinyml_srdhm(p, tinyml_wrap_add(tinyml_wrap_add(alpha_i, q), tinyml_srdhm(alpha_d, common_sq))), tinyml_srdhm(alpha_f, q));
  const int32_t recip_denom = tinyml_gl_one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
  const int32_t num_scaled = tinyml_gl_rescale(num, 0, accum_bits);
  return tinyml_gl_rescale(tinyml_wrap_add(tinyml_srdhm(z_pow_2_adj, log_2), tinyml_srdhm(num_scaled, recip_denom)), accum_bits,
                           output_integer_bits);
}

void tinyml_log_softmax_s8(const tinyml_log_softmax_params *params, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->outer_size; ++i) {
    const int8_t *x = input + i * params->depth;
    int8_t *out = output + i * params->depth;
    int8_t max = INT8_MIN;
    for (int32_t c = 0; c < params->depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    int32_t sum_of_exps = 0; /* Q12.19: cannot overflow for fewer than 2^12 elements */
    for (int32_t c = 0; c < params->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max;
      if (diff >= params->diff_min) {
        const int32_t scaled = tinyml_mbqm(diff, params->input_multiplier, params->input_left_shift);
        sum_of_exps = tinyml_wrap_add(sum_of_exps,
                                      tinyml_gl_rescale(tinyml_gl_exp_on_negative_values(scaled, LOG_SOFTMAX_INPUT_INTEGER_BITS), 0,
                                                        LOG_SOFTMAX_ACCUMULATION_INTEGER_BITS));
      }
    }
    const int32_t log_sum = log_x_for_x_ge_1(sum_of_exps, LOG_SOFTMAX_ACCUMULATION_INTEGER_BITS, LOG_SOFTMAX_INPUT_INTEGER_BITS);
    /* The smallest Q5.26 value plus the log sum, back in input units: below it the output saturates. */
    const int32_t shifted_log_sum = tinyml_wrap_add(log_sum, INT32_MIN);
    const int32_t reverse = tinyml_mbqm(shifted_log_sum, params->reverse_scaling_divisor, params->reverse_scaling_shift);
    const int32_t adjusted_diff_min = params->diff_min - 1 > reverse ? params->diff_min - 1 : reverse;
    for (int32_t c = 0; c < params->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max;
      if (diff > adjusted_diff_min) {
        const int32_t scaled = tinyml_mbqm(diff, params->input_multiplier, params->input_left_shift);
        const int32_t v = tinyml_rdbpot(tinyml_wrap_sub(scaled, log_sum),
                                        31 - LOG_SOFTMAX_INPUT_INTEGER_BITS - LOG_SOFTMAX_OUTPUT_INTEGER_BITS) +
                          127;
        out[c] = (int8_t)tinyml_clamp(v, -128, 127);
      } else {
        out[c] = INT8_MIN;
      }
    }
  }
}

void tinyml_log_softmax_f32(const tinyml_log_softmax_params *params, const float *input, float *output) {
  for (int32_t i = 0; i < params->outer_size; ++i) {
    const float *x = input + i * params->depth;
    float *out = output + i * params->depth;
    float max = -3.40282347e+38f;
    for (int32_t c = 0; c < params->depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    float sum = 0.0f;
    for (int32_t c = 0; c < params->depth; ++c) {
      sum += expf(x[c] - max);
    }
    const float log_sum = logf(sum);
    for (int32_t c = 0; c < params->depth; ++c) {
      out[c] = x[c] - max - log_sum;
    }
  }
}
