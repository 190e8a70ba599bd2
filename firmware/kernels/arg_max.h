/*
 * arg_max.h - ARG_MAX along one axis (TFLite Micro reference semantics): the input is viewed as
 * [outer, axis_size, inner] and each output is the int32 index of the first largest value.
 */
#ifndef TINYML_ARG_MAX_H
#define TINYML_ARG_MAX_H

#include <stdint.h>

typedef struct {
  int32_t outer;
  int32_t axis_size;
  int32_t inner;
} tinyml_arg_max_params;

void tinyml_arg_max_s8(const tinyml_arg_max_params *params, const int8_t *input, int32_t *output);
void tinyml_arg_max_f32(const tinyml_arg_max_params *params, const float *input, int32_t *output);

#endif /* TINYML_ARG_MAX_H */
