/*
 * log_softmax.h - LOG_SOFTMAX over the last axis (TFLite Micro reference semantics,
 * log_softmax.cc and reference/log_softmax.h).
 *
 * int8: per row, differences to the row maximum are rescaled to Q5.26, their gemmlowp exps
 * summed in Q12.19, the sum's log taken in fixed point (Q5.26), and each output is
 * (difference - log sum) in Q4 plus 127 (the output is fixed at scale 16/256, zero point 127);
 * differences at or below a cut-off give -128. float32: x - max - logf(sum of expf(x - max)).
 */
#ifndef TINYML_LOG_SOFTMAX_H
#define TINYML_LOG_SOFTMAX_H

#include <stdint.h>

typedef struct {
  int32_t outer_size; /* rows: the element count over the last dimension */
  int32_t depth;      /* the last dimension */
  /* int8 only (0 for float32): */
  int32_t input_multiplier;        /* input scale * 2^26 as a Q31 multiplier ... */
  int32_t input_left_shift;        /* ... and a left shift >= 1 */
  int32_t reverse_scaling_divisor; /* the inverse scaling (Q31) ... */
  int32_t reverse_scaling_shift;   /* ... and its shift (<= 0) */
  int32_t diff_min;                /* differences below this do not count in the sum */
} tinyml_log_softmax_params;

void tinyml_log_softmax_s8(const tinyml_log_softmax_params *params, const int8_t *input, int8_t *output);
void tinyml_log_softmax_f32(const tinyml_log_softmax_params *params, const float *input, float *output);

#endif /* TINYML_LOG_SOFTMAX_H */
