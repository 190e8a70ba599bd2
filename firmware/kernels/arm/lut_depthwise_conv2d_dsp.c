/*
 * lut_depthwise_conv2d_dsp.c - see lut_depthwise_conv2d_dsp.h. Four channels at a time: their
 * weight pairs are looked up once (into a few words of scratch) and then serve every pixel of
 * the image; per tap, one input word expands to the (x0, x2) and (x1, x3) halfword pairs, each
 * product going to its own channel (SMLABB / SMLATT), as in the int8 DSP depthwise kernel.
 * Windows inside the image take the input offset as input_offset * (sum of the weights), added
 * once with the bias; 3x3 filters run them fully unrolled, a rectangle of windows per run of the
 * assembly, those that leave the image from a copy of their input padded with the zero point
 * (lut_dw_k3_region). Other filters' border windows visit only the rectangle of taps inside the
 * image (no per-tap bounds checks) and add the offset per tap.
 */
#include "lut_depthwise_conv2d_dsp.h"

#include "lut_dsp.h"

/* Accumulates one tap of four channels: the input word at x, the tap's weight pairs w02, w13. */
#define LUT_DW_TAP(x, w02, w13)                    \
  do {                                             \
    const uint32_t xw_ = tinyml_ld32(x);           \
    const uint32_t x02_ = tinyml_sxtb16(xw_);      \
    const uint32_t x13_ = tinyml_sxtb16_ror8(xw_); \
    a0 = tinyml_smlabb((w02), x02_, a0);           \
    a2 = tinyml_smlatt((w02), x02_, a2);           \
    a1 = tinyml_smlabb((w13), x13_, a1);           \
    a3 = tinyml_smlatt((w13), x13_, a3);           \
  } while (0)

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * A run of n windows of one output row, all inside the image, 3x3, one group of four channels,
 * the whole clamp range, FAST or FAST_FOLDED requantization. In C, gcc runs out of registers
 * and reloads the weight words per tap; here they stay at fixed offsets from r12 (the group's
 * decoded pairs) and the group's record g (four start values, then (m, t, e) per channel) is
 * read with LDM. ctx: n, byte step of the input per window, of the output per window minus 4,
 * the output offset (added after the shift when not folded).
 */
#define LUT_DW_ASM_TAP(addr, wofs)          \
  "ldr    r4, " addr "\n\t"                 \
  "ldrd   r6, r8, [r12, #" wofs "]\n\t"     \
  "sxtb16 r5, r4\n\t"                       \
  "sxtb16 r4, r4, ror #8\n\t"               \
  "smlabb r0, r6, r5, r0\n\t"               \
  "smlatt r2, r6, r5, r2\n\t"               \
  "smlabb r1, r8, r4, r1\n\t"               \
  "smlatt r3, r8, r4, r3\n\t"
#define LUT_DW_ASM_RQ(a, ADD_OFF) "ldmia  r8!, {r4, r5, r6}\n\t" TINYML_DSP_ASM_RQ_STORE(a, ADD_OFF, "r7")
/* The same without the sign correction (TINYML_RQ_NOFIX layers, see tinyml_dsp.h). */
#define LUT_DW_ASM_RQ_NF(a, ADD_OFF) "ldmia  r8!, {r4, r5, r6}\n\t" TINYML_DSP_ASM_RQ_STORE_NF(a, ADD_OFF, "r7")
#define LUT_DW_ASM_WINDOW                                                                       \
  "ldmia  lr, {r0, r1, r2, r3}\n\t"                                                             \
  LUT_DW_ASM_TAP("[r9]", "0") LUT_DW_ASM_TAP("[r9, r10]", "8") LUT_DW_ASM_TAP("[r9, r10, lsl #1]", "16") \
  "add    r9, r9, r11\n\t"                                                                      \
  LUT_DW_ASM_TAP("[r9]", "24") LUT_DW_ASM_TAP("[r9, r10]", "32") LUT_DW_ASM_TAP("[r9, r10, lsl #1]", "40") \
  "add    r9, r9, r11\n\t"                                                                      \
  LUT_DW_ASM_TAP("[r9]", "48") LUT_DW_ASM_TAP("[r9, r10]", "56") LUT_DW_ASM_TAP("[r9, r10, lsl #1]", "64") \
  "sub    r9, r9, r11, lsl #1\n\t"                                                              \
  "add    r8, lr, #16\n\t"

