/*
 * pool2d_mve.h - int8 AVERAGE_POOL_2D and MAX_POOL_2D with Helium, on the portable kernels'
 * params (../pool2d.h). Average: eight channels per vector, the window summed in int16 lanes
 * (the generator takes windows of at most 256 taps, whose sums fit), then each sum divided by
 * the number of taps inside the input with a multiply-high by ceil(2^32 / count) on its
 * magnitude (exact for these sums), rounding half away from zero as the reference does. Max:
 * sixteen channels per VMAX. Bit-exact with tinyml_average_pool2d_s8 / tinyml_max_pool2d_s8.
 */
#ifndef TINYML_POOL2D_MVE_H
#define TINYML_POOL2D_MVE_H

#include <stdint.h>

#include "../pool2d.h"
#include "tinyml_mve.h"

/* Windows of at most TINYML_POOL_MVE_MAX_TAPS taps (filter_height * filter_width). */
#define TINYML_POOL_MVE_MAX_TAPS 256

void tinyml_average_pool2d_s8_mve(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output);
void tinyml_max_pool2d_s8_mve(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output);

#endif /* TINYML_POOL2D_MVE_H */
