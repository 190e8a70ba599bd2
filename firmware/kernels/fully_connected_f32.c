/*
 * fully_connected_f32.c - see fully_connected_f32.h. Up to 4 input rows by 4 output units per
 * register tile (tinyml_f32_tile): with one row (the usual batch of 1) each input value is
 * loaded once for 4 units.
 */
#include "fully_connected_f32.h"

#include <stddef.h>

#include "tinyml_f32.h"

TINYML_F32_INLINE void fc_tile(const int nr, const int nc, const tinyml_fully_connected_f32_params *p,
                               const float *input, const float *weights, const float *bias,
                               int32_t b, int32_t o, float *output) {
  const int32_t depth = p->input_depth;
  float acc[4][4];
  TINYML_F32_TILE_INIT(nr, nc, acc, bias, o);
  tinyml_f32_tile(nr, nc, acc, input + (size_t)b * depth, depth, weights + (size_t)o * depth, depth,
                  depth);
#pragma GCC unroll 4
  for (int r = 0; r < nr; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < nc; ++c) {
      output[(size_t)(b + r) * p->output_depth + o + c] =
          tinyml_clamp_f32(acc[r][c], p->activation_min, p->activation_max);
    }
  }
}

TINYML_F32_INLINE void fc_rows(const int nr, const tinyml_fully_connected_f32_params *p,
                               const float *input, const float *weights, const float *bias,
                               int32_t b, float *output) {
  int32_t o = 0;
  for (; o + 4 <= p->output_depth; o += 4) {
    fc_tile(nr, 4, p, input, weights, bias, b, o, output);
  }
  for (; o < p->output_depth; ++o) {
    fc_tile(nr, 1, p, input, weights, bias, b, o, output);
  }
}

void tinyml_fully_connected_f32(const tinyml_fully_connected_f32_params *p, const float *input,
                                const float *weights, const float *bias, float *output) {
  int32_t b = 0;
  for (; b + 4 <= p->batches; b += 4) {
    fc_rows(4, p, input, weights, bias, b, output);
  }
  for (; b < p->batches; ++b) {
    fc_rows(1, p, input, weights, bias, b, output);
  }
}