TINYML_DSP_INLINE void lut_dw_k3_asm_body(const int8_t *x, int32_t cs, int32_t rs, const uint32_t *w, const int32_t *g,
                                          int8_t *out, const int32_t *ctx, const int folded, const int nf) {
  register const int8_t *rx __asm__("r9") = x;
  register int32_t rcs __asm__("r10") = cs;
  register int32_t rrs __asm__("r11") = rs;
  register const uint32_t *rw __asm__("r12") = w;
  register const int32_t *rg __asm__("lr") = g;
  register int8_t *ro __asm__("r7") = out;
  register const int32_t *rc __asm__("r8") = ctx;
  /* The loop's counters live on the stack, ctx as lut_dw_k3_windows lays it out: [sp] windows
   * left in the row, [sp, #4] input step, [sp, #8] output step, [sp, #12] output offset,
   * [sp, #16] rows left, [sp, #20] input and [sp, #24] output steps to the next row's first
   * window, [sp, #28] windows per row. */
#define LUT_DW_ASM_RUN(RQ, OFF0, OFF1, OFF2, OFF3)                                                   \
  __asm__ volatile("ldmia  r8, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"                                \
                   "push   {r0, r1, r2, r3, r4, r5, r6, r8}\n"                                       \
                   "1:\n\t" LUT_DW_ASM_WINDOW RQ("r0", OFF0) RQ("r1", OFF1)                         \
                       RQ("r2", OFF2) RQ("r3", OFF3)                                                \
                   "ldrd   r4, r5, [sp, #4]\n\t"                                                   \
                   "add    r9, r9, r4\n\t"                                                         \
                   "add    r7, r7, r5\n\t"                                                         \
                   "ldr    r4, [sp]\n\t"                                                           \
                   "subs   r4, r4, #1\n\t"                                                         \
                   "str    r4, [sp]\n\t"                                                           \
                   "bne    1b\n\t"                                                                 \
                   "ldr    r4, [sp, #16]\n\t"                                                      \
                   "subs   r4, r4, #1\n\t"                                                         \
                   "beq    5f\n\t"                                                                 \
                   "str    r4, [sp, #16]\n\t"                                                      \
                   "ldrd   r4, r5, [sp, #20]\n\t"                                                  \
                   "add    r9, r9, r4\n\t"                                                         \
                   "add    r7, r7, r5\n\t"                                                         \
                   "ldr    r4, [sp, #28]\n\t"                                                      \
                   "str    r4, [sp]\n\t"                                                           \
                   "b      1b\n"                                                                    \
                   "5:\n\t"                                                                        \
                   "add    sp, sp, #32\n\t"                                                        \
                   : "+r"(rx), "+r"(ro), "+r"(rc)                                                   \
                   : "r"(rcs), "r"(rrs), "r"(rw), "r"(rg)                                           \
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "cc", "memory")
/* FAST: the output offset added after the shift. */
#define LUT_DW_ASM_OFF(a) "ldr    r4, [sp, #12]\n\tadd    " a ", " a ", r4\n\t"
  if (folded && nf) {
    LUT_DW_ASM_RUN(LUT_DW_ASM_RQ_NF, "", "", "", "");
  } else if (folded) {
    LUT_DW_ASM_RUN(LUT_DW_ASM_RQ, "", "", "", "");
  } else if (nf) {
    LUT_DW_ASM_RUN(LUT_DW_ASM_RQ_NF, LUT_DW_ASM_OFF("r0"), LUT_DW_ASM_OFF("r1"), LUT_DW_ASM_OFF("r2"), LUT_DW_ASM_OFF("r3"));
  } else {
    LUT_DW_ASM_RUN(LUT_DW_ASM_RQ, LUT_DW_ASM_OFF("r0"), LUT_DW_ASM_OFF("r1"), LUT_DW_ASM_OFF("r2"), LUT_DW_ASM_OFF("r3"));
  }
#undef LUT_DW_ASM_OFF
#undef LUT_DW_ASM_RUN
}
/* One copy with the sign correction and one without (TINYML_RQ_NOFIX), each linked when used. */
static void lut_dw_k3_asm(const int8_t *x, int32_t cs, int32_t rs, const uint32_t *w, const int32_t *g, int8_t *out,
                          const int32_t *ctx, const int folded) {
  lut_dw_k3_asm_body(x, cs, rs, w, g, out, ctx, folded, 0);
}
static void lut_dw_k3_asm_nf(const int8_t *x, int32_t cs, int32_t rs, const uint32_t *w, const int32_t *g, int8_t *out,
                             const int32_t *ctx, const int folded) {
  lut_dw_k3_asm_body(x, cs, rs, w, g, out, ctx, folded, 1);
}
#undef LUT_DW_ASM_WINDOW
#undef LUT_DW_ASM_RQ
#undef LUT_DW_ASM_RQ_NF
#undef LUT_DW_ASM_TAP
#endif

