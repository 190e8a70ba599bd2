/*
 * tinyml_conv_walk.h - the window walk of the CONV_2D and DEPTHWISE_CONV_2D kernels that read
 * weights one at a time (int8, 16x8, sub-byte, clustered), written once. The kernels differ only
 * in the steps they hang on it:
 *
 *   BEGIN  before the taps of an output channel (declare and zero the accumulator, ...)
 *   TAP    for each filter tap that falls inside the image (fetch the weights, accumulate)
 *   END    after the taps (requantize, store)
 *
 * In scope for the steps: b, out_y, out_x, oc (the output channel), fy, fx (the tap), in_y,
 * in_x (the input pixel it reads) and in_c, the first input channel it reads: the group's
 * first for CONV_2D, the channel itself for DEPTHWISE_CONV_2D.
 *
 * Taps outside the image are skipped: they read padding, which is zero once the input offset is
 * applied, so they add nothing; TFLite Micro's reference kernels skip them the same way and in
 * the same order (fy, then fx), so the sums match bit for bit.
 *
 * Why macros taking the steps as code rather than functions taking hooks: the steps are pasted
 * where the hand-written loops had them, so every kernel compiles to exactly the instructions it
 * had when it was written out on its own (checked with objdump on every board's flags). Inlined
 * hooks gave the same loops, but GCC orders the operands of commutative operations by the order
 * it creates temporaries, so registers and instructions moved.
 *
 * A step is a macro argument: a comma outside parentheses would split it (declare one variable
 * per declaration; a comma inside a for header or a call is fine).
 *
 * G is the geometry struct itself (tinyml_conv2d_geometry or tinyml_depthwise_geometry, e.g.
 * p->geo); its fields are read at each use, as the kernels always did.
 */
#ifndef TINYML_CONV_WALK_H
#define TINYML_CONV_WALK_H

#include <stdint.h>

#include "tinyml_conv_geometry.h"

/*
 * The taps of one output value's window that fall inside the image: filter FH x FW, dilation
 * DH x DW, image IH x IW, window origin (Y0, X0) (top left, may be outside). Declares fy, fx,
 * in_y, in_x for TAP. Taking the bounds as expressions lets a kernel pass fields or locals, as
 * its loops always read them.
 */
#define TINYML_WINDOW_TAPS_IN(FH, FW, DH, DW, IH, IW, Y0, X0, TAP)                                  \
  for (int32_t fy = 0; fy < (FH); ++fy) {                                                           \
    const int32_t in_y = (Y0) + (DH) * fy;                                                          \
    if (in_y < 0 || in_y >= (IH)) {                                                                 \
      continue;                                                                                     \
    }                                                                                               \
    for (int32_t fx = 0; fx < (FW); ++fx) {                                                         \
      const int32_t in_x = (X0) + (DW) * fx;                                                        \
      if (in_x < 0 || in_x >= (IW)) {                                                               \
        continue;                                                                                   \
      }                                                                                             \
      TAP                                                                                           \
    }                                                                                               \
  }

/* The same for geometry G (both conv geometries name these fields alike) from in_y_origin,
 * in_x_origin. */
#define TINYML_WINDOW_TAPS(G, TAP)                                                                    \
  TINYML_WINDOW_TAPS_IN((G).filter_height, (G).filter_width, (G).dilation_height, (G).dilation_width, \
                        (G).input_height, (G).input_width, in_y_origin, in_x_origin, TAP)

/* The output positions, batch outermost; in_y_origin / in_x_origin: the window's top left. */
#define TINYML_OUTPUT_POSITIONS(G, BODY)                                                            \
  for (int32_t b = 0; b < (G).batches; ++b) {                                                       \
    for (int32_t out_y = 0; out_y < (G).output_height; ++out_y) {                                   \
      const int32_t in_y_origin = out_y * (G).stride_height - (G).pad_height;                       \
      for (int32_t out_x = 0; out_x < (G).output_width; ++out_x) {                                  \
        const int32_t in_x_origin = out_x * (G).stride_width - (G).pad_width;                       \
        BODY                                                                                        \
      }                                                                                             \
    }                                                                                               \
  }

/*
 * CONV_2D (tinyml_conv2d_geometry, grouped: channel oc reads filter_input_depth channels from
 * in_c). Output channels innermost, OC_STEP at a time (1; a kernel that computes two channels
 * per pass gives 2 and handles an odd last one in its steps).
 */
#define TINYML_CONV_WALK(G, OC_STEP, BEGIN, TAP, END)                                               \
  do {                                                                                              \
    const int32_t filters_per_group = (G).output_depth / (G).groups;                                \
    TINYML_OUTPUT_POSITIONS(G, for (int32_t oc = 0; oc < (G).output_depth; oc += (OC_STEP)) {       \
      const int32_t in_c = (oc / filters_per_group) * (G).filter_input_depth;                       \
      (void)in_c;                                                                                   \
      BEGIN                                                                                         \
      TINYML_WINDOW_TAPS(G, TAP)                                                                    \
      END                                                                                           \
    })                                                                                              \
  } while (0)

/* DEPTHWISE_CONV_2D (tinyml_depthwise_geometry): output channel oc = in_c * depth_multiplier + m
 * reads input channel in_c. */
#define TINYML_DEPTHWISE_WALK(G, BEGIN, TAP, END)                                                   \
  do {                                                                                              \
    TINYML_OUTPUT_POSITIONS(G, for (int32_t in_c = 0; in_c < (G).input_depth; ++in_c) {             \
      for (int32_t m = 0; m < (G).depth_multiplier; ++m) {                                          \
        const int32_t oc = in_c * (G).depth_multiplier + m;                                         \
        BEGIN                                                                                       \
        TINYML_WINDOW_TAPS(G, TAP)                                                                  \
        END                                                                                         \
      }                                                                                             \
    })                                                                                              \
  } while (0)

/* FULLY_CONNECTED, the same steps without a window: row is batch b's input (`input`, of T),
 * TAP runs for each of its input_depth values d. */
#define TINYML_FC_WALK(P, T, BEGIN, TAP, END)                                                       \
  for (int32_t b = 0; b < (P)->batches; ++b) {                                                      \
    const T *row = input + b * (P)->input_depth;                                                    \
    for (int32_t oc = 0; oc < (P)->output_depth; ++oc) {                                            \
      BEGIN                                                                                         \
      for (int32_t d = 0; d < (P)->input_depth; ++d) {                                              \
        TAP                                                                                         \
      }                                                                                             \
      END                                                                                           \
    }                                                                                               \
  }

#endif /* TINYML_CONV_WALK_H */
