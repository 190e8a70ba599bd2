/*
 * add_sub_mve.h - int8 ADD and SUB without broadcasting, with Helium. Each input's rescaled value
 * (re-centred, shifted left, multiplied, rounded) depends on its byte alone, so the generator
 * tabulates both inputs (256 int32 each, indexed by the unsigned byte; input 2 negated for SUB),
 * as for the DSP kernel; four elements per step: their bytes widened to word offsets, two
 * gathers from the tables, one add, and the output's rescaling on four lanes. Bit-exact with
 * tinyml_add_s8 / tinyml_sub_s8.
 */
#ifndef TINYML_ADD_SUB_MVE_H
#define TINYML_ADD_SUB_MVE_H

#include <stdint.h>

#include "tinyml_mve.h"

typedef struct {
  int32_t size;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  /* The output's MultiplyByQuantizedMultiplierSmallerThanOneExp: multiplier, shift <= 0. */
  int32_t output_multiplier;
  int32_t output_shift;
  const int32_t *table1;
  const int32_t *table2;
} tinyml_add_sub_mve_params;

void tinyml_add_sub_s8_mve(const tinyml_add_sub_mve_params *p, const int8_t *input1, const int8_t *input2,
                           int8_t *output);

#endif /* TINYML_ADD_SUB_MVE_H */