/*
 * The same run as lut_dw_k3_asm in C (any requantization mode and clamp): ctx[4] rows of ctx[0]
 * windows from x, input step ctx[1] and output step ctx[2] + 4 per window, ctx[5] and ctx[6]
 * more between rows.
 */
TINYML_DSP_INLINE void lut_dw_k3_c(const int8_t *x, int32_t cs, int32_t rs, const uint32_t *w, const int32_t *g,
                                   int8_t *out, const int32_t *ctx, const int MODE, int32_t lo, int32_t hi) {
  for (int32_t row = ctx[4]; row > 0; --row, x += ctx[5], out += ctx[6]) {
    for (int32_t n = ctx[0]; n > 0; --n, x += ctx[1], out += ctx[2] + 4) {
      int32_t a0 = g[0], a1 = g[1], a2 = g[2], a3 = g[3];
      const int8_t *x1 = x + rs;
      const int8_t *x2 = x1 + rs;
      LUT_DW_TAP(x, w[0], w[1]);
      LUT_DW_TAP(x + cs, w[2], w[3]);
      LUT_DW_TAP(x + 2 * cs, w[4], w[5]);
      LUT_DW_TAP(x1, w[6], w[7]);
      LUT_DW_TAP(x1 + cs, w[8], w[9]);
      LUT_DW_TAP(x1 + 2 * cs, w[10], w[11]);
      LUT_DW_TAP(x2, w[12], w[13]);
      LUT_DW_TAP(x2 + cs, w[14], w[15]);
      LUT_DW_TAP(x2 + 2 * cs, w[16], w[17]);
      out[0] = (int8_t)tinyml_rq(MODE, a0, g[4], g[5], g[6], ctx[3], lo, hi);
      out[1] = (int8_t)tinyml_rq(MODE, a1, g[7], g[8], g[9], ctx[3], lo, hi);
      out[2] = (int8_t)tinyml_rq(MODE, a2, g[10], g[11], g[12], ctx[3], lo, hi);
      out[3] = (int8_t)tinyml_rq(MODE, a3, g[13], g[14], g[15], ctx[3], lo, hi);
    }
  }
}

/*
 * The 3x3 windows [y0, y1) x [x0, x1) of one group (image and out at the group's first channel
 * of the batch): read straight from the image when every one of them lies inside it, else from
 * `plane`, the input rectangle they read copied word by word (the group's four channels) with
 * the input zero point (as four bytes) where it leaves the image, so that such a tap adds
 * w * (zero point + input_offset) = 0 and every window runs as an interior one. Either way one
 * run of the assembly covers the whole rectangle (its rows chained by the row steps of ctx).
 */
