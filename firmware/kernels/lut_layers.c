/*
 * lut_layers.c - portable clustered-weight kernels. The loops are the int8 reference kernels'
 * (conv2d.c, depthwise_conv2d.c, fully_connected.c), with each weight read as
 * table[index] instead of filter[i]; accumulation order and requantization are unchanged, so
 * the results are bit-exact with the int8 kernels applied to the decoded weights.
 */
#include "lut_layers.h"

#include "tinyml_fixedpoint.h"

/* The table output channel `oc` reads. */
static inline const int8_t *lut_table(const tinyml_lut_weights *w, int32_t oc) {
  return w->table + (w->per_channel_table ? oc * w->entries : 0);
}

void tinyml_conv2d_lut_s8(const tinyml_conv2d_params *p, const int8_t *input,
                          const tinyml_lut_weights *filter, const int32_t *bias, int8_t *output) {
  const int32_t filters_per_group = p->geo.output_depth / p->geo.groups;
  const uint32_t bits = (uint32_t)filter->bits;
  int8_t *out = output;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->geo.stride_height - p->geo.pad_height;
      for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->geo.stride_width - p->geo.pad_width;
        for (int32_t oc = 0; oc < p->geo.output_depth; ++oc) {
          const int32_t in_c_base = (oc / filters_per_group) * p->geo.filter_input_depth;
          const int8_t *table = lut_table(filter, oc);
          int32_t acc = 0;
          for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
            const int32_t in_y = in_y_origin + p->geo.dilation_height * fy;
            if (in_y < 0 || in_y >= p->geo.input_height) {
              continue;
            }
            for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
              const int32_t in_x = in_x_origin + p->geo.dilation_width * fx;
              if (in_x < 0 || in_x >= p->geo.input_width) {
                continue;
              }
              const int8_t *in_px =
                  input + ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth +
                  in_c_base;
              /* Bit offset of this tap's first weight; the taps' weights are contiguous. */
              uint32_t bit = (uint32_t)(((oc * p->geo.filter_height + fy) * p->geo.filter_width + fx) *
                                        p->geo.filter_input_depth) *
                             bits;
              for (int32_t ic = 0; ic < p->geo.filter_input_depth; ++ic, bit += bits) {
                const int32_t w = table[tinyml_lut_index(filter->indices, bit, bits)];
                acc += w * ((int32_t)in_px[ic] + p->q.input_offset);
              }
            }
          }
          if (bias != NULL) {
            acc += bias[oc];
          }
          const int32_t ch = p->q.per_channel ? oc : 0;
          acc = tinyml_mbqm(acc, p->q.output_multiplier[ch], p->q.output_shift[ch]);
          acc += p->q.output_offset;
          *out++ = (int8_t)tinyml_clamp(acc, p->q.activation_min, p->q.activation_max);
        }
      }
    }
  }
}

void tinyml_depthwise_conv2d_lut_s8(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                    const tinyml_lut_weights *filter, const int32_t *bias,
                                    int8_t *output) {
  const uint32_t bits = (uint32_t)filter->bits;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * p->geo.stride_height - p->geo.pad_height;
      for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * p->geo.stride_width - p->geo.pad_width;
        for (int32_t ic = 0; ic < p->geo.input_depth; ++ic) {
          for (int32_t m = 0; m < p->geo.depth_multiplier; ++m) {
            const int32_t oc = ic * p->geo.depth_multiplier + m;
            const int8_t *table = lut_table(filter, oc);
            int32_t acc = 0;
            for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
              const int32_t in_y = in_y_origin + p->geo.dilation_height * fy;
              if (in_y < 0 || in_y >= p->geo.input_height) {
                continue;
              }
              for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
                const int32_t in_x = in_x_origin + p->geo.dilation_width * fx;
                if (in_x < 0 || in_x >= p->geo.input_width) {
                  continue;
                }
                const int32_t at =
                    ((b * p->geo.input_height + in_y) * p->geo.input_width + in_x) * p->geo.input_depth + ic;
                /* Depthwise weights are [1, fh, fw, output_depth]: channel innermost. */
                const uint32_t bit =
                    (uint32_t)((fy * p->geo.filter_width + fx) * p->geo.output_depth + oc) * bits;
                const int32_t w = table[tinyml_lut_index(filter->indices, bit, bits)];
                acc += w * ((int32_t)input[at] + p->q.input_offset);
              }
            }
            const int32_t out_at =
                ((b * p->geo.output_height + out_y) * p->geo.output_width + out_x) * p->geo.output_depth + oc;
            if (bias != NULL) {
              acc += bias[oc];
            }
            const int32_t ch = p->q.per_channel ? oc : 0;
            acc = tinyml_mbqm(acc, p->q.output_multiplier[ch], p->q.output_shift[ch]);
            acc += p->q.output_offset;
            output[out_at] = (int8_t)tinyml_clamp(acc, p->q.activation_min, p->q.activation_max);
          }
        }
      }
    }
  }
}

void tinyml_fully_connected_lut_s8(const tinyml_fully_connected_params *p, const int8_t *input,
                                   const tinyml_lut_weights *weights, const int32_t *bias,
                                   int8_t *output) {
  const uint32_t bits = (uint32_t)weights->bits;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *row = input + b * p->input_depth;
    for (int32_t oc = 0; oc < p->output_depth; ++oc) {
      const int8_t *table = lut_table(weights, oc);
      uint32_t bit = (uint32_t)(oc * p->input_depth) * bits;
      int32_t acc = 0;
      for (int32_t d = 0; d < p->input_depth; ++d, bit += bits) {
        const int32_t w = table[tinyml_lut_index(weights->indices, bit, bits)];
        acc += (w + p->weights_offset) * ((int32_t)row[d] + p->q.input_offset);
      }
      if (bias != NULL) {
        acc += bias[oc];
      }
      const int32_t ch = p->q.per_channel ? oc : 0;
      acc = tinyml_mbqm(acc, p->q.output_multiplier[ch], p->q.output_shift[ch]);
      acc += p->q.output_offset;
      output[b * p->output_depth + oc] =
          (int8_t)tinyml_clamp(acc, p->q.activation_min, p->q.activation_max);
    }
  }
}
