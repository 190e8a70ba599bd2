/*
 * lstm.c - portable int8 UNIDIRECTIONAL_SEQUENCE_LSTM, bit-exact with TFLite Micro's reference
 * kernel (lstm_eval.h, EvalLstm<int8_t, int8_t, int16_t, int32_t>) and with src/ops/lstm.ts.
 */
#include "lstm.h"

#include <string.h>

#include "logistic_tanh.h"
#include "tinyml_fixedpoint.h"

enum { GATE_INPUT = 0, GATE_FORGET = 1, GATE_CELL = 2, GATE_OUTPUT = 3 };

static inline int16_t sat16(int32_t v) {
  return (int16_t)tinyml_clamp(v, INT16_MIN, INT16_MAX);
}

/* sum(w[d] * x[d]) over n int8 pairs; four at a time so the loop overhead is paid once per four MACs. */
static inline int32_t dot_s8(const int8_t *w, const int8_t *x, int32_t n) {
  int32_t acc = 0;
  int32_t d = 0;
  for (; d + 4 <= n; d += 4) {
    acc += w[d] * x[d] + w[d + 1] * x[d + 1] + w[d + 2] * x[d + 2] + w[d + 3] * x[d + 3];
  }
  for (; d < n; ++d) {
    acc += w[d] * x[d];
  }
  return acc;
}

static inline int32_t sum_s8(const int8_t *x, int32_t n) {
  int32_t s = 0;
  for (int32_t d = 0; d < n; ++d) {
    s += x[d];
  }
  return s;
}

/*
 * One gate for one batch row: FC(x_t) with the bias and FC(h) without, each rescaled into
 * saturated int16 Q3.12 (TFLM runs them as two FULLY_CONNECTED calls with int16 outputs), their
 * saturated sum, then the non-linearity in place. sum(w + wo)(x + xo) is computed as
 * sum(w x) + wo sum(x) + folded constant: integer sums, so exactly TFLM's value.
 */
static void lstm_gate(const tinyml_lstm_s8_params *p, const tinyml_lstm_s8_weights *w, int k, const int8_t *x,
                      int32_t x_sum, const int8_t *h, int32_t h_sum, int16_t *out, int is_tanh) {
  const int32_t n = p->input_size;
  const int32_t u = p->units;
  const int8_t *wi = w->input_weights[k];
  const int8_t *wr = w->recurrent_weights[k];
  const int32_t *in_const = w->folded_input_bias + k * u;
  const int32_t *rec_const = w->folded_recurrent_bias + k * u;
  const int32_t in_var = p->input_weights_offset[k] * x_sum;
  const int32_t rec_var = p->recurrent_weights_offset[k] * h_sum;
  for (int32_t o = 0; o < u; ++o) {
    const int32_t acc = dot_s8(wi + o * n, x, n) + in_var + in_const[o];
    const int16_t from_input = sat16(tinyml_mbqm(acc, p->input_multiplier[k], p->input_shift[k]));
    const int32_t racc = dot_s8(wr + o * u, h, u) + rec_var + rec_const[o];
    const int16_t from_state = sat16(tinyml_mbqm(racc, p->recurrent_multiplier[k], p->recurrent_shift[k]));
    out[o] = sat16((int32_t)from_input + from_state);
  }
  /* Q3.12 pre-activations: TFLM passes multiplier 0, shift 0 (the kernels then scale by 3). */
  const tinyml_logistic_tanh_s16_params act = {.size = u, .input_multiplier = 0, .input_left_shift = 0};
  if (is_tanh) {
    tinyml_tanh_s16(&act, out, out);
  } else {
    tinyml_logistic_s16(&act, out, out);
  }
}

void tinyml_lstm_s8(const tinyml_lstm_s8_params *params, const tinyml_lstm_s8_weights *weights, const int8_t *input,
                    const int8_t *hidden_init, const int16_t *cell_init, int8_t *output, void *scratch) {
  const tinyml_lstm_s8_params *p = params;
  const int32_t u = p->units;
  const int32_t row16 = ((2 * u + 3) / 4) * 4 / 2; /* int16 elements per word-aligned buffer */
  /* Scratch layout: cell state, four gate buffers (int16, word aligned), then the hidden state. */
  int16_t *cell = (int16_t *)scratch;
  int16_t *forget_gate = cell + row16;
  int16_t *input_gate = forget_gate + row16;
  int16_t *cell_gate = input_gate + row16;
  int16_t *output_gate = cell_gate + row16;
  int8_t *hidden = (int8_t *)(output_gate + row16);
  /* tanh(cell) reuses the forget gate's buffer, which is dead once the cell is updated (as in TFLM). */
  int16_t *tanh_cell = forget_gate;
  const tinyml_logistic_tanh_s16_params cell_tanh = {
      .size = u, .input_multiplier = p->cell_tanh_multiplier, .input_left_shift = p->cell_tanh_shift};

  for (int32_t b = 0; b < p->batches; ++b) {
    /* Every inference starts from the reset state (see src/tflite/import.ts). */
    memcpy(hidden, hidden_init + b * u, (size_t)u);
    memcpy(cell, cell_init + b * u, (size_t)u * sizeof(int16_t));
    for (int32_t t = 0; t < p->steps; ++t) {
      const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;
      const int8_t *x = input + row * p->input_size;
      /* Only needed for weights with a non-zero zero point (never from the converter). */
      const int32_t x_sum = sum_s8(x, p->input_size);
      const int32_t h_sum = sum_s8(hidden, u);
      /* TFLM's order: forget, input and cell gates, the cell update, then the output gate. */
      lstm_gate(p, weights, GATE_FORGET, x, x_sum, hidden, h_sum, forget_gate, 0);
      lstm_gate(p, weights, GATE_INPUT, x, x_sum, hidden, h_sum, input_gate, 0);
      lstm_gate(p, weights, GATE_CELL, x, x_sum, hidden, h_sum, cell_gate, 1);
      for (int32_t o = 0; o < u; ++o) {
        const int16_t kept = sat16(tinyml_mbqm((int32_t)forget_gate[o] * cell[o], p->forget_cell_multiplier, p->forget_cell_shift));
        const int16_t added = sat16(tinyml_mbqm((int32_t)input_gate[o] * cell_gate[o], p->input_cell_multiplier, p->input_cell_shift));
        int32_t v = sat16((int32_t)kept + added);
        if (p->cell_clip > 0) {
          v = tinyml_clamp(v, -p->cell_clip, p->cell_clip);
        }
        cell[o] = (int16_t)v;
      }
      lstm_gate(p, weights, GATE_OUTPUT, x, x_sum, hidden, h_sum, output_gate, 0);
      tinyml_tanh_s16(&cell_tanh, cell, tanh_cell);
      int8_t *out = output + row * u;
      for (int32_t o = 0; o < u; ++o) {
        const int32_t v = p->hidden_zero_point +
                          tinyml_mbqm((int32_t)tanh_cell[o] * output_gate[o], p->hidden_multiplier, p->hidden_shift);
        hidden[o] = (int8_t)tinyml_clamp(v, INT8_MIN, INT8_MAX);
        out[o] = hidden[o];
      }
    }
  }
}
