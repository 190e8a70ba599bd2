/*
 * batch_matmul.c - see batch_matmul.h.
 */
#include "batch_matmul.h"

#include "tinyml_fixedpoint.h"

void tinyml_batch_matmul_s8(const tinyml_batch_matmul_params *params, const int8_t *x, const int8_t *y, int8_t *output) {
  const int32_t *batch = params->batch;
  const int32_t *xs = params->x_batch_stride;
  const int32_t *ys = params->y_batch_stride;
  int32_t b0, b1, b2, m, n, k;

  for (b0 = 0; b0 < batch[0]; ++b0) {
    for (b1 = 0; b1 < batch[1]; ++b1) {
      for (b2 = 0; b2 < batch[2]; ++b2) {
        const int8_t *xb = x + b0 * xs[0] + b1 * xs[1] + b2 * xs[2];
        const int8_t *yb = y + b0 * ys[0] + b1 * ys[1] + b2 * ys[2];
        for (m = 0; m < params->rows; ++m) {
          const int8_t *xrow = xb + m * params->x_row_stride;
          for (n = 0; n < params->cols; ++n) {
            const int8_t *ycol = yb + n * params->y_col_stride;
            int32_t acc = 0;
            for (k = 0; k < params->depth; ++k) {
              acc += (xrow[k * params->x_depth_stride] + params->x_offset) *
                     (ycol[k * params->y_depth_stride] + params->y_offset);
            }
            acc = tinyml_mbqm(acc, params->multiplier, params->shift) + params->output_offset;
            *output++ = (int8_t)tinyml_clamp(acc, params->activation_min, params->activation_max);
          }
        }
      }
    }
  }
}

void tinyml_batch_matmul_f32(const tinyml_batch_matmul_params *params, const float *x, const float *y, float *output) {
  const int32_t *batch = params->batch;
  const int32_t *xs = params->x_batch_stride;
  const int32_t *ys = params->y_batch_stride;
  int32_t b0, b1, b2, m, n, k;

  for (b0 = 0; b0 < batch[0]; ++b0) {
    for (b1 = 0; b1 < batch[1]; ++b1) {
      for (b2 = 0; b2 < batch[2]; ++b2) {
        const float *xb = x + b0 * xs[0] + b1 * xs[1] + b2 * xs[2];
        const float *yb = y + b0 * ys[0] + b1 * ys[1] + b2 * ys[2];
        for (m = 0; m < params->rows; ++m) {
          const float *xrow = xb + m * params->x_row_stride;
          for (n = 0; n < params->cols; ++n) {
            const float *ycol = yb + n * params->y_col_stride;
            /* A float32 sum over k in TFLite's order (a core with FMA fuses each step). */
            float acc = 0.0f;
            for (k = 0; k < params->depth; ++k) {
              acc += xrow[k * params->x_depth_stride] * ycol[k * params->y_depth_stride];
            }
            *output++ = acc;
          }
        }
      }
    }
  }
}
