/*
 * tinyml_odometer.h - a row-major odometer over a few merged dimensions, for the kernels that
 * walk an input in an order other than its own (MEAN/SUM's kept and reduced dimensions).
 */
#ifndef TINYML_ODOMETER_H
#define TINYML_ODOMETER_H

#include <stdint.h>

/* Advances idx (n dims of sizes dims, input strides strides) by one, last dim fastest; returns
 * the change of the input offset. Static and not inline, as it was in each kernel: the compiler
 * keeps deciding alone whether to inline it (it does not at -Os); unused where not called. */
static __attribute__((unused)) int32_t tinyml_odometer_step(uint32_t *idx, const uint32_t *dims,
                                                             const uint32_t *strides, uint32_t n) {
  int32_t delta = 0;
  uint32_t d;
  for (d = n; d-- > 0;) {
    delta += (int32_t)strides[d];
    if (++idx[d] < dims[d]) {
      return delta;
    }
    delta -= (int32_t)(strides[d] * dims[d]);
    idx[d] = 0;
  }
  return delta;
}

#endif /* TINYML_ODOMETER_H */
