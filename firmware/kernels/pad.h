/*
 * pad.h - constant padding (TFLite PAD/PADV2) of tensors up to 5-D.
 *
 * Shapes are front-extended to 5-D at generation time so one loop nest serves every rank. The
 * kernel only moves elements, so one implementation covers every element size.
 */
#ifndef TINYML_PAD_H
#define TINYML_PAD_H

#include <stdint.h>

typedef struct {
  uint32_t in_dims[5];
  uint32_t out_dims[5]; /* out_dims[i] == left[i] + in_dims[i] + right[i] */
  uint32_t left[5];
  uint32_t right[5];
  /* Fill value as the raw bits of the element type (int8/int16/int32, or a float's IEEE bits). */
  int32_t pad_value;
  uint8_t elem_bytes; /* 1, 2 or 4 */
} tinyml_pad_params;

void tinyml_pad(const tinyml_pad_params *params, const void *input, void *output);

#endif /* TINYML_PAD_H */
