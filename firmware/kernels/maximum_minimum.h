/*
 * maximum_minimum.h - MAXIMUM and MINIMUM with numpy broadcasting (TFLite Micro reference
 * semantics): the larger/smaller stored value, no rescaling (inputs and output share their
 * quantization, which the generator checks).
 */
#ifndef TINYML_MAXIMUM_MINIMUM_H
#define TINYML_MAXIMUM_MINIMUM_H

#include <stdint.h>

#include "tinyml_broadcast.h"

typedef struct {
  /* Output element count; when broadcast is 0 all three tensors share one flat layout. */
  int32_t size;
  int32_t broadcast;
  tinyml_broadcast bcast;
} tinyml_maxmin_params;

void tinyml_maximum_s8(const tinyml_maxmin_params *params, const int8_t *input1, const int8_t *input2, int8_t *output);
void tinyml_minimum_s8(const tinyml_maxmin_params *params, const int8_t *input1, const int8_t *input2, int8_t *output);
void tinyml_maximum_s16(const tinyml_maxmin_params *params, const int16_t *input1, const int16_t *input2, int16_t *output);
void tinyml_minimum_s16(const tinyml_maxmin_params *params, const int16_t *input1, const int16_t *input2, int16_t *output);
void tinyml_maximum_s32(const tinyml_maxmin_params *params, const int32_t *input1, const int32_t *input2, int32_t *output);
void tinyml_minimum_s32(const tinyml_maxmin_params *params, const int32_t *input1, const int32_t *input2, int32_t *output);
void tinyml_maximum_f32(const tinyml_maxmin_params *params, const float *input1, const float *input2, float *output);
void tinyml_minimum_f32(const tinyml_maxmin_params *params, const float *input1, const float *input2, float *output);

#endif /* TINYML_MAXIMUM_MINIMUM_H */
