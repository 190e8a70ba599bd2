/*
 * copy.h - byte copy kernel for RESHAPE and SQUEEZE.
 *
 * Both ops only relabel the shape, so the memory planner normally places output and input at the
 * same arena offset and the call degenerates to a pointer comparison. The kernel stays correct
 * (a real copy) when the planner could not alias them.
 */
#ifndef TINYML_COPY_H
#define TINYML_COPY_H

#include <stdint.h>

typedef struct {
  uint32_t bytes; /* element count * element size */
} tinyml_copy_params;

void tinyml_copy(const tinyml_copy_params *params, const void *input, void *output);

#endif /* TINYML_COPY_H */
