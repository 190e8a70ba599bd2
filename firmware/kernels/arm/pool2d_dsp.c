/*
 * pool2d_dsp.c - see pool2d_dsp.h.
 */
#include "pool2d_dsp.h"

#if TINYML_DSP_ASM
/* acc + (sign-extended byte 0, byte 2) of x, per halfword; _ror8: bytes 1 and 3. */
TINYML_DSP_INLINE uint32_t pool_sxtab16(uint32_t acc, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(acc), "r"(x));
  return r;
}
TINYML_DSP_INLINE uint32_t pool_sxtab16_ror8(uint32_t acc, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
  return r;
}
#else
TINYML_DSP_INLINE uint32_t pool_sxtab16(uint32_t acc, uint32_t x) { return tinyml_sadd16(acc, tinyml_sxtb16(x)); }
TINYML_DSP_INLINE uint32_t pool_sxtab16_ror8(uint32_t acc, uint32_t x) {
  return tinyml_sadd16(acc, tinyml_sxtb16_ror8(x));
}
#endif

/* TFLite's rounding: acc / count to nearest, ties away from zero (h = count / 2). */
TINYML_DSP_INLINE int32_t pool_average(int32_t acc, int32_t count, int32_t h) {
  const int32_t s = acc >> 31;
  return (acc + ((h ^ s) - s)) / count;
}

/*
 * The sums of four channels over the taps of one window: rows of nx taps (stride depth), ny
 * rows row_step bytes apart; e = (c0, c2), o = (c1, c3) as int16 halves.
 */
TINYML_DSP_INLINE void pool_sum4(const int8_t *at, int32_t ny, int32_t nx, int32_t depth, int32_t row_step,
                                 uint32_t *E, uint32_t *O) {
  uint32_t e = 0, o = 0;
  const int32_t d2 = 2 * depth, d3 = 3 * depth, d4 = 4 * depth;
  for (int32_t y = 0; y < ny; ++y) {
    const int8_t *r = at;
    int32_t x = nx;
    for (; x >= 4; x -= 4) {
      const uint32_t v0 = tinyml_ld32(r), v1 = tinyml_ld32(r + depth);
      const uint32_t v2 = tinyml_ld32(r + d2), v3 = tinyml_ld32(r + d3);
      r += d4;
      e = pool_sxtab16(e, v0);
      o = pool_sxtab16_ror8(o, v0);
      e = pool_sxtab16(e, v1);
      o = pool_sxtab16_ror8(o, v1);
      e = pool_sxtab16(e, v2);
      o = pool_sxtab16_ror8(o, v2);
      e = pool_sxtab16(e, v3);
      o = pool_sxtab16_ror8(o, v3);
    }
    for (; x > 0; --x) {
      const uint32_t v0 = tinyml_ld32(r);
      r += depth;
      e = pool_sxtab16(e, v0);
      o = pool_sxtab16_ror8(o, v0);
    }
    at += row_step;
  }
  *E = e;
  *O = o;
}

/* The clamp of the fused activation; none when it is the whole int8 range (an average of int8
 * values is already in it). */
TINYML_DSP_INLINE int8_t pool_out(int32_t acc, int32_t count, int32_t h, int32_t lo, int32_t hi, const int FULL) {
  const int32_t v = pool_average(acc, count, h);
  return (int8_t)(FULL ? v : tinyml_clamp(v, lo, hi));
}

TINYML_DSP_INLINE void average_pool_body(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output,
                                         const int FULL) {
  const tinyml_pool2d_geometry *g = &p->geo;
  const int32_t depth = g->depth;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  const int32_t row_bytes = g->input_width * depth;
  int8_t *out = output;
  for (int32_t b = 0; b < g->batches; ++b) {
    const int8_t *in_batch = input + b * g->input_height * row_bytes;
    for (int32_t oy = 0; oy < g->output_height; ++oy) {
      const int32_t y0 = oy * g->stride_height - g->pad_height;
      const int32_t ys = y0 < 0 ? -y0 : 0;
      const int32_t ye = g->filter_height < g->input_height - y0 ? g->filter_height : g->input_height - y0;
      for (int32_t ox = 0; ox < g->output_width; ++ox) {
        const int32_t x0 = ox * g->stride_width - g->pad_width;
        const int32_t xs = x0 < 0 ? -x0 : 0;
        const int32_t xe = g->filter_width < g->input_width - x0 ? g->filter_width : g->input_width - x0;
        int32_t ny = ye - ys;
        int32_t nx = xe - xs;
        /* SAME/VALID geometry always leaves at least one tap inside the input. */
        const int32_t count = ny * nx;
        const int32_t h = count / 2;
        const int8_t *first = in_batch + ((y0 + ys) * g->input_width + x0 + xs) * depth;
        /* Windows spanning whole input rows are one run of taps. */
        if (nx == g->input_width) {
          nx = count;
          ny = 1;
        }
        int32_t c = 0;
        for (; c + 4 <= depth; c += 4) {
          uint32_t e, o;
          pool_sum4(first + c, ny, nx, depth, row_bytes, &e, &o);
          out[0] = pool_out((int16_t)e, count, h, lo, hi, FULL);
          out[1] = pool_out((int16_t)o, count, h, lo, hi, FULL);
          out[2] = pool_out((int32_t)e >> 16, count, h, lo, hi, FULL);
          out[3] = pool_out((int32_t)o >> 16, count, h, lo, hi, FULL);
          out += 4;
        }
        for (; c < depth; ++c) {
          int32_t acc = 0;
          for (int32_t y = 0; y < ny; ++y) {
            for (int32_t x = 0; x < nx; ++x) acc += first[y * row_bytes + x * depth + c];
          }
          *out++ = pool_out(acc, count, h, lo, hi, FULL);
        }
      }
    }
  }
}

void tinyml_average_pool2d_s8_dsp(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output) {
  if (p->activation_min == -128 && p->activation_max == 127) {
    average_pool_body(p, input, output, 1);
  } else {
    average_pool_body(p, input, output, 0);
  }
}
