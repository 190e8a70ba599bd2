/*
 * resize_nearest_neighbor.h - TFLite RESIZE_NEAREST_NEIGHBOR on NHWC tensors.
 *
 * TFLite picks each output pixel's source row/column with float arithmetic (scale, half-pixel
 * offset, floor or round). The generator evaluates that float math once and bakes the results
 * into the ys/xs tables, so the kernel is integer-only and bit-exact by construction: it copies
 * one depth-long pixel per output position.
 */
#ifndef TINYML_RESIZE_NEAREST_NEIGHBOR_H
#define TINYML_RESIZE_NEAREST_NEIGHBOR_H

#include <stdint.h>

typedef struct {
  uint32_t batches;
  uint32_t in_height;
  uint32_t in_width;
  uint32_t depth;
  uint32_t out_height;
  uint32_t out_width;
  uint32_t elem_bytes;
  const int32_t *ys; /* out_height entries: source row of each output row */
  const int32_t *xs; /* out_width entries: source column of each output column */
} tinyml_resize_nearest_neighbor_params;

void tinyml_resize_nearest_neighbor(const tinyml_resize_nearest_neighbor_params *params,
                                    const void *input, void *output);

#endif /* TINYML_RESIZE_NEAREST_NEIGHBOR_H */
