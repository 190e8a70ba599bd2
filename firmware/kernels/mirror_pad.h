/*
 * mirror_pad.h - MIRROR_PAD (TFLite Micro reference semantics) on shapes front-padded to 6-D:
 * each output index of an axis reads a mirrored input index; offset 1 is REFLECT (the edge is not
 * repeated), 0 SYMMETRIC.
 */
#ifndef TINYML_MIRROR_PAD_H
#define TINYML_MIRROR_PAD_H

#include <stdint.h>

typedef struct {
  int32_t in_dims[6];
  int32_t out_dims[6];
  int32_t left[6];
  int32_t offset;
} tinyml_mirror_pad_params;

void tinyml_mirror_pad_s8(const tinyml_mirror_pad_params *params, const int8_t *input, int8_t *output);
void tinyml_mirror_pad_f32(const tinyml_mirror_pad_params *params, const float *input, float *output);

#endif /* TINYML_MIRROR_PAD_H */
