/*
 * strided_slice.h - TFLite STRIDED_SLICE as a 5-D strided copy.
 *
 * The generator resolves begin/end/strides, every mask and the ellipsis/new-axis rewrite into a
 * first index, a (possibly negative) step and a step count per axis of the input extended to
 * 5-D, so the kernel only walks those and copies elements of any size.
 */
#ifndef TINYML_STRIDED_SLICE_H
#define TINYML_STRIDED_SLICE_H

#include <stdint.h>

typedef struct {
  int32_t start[5];       /* first input index per axis */
  int32_t stride[5];      /* step per axis, never 0 */
  uint32_t count[5];      /* output extent per axis */
  uint32_t in_strides[5]; /* row-major input strides, in elements */
  uint32_t elem_bytes;
} tinyml_strided_slice_params;

void tinyml_strided_slice(const tinyml_strided_slice_params *params, const void *input,
                          void *output);

#endif /* TINYML_STRIDED_SLICE_H */
