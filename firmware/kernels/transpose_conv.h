/*
 * transpose_conv.h - TRANSPOSE_CONV reference kernels (int8, and 16x8: int16 activations with
 * int8 weights), bit-exact with TFLite Micro's reference_integer_ops::TransposeConv. Data is
 * NHWC, weights OHWI. Each input pixel scatters input x weights into the output window at
 * (in * stride - pad); sums collect in a caller-provided scratch buffer with one accumulator per
 * output element, then get requantized.
 */
#ifndef TINYML_TRANSPOSE_CONV_H
#define TINYML_TRANSPOSE_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "tinyml_conv_geometry.h"
#include "tinyml_layer_quant.h"

typedef struct {
  tinyml_window_geometry geo;
  /* Output cropped at the top/left by geo.pad_*; bottom/right lose geo.pad_* + pad_*_offset. */
  int32_t pad_height_offset;
  int32_t pad_width_offset;
  tinyml_layer_quant q;
} tinyml_transpose_conv_params;

/* bias may be NULL; scratch holds batches * output_height * output_width * output_depth. */
void tinyml_transpose_conv_s8(const tinyml_transpose_conv_params *p, const int8_t *input,
                              const int8_t *filter, const int32_t *bias, int8_t *output,
                              int32_t *scratch);

/* 16x8 with int64 bias (or none). */
void tinyml_transpose_conv_s16(const tinyml_transpose_conv_params *p, const int16_t *input,
                               const int8_t *filter, const int64_t *bias, int16_t *output,
                               int64_t *scratch);

/* 16x8 with int16 bias, which TFLM widens to int64 before adding. */
void tinyml_transpose_conv_s16_b16(const tinyml_transpose_conv_params *p, const int16_t *input,
                                   const int8_t *filter, const int16_t *bias, int16_t *output,
                                   int64_t *scratch);

/*
 * What tinyml_invoke() returns when a TRANSPOSE_CONV's output_shape is a run-time input (e.g. a
 * graph input) that does not hold the output shape the model was generated for: the kernels
 * compute exactly that shape (as TFLite Micro computes the declared one), so any other value is
 * refused rather than silently ignored.
 */
#define TINYML_ERR_OUTPUT_SHAPE 2 /* the runtime's TINYML_INVOKE_ERR_OUTPUT_SHAPE (tinyml_model.h) */

/* 1 when output_shape holds {batches, height, width, depth}. */
static inline int tinyml_transpose_conv_output_shape_ok(const int32_t *output_shape, int32_t batches, int32_t height,
                                                        int32_t width, int32_t depth) {
  return output_shape[0] == batches && output_shape[1] == height && output_shape[2] == width &&
         output_shape[3] == depth;
}

#endif /* TINYML_TRANSPOSE_CONV_H */
