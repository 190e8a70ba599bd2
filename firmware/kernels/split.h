/*
 * split.h - TFLite SPLIT, SPLIT_V and UNPACK: cuts the input's slabs along one axis into outputs.
 *
 * With the axis fixed, the input is `outer_size` slabs, each holding every output's part in
 * output order; the kernel deals them out (the inverse of concatenation). No requantization
 * happens (outputs keep the input's quantization), so it is element-type agnostic. UNPACK is the
 * case where every part has extent 1 along the axis, which the outputs then drop.
 */
#ifndef TINYML_SPLIT_H
#define TINYML_SPLIT_H

#include <stdint.h>

typedef struct {
  uint32_t outer_size;        /* product of the input dims before the axis */
  uint32_t num_outputs;
  const uint32_t *copy_bytes; /* per output: bytes of its part of one slab */
} tinyml_split_params;

/* outputs: num_outputs pointers, in the op's output order. */
void tinyml_split(const tinyml_split_params *params, const void *input, void *const *outputs);

#endif /* TINYML_SPLIT_H */
