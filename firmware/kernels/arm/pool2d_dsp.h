/*
 * pool2d_dsp.h - AVERAGE_POOL_2D (int8) for cores with the DSP extension: four channels per step,
 * their window sums kept as two pairs of int16 (SXTAB16 adds the sign-extended bytes 0 and 2, or
 * 1 and 3, of a loaded word to both halves at once): three instructions per four taps. Bit-exact
 * with tinyml_average_pool2d_s8 (same params); windows of at most 255 taps, so that a sum of int8
 * values fits int16 (the generator keeps larger ones on the portable kernel).
 */
#ifndef TINYML_POOL2D_DSP_H
#define TINYML_POOL2D_DSP_H

#include <stdint.h>

#include "../pool2d.h"
#include "tinyml_dsp.h"

void tinyml_average_pool2d_s8_dsp(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output);

#endif /* TINYML_POOL2D_DSP_H */