TINYML_DSP_INLINE void lut_dw_k3_region(const tinyml_depthwise_conv2d_params *p, const int8_t *image, int8_t *out,
                                        int32_t y0, int32_t y1, int32_t x0, int32_t x1, uint32_t *plane,
                                        const uint32_t *w, const int32_t *g, const int MODE, const int FULL) {
  if (y0 >= y1 || x0 >= x1) return;
  const int32_t depth = p->geo.input_depth;
  const int32_t in_w = p->geo.input_width;
  const int32_t sh = p->geo.stride_height;
  const int32_t sw = p->geo.stride_width;
  const int32_t n = x1 - x0;
  const int32_t iy0 = y0 * sh - p->geo.pad_height;
  const int32_t ix0 = x0 * sw - p->geo.pad_width;
  /* The input rectangle the windows read. */
  const int32_t rows = (y1 - y0 - 1) * sh + 2 * p->geo.dilation_height + 1;
  const int32_t cols = (n - 1) * sw + 2 * p->geo.dilation_width + 1;
  int32_t ctx[8] = {n, 0, depth - 4, p->q.output_offset, y1 - y0, 0, (p->geo.output_width - n) * depth, n};
  int8_t *o = out + (y0 * p->geo.output_width + x0) * depth;
  const int8_t *x;
  int32_t cs, rs;
  if (iy0 >= 0 && iy0 + rows <= p->geo.input_height && ix0 >= 0 && ix0 + cols <= in_w) {
    x = image + (iy0 * in_w + ix0) * depth;
    cs = p->geo.dilation_width * depth;
    rs = p->geo.dilation_height * in_w * depth;
    ctx[1] = sw * depth;
    ctx[5] = sh * in_w * depth - n * ctx[1];
  } else {
    const uint32_t pad4 = ((uint32_t)(-p->q.input_offset) & 0xFFu) * 0x01010101u;
    /* Columns of the rectangle left of the image, inside it, right of it. */
    const int32_t left = ix0 >= 0 ? 0 : (-ix0 < cols ? -ix0 : cols);
    const int32_t room = in_w - (ix0 + left);
    const int32_t inside = room <= 0 ? 0 : (room < cols - left ? room : cols - left);
    const int32_t right = cols - left - inside;
    uint32_t *s = plane;
    for (int32_t r = 0; r < rows; ++r) {
      const int32_t iy = iy0 + r;
      if (iy < 0 || iy >= p->geo.input_height) {
        for (uint32_t *const end = s + cols; s != end;) *s++ = pad4;
        continue;
      }
      for (uint32_t *const end = s + left; s != end;) *s++ = pad4;
      const int8_t *src = image + (iy * in_w + ix0 + left) * depth;
      for (uint32_t *const end = s + inside; s != end; src += depth) *s++ = tinyml_ld32(src);
      for (uint32_t *const end = s + right; s != end;) *s++ = pad4;
    }
    x = (const int8_t *)(const void *)plane;
    cs = 4 * p->geo.dilation_width;
    rs = 4 * p->geo.dilation_height * cols;
    ctx[1] = 4 * sw;
    ctx[5] = 4 * sh * cols - n * ctx[1];
  }
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  if (FULL && TINYML_RQ_BASE(MODE) != TINYML_RQ_REF) {
    (TINYML_RQ_NF(MODE) ? lut_dw_k3_asm_nf : lut_dw_k3_asm)(x, cs, rs, w, g, o, ctx,
                                                           TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED);
    return;
  }
#endif
  lut_dw_k3_c(x, cs, rs, w, g, o, ctx, MODE, FULL ? -128 : p->q.activation_min, FULL ? 127 : p->q.activation_max);
}

/* First tap index f in [0, n) with origin + d * f >= 0, and one past the last with
 * origin + d * f < size: the taps of one axis inside the image. */
TINYML_DSP_INLINE void lut_dw_span(int32_t origin, int32_t d, int32_t n, int32_t size, int32_t *f0, int32_t *f1) {
  int32_t a = 0;
  while (a < n && origin + d * a < 0) ++a;
  int32_t b = n;
  while (b > a && origin + d * (b - 1) >= size) --b;
  *f0 = a;
  *f1 = b;
}

