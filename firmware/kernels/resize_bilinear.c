/*
 * resize_bilinear.c - see resize_bilinear.h.
 */
#include "resize_bilinear.h"

/*
 * The walk over output pixels, written once: ROW_WEIGHTS / COL_WEIGHTS declare the weights of
 * output row y / column x (from params' tables), BLEND stores channel c of the output through
 * output++ from the four neighbours row0/row1 [c0 + c] and [c1 + c]. A macro so each kernel
 * keeps the instructions it had written out on its own.
 */
#define TINYML_RESIZE_BILINEAR_KERNEL(NAME, PARAMS_T, T, ROW_WEIGHTS, COL_WEIGHTS, BLEND)           \
  void NAME(const PARAMS_T *params, const T *input, T *output) {                                    \
    const int32_t depth = params->depth;                                                            \
    const int32_t row_stride = params->in_width * depth;                                            \
    const int32_t batch_stride = params->in_height * row_stride;                                    \
    int32_t b, y, x, c;                                                                             \
    for (b = 0; b < params->batches; ++b) {                                                         \
      const T *image = input + b * batch_stride;                                                    \
      for (y = 0; y < params->out_height; ++y) {                                                    \
        ROW_WEIGHTS                                                                                 \
        const T *row0 = image + params->y_lo[y] * row_stride;                                       \
        const T *row1 = image + params->y_hi[y] * row_stride;                                       \
        for (x = 0; x < params->out_width; ++x) {                                                   \
          COL_WEIGHTS                                                                               \
          const int32_t c0 = params->x_lo[x] * depth;                                               \
          const int32_t c1 = params->x_hi[x] * depth;                                               \
          for (c = 0; c < depth; ++c) {                                                             \
            BLEND                                                                                   \
          }                                                                                         \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
  }

/* Weights of the lower and upper row in 1/1024ths. With half_pixel_centers the position can be
 * up to half a pixel before row 0, so wy1 lies in [-512, 1024) and wy0 in (0, 1536];
 * |wy0| + |wy1| <= 2048 either way. */
#define S8_ROW_WEIGHTS                                                                              \
  const int32_t wy1 = params->y_frac[y] - 1024 * params->y_lo[y];                                   \
  const int32_t wy0 = 1024 - wy1;

#define S8_COL_WEIGHTS                                                                              \
  const int32_t wx1 = params->x_frac[x] - 1024 * params->x_lo[x];                                   \
  const int32_t wx0 = 1024 - wx1;

/* TFLite sums in int64; here |sum| <= 128 * 2048 * 2048 = 2^29 (the weight bound above), so
 * int32 holds it exactly and the result is the same. Rounded half away from zero, as TFLite
 * without TFLITE_SINGLE_ROUNDING; C division truncates toward zero like TFLite's. */
#define S8_BLEND                                                                                    \
  const int32_t sum = row0[c0 + c] * wy0 * wx0 + row1[c0 + c] * wy1 * wx0 +                         \
                      row0[c1 + c] * wy0 * wx1 + row1[c1 + c] * wy1 * wx1;                          \
  *output++ = (int8_t)((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));

#define F32_ROW_WEIGHTS                                                                             \
  const float dy = params->y_frac[y];                                                               \
  const float ey = 1.0f - dy;

#define F32_COL_WEIGHTS                                                                             \
  const float dx = params->x_frac[x];                                                               \
  const float ex = 1.0f - dx;

/* TFLite's order of products and sums (a compiler may fuse them into FMAs). */
#define F32_BLEND                                                                                   \
  *output++ = row0[c0 + c] * ey * ex + row1[c0 + c] * dy * ex + row0[c1 + c] * ey * dx +            \
              row1[c1 + c] * dy * dx;

TINYML_RESIZE_BILINEAR_KERNEL(tinyml_resize_bilinear_s8, tinyml_resize_bilinear_params, int8_t, S8_ROW_WEIGHTS,
                              S8_COL_WEIGHTS, S8_BLEND)
TINYML_RESIZE_BILINEAR_KERNEL(tinyml_resize_bilinear_f32, tinyml_resize_bilinear_f32_params, float,
                              F32_ROW_WEIGHTS, F32_COL_WEIGHTS, F32_BLEND)
