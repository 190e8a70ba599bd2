/*
 * copy.c - see copy.h.
 */
#include "copy.h"

#include <string.h>

void tinyml_copy(const tinyml_copy_params *params, const void *input, void *output) {
  /* Aliased buffers (the usual case for a reshape) already hold the result. */
  if (input == output || params->bytes == 0u) {
    return;
  }
  /* memmove, not memcpy: a planner may overlap the buffers partially without aliasing them. */
  memmove(output, input, params->bytes);
}
