/*
 * pool2d_mve.c - see pool2d_mve.h.
 */
#include "pool2d_mve.h"

/* The part of output (oy, ox)'s window inside the input: rows [y0, y1), columns [x0, x1). */
typedef struct {
  int32_t y0, y1, x0, x1;
} window;

static inline window clip(const tinyml_pool2d_geometry *g, int32_t oy, int32_t ox) {
  window w;
  const int32_t iy = oy * g->stride_height - g->pad_height;
  const int32_t ix = ox * g->stride_width - g->pad_width;
  w.y0 = iy < 0 ? 0 : iy;
  w.x0 = ix < 0 ? 0 : ix;
  w.y1 = iy + g->filter_height < g->input_height ? iy + g->filter_height : g->input_height;
  w.x1 = ix + g->filter_width < g->input_width ? ix + g->filter_width : g->input_width;
  return w;
}

/*
 * Rounds acc / count to nearest, ties away from zero: sign(acc) * floor((|acc| + count / 2) /
 * count). The quotient is a multiply-high by magic = ceil(2^32 / count), exact since |acc| +
 * count / 2 < 2^16 and count <= 256 (the error term stays below 1 / count); count 1 (magic 0)
 * is acc itself.
 */
TINYML_MVE_INLINE int32x4_t average4(int32x4_t acc, int32_t count, uint32x4_t magic, int32x4_t lo, int32x4_t hi) {
  const uint32x4_t n = vreinterpretq_u32_s32(vaddq_n_s32(vabsq_s32(acc), count >> 1));
  int32x4_t q = count == 1 ? vabsq_s32(acc) : vreinterpretq_s32_u32(vmulhq_u32(n, magic));
  q = vnegq_m_s32(q, q, vcmpltq_n_s32(acc, 0));
  return vminq_s32(vmaxq_s32(q, lo), hi);
}

/* Eight channels from c (the last group predicated: `pred` for their bytes, FULL 0). */
TINYML_MVE_INLINE void average8(const tinyml_pool2d_params *p, const int8_t *in, window w, int32_t c, int8_t *out,
                                int32_t count, uint32x4_t magic, int32x4_t lo, int32x4_t hi, const int FULL) {
  const int32_t d = p->geo.depth;
  const int32_t n = d - c;
  const mve_pred16_t pred = vctp16q((uint32_t)n);
  int16x8_t acc = vdupq_n_s16(0);
  for (int32_t y = w.y0; y < w.y1; ++y) {
    const int8_t *x = in + (y * p->geo.input_width + w.x0) * d + c;
    for (int32_t i = w.x0; i < w.x1; ++i) {
      acc = vaddq_s16(acc, FULL ? vldrbq_s16(x) : vldrbq_z_s16(x, pred));
      x += d;
    }
  }
  /* The sums as int32 lanes in channel order: through memory (a store and two widening loads). */
  int16_t sums[8] __attribute__((aligned(8)));
  vstrhq_s16(sums, acc);
  const int32x4_t a = average4(vldrhq_s32(sums), count, magic, lo, hi);
  const int32x4_t b = average4(vldrhq_s32(sums + 4), count, magic, lo, hi);
  if (FULL) {
    vstrbq_s32(out + c, a);
    vstrbq_s32(out + c + 4, b);
  } else {
    vstrbq_p_s32(out + c, a, vctp32q((uint32_t)n));
    if (n > 4) vstrbq_p_s32(out + c + 4, b, vctp32q((uint32_t)(n - 4)));
  }
}

/* Every channel of one output pixel, the part w of its window inside the input (in: its batch). */
typedef void (*pool_pixel)(const tinyml_pool2d_params *p, const int8_t *in, window w, int8_t *out);

/* Every output pixel of every batch (inlined with a constant `pixel`: no indirect call). */
TINYML_MVE_INLINE void each_pixel(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output, pool_pixel pixel) {
  const tinyml_pool2d_geometry *g = &p->geo;
  int8_t *out = output;
  for (int32_t b = 0; b < g->batches; ++b) {
    const int8_t *in = input + b * g->input_height * g->input_width * g->depth;
    for (int32_t oy = 0; oy < g->output_height; ++oy) {
      for (int32_t ox = 0; ox < g->output_width; ++ox) {
        pixel(p, in, clip(g, oy, ox), out);
        out += g->depth;
      }
    }
  }
}

static void average_pixel(const tinyml_pool2d_params *p, const int8_t *in, window w, int8_t *out) {
  const int32_t d = p->geo.depth;
  const int32x4_t lo = vdupq_n_s32(p->activation_min);
  const int32x4_t hi = vdupq_n_s32(p->activation_max);
  /* SAME/VALID geometry always leaves at least one tap inside the input. */
  const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
  const uint32x4_t magic = vdupq_n_u32(count == 1 ? 0u : 0xFFFFFFFFu / (uint32_t)count + 1u);
  int32_t c = 0;
  for (; c + 8 <= d; c += 8) average8(p, in, w, c, out, count, magic, lo, hi, 1);
  if (c < d) average8(p, in, w, c, out, count, magic, lo, hi, 0);
}

static void max_pixel(const tinyml_pool2d_params *p, const int8_t *in, window w, int8_t *out) {
  const int32_t d = p->geo.depth;
  const int8x16_t lo = vdupq_n_s8((int8_t)p->activation_min);
  const int8x16_t hi = vdupq_n_s8((int8_t)p->activation_max);
  for (int32_t c = 0; c < d; c += 16) {
    /* The last sixteen predicated: nothing past the tensors is read or written. */
    const mve_pred16_t pred = vctp8q((uint32_t)(d - c));
    int8x16_t m = vdupq_n_s8(INT8_MIN);
    for (int32_t y = w.y0; y < w.y1; ++y) {
      const int8_t *x = in + (y * p->geo.input_width + w.x0) * d + c;
      for (int32_t i = w.x0; i < w.x1; ++i) {
        m = vmaxq_s8(m, vldrbq_z_s8(x, pred));
        x += d;
      }
    }
    vstrbq_p_s8(out + c, vminq_s8(vmaxq_s8(m, lo), hi), pred);
  }
}

void tinyml_average_pool2d_s8_mve(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output) {
  each_pixel(p, input, output, average_pixel);
}

void tinyml_max_pool2d_s8_mve(const tinyml_pool2d_params *p, const int8_t *input, int8_t *output) {
  each_pixel(p, input, output, max_pixel);
}
