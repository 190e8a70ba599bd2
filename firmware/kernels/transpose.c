/*
 * transpose.c - see transpose.h. Bit-exact with TFLite Micro's reference Transpose (a copy).
 */
#include "transpose.h"

/* One walk per element type, so each copy is a typed load and store rather than a memcpy call. */
#define TINYML_TRANSPOSE_WALK(type)                                                           \
  do {                                                                                        \
    const type *in = (const type *)input;                                                     \
    type *out = (type *)output;                                                               \
    for (int32_t a = 0; a < d[0]; ++a)                                                        \
      for (int32_t b = 0; b < d[1]; ++b)                                                      \
        for (int32_t c = 0; c < d[2]; ++c)                                                    \
          for (int32_t e = 0; e < d[3]; ++e)                                                  \
            for (int32_t f = 0; f < d[4]; ++f) {                                              \
              const type *row = in + a * s[0] + b * s[1] + c * s[2] + e * s[3] + f * s[4];    \
              for (int32_t g = 0; g < d[5]; ++g) {                                            \
                *out++ = row[g * s[5]];                                                       \
              }                                                                               \
            }                                                                                 \
  } while (0)

void tinyml_transpose(const tinyml_transpose_params *params, const void *input, void *output) {
  const int32_t *d = params->out_dims;
  const int32_t *s = params->in_strides;
  switch (params->elem_bytes) {
    case 1:
      TINYML_TRANSPOSE_WALK(int8_t);
      break;
    case 2:
      TINYML_TRANSPOSE_WALK(int16_t);
      break;
    default:
      /* 4 bytes: float32, the only other type TFLite Micro transposes. */
      TINYML_TRANSPOSE_WALK(float);
      break;
  }
}
