/*
 * conv2d_f32.c - see conv2d_f32.h.
 *
 * Output pixels are computed in tiles of up to 4 consecutive pixels of a row by 4 output
 * channels (tinyml_f32_tile, once per filter tap), so one loaded input value feeds 4
 * multiply-accumulates and one loaded weight 4 more. Tiles of 4 pixels need every tap of every
 * pixel inside the input along x (the row's interior); the pixels near the left and right
 * borders go one at a time with their own clipped tap range. Rows share their clipped y range.
 * A 1x1 convolution is the same code with one tap: a matrix multiply over the pixels.
 */
#include "conv2d_f32.h"

#include <stddef.h>

#include "tinyml_f32.h"

/* npx pixels (consecutive output x) by noc output channels, one tile per valid tap. */
TINYML_F32_INLINE void conv_tile(const int npx, const int noc, const tinyml_conv2d_f32_params *p,
                                 const float *in_batch, int32_t in_y0, int32_t in_x0,
                                 int32_t fy0, int32_t fy1, int32_t fx0, int32_t fx1,
                                 int32_t ic_base, int32_t oc, const float *filter,
                                 const float *bias, float *out) {
  const int32_t fic = p->geo.filter_input_depth;
  const int32_t oc_stride = p->geo.filter_height * p->geo.filter_width * fic;
  const int32_t px_stride = p->geo.stride_width * p->geo.input_depth;
  float acc[4][4];
  TINYML_F32_TILE_INIT(npx, noc, acc, bias, oc);
  for (int32_t fy = fy0; fy < fy1; ++fy) {
    const float *row =
        in_batch + (in_y0 + fy * p->geo.dilation_height) * p->geo.input_width * p->geo.input_depth + ic_base;
    const float *w_row = filter + (size_t)oc * oc_stride + fy * p->geo.filter_width * fic;
    for (int32_t fx = fx0; fx < fx1; ++fx) {
      tinyml_f32_tile(npx, noc, acc, row + (in_x0 + fx * p->geo.dilation_width) * p->geo.input_depth,
                      px_stride, w_row + fx * fic, oc_stride, fic);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < npx; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < noc; ++c) {
      out[r * p->geo.output_depth + oc + c] =
          tinyml_clamp_f32(acc[r][c], p->activation_min, p->activation_max);
    }
  }
}

/* Every output channel of npx pixels that share the tap range [fx0, fx1). */
TINYML_F32_INLINE void conv_pixels(const int npx, const tinyml_conv2d_f32_params *p,
                                   const float *in_batch, int32_t in_y0, int32_t in_x0,
                                   int32_t fy0, int32_t fy1, int32_t fx0, int32_t fx1,
                                   const float *filter, const float *bias, float *out) {
  const int32_t per_group = p->geo.output_depth / p->geo.groups;
  for (int32_t g = 0; g < p->geo.groups; ++g) {
    const int32_t ic_base = g * p->geo.filter_input_depth;
    const int32_t oc_end = (g + 1) * per_group;
    int32_t oc = g * per_group;
    for (; oc + 4 <= oc_end; oc += 4) {
      conv_tile(npx, 4, p, in_batch, in_y0, in_x0, fy0, fy1, fx0, fx1, ic_base, oc, filter, bias,
                out);
    }
    for (; oc < oc_end; ++oc) {
      conv_tile(npx, 1, p, in_batch, in_y0, in_x0, fy0, fy1, fx0, fx1, ic_base, oc, filter, bias,
                out);
    }
  }
}

void tinyml_conv2d_f32(const tinyml_conv2d_f32_params *p, const float *input, const float *filter,
                       const float *bias, float *output) {
  const int32_t sw = p->geo.stride_width;
  /* Output columns whose every tap lies inside the input along x: [x_lo, x_hi). */
  const int32_t x_lo = (p->geo.pad_width + sw - 1) / sw;
  const int32_t last_origin = p->geo.input_width - 1 - (p->geo.filter_width - 1) * p->geo.dilation_width;
  int32_t x_hi = last_origin + p->geo.pad_width >= 0 ? (last_origin + p->geo.pad_width) / sw + 1 : 0;
  if (x_hi > p->geo.output_width) {
    x_hi = p->geo.output_width;
  }
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const float *in_batch =
        input + (size_t)b * p->geo.input_height * p->geo.input_width * p->geo.input_depth;
    for (int32_t oy = 0; oy < p->geo.output_height; ++oy) {
      const int32_t in_y0 = oy * p->geo.stride_height - p->geo.pad_height;
      int32_t fy0;
      int32_t fy1;
      tinyml_f32_tap_range(in_y0, p->geo.dilation_height, p->geo.filter_height, p->geo.input_height, &fy0, &fy1);
      float *out_row =
          output + ((size_t)b * p->geo.output_height + oy) * p->geo.output_width * p->geo.output_depth;
      int32_t ox = 0;
      while (ox < p->geo.output_width) {
        const int32_t in_x0 = ox * sw - p->geo.pad_width;
        float *out = out_row + ox * p->geo.output_depth;
        if (ox >= x_lo && ox + 4 <= x_hi) {
          conv_pixels(4, p, in_batch, in_y0, in_x0, fy0, fy1, 0, p->geo.filter_width, filter, bias,
                      out);
          ox += 4;
        } else if (ox >= x_lo && ox + 2 <= x_hi) {
          conv_pixels(2, p, in_batch, in_y0, in_x0, fy0, fy1, 0, p->geo.filter_width, filter, bias,
                      out);
          ox += 2;
        } else {
          int32_t fx0;
          int32_t fx1;
          tinyml_f32_tap_range(in_x0, p->geo.dilation_width, p->geo.filter_width, p->geo.input_width, &fx0, &fx1);
          conv_pixels(1, p, in_batch, in_y0, in_x0, fy0, fy1, fx0, fx1, filter, bias, out);
          ox += 1;
        }
      }
    }
  }
}
