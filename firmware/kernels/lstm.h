/*
 * lstm.h - int8 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite Micro reference semantics: int8 input,
 * weights and hidden state, int32 biases, int16 gates at Q3.12 in / Q0.15 out, int16 cell state).
 * Bit-exact with src/ops/lstm.ts. Gates are indexed in TFLite's order: input, forget, cell, output.
 */
#ifndef TINYML_LSTM_H
#define TINYML_LSTM_H

#include <stdint.h>

typedef struct {
  int32_t batches;
  int32_t steps;
  int32_t input_size;
  int32_t units;
  /* 1: input/output are [time, batch, features]; 0: [batch, time, features]. */
  int32_t time_major;
  /* -input zero point (input FCs), -hidden state zero point (recurrent FCs). */
  int32_t input_offset;
  int32_t hidden_offset;
  /* Per gate: -weights zero point and the rescale of the FC accumulator into Q3.12. */
  int32_t input_weights_offset[4];
  int32_t input_multiplier[4];
  int32_t input_shift[4];
  int32_t recurrent_weights_offset[4];
  int32_t recurrent_multiplier[4];
  int32_t recurrent_shift[4];
  int32_t forget_cell_multiplier;
  int32_t forget_cell_shift;
  int32_t input_cell_multiplier;
  int32_t input_cell_shift;
  int32_t hidden_multiplier;
  int32_t hidden_shift;
  int32_t hidden_zero_point;
  /* |cell state| bound in cell units; 0: no clipping. */
  int32_t cell_clip;
  /* int16 tanh input scaling for the cell state (multiplier 0: power-of-two case). */
  int32_t cell_tanh_multiplier;
  int32_t cell_tanh_shift;
} tinyml_lstm_s8_params;

typedef struct {
  const int8_t *input_weights[4];     /* [units][input_size] each */
  const int8_t *recurrent_weights[4]; /* [units][units] each */
  /*
   * [4][units]: the constant part of each FC with zero points expanded (bias + xo * sum(w) +
   * n * wo * xo), so the inner loops are plain dot products; see foldedInputBias in src/ops/lstm.ts.
   */
  const int32_t *folded_input_bias;
  const int32_t *folded_recurrent_bias;
} tinyml_lstm_s8_weights;

/* Bytes of `scratch` the kernel uses (word aligned): must match lstmScratchBytes in src/ops/lstm.ts. */
#define TINYML_LSTM_SCRATCH_BYTES(units) ((((units) + 3) / 4) * 4 + 5 * (((2 * (units)) + 3) / 4) * 4)

/*
 * Runs the whole sequence. hidden_init [batches][units] and cell_init [batches][units] are the
 * state every inference starts from (TFLM's reset values); they are copied, never written.
 * scratch: TINYML_LSTM_SCRATCH_BYTES(units) bytes, word aligned.
 */
void tinyml_lstm_s8(const tinyml_lstm_s8_params *params, const tinyml_lstm_s8_weights *weights, const int8_t *input,
                    const int8_t *hidden_init, const int16_t *cell_init, int8_t *output, void *scratch);

#endif /* TINYML_LSTM_H */
