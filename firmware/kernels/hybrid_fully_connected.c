/*
 * hybrid_fully_connected.c - see hybrid_fully_connected.h. Each row is quantized once into the
 * scratch, widened to an int16 column with the zero point subtracted (so every unit's dot product
 * is a run of SMLADs with no per-unit correction), then each unit takes one dot product.
 */
#include "hybrid_fully_connected.h"

#include <stddef.h>

#include "hybrid_dot.h"
#include "hybrid_quantize.h"
#include "tinyml_f32.h"

/* TFLite's order: one scale per row and unit (input scale times weight scale), then
 * bias + sum * scale, then the activation clamp. */
static inline __attribute__((always_inline)) float hybrid_fc_output(
    const tinyml_hybrid_fully_connected_params *p, int32_t acc, int32_t o, float input_scale,
    const float *bias) {
  const float scale = input_scale * p->weight_scales[p->per_channel ? o : 0];
  const float v = (bias != NULL ? bias[o] : 0.0f) + (float)acc * scale;
  return tinyml_clamp_f32(v, p->activation_min, p->activation_max);
}

void tinyml_hybrid_fully_connected(const tinyml_hybrid_fully_connected_params *p,
                                   const float *input, const int8_t *weights, const float *bias,
                                   float *output, void *scratch) {
  const int32_t depth = p->input_depth;
  int8_t *xq = (int8_t *)scratch;
  int16_t *col = (int16_t *)(void *)((uint8_t *)scratch + ((depth + 3) & ~3));
  for (int32_t b = 0; b < p->batches; ++b) {
    const float *x = input + (size_t)b * depth;
    float input_scale;
    int32_t zero_point = 0;
    if (p->asymmetric) {
      tinyml_hybrid_quantize_asymmetric(x, depth, xq, &input_scale, &zero_point);
    } else {
      tinyml_hybrid_quantize_symmetric(x, depth, xq, &input_scale);
    }
    for (int32_t k = 0; k < depth; ++k) {
      col[tinyml_hybrid_paired_index(k, depth)] = (int16_t)(xq[k] - zero_point);
    }
    float *out = output + (size_t)b * p->output_depth;
    int32_t o = 0;
    for (; o + 4 <= p->output_depth; o += 4) {
      int32_t acc[4];
      tinyml_hybrid_dot4(col, weights + (size_t)o * depth, depth, acc);
      for (int32_t j = 0; j < 4; ++j) {
        out[o + j] = hybrid_fc_output(p, acc[j], o + j, input_scale, bias);
      }
    }
    for (; o < p->output_depth; ++o) {
      const int32_t acc = tinyml_hybrid_dot(col, weights + (size_t)o * depth, depth);
      out[o] = hybrid_fc_output(p, acc, o, input_scale, bias);
    }
  }
}
