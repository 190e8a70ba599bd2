/*
 * transpose.h - TFLite TRANSPOSE as one strided walk: the generator turns the permutation into,
 * per output axis (front-padded to 6-D), the input stride in elements, so the kernel visits the
 * output in order and copies elements of any size.
 */
#ifndef TINYML_TRANSPOSE_H
#define TINYML_TRANSPOSE_H

#include <stdint.h>

typedef struct {
  int32_t out_dims[6];
  int32_t in_strides[6];
  /* 1, 2 or 4 (int8, int16, float32). */
  int32_t elem_bytes;
} tinyml_transpose_params;

void tinyml_transpose(const tinyml_transpose_params *params, const void *input, void *output);

#endif /* TINYML_TRANSPOSE_H */
