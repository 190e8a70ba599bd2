/*
 * batch_matmul.h - TFLite BATCH_MATMUL, int8 and float32: one matrix product per batch, batch dimensions
 * broadcast, either operand read transposed (adj_x / adj_y), per-tensor requantization.
 *
 * TFLite Micro copies transposed operands into buffers first; this kernel reads both operands
 * in place through the strides below instead (the int32 sums do not depend on the order), so it
 * needs no scratch memory.
 */
#ifndef TINYML_BATCH_MATMUL_H
#define TINYML_BATCH_MATMUL_H

#include <stdint.h>

typedef struct {
  const int32_t *batch;          /* 3 output batch extents, outermost first */
  const int32_t *x_batch_stride; /* 3 element strides of x per batch dimension (0: broadcast) */
  const int32_t *y_batch_stride; /* 3 element strides of y */
  int32_t rows;                  /* output rows (m) */
  int32_t cols;                  /* output columns (n) */
  int32_t depth;                 /* summed dimension (k) */
  int32_t x_row_stride;          /* x[m][k] = x[m * x_row_stride + k * x_depth_stride] */
  int32_t x_depth_stride;
  int32_t y_depth_stride;        /* y[k][n] = y[k * y_depth_stride + n * y_col_stride] */
  int32_t y_col_stride;
  int32_t x_offset;              /* int8 only, from here on: negated zero points of x and y */
  int32_t y_offset;
  int32_t output_offset;
  int32_t multiplier;
  int32_t shift;
  int32_t activation_min;
  int32_t activation_max;
} tinyml_batch_matmul_params;

void tinyml_batch_matmul_s8(const tinyml_batch_matmul_params *params, const int8_t *x, const int8_t *y, int8_t *output);
void tinyml_batch_matmul_f32(const tinyml_batch_matmul_params *params, const float *x, const float *y, float *output);

#endif /* TINYML_BATCH_MATMUL_H */