TINYML_DSP_INLINE void lut_dw_run(const tinyml_depthwise_conv2d_params *p, const int8_t *input,
                                  const tinyml_lut_weights *filter, const int32_t *bias, const tinyml_lut_rq *rq,
                                  int8_t *output, const uint32_t *pairs, uint32_t *wbuf, const int MODE,
                                  const int FULL) {
  const int32_t off = p->q.output_offset;
  const int32_t lo = FULL ? -128 : p->q.activation_min;
  const int32_t hi = FULL ? 127 : p->q.activation_max;
  const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->q.input_offset) * 0x00010001u;
  const int32_t depth = p->geo.input_depth;
  const int32_t fh = p->geo.filter_height;
  const int32_t fw = p->geo.filter_width;
  const int32_t taps = fh * fw;
  const int32_t in_h = p->geo.input_height;
  const int32_t in_w = p->geo.input_width;
  const int32_t dh = p->geo.dilation_height;
  const int32_t dw = p->geo.dilation_width;
  const int32_t k3 = fh == 3 && fw == 3;
  /* Byte steps between horizontally and vertically adjacent taps. */
  const int32_t cs = dw * depth;
  const int32_t rs = dh * in_w * depth;
  const int32_t span_y = (fh - 1) * dh;
  const int32_t span_x = (fw - 1) * dw;
  const int32_t rq_step = rq->per_channel ? 1 : 0;
  /* 3x3: after the group's weight pairs, the planes of lut_dw_k3_region. */
  uint32_t *plane = wbuf + 2 * taps;
  /* The output columns whose windows lie inside the image horizontally: [x_in0, x_in1), and
   * likewise the rows [y_in0, y_in1). */
  int32_t x_in0 = 0;
  while (x_in0 < p->geo.output_width && x_in0 * p->geo.stride_width - p->geo.pad_width < 0) ++x_in0;
  int32_t x_in1 = x_in0;
  while (x_in1 < p->geo.output_width && x_in1 * p->geo.stride_width - p->geo.pad_width + span_x < in_w) ++x_in1;
  int32_t y_in0 = 0;
  while (y_in0 < p->geo.output_height && y_in0 * p->geo.stride_height - p->geo.pad_height < 0) ++y_in0;
  int32_t y_in1 = y_in0;
  while (y_in1 < p->geo.output_height && y_in1 * p->geo.stride_height - p->geo.pad_height + span_y < in_h) ++y_in1;
  /* 3x3: the whole padded input of a group in one plane when it is small (one run per group),
   * else the windows inside the image straight from it and four bands of border windows. */
  const int32_t whole = TINYML_LUT4_DW_PLANE_WORDS(p->geo.output_height, p->geo.stride_height, dh) *
                            TINYML_LUT4_DW_PLANE_WORDS(p->geo.output_width, p->geo.stride_width, dw) <=
                        TINYML_LUT4_DW_WHOLE_PLANE_WORDS;
  const int32_t oh = p->geo.output_height;
  const int32_t ow = p->geo.output_width;
  const int32_t all[4] = {0, oh, 0, ow};
  /* Output rows [y0, y1) x columns [x0, x1): the top band, the left, the windows inside the
   * image, the right band, the bottom band. */
  const int32_t bands[5][4] = {{0, y_in0, 0, ow},
                               {y_in0, y_in1, 0, x_in0},
                               {y_in0, y_in1, x_in0, x_in1},
                               {y_in0, y_in1, x_in1, ow},
                               {y_in1, oh, 0, ow}};
  for (int32_t c = 0; c < depth; c += 4) {
    /* The group's weight pairs, looked up once for the whole image: per tap (w0, w2), (w1, w3). */
    const uint8_t *i_c = filter->indices + (c >> 1);
    int32_t sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
    for (int32_t k = 0; k < taps; ++k) {
      const uint32_t w02 = pairs[i_c[(k * depth) >> 1]];
      const uint32_t w13 = pairs[i_c[((k * depth) >> 1) + 1]];
      wbuf[2 * k] = w02;
      wbuf[2 * k + 1] = w13;
      sum0 += (int16_t)(w02 & 0xFFFFu);
      sum2 += (int16_t)(w02 >> 16);
      sum1 += (int16_t)(w13 & 0xFFFFu);
      sum3 += (int16_t)(w13 >> 16);
    }
    /* Inside the image the input offset adds input_offset * (sum of the channel's weights). */
    const uint32_t io = (uint32_t)p->q.input_offset;
    const int32_t fold0 = (int32_t)(io * (uint32_t)sum0 + (uint32_t)bias[c]);
    const int32_t fold1 = (int32_t)(io * (uint32_t)sum1 + (uint32_t)bias[c + 1]);
    const int32_t fold2 = (int32_t)(io * (uint32_t)sum2 + (uint32_t)bias[c + 2]);
    const int32_t fold3 = (int32_t)(io * (uint32_t)sum3 + (uint32_t)bias[c + 3]);
    const tinyml_dsp_rq *r0 = rq->rq + rq_step * c;
    const tinyml_dsp_rq *r1 = r0 + rq_step;
    const tinyml_dsp_rq *r2 = r1 + rq_step;
    const tinyml_dsp_rq *r3 = r2 + rq_step;
    if (k3) {
      /* The group's record for lut_dw_k3_asm: start values, then (m, t, e) per channel. */
      const int32_t g[16] = {fold0, fold1, fold2, fold3, r0->multiplier, r0->t, r0->e, r1->multiplier,
                             r1->t, r1->e, r2->multiplier, r2->t, r2->e, r3->multiplier, r3->t, r3->e};
      for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *image = input + b * in_h * in_w * depth + c;
        int8_t *out = output + b * oh * ow * depth + c;
        /* (A loop over the rectangles, so that the region code is inlined once.) */
        for (int32_t i = 0; i < (whole ? 1 : 5); ++i) {
          const int32_t *rect = whole ? all : bands[i];
          lut_dw_k3_region(p, image, out, rect[0], rect[1], rect[2], rect[3], plane, wbuf, g, MODE, FULL);
        }
      }
      continue;
    }
    for (int32_t b = 0; b < p->geo.batches; ++b) {
      const int8_t *image = input + b * in_h * in_w * depth + c;
      int8_t *out = output + b * p->geo.output_height * p->geo.output_width * depth + c;
      for (int32_t out_y = 0; out_y < p->geo.output_height; ++out_y) {
        const int32_t in_y0 = out_y * p->geo.stride_height - p->geo.pad_height;
        const int32_t rows_in = in_y0 >= 0 && in_y0 + span_y < in_h;
        for (int32_t out_x = 0; out_x < p->geo.output_width; ++out_x, out += depth) {
          const int32_t in_x0 = out_x * p->geo.stride_width - p->geo.pad_width;
          int32_t a0, a1, a2, a3;
          if (rows_in && in_x0 >= 0 && in_x0 + span_x < in_w) {
            const int8_t *x = image + (in_y0 * in_w + in_x0) * depth;
            const uint32_t *w = wbuf;
            a0 = fold0;
            a1 = fold1;
            a2 = fold2;
            a3 = fold3;
            for (int32_t fy = 0; fy < fh; ++fy, x += rs) {
              const int8_t *xt = x;
              for (int32_t fx = 0; fx < fw; ++fx, xt += cs, w += 2) LUT_DW_TAP(xt, w[0], w[1]);
            }
          } else {
            /* At the border: only the taps inside the image, each input plus the offset (the
             * taps outside are zero padding and add nothing). */
            int32_t fy0, fy1, fx0, fx1;
            lut_dw_span(in_y0, dh, fh, in_h, &fy0, &fy1);
            lut_dw_span(in_x0, dw, fw, in_w, &fx0, &fx1);
            a0 = bias[c];
            a1 = bias[c + 1];
            a2 = bias[c + 2];
            a3 = bias[c + 3];
            const int8_t *xr = image + ((in_y0 + dh * fy0) * in_w + in_x0 + dw * fx0) * depth;
            for (int32_t fy = fy0; fy < fy1; ++fy, xr += rs) {
              const uint32_t *w = wbuf + 2 * (fy * fw + fx0);
              const int8_t *xt = xr;
              for (int32_t fx = fx0; fx < fx1; ++fx, xt += cs, w += 2) {
                const uint32_t xw = tinyml_ld32(xt);
                const uint32_t x02 = tinyml_sadd16(tinyml_sxtb16(xw), off2);
                const uint32_t x13 = tinyml_sadd16(tinyml_sxtb16_ror8(xw), off2);
                a0 = tinyml_smlabb(w[0], x02, a0);
                a2 = tinyml_smlatt(w[0], x02, a2);
                a1 = tinyml_smlabb(w[1], x13, a1);
                a3 = tinyml_smlatt(w[1], x13, a3);
              }
            }
          }
          out[0] = (int8_t)tinyml_rq(MODE, a0, r0->multiplier, r0->t, r0->e, off, lo, hi);
          out[1] = (int8_t)tinyml_rq(MODE, a1, r1->multiplier, r1->t, r1->e, off, lo, hi);
          out[2] = (int8_t)tinyml_rq(MODE, a2, r2->multiplier, r2->t, r2->e, off, lo, hi);
          out[3] = (int8_t)tinyml_rq(MODE, a3, r3->multiplier, r3->t, r3->e, off, lo, hi);
        }
      }
    }
  }
}

