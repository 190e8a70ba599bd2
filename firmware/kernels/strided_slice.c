/*
 * strided_slice.c - see strided_slice.h.
 */
#include "strided_slice.h"

#include <string.h>

void tinyml_strided_slice(const tinyml_strided_slice_params *params, const void *input,
                          void *output) {
  const int32_t *st = params->start;
  const int32_t *sp = params->stride;
  const uint32_t *n = params->count;
  int32_t is[5];
  const uint32_t eb = params->elem_bytes;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  uint32_t i0, i1, i2, i3, i4;

  /* Offsets are computed signed because steps may be negative. */
  for (i0 = 0; i0 < 5; ++i0) {
    is[i0] = (int32_t)params->in_strides[i0];
  }

  for (i0 = 0; i0 < n[0]; ++i0) {
    const int32_t o0 = (st[0] + (int32_t)i0 * sp[0]) * is[0];
    for (i1 = 0; i1 < n[1]; ++i1) {
      const int32_t o1 = o0 + (st[1] + (int32_t)i1 * sp[1]) * is[1];
      for (i2 = 0; i2 < n[2]; ++i2) {
        const int32_t o2 = o1 + (st[2] + (int32_t)i2 * sp[2]) * is[2];
        for (i3 = 0; i3 < n[3]; ++i3) {
          const int32_t o3 = o2 + (st[3] + (int32_t)i3 * sp[3]) * is[3];
          if (sp[4] == 1) {
            /* Unit innermost step: the row is contiguous in the input too. */
            const uint32_t row = n[4] * eb;
            memcpy(out, in + (uint32_t)(o3 + st[4]) * eb, row);
            out += row;
          } else {
            for (i4 = 0; i4 < n[4]; ++i4) {
              memcpy(out, in + (uint32_t)(o3 + st[4] + (int32_t)i4 * sp[4]) * eb, eb);
              out += eb;
            }
          }
        }
      }
    }
  }
}
