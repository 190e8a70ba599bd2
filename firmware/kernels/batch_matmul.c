/*
 * batch_matmul.c - see batch_matmul.h.
 */
#include "batch_matmul.h"

#include "tinyml_fixedpoint.h"

/*
 * The batch and row/column walk, written once; CELL computes output (m, n) from xrow and ycol
 * and stores it through output++. Macro-generated so that each kernel keeps the instructions it
 * had written out on its own.
 */
#define TINYML_BATCH_MATMUL_KERNEL(NAME, T, CELL)                                                   \
  void NAME(const tinyml_batch_matmul_params *params, const T *x, const T *y, T *output) {          \
    const int32_t *batch = params->batch;                                                           \
    const int32_t *xs = params->x_batch_stride;                                                     \
    const int32_t *ys = params->y_batch_stride;                                                     \
    int32_t b0, b1, b2, m, n, k;                                                                    \
    for (b0 = 0; b0 < batch[0]; ++b0) {                                                             \
      for (b1 = 0; b1 < batch[1]; ++b1) {                                                           \
        for (b2 = 0; b2 < batch[2]; ++b2) {                                                         \
          const T *xb = x + b0 * xs[0] + b1 * xs[1] + b2 * xs[2];                                   \
          const T *yb = y + b0 * ys[0] + b1 * ys[1] + b2 * ys[2];                                   \
          for (m = 0; m < params->rows; ++m) {                                                      \
            const T *xrow = xb + m * params->x_row_stride;                                          \
            for (n = 0; n < params->cols; ++n) {                                                    \
              const T *ycol = yb + n * params->y_col_stride;                                        \
              CELL                                                                                  \
            }                                                                                       \
          }                                                                                         \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
  }

#define CELL_S8                                                                                     \
  int32_t acc = 0;                                                                                  \
  for (k = 0; k < params->depth; ++k) {                                                             \
    acc += (xrow[k * params->x_depth_stride] + params->x_offset) *                                  \
           (ycol[k * params->y_depth_stride] + params->y_offset);                                   \
  }                                                                                                 \
  acc = tinyml_mbqm(acc, params->multiplier, params->shift) + params->output_offset;                \
  *output++ = (int8_t)tinyml_clamp(acc, params->activation_min, params->activation_max);

/* A float32 sum over k in TFLite's order (a core with FMA fuses each step). */
#define CELL_F32                                                                                    \
  float acc = 0.0f;                                                                                 \
  for (k = 0; k < params->depth; ++k) {                                                             \
    acc += xrow[k * params->x_depth_stride] * ycol[k * params->y_depth_stride];                     \
  }                                                                                                 \
  *output++ = acc;

TINYML_BATCH_MATMUL_KERNEL(tinyml_batch_matmul_s8, int8_t, CELL_S8)
TINYML_BATCH_MATMUL_KERNEL(tinyml_batch_matmul_f32, float, CELL_F32)
