/*
 * lut_layers.h - CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (int8) with clustered weights:
 * every weight is an index into a small int8 table, decoded in the inner loop straight from the
 * packed indices in flash. Nothing is decompressed into RAM. Results equal the int8 kernels'
 * on the decoded weights (same loops, same accumulation and requantization).
 */
#ifndef TINYML_LUT_LAYERS_H
#define TINYML_LUT_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "conv2d.h"
#include "depthwise_conv2d.h"
#include "fully_connected.h"

typedef struct {
  /* `bits`-bit indices, one per weight in the int8 weights' order, packed from the high-order
   * bit of each byte down with no padding (TensorFlow Lite Micro's LUT layout), followed by one
   * spare byte so the two-byte window a decode reads never leaves the array. */
  const uint8_t *indices;
  /* `entries` int8 values per table: one table, or one per output channel. */
  const int8_t *table;
  int32_t bits;
  int32_t entries;
  /* 1: table (output channel) for each channel; 0: one table for all. */
  int32_t per_channel_table;
} tinyml_lut_weights;

/* Index number `bit / bits`: the `bits` bits starting at bit offset `bit`. */
static inline int32_t tinyml_lut_index(const uint8_t *indices, uint32_t bit, uint32_t bits) {
  const uint32_t byte = bit >> 3;
  const uint32_t window = ((uint32_t)indices[byte] << 8) | indices[byte + 1];
  return (int32_t)((window >> (16u - bits - (bit & 7u))) & ((1u << bits) - 1u));
}

void tinyml_conv2d_lut_s8(const tinyml_conv2d_params *p, const int8_t *input,
                          const tinyml_lut_weights *filter, const int32_t *bias, int8_t *output);

void tinyml_depthwise_conv2d_lut_s8(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                    const tinyml_lut_weights *filter, const int32_t *bias,
                                    int8_t *output);

void tinyml_fully_connected_lut_s8(const tinyml_fully_connected_params *p, const int8_t *input,
                                   const tinyml_lut_weights *weights, const int32_t *bias,
                                   int8_t *output);

#endif /* TINYML_LUT_LAYERS_H */
