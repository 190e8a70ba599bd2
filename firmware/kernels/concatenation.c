/*
 * concatenation.c - see concatenation.h.
 */
#include "concatenation.h"

#include <string.h>

void tinyml_concatenation(const tinyml_concatenation_params *params, const void *const *inputs,
                          void *output) {
  uint8_t *out = (uint8_t *)output;
  uint32_t k, i;
  for (k = 0; k < params->outer_size; ++k) {
    for (i = 0; i < params->num_inputs; ++i) {
      const uint32_t n = params->copy_bytes[i];
      memcpy(out, (const uint8_t *)inputs[i] + (uint32_t)k * n, n);
      out += n;
    }
  }
}
