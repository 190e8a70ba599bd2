/*
 * lut_fully_connected_dsp.h - FULLY_CONNECTED (int8) with 4-bit clustered weights and one table
 * for the layer, on cores with the DSP extension. Bit-exact with tinyml_fully_connected_lut_s8
 * (and so with the int8 kernel on the decoded weights).
 */
#ifndef TINYML_LUT_FULLY_CONNECTED_DSP_H
#define TINYML_LUT_FULLY_CONNECTED_DSP_H

#include <stdint.h>

#include "../lut_layers.h"
#include "lut_dsp.h"

/*
 * `filter->indices`: each row in the order of tinyml_conv2d_lut4_s8_dsp (per four weights,
 * bytes (i0 << 4 | i2) and (i1 << 4 | i3)), and the rows of each block of four units (0-3,
 * 4-7, ...) interleaved: per four inputs, the block's units' two bytes each in turn
 * (codegen/lut-layer.ts, fcBlockOrder); the last output_depth mod 4 rows follow as they are.
 * input_depth a multiple of 4, no weights offset.
 * `bias_folded[oc]` = bias[oc] + input_offset * (sum of row oc's weights), doubled in the FAST
 * modes (codegen/lut-layer.ts), so the inner loop multiplies raw inputs. `scratch`: 1024 bytes,
 * 16-byte aligned, for the pair table.
 */
void tinyml_fully_connected_lut4_s8_dsp(const tinyml_fully_connected_params *p, const int8_t *input,
                                        const tinyml_lut_weights *filter, const int32_t *bias_folded,
                                        const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch);

#endif /* TINYML_LUT_FULLY_CONNECTED_DSP_H */
