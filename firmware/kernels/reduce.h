/*
 * reduce.h - TFLite MEAN and SUM for int8 and int16 (QuantizedMeanOrSum semantics).
 *
 * Both ops are "sum the reduced elements, rescale once": MEAN differs only in its multiplier,
 * into which the generator has already folded 1/count exactly as TFLite does. The input is
 * described as two groups of (merged) dimensions: the kept ones, which enumerate outputs in
 * order, and the reduced ones, which enumerate the elements summed into one output. Each output
 * is finished before the next starts, so no accumulator buffer is needed.
 */
#ifndef TINYML_REDUCE_H
#define TINYML_REDUCE_H

#include <stdint.h>

#define TINYML_REDUCE_MAX_GROUP_DIMS 4

typedef struct {
  uint32_t num_outer_dims;
  uint32_t outer_dims[TINYML_REDUCE_MAX_GROUP_DIMS];    /* kept dims, outermost first */
  uint32_t outer_strides[TINYML_REDUCE_MAX_GROUP_DIMS]; /* their input strides, in elements */
  uint32_t num_reduced_dims;
  uint32_t reduced_dims[TINYML_REDUCE_MAX_GROUP_DIMS];
  uint32_t reduced_strides[TINYML_REDUCE_MAX_GROUP_DIMS];
  uint32_t num_outputs;
  uint32_t num_reduced;      /* elements per output */
  uint32_t zero_fill;        /* input has a zero-sized dim: outputs are all 0, as in TFLite */
  int32_t input_zero_point;
  int32_t zero_point_sum;    /* input_zero_point * num_reduced, wrapped to int32 */
  int32_t multiplier;        /* Q31; for MEAN includes 1/num_reduced */
  int32_t shift;
  int32_t output_zero_point;
  int32_t act_min;
  int32_t act_max;
} tinyml_reduce_params;

void tinyml_reduce_s8(const tinyml_reduce_params *params, const int8_t *input, int8_t *output);
void tinyml_reduce_s16(const tinyml_reduce_params *params, const int16_t *input, int16_t *output);

#endif /* TINYML_REDUCE_H */
