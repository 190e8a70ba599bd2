/*
 * split.c - see split.h.
 */
#include "split.h"

#include <string.h>

void tinyml_split(const tinyml_split_params *params, const void *input, void *const *outputs) {
  const uint8_t *in = (const uint8_t *)input;
  uint32_t k, i;
  for (k = 0; k < params->outer_size; ++k) {
    for (i = 0; i < params->num_outputs; ++i) {
      const uint32_t n = params->copy_bytes[i];
      memcpy((uint8_t *)outputs[i] + k * n, in, n);
      in += n;
    }
  }
}
