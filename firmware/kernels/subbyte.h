/*
 * subbyte.h - CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (int8 activations) with weights
 * stored sub-byte in flash and unpacked in the inner loop: no RAM copy of the weights. Results
 * are bit-exact with the int8 kernels (conv2d.c, depthwise_conv2d.c, fully_connected.c) run on
 * the decoded weights, with the same params structs.
 *
 * Packing: the weights in the int8 kernel's order (OHWI, [1, H, W, C], [units, depth]), low bits
 * first: 4 bits = two's complement nibble, 2 bits = two's complement pair (int2 and ternary),
 * 1 bit = binary weight (set = +1, clear = -1). The 4- and 2-bit layouts are TFLite's INT4/INT2.
 */
#ifndef TINYML_SUBBYTE_H
#define TINYML_SUBBYTE_H

#include <stdint.h>

#include "conv2d.h"
#include "depthwise_conv2d.h"
#include "fully_connected.h"

/* Weight i of a packed array of 4-, 2- or 1-bit weights. */
static inline int32_t tinyml_subbyte_get(const uint8_t *w, int32_t i, int bits) {
  if (bits == 4) {
    /* Shift the nibble to the top, then back down arithmetically: sign extension. */
    return (int32_t)((uint32_t)w[i >> 1] << (28 - ((i & 1) << 2))) >> 28;
  }
  if (bits == 2) {
    return (int32_t)((uint32_t)w[i >> 2] << (30 - ((i & 3) << 1))) >> 30;
  }
  return ((w[i >> 3] >> (i & 7)) & 1) ? 1 : -1;
}

/* bias may be NULL. */
void tinyml_conv2d_s8_w4(const tinyml_conv2d_params *p, const int8_t *input, const uint8_t *filter,
                         const int32_t *bias, int8_t *output);
void tinyml_conv2d_s8_w2(const tinyml_conv2d_params *p, const int8_t *input, const uint8_t *filter,
                         const int32_t *bias, int8_t *output);
void tinyml_conv2d_s8_w1(const tinyml_conv2d_params *p, const int8_t *input, const uint8_t *filter,
                         const int32_t *bias, int8_t *output);

void tinyml_depthwise_conv2d_s8_w4(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                   const uint8_t *filter, const int32_t *bias, int8_t *output);
void tinyml_depthwise_conv2d_s8_w2(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                   const uint8_t *filter, const int32_t *bias, int8_t *output);
void tinyml_depthwise_conv2d_s8_w1(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                   const uint8_t *filter, const int32_t *bias, int8_t *output);

/* weights_offset must be 0 (sub-byte weights are symmetric). */
void tinyml_fully_connected_s8_w4(const tinyml_fully_connected_params *p, const int8_t *input,
                                  const uint8_t *weights, const int32_t *bias, int8_t *output);
void tinyml_fully_connected_s8_w2(const tinyml_fully_connected_params *p, const int8_t *input,
                                  const uint8_t *weights, const int32_t *bias, int8_t *output);
void tinyml_fully_connected_s8_w1(const tinyml_fully_connected_params *p, const int8_t *input,
                                  const uint8_t *weights, const int32_t *bias, int8_t *output);

#endif /* TINYML_SUBBYTE_H */
