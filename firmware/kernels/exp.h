/*
 * exp.h - EXP on float32 (TFLite Micro reference semantics, exp.cc: float32 only): one expf per
 * element.
 */
#ifndef TINYML_EXP_H
#define TINYML_EXP_H

#include <stdint.h>

void tinyml_exp_f32(int32_t size, const float *input, float *output);

#endif /* TINYML_EXP_H */
