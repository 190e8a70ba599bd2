/*
 * resize_nearest_neighbor.c - see resize_nearest_neighbor.h.
 */
#include "resize_nearest_neighbor.h"

#include <string.h>

void tinyml_resize_nearest_neighbor(const tinyml_resize_nearest_neighbor_params *params,
                                    const void *input, void *output) {
  const uint32_t pixel_bytes = params->depth * params->elem_bytes;
  const uint32_t row_bytes = params->in_width * pixel_bytes;
  const uint32_t batch_bytes = params->in_height * row_bytes;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  uint32_t b, y, x;

  for (b = 0; b < params->batches; ++b) {
    for (y = 0; y < params->out_height; ++y) {
      const uint8_t *row = in + b * batch_bytes + (uint32_t)params->ys[y] * row_bytes;
      for (x = 0; x < params->out_width; ++x) {
        memcpy(out, row + (uint32_t)params->xs[x] * pixel_bytes, pixel_bytes);
        out += pixel_bytes;
      }
    }
  }
}
