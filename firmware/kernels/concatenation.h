/*
 * concatenation.h - TFLite CONCATENATION: interleaves the inputs' slabs along one axis.
 *
 * With the axis fixed, every input is `outer_size` contiguous slabs, and the output is, for each
 * outer index, the inputs' slabs one after another. No requantization happens (TFLite Micro
 * requires matching quantization), so the kernel is element-type agnostic.
 */
#ifndef TINYML_CONCATENATION_H
#define TINYML_CONCATENATION_H

#include <stdint.h>

typedef struct {
  uint32_t outer_size;        /* product of the dims before the axis */
  uint32_t num_inputs;
  uint32_t elem_bytes;
  const uint32_t *copy_bytes; /* per input: bytes of one slab (axis extent * inner size * elem) */
} tinyml_concatenation_params;

/* inputs: num_inputs pointers, in the op's input order. */
void tinyml_concatenation(const tinyml_concatenation_params *params, const void *const *inputs,
                          void *output);

#endif /* TINYML_CONCATENATION_H */
