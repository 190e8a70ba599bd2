/*
 * tinyml_conv_geometry.h - the window geometry of the convolution-like kernels, declared once per
 * layout and embedded first (as `geo`) in their params structs; the generator fills it with one
 * helper (convGeometry() in src/ops/c-emit.ts), so the kernels and the TS side cannot disagree.
 *
 * Why four layouts and not one: each keeps the field order its kernels were tuned with. The
 * order decides which fields the compiler loads in pairs (LDRD) and so the instruction counts;
 * one common order measurably changed them on Cortex-M55. Pads are the leading (top/left) ones.
 */
#ifndef TINYML_CONV_GEOMETRY_H
#define TINYML_CONV_GEOMETRY_H

#include <stdint.h>

/* CONV_2D (int8/16x8 and float): grouped (input_depth = filter_input_depth * groups) and dilated. */
typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t filter_input_depth;
  int32_t output_height;
  int32_t output_width;
  int32_t output_depth;
  int32_t groups;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
} tinyml_conv2d_geometry;

/* DEPTHWISE_CONV_2D (int8/16x8, float and hybrid): output_depth = input_depth * depth_multiplier. */
typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t output_height;
  int32_t output_width;
  int32_t output_depth;
  int32_t depth_multiplier;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
} tinyml_depthwise_geometry;

/* Windows without dilation or groups: TRANSPOSE_CONV (int8/16x8 and float; the pads crop its
 * output) and the hybrid CONV_2D. */
typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t output_height;
  int32_t output_width;
  int32_t output_depth;
  int32_t stride_height;
  int32_t stride_width;
  int32_t pad_height;
  int32_t pad_width;
} tinyml_window_geometry;

/* The DSP and MVE CONV_2D and DEPTHWISE_CONV_2D kernels (their output depth, where they need
 * one, follows in their own params). */
typedef struct {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
  int32_t output_height;
  int32_t output_width;
} tinyml_packed_geometry;

#endif /* TINYML_CONV_GEOMETRY_H */
