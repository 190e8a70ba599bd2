/*
 * resize_bilinear.h - TFLite RESIZE_BILINEAR on NHWC tensors, int8 and float32.
 *
 * Where each output row and column samples the input (the lower and upper source index and the
 * fraction between them) depends only on the sizes and the align_corners / half_pixel_centers
 * flags, so the generator computes it once, exactly as TFLite does, into the tables below; the
 * kernels only blend the four neighbours.
 */
#ifndef TINYML_RESIZE_BILINEAR_H
#define TINYML_RESIZE_BILINEAR_H

#include <stdint.h>

/* int8: y_frac / x_frac are TFLite's fixed-point source positions (position * 1024). */
typedef struct {
  int32_t batches;
  int32_t in_height;
  int32_t in_width;
  int32_t depth;
  int32_t out_height;
  int32_t out_width;
  const int32_t *y_lo; /* out_height entries */
  const int32_t *y_hi;
  const int32_t *y_frac;
  const int32_t *x_lo; /* out_width entries */
  const int32_t *x_hi;
  const int32_t *x_frac;
} tinyml_resize_bilinear_params;

/* float32: y_frac / x_frac are the float fractions position - lower index. */
typedef struct {
  int32_t batches;
  int32_t in_height;
  int32_t in_width;
  int32_t depth;
  int32_t out_height;
  int32_t out_width;
  const int32_t *y_lo;
  const int32_t *y_hi;
  const float *y_frac;
  const int32_t *x_lo;
  const int32_t *x_hi;
  const float *x_frac;
} tinyml_resize_bilinear_f32_params;

void tinyml_resize_bilinear_s8(const tinyml_resize_bilinear_params *params, const int8_t *input, int8_t *output);
void tinyml_resize_bilinear_f32(const tinyml_resize_bilinear_f32_params *params, const float *input, float *output);

#endif /* TINYML_RESIZE_BILINEAR_H */
