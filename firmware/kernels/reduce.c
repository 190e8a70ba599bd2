/*
 * reduce.c - see reduce.h.
 */
#include "reduce.h"

#include "tinyml_fixedpoint.h"
#include "tinyml_odometer.h"

/* uint32 -> int32 two's-complement reinterpretation without implementation-defined casts. */
static int32_t wrap_i32(uint32_t x) {
  return x <= (uint32_t)INT32_MAX ? (int32_t)x : (int32_t)(x - 2147483648u) - INT32_MAX - 1;
}


/* `acc` is the reference's int32 sum, kept in uint32 so that its wrap-around on overflow (which
 * the reference relies on) is defined behaviour. Removing the zero point's contribution wraps
 * the same way, then one requantization and saturation. */
static int32_t requantize(const tinyml_reduce_params *p, uint32_t acc) {
  const int32_t shifted = wrap_i32(acc - (uint32_t)p->zero_point_sum);
  const int32_t v = tinyml_mbqm(shifted, p->multiplier, (int)p->shift) + p->output_zero_point;
  return tinyml_clamp(v, p->act_min, p->act_max);
}

/* The int8 and int16 kernels, alike but for the element type. */
#define TINYML_REDUCE_KERNEL(NAME, T)                                                               \
  void NAME(const tinyml_reduce_params *params, const T *input, T *output) {                        \
    uint32_t outer_idx[TINYML_REDUCE_MAX_GROUP_DIMS] = {0};                                         \
    int32_t base = 0;                                                                               \
    uint32_t o;                                                                                     \
    for (o = 0; o < params->num_outputs; ++o) {                                                     \
      uint32_t red_idx[TINYML_REDUCE_MAX_GROUP_DIMS] = {0};                                         \
      int32_t off = base;                                                                           \
      uint32_t acc = 0;                                                                             \
      uint32_t r;                                                                                   \
      if (params->zero_fill) {                                                                      \
        output[o] = 0;                                                                              \
        continue;                                                                                   \
      }                                                                                             \
      for (r = 0; r < params->num_reduced; ++r) {                                                   \
        acc += (uint32_t)(int32_t)input[off];                                                       \
        off += tinyml_odometer_step(red_idx, params->reduced_dims, params->reduced_strides,         \
                                    params->num_reduced_dims);                                      \
      }                                                                                             \
      output[o] = (T)requantize(params, acc);                                                       \
      base += tinyml_odometer_step(outer_idx, params->outer_dims, params->outer_strides,            \
                                   params->num_outer_dims);                                         \
    }                                                                                               \
  }

TINYML_REDUCE_KERNEL(tinyml_reduce_s8, int8_t)
TINYML_REDUCE_KERNEL(tinyml_reduce_s16, int16_t)
