/*
 * pad.c - see pad.h.
 */
#include "pad.h"

#include <string.h>

/* Writes `count` fill elements at dst and returns the position after them. */
static uint8_t *fill(const tinyml_pad_params *p, uint8_t *dst, uint32_t count) {
  uint32_t i;
  switch (p->elem_bytes) {
    case 1: {
      int8_t *d = (int8_t *)dst;
      for (i = 0; i < count; ++i) {
        d[i] = (int8_t)p->pad_value;
      }
      break;
    }
    case 2: {
      int16_t *d = (int16_t *)(void *)dst;
      for (i = 0; i < count; ++i) {
        d[i] = (int16_t)p->pad_value;
      }
      break;
    }
    default: {
      /* 4-byte elements: int32, or float whose bits the generator stored in pad_value. */
      int32_t *d = (int32_t *)(void *)dst;
      for (i = 0; i < count; ++i) {
        d[i] = p->pad_value;
      }
      break;
    }
  }
  return dst + (uint32_t)count * p->elem_bytes;
}

void tinyml_pad(const tinyml_pad_params *params, const void *input, void *output) {
  const uint32_t *od = params->out_dims;
  const uint32_t *l = params->left;
  const uint32_t *r = params->right;
  const uint32_t row_bytes = params->in_dims[4] * params->elem_bytes;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  uint32_t b, c, h, w;

  /* The innermost dimension is handled a row at a time: left fill, contiguous copy, right fill.
   * Rows that fall in the padding of an outer dimension are filled whole. The input is consumed
   * strictly in order, exactly as the reference walks it. */
  for (b = 0; b < od[0]; ++b) {
    const int b_pad = b < l[0] || b >= od[0] - r[0];
    for (c = 0; c < od[1]; ++c) {
      const int c_pad = b_pad || c < l[1] || c >= od[1] - r[1];
      for (h = 0; h < od[2]; ++h) {
        const int h_pad = c_pad || h < l[2] || h >= od[2] - r[2];
        for (w = 0; w < od[3]; ++w) {
          if (h_pad || w < l[3] || w >= od[3] - r[3]) {
            out = fill(params, out, od[4]);
            continue;
          }
          out = fill(params, out, l[4]);
          memcpy(out, in, row_bytes);
          out += row_bytes;
          in += row_bytes;
          out = fill(params, out, r[4]);
        }
      }
    }
  }
}
