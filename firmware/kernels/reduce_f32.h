/*
 * reduce_f32.h - single-precision MEAN and SUM (TFLite's float reference semantics): the reduced
 * elements of each output summed in input order, MEAN divided by their count. The params are
 * reduce.h's (the quantization fields are unused).
 */
#ifndef TINYML_REDUCE_F32_H
#define TINYML_REDUCE_F32_H

#include <stdint.h>

#include "reduce.h"

void tinyml_sum_f32(const tinyml_reduce_params *params, const float *input, float *output);
void tinyml_mean_f32(const tinyml_reduce_params *params, const float *input, float *output);

#endif /* TINYML_REDUCE_F32_H */
