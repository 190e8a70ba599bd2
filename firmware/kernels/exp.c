/*
 * exp.c - see exp.h.
 */
#include "exp.h"

#include <math.h>

void tinyml_exp_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    output[i] = expf(input[i]);
  }
}
