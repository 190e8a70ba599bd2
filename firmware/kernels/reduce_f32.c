/*
 * reduce_f32.c - see reduce_f32.h. Each output is finished before the next starts (no
 * accumulator buffer), walking its inputs with the same odometer as reduce.c.
 */
#include "reduce_f32.h"

#include "tinyml_odometer.h"


static void reduce(const tinyml_reduce_params *params, int mean, const float *input, float *output) {
  uint32_t outer_idx[TINYML_REDUCE_MAX_GROUP_DIMS] = {0};
  const float count = (float)params->num_reduced;
  int32_t base = 0;
  for (uint32_t o = 0; o < params->num_outputs; ++o) {
    if (params->zero_fill) {
      output[o] = 0.0f;
      continue;
    }
    uint32_t red_idx[TINYML_REDUCE_MAX_GROUP_DIMS] = {0};
    int32_t off = base;
    float acc = 0.0f;
    for (uint32_t r = 0; r < params->num_reduced; ++r) {
      acc += input[off];
      off += tinyml_odometer_step(red_idx, params->reduced_dims, params->reduced_strides, params->num_reduced_dims);
    }
    output[o] = mean && params->num_reduced > 0 ? acc / count : acc;
    base += tinyml_odometer_step(outer_idx, params->outer_dims, params->outer_strides, params->num_outer_dims);
  }
}

void tinyml_sum_f32(const tinyml_reduce_params *params, const float *input, float *output) {
  reduce(params, 0, input, output);
}

void tinyml_mean_f32(const tinyml_reduce_params *params, const float *input, float *output) {
  reduce(params, 1, input, output);
}
