/*
 * gather.h - GATHER along one axis with int32 positions, as TFLite Micro's gather.cc.
 *
 * The op only moves elements, so one byte-level kernel serves every element type (int8, int32,
 * float32): a slice is inner_size elements of element_bytes each. The positions tensor may be a
 * constant or an activation, hence a pointer argument rather than a table in the params.
 */
#ifndef TINYML_GATHER_H
#define TINYML_GATHER_H

#include <stdint.h>

typedef struct {
  uint32_t batch_size;    /* product of the first batch_dims input dimensions */
  uint32_t outer_size;    /* product of the dimensions between batch_dims and axis */
  uint32_t axis_size;     /* extent of the gathered axis: valid positions are [0, axis_size) */
  uint32_t coord_size;    /* positions per batch */
  uint32_t inner_size;    /* elements per gathered slice */
  uint32_t element_bytes; /* 1 (int8) or 4 (int32, float32) */
} tinyml_gather_params;

void tinyml_gather(const tinyml_gather_params *params, const void *input, const int32_t *positions, void *output);

#endif /* TINYML_GATHER_H */