/* One entry point per requantization mode and clamp, so that the linker keeps only what a
 * model uses. */
#define TINYML_LUT_DW_ENTRY(SUFFIX, MODE, FULL)                                                                   \
  void tinyml_depthwise_conv2d_lut4_s8_dsp_##SUFFIX(const tinyml_depthwise_conv2d_params *p, const int8_t *input, \
                                                    const tinyml_lut_weights *filter, const int32_t *bias,         \
                                                    const tinyml_lut_rq *rq, int8_t *output, uint8_t *scratch) {   \
    uint32_t *pairs = (uint32_t *)(void *)scratch;                                                                \
    tinyml_lut4_pairs(pairs, filter->table, rq);                                                                  \
    lut_dw_run(p, input, filter, bias, rq, output, pairs, pairs + 256, MODE, FULL);                               \
  }
TINYML_LUT_DW_ENTRY(fast_full, TINYML_RQ_FAST, 1)
TINYML_LUT_DW_ENTRY(fast, TINYML_RQ_FAST, 0)
TINYML_LUT_DW_ENTRY(folded_full, TINYML_RQ_FAST_FOLDED, 1)
TINYML_LUT_DW_ENTRY(folded, TINYML_RQ_FAST_FOLDED, 0)
TINYML_LUT_DW_ENTRY(ref_full, TINYML_RQ_REF, 1)
TINYML_LUT_DW_ENTRY(ref, TINYML_RQ_REF, 0)
/* TINYML_RQ_NOFIX layers: no sign correction (tinyml_dsp.h). */
TINYML_LUT_DW_ENTRY(fast_full_nf, TINYML_RQ_FAST | TINYML_RQ_NOFIX, 1)
TINYML_LUT_DW_ENTRY(fast_nf, TINYML_RQ_FAST | TINYML_RQ_NOFIX, 0)
TINYML_LUT_DW_ENTRY(folded_full_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 1)
TINYML_LUT_DW_ENTRY(folded_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 0)

void tinyml_depthwise_lut4_decode16(uint32_t *dst, const uint8_t *indices, int32_t words, const int8_t *table,
                                    int32_t doubled, uint32_t *pairs) {
  const tinyml_lut_rq rq = {doubled ? TINYML_RQ_FAST : TINYML_RQ_REF, 0, 0, 0};
  tinyml_lut4_pairs(pairs, table, &rq);
  /* Four words a step (the row kernel's layers have a multiple of four channels: 2 * taps words
   * per group of four, an even count), then what is left. */
  int32_t j = 0;
  for (; j + 4 <= words; j += 4) {
    const uint32_t v = tinyml_ld32(indices + j);
    dst[j] = pairs[v & 0xFFu];
    dst[j + 1] = pairs[(v >> 8) & 0xFFu];
    dst[j + 2] = pairs[(v >> 16) & 0xFFu];
    dst[j + 3] = pairs[v >> 24];
  }
  for (; j < words; ++j) dst[j] = pairs[indices[j]];
}
