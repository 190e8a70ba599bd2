/*
 * pool2d_f32.c - see pool2d_f32.h. Taps are visited in the reference's order (rows, then
 * columns), so the average's sum rounds exactly as TFLite's does.
 */
#include "pool2d_f32.h"

#include <float.h>
#include <stddef.h>

#include "tinyml_f32.h"

typedef enum { POOL_AVERAGE, POOL_MAX } pool_kind;

TINYML_F32_INLINE void pool(const pool_kind kind, const tinyml_pool2d_f32_params *p,
                            const float *input, float *output) {
  const int32_t depth = p->geo.depth;
  const int32_t row_stride = p->geo.input_width * depth;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const float *in_batch = input + (size_t)b * p->geo.input_height * row_stride;
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      const int32_t in_y0 = oy * p->geo.stride_height - p->geo.pad_height;
      int32_t fy0;
      int32_t fy1;
      tinyml_f32_tap_range(in_y0, 1, p->geo.filter_height, p->geo.input_height, &fy0, &fy1);
      for (int32_t ox = 0; ox < p->geo.output_width; ++ox) {
        const int32_t in_x0 = ox * p->geo.stride_width - p->geo.pad_width;
        int32_t fx0;
        int32_t fx1;
        tinyml_f32_tap_range(in_x0, 1, p->geo.filter_width, p->geo.input_width, &fx0, &fx1);
        const float count = (float)((fy1 - fy0) * (fx1 - fx0));
        for (int32_t c = 0; c < depth; ++c) {
          float acc = kind == POOL_AVERAGE ? 0.0f : -FLT_MAX;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            const float *x = in_batch + ((in_y0 + fy) * row_stride + (in_x0 + fx0) * depth + c);
            for (int32_t fx = fx0; fx < fx1; ++fx, x += depth) {
              if (kind == POOL_AVERAGE) {
                acc += *x;
              } else if (*x > acc) {
                acc = *x;
              }
            }
          }
          if (kind == POOL_AVERAGE) {
            acc /= count;
          }
          *output++ = tinyml_clamp_f32(acc, p->activation_min, p->activation_max);
        }
      }
    }
  }
}

void tinyml_average_pool2d_f32(const tinyml_pool2d_f32_params *params, const float *input, float *output) {
  pool(POOL_AVERAGE, params, input, output);
}

void tinyml_max_pool2d_f32(const tinyml_pool2d_f32_params *params, const float *input, float *output) {
  pool(POOL_MAX, params, input, output);
}
