/*
 * pool2d.c - portable reference kernels for quantized average and max pooling, bit-exact with
 * TFLite Micro's reference kernels (and with src/ops/pool2d.ts).
 */
#include "pool2d.h"

#include "tinyml_fixedpoint.h"

/* The part of a pooling window that lies inside the input, relative to the window origin. */
typedef struct {
  int32_t in_y0;
  int32_t in_x0;
  int32_t y_start;
  int32_t y_end;
  int32_t x_start;
  int32_t x_end;
} pool_window;

static inline int32_t max_i32(int32_t a, int32_t b) {
  return a > b ? a : b;
}

static inline int32_t min_i32(int32_t a, int32_t b) {
  return a < b ? a : b;
}

static inline pool_window clip_window(const tinyml_pool2d_params *p, int32_t out_y, int32_t out_x) {
  pool_window w;
  w.in_y0 = out_y * p->geo.stride_height - p->geo.pad_height;
  w.in_x0 = out_x * p->geo.stride_width - p->geo.pad_width;
  w.y_start = max_i32(0, -w.in_y0);
  w.y_end = min_i32(p->geo.filter_height, p->geo.input_height - w.in_y0);
  w.x_start = max_i32(0, -w.in_x0);
  w.x_end = min_i32(p->geo.filter_width, p->geo.input_width - w.in_x0);
  return w;
}

/* Rounds acc / count to nearest, ties away from zero, with C's truncating division. */
static inline int32_t rounded_average(int32_t acc, int32_t count) {
  return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

/*
 * The loops are written once, with macros, so the int8 and int16 kernels stay textually
 * identical (only the element type and its lowest value differ) and average and max pooling
 * share the window walk: BEGIN before a channel's taps, TAP per tap inside the input (row[fx *
 * depth] is its value), END after them (stores through out++).
 */
#define TINYML_POOL_BODY(T, BEGIN, TAP, END)                                                        \
  const int32_t depth = p->geo.depth;                                                                   \
  T *out = output;                                                                                  \
  for (int32_t b = 0; b < p->geo.batches; ++b) {                                                        \
    const T *in_batch = input + b * p->geo.input_height * p->geo.input_width * depth;                       \
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {                                             \
      for (int32_t ox = 0; ox < p->geo.output_width; ++ox) {                                            \
        const pool_window w = clip_window(p, oy, ox);                                               \
        for (int32_t c = 0; c < depth; ++c) {                                                       \
          BEGIN                                                                                     \
          for (int32_t fy = w.y_start; fy < w.y_end; ++fy) {                                        \
            const T *row = in_batch + ((w.in_y0 + fy) * p->geo.input_width + w.in_x0) * depth + c;      \
            for (int32_t fx = w.x_start; fx < w.x_end; ++fx) {                                      \
              TAP                                                                                   \
            }                                                                                       \
          }                                                                                         \
          END                                                                                       \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
  }

#define TINYML_AVERAGE_POOL_BODY(T)                                                                 \
  TINYML_POOL_BODY(T,                                                                               \
                   int32_t acc = 0;                                                                 \
                   int32_t count = 0;,                                                              \
                   acc += row[fx * depth];                                                          \
                   ++count;,                                                                        \
                   /* SAME/VALID geometry always leaves at least one tap inside the input. */       \
                   *out++ = (T)tinyml_clamp(rounded_average(acc, count), p->activation_min, p->activation_max);)

#define TINYML_MAX_POOL_BODY(T, LOWEST)                                                             \
  TINYML_POOL_BODY(T, int32_t m = (LOWEST);, m = max_i32(m, row[fx * depth]);,                      \
                   *out++ = (T)tinyml_clamp(m, p->activation_min, p->activation_max);)

void tinyml_average_pool2d_s8(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output) {
  TINYML_AVERAGE_POOL_BODY(int8_t)
}

void tinyml_average_pool2d_s16(const tinyml_pool2d_params *p, const int16_t *input, int16_t *output) {
  TINYML_AVERAGE_POOL_BODY(int16_t)
}

void tinyml_max_pool2d_s8(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output) {
  TINYML_MAX_POOL_BODY(int8_t, INT8_MIN)
}

void tinyml_max_pool2d_s16(const tinyml_pool2d_params *p, const int16_t *input, int16_t *output) {
  TINYML_MAX_POOL_BODY(int16_t, INT16_MIN)
}
