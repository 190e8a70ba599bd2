/*
 * gather.c - see gather.h.
 */
#include "gather.h"

#include <string.h>

void tinyml_gather(const tinyml_gather_params *params, const void *input, const int32_t *positions, void *output) {
  const uint8_t *src = (const uint8_t *)input;
  uint8_t *dst = (uint8_t *)output;
  const uint32_t slice_bytes = params->inner_size * params->element_bytes;
  uint32_t b;
  uint32_t o;
  uint32_t c;
  for (b = 0u; b < params->batch_size; ++b) {
    for (o = 0u; o < params->outer_size; ++o) {
      const uint32_t block = b * params->outer_size + o;
      for (c = 0u; c < params->coord_size; ++c) {
        const int32_t pos = positions[b * params->coord_size + c];
        uint8_t *to = dst + (block * params->coord_size + c) * slice_bytes;
        /* TFLite Micro only DCHECKs the position (a release build reads out of bounds). Constant
         * positions are range-checked at generation; a run-time position outside the axis gets
         * a zero slice, so a bad input cannot make the kernel read outside the input tensor. */
        if (pos < 0 || (uint32_t)pos >= params->axis_size) {
          memset(to, 0, slice_bytes);
          continue;
        }
        memcpy(to, src + (block * params->axis_size + (uint32_t)pos) * slice_bytes, slice_bytes);
      }
    }
  }
}
