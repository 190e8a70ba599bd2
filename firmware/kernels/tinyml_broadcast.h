/*
 * tinyml_broadcast.h - numpy-style broadcasting for the binary elementwise kernels (ADD, SUB,
 * MUL). Shapes are right-aligned and padded with 1s to TINYML_BCAST_DIMS; an input's stride is 0
 * along every dimension it is broadcast over, so one odometer walks both inputs in output order.
 */
#ifndef TINYML_BROADCAST_H
#define TINYML_BROADCAST_H

#include <stdint.h>

#define TINYML_BCAST_DIMS 6

typedef struct {
  int32_t out_dims[TINYML_BCAST_DIMS];
  int32_t in1_strides[TINYML_BCAST_DIMS];
  int32_t in2_strides[TINYML_BCAST_DIMS];
} tinyml_broadcast;

typedef struct {
  int32_t index[TINYML_BCAST_DIMS];
  int32_t in1_offset;
  int32_t in2_offset;
} tinyml_bcast_iter;

static inline void tinyml_bcast_begin(tinyml_bcast_iter *it) {
  for (int d = 0; d < TINYML_BCAST_DIMS; ++d) {
    it->index[d] = 0;
  }
  it->in1_offset = 0;
  it->in2_offset = 0;
}

/* Advances to the next output element (row-major), carrying into outer dimensions. */
static inline void tinyml_bcast_next(const tinyml_broadcast *b, tinyml_bcast_iter *it) {
  for (int d = TINYML_BCAST_DIMS - 1; d >= 0; --d) {
    it->in1_offset += b->in1_strides[d];
    it->in2_offset += b->in2_strides[d];
    if (++it->index[d] < b->out_dims[d]) {
      return;
    }
    it->in1_offset -= b->in1_strides[d] * b->out_dims[d];
    it->in2_offset -= b->in2_strides[d] * b->out_dims[d];
    it->index[d] = 0;
  }
}

/*
 * The elementwise binary loop: OUT[i] = (T)ELEM(a, b) for the P->size outputs, a and b the
 * input values it reads; a flat loop when no input is broadcast (P->broadcast == 0), else the
 * odometer over P->bcast. The whole body of a kernel (it returns). A macro, ELEM a function or a
 * function-like macro, so each kernel compiles to the loop it had written out on its own.
 */
#define TINYML_BINARY_ELEMENTWISE(P, T, IN1, IN2, OUT, ELEM)                                       \
  if (!(P)->broadcast) {                                                                            \
    for (int32_t i = 0; i < (P)->size; ++i) {                                                       \
      (OUT)[i] = (T)ELEM((IN1)[i], (IN2)[i]);                                                       \
    }                                                                                               \
    return;                                                                                         \
  }                                                                                                 \
  tinyml_bcast_iter it;                                                                             \
  tinyml_bcast_begin(&it);                                                                          \
  for (int32_t i = 0; i < (P)->size; ++i) {                                                         \
    (OUT)[i] = (T)ELEM((IN1)[it.in1_offset], (IN2)[it.in2_offset]);                                 \
    tinyml_bcast_next(&(P)->bcast, &it);                                                            \
  }

#endif /* TINYML_BROADCAST_H */
