/*
 * logistic_tanh.c - portable reference kernels for quantized LOGISTIC and TANH, bit-exact with
 * TFLite Micro's reference kernels (and with src/ops/logistic-tanh.ts).
 */
#include "logistic_tanh.h"

#include "tinyml_fixedpoint.h"
#include "tinyml_gemmlowp.h"

/* sigmoid(i / 24) in unsigned Q0.16 for i = 0..255; TFLite's table (last entry clamped). */
static const uint16_t sigmoid_table_u16[256] = {
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
  43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
  51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
  57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
  61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
  63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
  64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
  64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
  65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
  65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
  65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
  65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
  65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
  65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
  65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
  65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535
};

enum { INPUT_INTEGER_BITS = 4 };

/*
 * LOGISTIC and TANH are written once per input type, with a macro so each kernel keeps the
 * instructions it had written out on its own: they differ only in the function and its output
 * scaling. int8: saturated outside the input range radius, else the gemmlowp fixed-point
 * function; VALUE(in_q4) gives the output before the clamp.
 */
#define TINYML_LOGISTIC_TANH_S8(NAME, VALUE)                                                        \
  void NAME(const tinyml_logistic_tanh_s8_params *params, const int8_t *input, int8_t *output) {    \
    const tinyml_logistic_tanh_s8_params *p = params;                                               \
    for (int32_t i = 0; i < p->size; ++i) {                                                         \
      const int32_t x = input[i] - p->input_zero_point;                                             \
      if (x <= -p->input_range_radius) {                                                            \
        output[i] = INT8_MIN;                                                                       \
      } else if (x >= p->input_range_radius) {                                                      \
        output[i] = INT8_MAX;                                                                       \
      } else {                                                                                      \
        const int32_t in_q4 = tinyml_mbqm(x, p->input_multiplier, p->input_left_shift);             \
        const int32_t r = VALUE(in_q4);                                                             \
        output[i] = (int8_t)tinyml_clamp(r, INT8_MIN, INT8_MAX);                                    \
      }                                                                                             \
    }                                                                                               \
  }

/* Q0.31 -> 8 fractional bits, then onto the fixed output zero point of -128. */
#define LOGISTIC_S8_VALUE(in_q4) tinyml_rdbpot(tinyml_gl_logistic(in_q4, INPUT_INTEGER_BITS), 23) - 128
/* Q0.31 -> 7 fractional bits; the output zero point is taken to be 0, as TFLM does. */
#define TANH_S8_VALUE(in_q4) tinyml_rdbpot(tinyml_gl_tanh(in_q4, INPUT_INTEGER_BITS), 24)

TINYML_LOGISTIC_TANH_S8(tinyml_logistic_s8, LOGISTIC_S8_VALUE)
TINYML_LOGISTIC_TANH_S8(tinyml_tanh_s8, TANH_S8_VALUE)

/* A power-of-two input scale comes as multiplier 0: fold it into 3 << shift, as TFLM does. */
static inline void int16_input_scaling(const tinyml_logistic_tanh_s16_params *p, int32_t *multiplier, int32_t *shift) {
  *multiplier = p->input_multiplier;
  *shift = p->input_left_shift;
  if (*multiplier == 0) {
    *multiplier = 3 << *shift;
    *shift = 0;
  }
}

/*
 * int16: the input rescaled so that |x| counts table steps (1/24) with FRAC fractional bits,
 * the sigmoid table interpolated linearly between entries uh and uh + 1 (saturated past the
 * last), then FINISH(r) mirrors that for negative inputs and scales it onto the output.
 */
#define TINYML_LOGISTIC_TANH_S16(NAME, FRAC, R_T, SATURATED, FINISH)                                \
  void NAME(const tinyml_logistic_tanh_s16_params *params, const int16_t *input, int16_t *output) { \
    int32_t multiplier;                                                                             \
    int32_t shift;                                                                                  \
    int16_input_scaling(params, &multiplier, &shift);                                               \
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;                                \
    for (int32_t i = 0; i < params->size; ++i) {                                                    \
      const int32_t x = (input[i] * multiplier + round) >> shift;                                   \
      const uint32_t abs_x = (uint32_t)(x < 0 ? -x : x);                                            \
      const uint32_t uh = abs_x >> (FRAC);                                                          \
      R_T r;                                                                                        \
      if (uh >= 255) {                                                                              \
        r = (SATURATED);                                                                            \
      } else {                                                                                      \
        const uint32_t ua = sigmoid_table_u16[uh];                                                  \
        const uint32_t ub = sigmoid_table_u16[uh + 1];                                              \
        r = (R_T)((ua << (FRAC)) + (abs_x & ((1u << (FRAC)) - 1u)) * (ub - ua));                    \
      }                                                                                             \
      FINISH(r);                                                                                    \
    }                                                                                               \
  }

/* Logistic: 9 fractional bits, 7 from the input scaling and 2 from the table's 1/24 step. */
#define LOGISTIC_S16_FINISH(r)                                                                      \
  r = x >= 0 ? r + (1u << 9) : ((uint32_t)1 << 25) - r + (1u << 9) - 1;                             \
  output[i] = (int16_t)(r >> 10)

/* tanh(x) = 2 sigmoid(2x) - 1: the same table read with one fractional bit less. */
#define TANH_S16_FINISH(r)                                                                          \
  r = x >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;                            \
  output[i] = (int16_t)(r >> 8)

TINYML_LOGISTIC_TANH_S16(tinyml_logistic_s16, 9, uint32_t, (uint32_t)0x7FFF << 10, LOGISTIC_S16_FINISH)
TINYML_LOGISTIC_TANH_S16(tinyml_tanh_s16, 8, int32_t, 0xFFFF << 8, TANH_S16_FINISH)
