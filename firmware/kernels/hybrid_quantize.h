/*
 * hybrid_quantize.h - run-time quantization of a float activation to int8 for the hybrid
 * (dynamic-range) kernels: int8 weights, float activations. TFLite's hybrid kernels quantize each
 * batch of the input just before the int8 dot products, either symmetrically (zero point 0,
 * range [-127, 127]) or asymmetrically (a zero point in [-128, 127]); the kernels here follow
 * TFLite's tensor_utils semantics so results stay close to TFLite's CPU interpreter.
 */
#ifndef TINYML_HYBRID_QUANTIZE_H
#define TINYML_HYBRID_QUANTIZE_H

#include <stdint.h>

/* q[i] = clamp(round(x[i] * 127 / max|x|), -127, 127); *scale = max|x| / 127 (1 when x is all 0). */
void tinyml_hybrid_quantize_symmetric(const float *x, int32_t n, int8_t *q, float *scale);

/* q[i] = clamp(round(offset + x[i] / scale), -128, 127) over the range [min(0, x), max(0, x)];
 * *offset is the nudged zero point (0 and *scale 1 when the range is empty). */
void tinyml_hybrid_quantize_asymmetric(const float *x, int32_t n, int8_t *q, float *scale,
                                       int32_t *offset);

#endif /* TINYML_HYBRID_QUANTIZE_H */
