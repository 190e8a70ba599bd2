/*
 * tinyml_layer_quant.h - the requantization the int8/16x8 reference kernels with weights share
 * (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED): embedded in their params structs
 * as `q`, at the place these fields held before, and filled by quantCommonFields() in
 * src/ops/c-emit.ts.
 */
#ifndef TINYML_LAYER_QUANT_H
#define TINYML_LAYER_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "tinyml_fixedpoint.h"

typedef struct {
  /* -input zero point and output zero point. The 16x8 conv-like kernels ignore them (they are
   * 0); the 16x8 fully connected kernel applies them, as TFLite Micro does. */
  int32_t input_offset;
  int32_t output_offset;
  /* Output clamp from the fused activation, in output quantized units. */
  int32_t activation_min;
  int32_t activation_max;
  /* 1: one multiplier/shift per output channel; 0: element 0 applies to every channel. */
  int32_t per_channel;
  const int32_t *output_multiplier; /* Q31 */
  const int32_t *output_shift;      /* exponent, positive = left shift */
} tinyml_layer_quant;

/*
 * DST = the int8 output of channel OC's int32 accumulator ACC (which it modifies): plus the bias
 * (BIAS may be NULL), rescaled by the channel's (or the layer's) multiplier and shift, plus the
 * output offset, clamped to the activation range; TFLite Micro's order. Q is the
 * tinyml_layer_quant itself. A macro so that each kernel compiles to the instructions it had
 * with these lines written in place (an inlined function reorders them).
 */
#define TINYML_REQUANT_S8(DST, Q, BIAS, OC, ACC)                                                     \
  do {                                                                                               \
    if ((BIAS) != NULL) {                                                                            \
      ACC += (BIAS)[OC];                                                                             \
    }                                                                                                \
    const int32_t ch = (Q).per_channel ? (OC) : 0;                                                   \
    ACC = tinyml_mbqm(ACC, (Q).output_multiplier[ch], (Q).output_shift[ch]);                         \
    ACC += (Q).output_offset;                                                                        \
    DST = (int8_t)tinyml_clamp(ACC, (Q).activation_min, (Q).activation_max);                         \
  } while (0)

#endif /* TINYML_LAYER_QUANT_H */
