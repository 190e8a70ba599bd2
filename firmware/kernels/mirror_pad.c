/*
 * mirror_pad.c - portable MIRROR_PAD kernels, bit-exact with TFLite Micro's reference kernel (and
 * with src/ops/mirror-pad.ts). The output is walked in order with an odometer; only the flat
 * input offset is recomputed per element, from one mirrored index per axis.
 */
#include "mirror_pad.h"

/* TFLM's GetInputDimension: the input index that output index i of an axis reads. */
static int32_t mirror_source(int32_t i, int32_t left, int32_t dim, int32_t offset) {
  if (i < left) {
    const int32_t original = left + offset - 1;
    const int32_t step = original - offset;
    return original - (i < step ? i : step);
  }
  i -= left;
  if (i >= dim) {
    const int32_t original = dim - (1 + offset);
    i -= dim;
    return original - (i < original ? i : original);
  }
  return i;
}

/* The flat input offset of the output element at index[]. */
static int32_t mirror_offset(const tinyml_mirror_pad_params *p, const int32_t *index) {
  int32_t flat = 0;
  for (int d = 0; d < 6; ++d) {
    flat = flat * p->in_dims[d] + mirror_source(index[d], p->left[d], p->in_dims[d], p->offset);
  }
  return flat;
}

#define TINYML_MIRROR_PAD_KERNEL(name, type)                                              \
  void name(const tinyml_mirror_pad_params *params, const type *input, type *output) {   \
    int32_t index[6] = {0, 0, 0, 0, 0, 0};                                                \
    int32_t size = 1;                                                                     \
    for (int d = 0; d < 6; ++d) {                                                         \
      size *= params->out_dims[d];                                                        \
    }                                                                                     \
    for (int32_t k = 0; k < size; ++k) {                                                  \
      output[k] = input[mirror_offset(params, index)];                                    \
      for (int d = 5; d >= 0; --d) {                                                      \
        if (++index[d] < params->out_dims[d]) {                                           \
          break;                                                                          \
        }                                                                                 \
        index[d] = 0;                                                                     \
      }                                                                                   \
    }                                                                                     \
  }

TINYML_MIRROR_PAD_KERNEL(tinyml_mirror_pad_s8, int8_t)
TINYML_MIRROR_PAD_KERNEL(tinyml_mirror_pad_f32, float)
