/*
 * conv2d_dsp.c - see conv2d_dsp.h.
 *
 * Column layout (scratch, 32-bit words): for each group j of four K indices, eight words
 *   [p0 (x0,x2)] [p1 (x0,x2)] [p2 (x0,x2)] [p3 (x0,x2)] [p0 (x1,x3)] [p1 ...] [p2 ...] [p3 ...]
 * i.e. the halfword pairs SXTB16 produces from a word of int8, so one weight word w expands to
 * sxtb16(w) = (w0, w2) and sxtb16(w, ror 8) = (w1, w3), each multiplied with four pixel words
 * by SMLAD. Blocks of four pixels whose input words can be read together (pointwise layers,
 * windows inside the image across) are written group by group, the four pixels' words side by
 * side (col_copy4); the others pixel by pixel.
 */
#include "conv2d_dsp.h"

/* Index (in int16 units) of K index k of column s. */
TINYML_DSP_INLINE int32_t col_index(int32_t k, int32_t s) {
  return (((k >> 2) * 8 + (k & 1) * 4 + s) << 1) + ((k >> 1) & 1);
}

/* Writes n input bytes (K indices k0..k0+n-1) into column s; dbl doubles them. */
TINYML_DSP_INLINE void col_copy(int16_t *cols, int32_t s, int32_t k0, const int8_t *src, int32_t n, int32_t dbl) {
  if (((k0 | n) & 3) == 0) {
    uint32_t *c32 = (uint32_t *)cols + (k0 >> 2) * 8 + s;
    const int8_t *end = src + n;
    if (dbl) {
      while (src != end) {
        const uint32_t v = tinyml_ld32(src);
        src += 4;
        const uint32_t e = tinyml_sxtb16(v);
        const uint32_t o = tinyml_sxtb16_ror8(v);
        c32[0] = tinyml_sadd16(e, e);
        c32[4] = tinyml_sadd16(o, o);
        c32 += 8;
      }
    } else {
      while (src != end) {
        const uint32_t v = tinyml_ld32(src);
        src += 4;
        c32[0] = tinyml_sxtb16(v);
        c32[4] = tinyml_sxtb16_ror8(v);
        c32 += 8;
      }
    }
    return;
  }
  for (int32_t i = 0; i < n; ++i) {
    cols[col_index(k0 + i, s)] = (int16_t)((uint32_t)(int32_t)src[i] << dbl);
  }
}

/* Writes n copies of value (already doubled if needed) into column s. */
TINYML_DSP_INLINE void col_fill(int16_t *cols, int32_t s, int32_t k0, int32_t value, int32_t n) {
  if (((k0 | n) & 3) == 0) {
    const uint32_t v = ((uint32_t)value & 0xFFFFu) * 0x10001u;
    uint32_t *c32 = (uint32_t *)cols + (k0 >> 2) * 8 + s;
    for (int32_t i = 0; i < n; i += 4) {
      c32[0] = v;
      c32[4] = v;
      c32 += 8;
    }
    return;
  }
  for (int32_t i = 0; i < n; ++i) {
    cols[col_index(k0 + i, s)] = (int16_t)value;
  }
}

/* Copies n bytes (a word at a time while it can; unaligned words are fine on the DSP cores). */
TINYML_DSP_INLINE void copy_bytes(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) tinyml_st32(dst + i, tinyml_ld32(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

/*
 * im2col of output pixel (oy, ox) into column s. Depths that are a multiple of 4 go straight
 * from the input to the column, a word (four channels) at a time; other depths first gather the
 * window's bytes into `gather` (k4 * 4 bytes, zero tail) and expand that.
 */
static void col_window(const tinyml_conv2d_dsp_params *p, int16_t *cols, int32_t s, const int8_t *input,
                       int32_t oy, int32_t ox, int32_t dbl, int8_t *gather) {
  const int32_t c = p->geo.input_depth;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
  const int32_t row_len = p->geo.filter_width * c;
  const int32_t row_inside = p->geo.dilation_width == 1 && ix0 >= 0 && ix0 + p->geo.filter_width <= p->geo.input_width;
  if (c & 3) {
    int8_t *g = gather;
    for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
      const int32_t iy = iy0 + fy * p->geo.dilation_height;
      if (iy < 0 || iy >= p->geo.input_height) {
        for (int32_t i = 0; i < row_len; ++i) g[i] = (int8_t)p->pad_value;
      } else if (row_inside) {
        copy_bytes(g, input + (iy * p->geo.input_width + ix0) * c, row_len);
      } else {
        const int8_t *row = input + iy * p->geo.input_width * c;
        for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
          const int32_t ix = ix0 + fx * p->geo.dilation_width;
          if (ix < 0 || ix >= p->geo.input_width) {
            for (int32_t i = 0; i < c; ++i) g[fx * c + i] = (int8_t)p->pad_value;
          } else {
            for (int32_t i = 0; i < c; ++i) g[fx * c + i] = row[ix * c + i];
          }
        }
      }
      g += row_len;
    }
    for (int32_t i = (int32_t)(g - gather); i < p->k4 * 4; ++i) gather[i] = 0;
    col_copy(cols, s, 0, gather, p->k4 * 4, dbl);
    return;
  }
  const int32_t pad = (int32_t)((uint32_t)p->pad_value << dbl);
  int32_t k = 0;
  for (int32_t fy = 0; fy < p->geo.filter_height; ++fy) {
    const int32_t iy = iy0 + fy * p->geo.dilation_height;
    if (iy < 0 || iy >= p->geo.input_height) {
      col_fill(cols, s, k, pad, row_len);
      k += row_len;
      continue;
    }
    const int8_t *row = input + iy * p->geo.input_width * c;
    if (row_inside) {
      /* The whole filter row lies inside the image and is contiguous. */
      col_copy(cols, s, k, row + ix0 * c, row_len, dbl);
      k += row_len;
      continue;
    }
    for (int32_t fx = 0; fx < p->geo.filter_width; ++fx) {
      const int32_t ix = ix0 + fx * p->geo.dilation_width;
      if (ix < 0 || ix >= p->geo.input_width) {
        col_fill(cols, s, k, pad, c);
      } else {
        col_copy(cols, s, k, row + ix * c, c, dbl);
      }
      k += c;
    }
  }
}

/*
 * Four pixels' words of one group (r0 the first pixel's, r2 the step between pixels, lr three
 * steps; r0 advanced by one word), expanded by SXTB16: even halves into r9-r12, odd ones in
 * r4 r5 r6 r8 (col_copy4 and the pointwise block walk, TINYML_ROWS_NEXT); TINYML_COL4_DBL doubles
 * them (the FAST modes' int8 columns).
 */
#define TINYML_COL4_LOAD                   \
  "ldr    r5, [r0, r2]\n\t"                \
  "ldr    r6, [r0, r2, lsl #1]\n\t"        \
  "ldr    r8, [r0, lr]\n\t"                \
  "ldr    r4, [r0], #4\n\t"                \
  "sxtb16 r9, r4\n\t"                      \
  "sxtb16 r10, r5\n\t"                     \
  "sxtb16 r11, r6\n\t"                     \
  "sxtb16 r12, r8\n\t"                     \
  "sxtb16 r4, r4, ror #8\n\t"              \
  "sxtb16 r5, r5, ror #8\n\t"              \
  "sxtb16 r6, r6, ror #8\n\t"              \
  "sxtb16 r8, r8, ror #8\n\t"
#define TINYML_COL4_DBL                                                                             \
  "sadd16 r9, r9, r9\n\t" "sadd16 r10, r10, r10\n\t" "sadd16 r11, r11, r11\n\t" "sadd16 r12, r12, r12\n\t" \
  "sadd16 r4, r4, r4\n\t" "sadd16 r5, r5, r5\n\t" "sadd16 r6, r6, r6\n\t" "sadd16 r8, r8, r8\n\t"
/*
 * Four columns at once, for a block of four pixels whose K indices k0..k0+n-1 (n and k0
 * multiples of 4) come from src + s * step (pixel s): each word of input is read once per pixel
 * and the four pixels' halfword pairs of one group are stored side by side, as the matrix
 * multiply loads them (one STM per four words where col_copy stores one at a time).
 */
TINYML_DSP_INLINE void col_copy4(int16_t *cols, int32_t k0, const int8_t *src, int32_t step, int32_t n, int32_t dbl) {
  uint32_t *c32 = (uint32_t *)cols + (k0 >> 2) * 8;
  const int8_t *end = src + n;
  /* Not at -Os, as the unrolled rows (TINYML_MM_ASM, below): size builds keep the C. */
#if TINYML_DSP_ASM && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
  /*
   * The compiled C below spills (four loads, eight expansions and eight stores want more registers
   * than it keeps free: ~27 instructions a group); here 16 a group: the four pixels' words (the
   * last by a post-increment), their even halves into r9-r12 and odd ones in place, two STMs.
   */
  if (n == 0) return;
  register const int8_t *s __asm__("r0") = src;
  register uint32_t *d __asm__("r1") = c32;
  register int32_t st __asm__("r2") = step;
  register const int8_t *e __asm__("r3") = end;
  register int32_t st3 __asm__("lr") = 3 * step;
#define TINYML_COL4_STORE                  \
  "stmia  r1!, {r9, r10, r11, r12}\n\t"    \
  "stmia  r1!, {r4, r5, r6, r8}\n\t"       \
  "cmp    r0, r3\n\t"                      \
  "bne    1b\n\t"
  if (dbl) {
    __asm__ volatile("1:\n\t" TINYML_COL4_LOAD TINYML_COL4_DBL TINYML_COL4_STORE
                     : "+r"(s), "+r"(d)
                     : "r"(st), "r"(e), "r"(st3)
                     : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "cc", "memory");
  } else {
    __asm__ volatile("1:\n\t" TINYML_COL4_LOAD TINYML_COL4_STORE
                     : "+r"(s), "+r"(d)
                     : "r"(st), "r"(e), "r"(st3)
                     : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "cc", "memory");
  }
#undef TINYML_COL4_STORE
  return;
#endif
  const int32_t s2 = 2 * step;
  while (src != end) {
    const uint32_t v0 = tinyml_ld32(src), v1 = tinyml_ld32(src + step);
    const uint32_t v2 = tinyml_ld32(src + s2), v3 = tinyml_ld32(src + s2 + step);
    src += 4;
    uint32_t e0 = tinyml_sxtb16(v0), e1 = tinyml_sxtb16(v1), e2 = tinyml_sxtb16(v2), e3 = tinyml_sxtb16(v3);
    uint32_t o0 = tinyml_sxtb16_ror8(v0), o1 = tinyml_sxtb16_ror8(v1), o2 = tinyml_sxtb16_ror8(v2),
             o3 = tinyml_sxtb16_ror8(v3);
    if (dbl) {
      e0 = tinyml_sadd16(e0, e0);
      e1 = tinyml_sadd16(e1, e1);
      e2 = tinyml_sadd16(e2, e2);
      e3 = tinyml_sadd16(e3, e3);
      o0 = tinyml_sadd16(o0, o0);
      o1 = tinyml_sadd16(o1, o1);
      o2 = tinyml_sadd16(o2, o2);
      o3 = tinyml_sadd16(o3, o3);
    }
    c32[0] = e0;
    c32[1] = e1;
    c32[2] = e2;
    c32[3] = e3;
    c32[4] = o0;
    c32[5] = o1;
    c32[6] = o2;
    c32[7] = o3;
    c32 += 8;
  }
}

/*
 * im2col of the four output pixels (oy, ox..ox+3) of one output row at once (the depth a multiple
 * of 4, the dilation across 1). Filter rows above or below the image read the zero point; the
 * others, when the four windows lie inside the image across, are one contiguous run of the input
 * per pixel, stride_width * depth bytes apart (col_copy4); at the left and right edges each
 * pixel's taps are copied or filled one by one.
 */
static void col_window4(const tinyml_conv2d_dsp_params *p, int16_t *cols, const int8_t *input, int32_t oy, int32_t ox,
                        int32_t dbl) {
  const int32_t c = p->geo.input_depth;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
  const int32_t fw = p->geo.filter_width;
  const int32_t row_len = fw * c;
  const int32_t step = p->geo.stride_width * c;
  const int32_t pad = (int32_t)((uint32_t)p->pad_value << dbl);
  const int32_t inside = ix0 >= 0 && ix0 + 3 * p->geo.stride_width + fw <= p->geo.input_width;
  int32_t k = 0;
  for (int32_t fy = 0; fy < p->geo.filter_height; ++fy, k += row_len) {
    const int32_t iy = iy0 + fy * p->geo.dilation_height;
    if (iy < 0 || iy >= p->geo.input_height) {
      for (int32_t s = 0; s < 4; ++s) col_fill(cols, s, k, pad, row_len);
      continue;
    }
    const int8_t *row = input + iy * p->geo.input_width * c;
    if (inside) {
      col_copy4(cols, k, row + ix0 * c, step, row_len, dbl);
      continue;
    }
    for (int32_t s = 0; s < 4; ++s) {
      for (int32_t fx = 0; fx < fw; ++fx) {
        const int32_t ix = ix0 + s * p->geo.stride_width + fx;
        if (ix < 0 || ix >= p->geo.input_width) {
          col_fill(cols, s, k + fx * c, pad, c);
        } else {
          col_copy(cols, s, k + fx * c, row + ix * c, c, dbl);
        }
      }
    }
  }
}

/* At -O2 and -Os alike (-Os needs TINYML_ROWS_ADR_ALIGN, below). */
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
#define TINYML_MM_ASM 1
/*
 * The assembly loops' requantization of accumulator a (FAST / FOLDED): the channel's m, t, e in
 * r4 r5 r6 (r10 is overwritten); ADD_OFF adds the output offset, or is "" when folded.
 */
#define TINYML_MM_RQ(a, ADD_OFF)          \
  "add    r10, r5, " a ", asr #31\n\t"    \
  "smmlar " a ", " a ", r4, r10\n\t"      \
  "asr    " a ", " a ", r6\n\t" ADD_OFF   \
  "ssat   " a ", #8, " a "\n\t"
/* The same without the sign correction (TINYML_RQ_NOFIX layers, see tinyml_dsp.h; r10 is left alone). */
#define TINYML_MM_RQ_NF(a, ADD_OFF)       \
  "smmlar " a ", " a ", r4, r5\n\t"       \
  "asr    " a ", " a ", r6\n\t" ADD_OFF   \
  "ssat   " a ", #8, " a "\n\t"
#define TINYML_MM_CLOBBERS "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "cc", "memory"
#else
#define TINYML_MM_ASM 0
#endif

/*
 * The matrix multiply of one block of columns, by mode, clamp and weight width. The last argument
 * is the assembly channel loops' frame (TINYML_ROWS_FRAME_WORDS words and two flags, see
 * TINYML_ROWS), which lives as long as the layer: what stays the same from block to block (the
 * columns, the row's jump addresses) is set for the first block only.
 */
typedef int32_t (*mm_fn)(const tinyml_conv2d_dsp_params *, const uint32_t *, const int8_t *, int8_t *, int32_t, int32_t *);
/*
 * Words of that frame: the rows' frame, then [16] "the layer's fields are set" (C) and [17] "the
 * jump addresses are computed" (the assembly), then the block walk of the straight loops
 * (TINYML_ROWS_NEXT): [18] the next block's first input pixel, [19] where the walk stops, [20]
 * the weights, [21] the input depth in bytes, [22] and [23] the steps to the next block (see
 * conv_run_pointwise). [18] == [19]: the call runs one block.
 * mm returns 1 when it ran a loop that walked the blocks up to [19] itself (the block walk of
 * pointwise layers, conv_run), else 0 (one block).
 */
#define TINYML_CONV_FRAME_WORDS 24

/* The columns of a block of npx <= 4 pixels of a pointwise layer from pixel p0 (one copy of the
 * code for conv_run_pointwise's three uses: ~1 KB less flash, a call more a block). */
static __attribute__((noinline)) void pointwise_cols(const tinyml_conv2d_dsp_params *p, const int8_t *in, int16_t *cols,
                                                     int32_t dbl, int32_t p0, int32_t npx) {
  const int32_t c = p->geo.input_depth;
  if (npx == 4 && (c & 3) == 0) {
    col_copy4(cols, 0, in + p0 * c, c, c, dbl);
  } else {
    for (int32_t s = 0; s < npx; ++s) col_copy(cols, s, 0, in + (p0 + s) * c, c, dbl);
  }
}

/* One block of a pointwise layer: its columns, then mm. */
TINYML_DSP_INLINE void pointwise_block(const tinyml_conv2d_dsp_params *p, const int8_t *in, const int8_t *weights,
                                       int8_t *out, int16_t *cols, mm_fn mm, int32_t dbl, int32_t *frame, int32_t p0,
                                       int32_t npx) {
  pointwise_cols(p, in, cols, dbl, p0, npx);
  mm(p, (const uint32_t *)cols, weights, out + p0 * p->output_depth, npx, frame);
}

/*
 * A pointwise layer (the columns are the pixels themselves), by blocks of four pixels, in order,
 * or from the last pixel down when p->descending (in_place_expand: an output wider than its input
 * written over it; each block's outputs then cover only its own inputs, already in the columns,
 * and those of blocks done before). Where the loop can walk the whole blocks itself (walk: int8
 * and int16 rows and signed sub-byte rows, whose accumulators start from the same values in every
 * block; the straight loops, TINYML_ROWS_NEXT, columns doubled as dbl says), one call runs them
 * all: ~60-100 instructions a block less than a call per block. The first block's columns are written here,
 * the others' in the loop; frame[22] and [23] are the steps from one block to the next (input
 * after its columns, output from the old out end).
 */
TINYML_DSP_INLINE void conv_run_pointwise(const tinyml_conv2d_dsp_params *p, const int8_t *in, const int8_t *weights,
                                          int8_t *out, int16_t *cols, mm_fn mm, int32_t dbl, int32_t walk,
                                          int32_t *frame) {
  const int32_t c = p->geo.input_depth;
  const int32_t n = p->output_depth;
  const int32_t npix = p->geo.output_height * p->geo.output_width;
  const int32_t whole = npix & ~3;
  const int32_t down = p->descending;
  if (down && whole < npix) pointwise_block(p, in, weights, out, cols, mm, dbl, frame, whole, npix - whole);
  int32_t done = 0;
  /* (Depth 8 takes LDRDs, TINYML_ROWS_NEXT_K2: word-aligned inputs only.) */
  if (walk && (c & 3) == 0 && whole >= 8 && (c != 8 || ((uintptr_t)in & 3) == 0)) {
    const int32_t first = down ? whole - 4 : 0;
    pointwise_cols(p, in, cols, dbl, first, 4);
    /* Pointers as integers: the stop of a walk down lies before the input. */
    const int32_t base = (int32_t)(intptr_t)in;
    frame[18] = base + (down ? first - 4 : 4) * c;
    frame[19] = down ? base - 4 * c : base + whole * c;
    frame[20] = (int32_t)(intptr_t)weights;
    frame[21] = c;
    frame[22] = down ? -5 * c : 3 * c;
    frame[23] = down ? -5 * n : 3 * n;
    done = mm(p, (const uint32_t *)cols, weights, out + first * n, 4, frame) ? whole : 4;
    frame[18] = 0;
    frame[19] = 0;
  }
  for (int32_t i = done; i < whole; i += 4) {
    pointwise_block(p, in, weights, out, cols, mm, dbl, frame, down ? whole - 4 - i : i, 4);
  }
  if (!down && whole < npix) pointwise_block(p, in, weights, out, cols, mm, dbl, frame, whole, npix - whole);
}

/*
 * The convolution, four output pixels at a time: their columns (inputs doubled when dbl: the FAST
 * modes accumulate 2 * acc, and weights not doubled offline), then mm over every channel.
 */
static void conv_run(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int8_t *weights, int8_t *output,
                     void *scratch, mm_fn mm, int32_t dbl, int32_t walk) {
  int16_t *cols = (int16_t *)scratch;
  int8_t *gather = (int8_t *)scratch + TINYML_CONV2D_DSP_COLUMN_BYTES(p->k4);
  const int32_t npix = p->geo.output_height * p->geo.output_width;
  const int32_t c = p->geo.input_depth;
  const int32_t pointwise = p->geo.filter_height == 1 && p->geo.filter_width == 1 && p->geo.stride_height == 1 &&
                            p->geo.stride_width == 1 && p->geo.pad_height == 0 && p->geo.pad_width == 0;
  /* Blocks of four pixels of one output row take col_window4 where their windows allow. */
  const int32_t rows4 = (c & 3) == 0 && p->geo.dilation_width == 1;
  int32_t frame[TINYML_CONV_FRAME_WORDS];
  frame[16] = 0;
  frame[17] = 0;
  frame[18] = 0;
  frame[19] = 0;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * p->geo.input_height * p->geo.input_width * c;
    int8_t *out = output + b * npix * p->output_depth;
    int32_t oy = 0;
    int32_t ox = 0;
    if (pointwise) {
      conv_run_pointwise(p, in, weights, out, cols, mm, dbl, walk, frame);
      continue;
    }
    for (int32_t p0 = 0; p0 < npix; p0 += 4) {
      const int32_t npx = npix - p0 < 4 ? npix - p0 : 4;
      if (npx == 4 && rows4 && ox + 4 <= p->geo.output_width) {
        col_window4(p, cols, in, oy, ox, dbl);
        ox += 4;
        if (ox == p->geo.output_width) {
          ox = 0;
          ++oy;
        }
      } else {
        for (int32_t s = 0; s < npx; ++s) {
          col_window(p, cols, s, in, oy, ox, dbl, gather);
          if (++ox == p->geo.output_width) {
            ox = 0;
            ++oy;
          }
        }
      }
      mm(p, (const uint32_t *)cols, weights, out + p0 * p->output_depth, npx, frame);
    }
  }
}

/* ---- sub-byte weights (4, 2 or 1 bits) ---- */

/*
 * The weights are one stream laid out by the generator in exactly the order the loop reads it:
 * per output channel, its row's words, then the channel's record {m, t, e, bias'} (as
 * tinyml_dsp_rq, bias' doubled in the FAST modes), so that one LDM after a row's dot product
 * loads everything its requantization needs (no bias or rq pointers to keep in the frame).
 *
 * Each SMLAD operand pair is one AND with a halfword mask, after a shift folded into the same
 * instruction; pairs 2g and 2g + 1 are group g of a word (K indices (0, 2) then (1, 3) of the
 * group, as the columns hold them). Two layouts of the fields (the generator's convSbRowWords):
 *
 * - Offset fields (_sb4, _sb2, _sb1): every weight an unsigned field f = w + OFF (OFF = 8 for 4
 *   bits, 2 for 2 bits; binary weights are one bit u with w = 2u - 1, extracted already doubled:
 *   f = 2u = w + 1); pair q of a word is (v >> (BITS * q)) & (field mask in both halfwords). The
 *   offset comes back out through the accumulators' start values, -OFF * (column sum).
 * - Signed fields at the top of each halfword (_sb4s, _sb2s: int4, int2 and ternary); pair q is
 *   (v << (BITS * q)) & (top field of both halfwords), 2^(16 - BITS) times the weights as signed
 *   halfwords. No offset, so no column sums: the accumulators start from zero and end at
 *   2^(16 - BITS) times the sum of products, which an arithmetic shift brings back exactly (the
 *   generator proved it cannot wrap) as bias' is added.
 *
 * A row covers exactly k4 groups, no padding to whole words: first one word per set bit of
 * k4 % SB_UNIT (1, 2, then 4 groups, each word only partly used), then whole words of 8 / BITS
 * groups, SB_UNIT groups per loop iteration.
 */
#define SB_OFF(BITS) ((BITS) == 4 ? 8 : (BITS) == 2 ? 2 : 1)
#define SB_UNIT(BITS) ((BITS) == 1 ? 8 : 4)
/* The record after each row: m, t, e, bias'. */
#define SB_RECORD_WORDS 4

/* Pair q of weight word v (see above). */
TINYML_DSP_INLINE uint32_t sb_pair(uint32_t v, int32_t q, const int BITS, const int SIGNED) {
  if (SIGNED) {
    return (v << (BITS * q)) & (BITS == 4 ? 0xF000F000u : 0xC000C000u);
  }
  if (BITS == 4) {
    return (v >> (4 * q)) & 0x000F000Fu;
  }
  if (BITS == 2) {
    return (v >> (2 * q)) & 0x00030003u;
  }
  return (q == 0 ? v << 1 : v >> (q - 1)) & 0x00020002u;
}

/*
 * The accumulator a of a row with bias' b added: shifted back first in the signed layout, and
 * doubled (DBL) in the modes that requantize 2 * acc. The columns of sub-byte rows are never
 * doubled: doubling them costs eight SADD16 per group of four pixels, doubling here is folded
 * into the shift back (one bit less) or the add (a shifted operand).
 */
TINYML_DSP_INLINE int32_t sb_finish(int32_t a, uint32_t b, const int BITS, const int SIGNED, const int DBL) {
  return (int32_t)(b + (SIGNED ? (uint32_t)(a >> (16 - BITS - DBL)) : (uint32_t)a << DBL));
}

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * The dot product of one row with four columns, in fixed registers (dot_sb_1x4 pins its
 * variables to them; mm_sb_asm owns them all): r0-r3 accumulators, r4 r5 r6 r8 column words,
 * r9 the weight word, r10 a pair, r7 the pair mask, r11 columns pointer, r12 weights pointer,
 * lr the group count (consumed). 4 instructions of unpacking per 16 / BITS pairs plus the load.
 * D is the shift that brings pair q to the mask: "lsr" (offset fields) or "lsl" (signed ones).
 */
#define TINYML_SBW_X(R, SH) "and    r10, r7, " R SH "\n\t" TINYML_DSP_ASM_COLS TINYML_DSP_ASM_SMLAD4("r10")
#define TINYML_SBW_XD(R, D, N) TINYML_SBW_X(R, ", " D " #" #N)
#define TINYML_SB_X(SH) TINYML_SBW_X("r9", SH)
#define TINYML_SB_XD(D, N) TINYML_SBW_XD("r9", D, N)
#define TINYML_SB_LD "ldr    r9, [r12], #4\n\t"
/* The pairs of a whole word in register R. */
#define TINYML_SB4W(R, D) TINYML_SBW_X(R, "") TINYML_SBW_XD(R, D, 4) TINYML_SBW_XD(R, D, 8) TINYML_SBW_XD(R, D, 12)
#define TINYML_SB2W(R, D)                                                                                      \
  TINYML_SBW_X(R, "") TINYML_SBW_XD(R, D, 2) TINYML_SBW_XD(R, D, 4) TINYML_SBW_XD(R, D, 6) TINYML_SBW_XD(R, D, 8) \
  TINYML_SBW_XD(R, D, 10) TINYML_SBW_XD(R, D, 12) TINYML_SBW_XD(R, D, 14)
#define TINYML_SB1W(R)                                                                                         \
  TINYML_SBW_X(R, ", lsl #1") TINYML_SBW_X(R, "") TINYML_SBW_XD(R, "lsr", 1) TINYML_SBW_XD(R, "lsr", 2)         \
  TINYML_SBW_XD(R, "lsr", 3) TINYML_SBW_XD(R, "lsr", 4) TINYML_SBW_XD(R, "lsr", 5) TINYML_SBW_XD(R, "lsr", 6)  \
  TINYML_SBW_XD(R, "lsr", 7) TINYML_SBW_XD(R, "lsr", 8) TINYML_SBW_XD(R, "lsr", 9) TINYML_SBW_XD(R, "lsr", 10) \
  TINYML_SBW_XD(R, "lsr", 11) TINYML_SBW_XD(R, "lsr", 12) TINYML_SBW_XD(R, "lsr", 13) TINYML_SBW_XD(R, "lsr", 14)
/* Partial words: their first 1, 2 or 4 groups (2 * groups pairs). */
#define TINYML_SB4_G1(D) TINYML_SB_LD TINYML_SB_X("") TINYML_SB_XD(D, 4)
#define TINYML_SB4_WORD(D) TINYML_SB_LD TINYML_SB4W("r9", D)
#define TINYML_SB2_G1(D) TINYML_SB_LD TINYML_SB_X("") TINYML_SB_XD(D, 2)
#define TINYML_SB2_G2(D) TINYML_SB2_G1(D) TINYML_SB_XD(D, 4) TINYML_SB_XD(D, 6)
#define TINYML_SB2_WORD(D) TINYML_SB_LD TINYML_SB2W("r9", D)
#define TINYML_SB1_G1 TINYML_SB_LD TINYML_SB_X(", lsl #1") TINYML_SB_X("")
#define TINYML_SB1_G2 TINYML_SB1_G1 TINYML_SB_X(", lsr #1") TINYML_SB_X(", lsr #2")
#define TINYML_SB1_G4 \
  TINYML_SB1_G2 TINYML_SB_X(", lsr #3") TINYML_SB_X(", lsr #4") TINYML_SB_X(", lsr #5") TINYML_SB_X(", lsr #6")
#define TINYML_SB1_WORD TINYML_SB_LD TINYML_SB1W("r9")
/* One optional part of k4 % SB_UNIT groups: the next bit of lr, shifted out into C. */
#define TINYML_SB_PART(L, PART) "lsrs   lr, lr, #1\n\t" "bcc    " #L "f\n\t" PART #L ":\n\t"
/* lr = k4; the loop runs lr / SB_UNIT times (the Z flag of the last part's shift). */
#define TINYML_SB_LOOP(UNIT)   \
  "beq    9f\n"                \
  "8:\n\t" UNIT                \
  "subs   lr, lr, #1\n\t"      \
  "bne    8b\n"                \
  "9:\n\t"
#define TINYML_SB4_DOT(D) TINYML_SB_PART(6, TINYML_SB4_G1(D)) TINYML_SB_PART(7, TINYML_SB4_WORD(D)) TINYML_SB_LOOP(TINYML_SB4_WORD(D) TINYML_SB4_WORD(D))
#define TINYML_SB2_DOT(D) TINYML_SB_PART(6, TINYML_SB2_G1(D)) TINYML_SB_PART(7, TINYML_SB2_G2(D)) TINYML_SB_LOOP(TINYML_SB2_WORD(D))
#define TINYML_SB1_DOT \
  TINYML_SB_PART(5, TINYML_SB1_G1) TINYML_SB_PART(6, TINYML_SB1_G2) TINYML_SB_PART(7, TINYML_SB1_G4) TINYML_SB_LOOP(TINYML_SB1_WORD)
#define TINYML_SB_MASK(BITS, SIGNED)                                                  \
  ((SIGNED) ? ((BITS) == 4 ? 0xF000F000u : 0xC000C000u)                               \
            : ((BITS) == 4 ? 0x000F000Fu : (BITS) == 2 ? 0x00030003u : 0x00020002u))
#endif

/* One row of k4 groups (advancing *wp past its words) against four columns. */
TINYML_DSP_INLINE void dot_sb_1x4(const uint32_t *c, const uint32_t **wp, int32_t k4, const int BITS, const int SIGNED,
                                  int32_t *A0, int32_t *A1, int32_t *A2, int32_t *A3) {
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  TINYML_DSP_ACC4_REGS(A0, A1, A2, A3);
  register uint32_t mask __asm__("r7") = TINYML_SB_MASK(BITS, SIGNED);
  register const uint32_t *cp __asm__("r11") = c;
  register const uint32_t *w __asm__("r12") = *wp;
  register int32_t n __asm__("lr") = k4;
#define TINYML_SB_OPERANDS                                                                                  \
  : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(cp), "+r"(w), "+r"(n)                                      \
  : "r"(mask)                                                                                               \
  : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory"
  if (BITS == 4 && SIGNED) {
    __asm__ volatile(TINYML_SB4_DOT("lsl") TINYML_SB_OPERANDS);
  } else if (BITS == 4) {
    __asm__ volatile(TINYML_SB4_DOT("lsr") TINYML_SB_OPERANDS);
  } else if (BITS == 2 && SIGNED) {
    __asm__ volatile(TINYML_SB2_DOT("lsl") TINYML_SB_OPERANDS);
  } else if (BITS == 2) {
    __asm__ volatile(TINYML_SB2_DOT("lsr") TINYML_SB_OPERANDS);
  } else {
    __asm__ volatile(TINYML_SB1_DOT TINYML_SB_OPERANDS);
  }
#undef TINYML_SB_OPERANDS
  *wp = w;
#else
  TINYML_DSP_ACC4(A0, A1, A2, A3);
  const uint32_t *w = *wp;
  /* Words of 8 / BITS groups: the partial ones first, then whole ones. */
  const int32_t whole = (k4 & ~(SB_UNIT(BITS) - 1)) / (8 / BITS);
  for (int32_t part = 1; part <= SB_UNIT(BITS); part <<= 1) {
    const int32_t words = part < SB_UNIT(BITS) ? ((k4 & part) ? 1 : 0) : whole;
    const int32_t pairs = part < SB_UNIT(BITS) ? 2 * part : 16 / BITS;
    for (int32_t j = 0; j < words; ++j) {
      const uint32_t v = *w++;
      for (int32_t q = 0; q < pairs; ++q) {
        const uint32_t f = sb_pair(v, q, BITS, SIGNED);
        a0 = tinyml_smlad(f, c[0], a0);
        a1 = tinyml_smlad(f, c[1], a1);
        a2 = tinyml_smlad(f, c[2], a2);
        a3 = tinyml_smlad(f, c[3], a3);
        c += 4;
      }
    }
  }
  *wp = w;
#endif
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
}

#if TINYML_MM_ASM
/*
 * mm_sb for four columns, the FAST modes and no fused clamp, entirely in assembly (as
 * mm_1x4_asm): the loop state lives in a frame (TINYML_ROWS), copied to the stack (sp-relative)
 * so that r7 holds the pair mask for the whole call.
 * Per channel: the start values and columns (one LDM), the dot product, the row's record from the weight
 * stream (one LDM: m, t, e into r4-r6 as TINYML_MM_RQ wants them, bias' into r9), FIX adds bias'
 * to each accumulator, the requantization, the four stores.
 */
/* The four columns' requantization: FAST / FOLDED (TINYML_MM_RQ), or FAST_MIXED, which branches
 * once per channel on the sign of its e (the four columns share the channel's record). */
#define TINYML_SBA_RQ4(ADD_OFF_LOAD, OFF0, OFF1, OFF2, OFF3) \
  ADD_OFF_LOAD TINYML_MM_RQ("r0", OFF0) TINYML_MM_RQ("r1", OFF1) TINYML_MM_RQ("r2", OFF2) TINYML_MM_RQ("r3", OFF3)
#define TINYML_SBA_RQ4_X(...) TINYML_SBA_RQ4(__VA_ARGS__)
/* The same without the sign correction (TINYML_RQ_NOFIX layers). */
#define TINYML_SBA_RQ4_NF(ADD_OFF_LOAD, OFF0, OFF1, OFF2, OFF3)                                            \
  ADD_OFF_LOAD TINYML_MM_RQ_NF("r0", OFF0) TINYML_MM_RQ_NF("r1", OFF1) TINYML_MM_RQ_NF("r2", OFF2)        \
  TINYML_MM_RQ_NF("r3", OFF3)
#define TINYML_SBA_RQ4_NF_X(...) TINYML_SBA_RQ4_NF(__VA_ARGS__)
#define TINYML_SBA_RQ_LEFT(a)             \
  "lsl    " a ", " a ", r10\n\t"          \
  "smmlar " a ", " a ", r4, r5\n\t"      \
  "ssat   " a ", #8, " a "\n\t"
/* FAST_MIXED by RQ4 (TINYML_SBA_RQ4, or TINYML_SBA_RQ4_NF: no sign correction on its right-shift
 * channels, TINYML_RQ_NOFIX) on right-shift channels, a left shift then SMMLAR on the others. */
#define TINYML_SBA_RQ4_MIXED_WITH(RQ4)                                                                \
  "cmp    r6, #0\n\t"                                                                                \
  "ble    3f\n\t" RQ4("", "", "", "", "")                                                             \
  "b      4f\n\t"                                                                                    \
  "3:\n\t"                                                                                          \
  "rsb    r10, r6, #0\n\t" TINYML_SBA_RQ_LEFT("r0") TINYML_SBA_RQ_LEFT("r1") TINYML_SBA_RQ_LEFT("r2") \
  TINYML_SBA_RQ_LEFT("r3")                                                                           \
  "4:\n\t"
#define TINYML_SBA_RQ4_MIXED TINYML_SBA_RQ4_MIXED_WITH(TINYML_SBA_RQ4)
#define TINYML_SBA_RQ4_MIXED_NF TINYML_SBA_RQ4_MIXED_WITH(TINYML_SBA_RQ4_NF)
/* bias' (r9) added to accumulator a: as is (int8 rows); doubled (offset fields: the assembly
 * runs the modes that requantize 2 * acc, and sub-byte columns are not doubled, see sb_finish),
 * or after the shift back, one bit short (signed). */
#define TINYML_SBA_FIX(a) "add    " a ", " a ", r9\n\t"
#define TINYML_SBA_FIX_D(a) "add    " a ", r9, " a ", lsl #1\n\t"
#define TINYML_SBA_FIX_S4(a) "add    " a ", r9, " a ", asr #11\n\t"
#define TINYML_SBA_FIX_S2(a) "add    " a ", r9, " a ", asr #13\n\t"
/*
 * The channel loop of mm_1x4_asm (int8 rows) and mm_sb_asm (sub-byte rows), with the row's dot
 * product unrolled. The frame (TINYML_ROWS_FRAME_WORDS words at r7) is copied to the stack first,
 * so that r7 is free for what SET_R7 puts in it for the whole call (the sub-byte pair mask, or the
 * int8 output pointer). Per channel: the accumulators' start values and the columns (START), then
 * one jump (LDR PC) into BODY (N units unrolled) at the point that leaves exactly the row's first
 * pass of units (a computed entry: no counter and no test per unit; that is why lr is free for a
 * second weight word), or first into PROLOGUE (a sub-byte row's words before its whole units),
 * which jumps on into BODY; after BODY one jump to the epilogue, or, for rows longer than one pass,
 * to the test that runs BODY again until the columns end. Then the record (one LDM), FIX adds bias'
 * to each accumulator, RQ4 requantizes, STORE stores r0-r3 and loops back to 1 until the last
 * channel. The frame:
 *   [0..12] start values  [16] columns  [20] out  [24] n_out  [28] 2 n_out  [32] 3 n_out
 *   [36] out end  [40] first jump  [44] body entry  [48] after the body  [52] columns end
 *   [56] prologue bits (lr, see TINYML_SB_PART)  [60] output offset
 * (the columns right after the start values: one LDM loads both, TINYML_ROWS_START_FRAME).
 * From C, [40] is 1 when there is a prologue, [44] the bytes of BODY the first pass runs and [48] 1
 * when the row takes more than one pass; the setup turns them into code addresses (Thumb bit
 * set) in the C frame, once a layer: the frame lives as long as the layer (conv_run), and its word
 * [68] (zero from C) says that they are computed, so the other blocks skip those ~20 instructions
 * (the C side sets the fields that stay, [0..12] of int8 rows, [16], [40]..[60], once a layer
 * too, its word [64] saying so). Every instruction of BODY is 32 bits wide (the assembler checks BODY's size), so units
 * lie at fixed offsets from its end.
 */
#define TINYML_ROWS_FRAME_WORDS 16
/*
 * ADR computes Align(PC, 4) + offset, and the assembler fixes the offset of a label in the same
 * section when it assembles, for the section's start as 4-aligned. At -Os gcc aligns a function
 * to 2 bytes only, so with -ffunction-sections (the firmware's Makefile, the Arduino IDE) the
 * linker may put it at 2 mod 4: every ADR below is then 2 bytes off, the computed LDR PC lands
 * in the middle of an instruction and the firmware runs away (ResNet-8 at -Os hung so). This
 * alignment raises the section's alignment to 4, so the addresses hold wherever it is linked.
 */
#define TINYML_ROWS_ADR_ALIGN ".p2align 2\n\t"
/* The frame copied from r7 to the stack (TINYML_ROWS, TINYML_ROWS_SHORT). */
#define TINYML_ROWS_PUSH                                        \
  "add    r7, r7, #40\n\t"                                    \
  "ldmia  r7, {r0, r1, r2, r3, r4, r5}\n\t"                   \
  "push   {r0, r1, r2, r3, r4, r5}\n\t"                       \
  "sub    r7, r7, #40\n\t"                                    \
  "ldmia  r7, {r0, r1, r2, r3, r4, r5, r6, r8, r9, r10}\n\t"  \
  "push   {r0, r1, r2, r3, r4, r5, r6, r8, r9, r10}\n\t"
/* After a row: its record and bias' (RECORD, see TINYML_ROWS_RECORD), the requantization, the
 * stores; then the frame dropped. */
#define TINYML_ROWS_TAIL(RECORD, RQ4, STORE) RECORD RQ4 STORE "add    sp, sp, #64\n\t"
/* The record {m, t, e, bias'} after a row, FIX adding bias' (r9) to each accumulator. */
#define TINYML_ROWS_RECORD(FIX) "ldmia  r12!, {r4, r5, r6, r9}\n\t" FIX("r0") FIX("r1") FIX("r2") FIX("r3")
/* The accumulators' start values and the columns pointer (r11): both from the frame (one LDM),
 * or the start values bias' four times from the weight stream before the row (int16 rows: then
 * their record is {m, t, e} alone). */
#define TINYML_ROWS_START_FRAME "ldmia  sp, {r0, r1, r2, r3, r11}\n\t"
#define TINYML_ROWS_START_STREAM "ldmia  r12!, {r0, r1, r2, r3}\n\t" "ldr    r11, [sp, #16]\n\t"
#define TINYML_ROWS(SET_R7, START, PROLOGUE, BODY, BODY_BYTES, RECORD, RQ4, STORE)          \
  TINYML_ROWS_ADR_ALIGN                                                                 \
  "ldr    r0, [r7, #68]\n\t"                                                            \
  "cbnz   r0, 30f\n\t"                                                                  \
  "adr.w  r10, 29f\n\t"                                                                 \
  "ldr    r9, [r7, #44]\n\t"                                                            \
  "sub    r9, r10, r9\n\t"                                                              \
  "orr    r9, r9, #1\n\t"                                                               \
  "str    r9, [r7, #44]\n\t"                                                            \
  "adr.w  r10, 26f\n\t"                                                                 \
  "orr    r10, r10, #1\n\t"                                                             \
  "ldr    r8, [r7, #40]\n\t"                                                            \
  "cmp    r8, #0\n\t"                                                                   \
  "it     eq\n\t"                                                                       \
  "moveq  r10, r9\n\t"                                                                  \
  "str    r10, [r7, #40]\n\t"                                                           \
  "adr.w  r10, 23f\n\t"                                                                 \
  "adr.w  r9, 22f\n\t"                                                                  \
  "ldr    r8, [r7, #48]\n\t"                                                            \
  "cmp    r8, #0\n\t"                                                                   \
  "it     eq\n\t"                                                                       \
  "moveq  r10, r9\n\t"                                                                  \
  "orr    r10, r10, #1\n\t"                                                             \
  "str    r10, [r7, #48]\n\t"                                                           \
  "str    r7, [r7, #68]\n"                                                               \
  "30:\n\t" TINYML_ROWS_PUSH SET_R7                                                     \
  "1:\n\t" START                                                                        \
  "ldr    pc, [sp, #40]\n"                                                              \
  "26:\n\t" PROLOGUE                                                                    \
  "ldr    pc, [sp, #44]\n"                                                              \
  "28:\n\t" BODY                                                                        \
  "29:\n\t"                                                                             \
  ".if (29b - 28b) != " BODY_BYTES "\n\t"                                               \
  ".error \"conv2d_dsp.c: an instruction of the unrolled body is not 32 bits wide\"\n\t" \
  ".endif\n\t"                                                                          \
  "ldr    pc, [sp, #48]\n"                                                              \
  "23:\n\t"                                                                             \
  "ldr    r10, [sp, #52]\n\t"                                                           \
  "cmp    r11, r10\n\t"                                                                 \
  "bne    28b\n"                                                                        \
  "22:\n\t" TINYML_ROWS_TAIL(RECORD, RQ4, STORE)
/*
 * The channel loop of sub-byte rows shorter than four groups (k4 < 4: one or two partial words,
 * no LDRD unit, e.g. a pointwise layer of 8 input channels). TINYML_ROWS would run such a row as
 * its prologue alone, paying per channel the computed jumps into and out of it and the bit tests
 * of lr reloaded from the frame; here the prologue bits ([56], k4 itself when k4 < 4) stay in lr
 * for the whole call and one LSLS puts their two bits into N and C (PARTS, see TINYML_SB_SHORT), and the setup has no jump addresses to compute.
 * LR is the frame word lr holds: [56], or [20], the output pointer, for rows of exactly two groups
 * (no bit tests; see TINYML_SBA_STORE4_NEXT_LR).
 */
#define TINYML_ROWS_SHORT(LR, SET_R7, PARTS, FIX, RQ4, STORE) \
  TINYML_ROWS_PUSH                                           \
  "ldr    lr, [sp, #" LR "]\n\t" SET_R7                      \
  "1:\n\t"                                                   \
  TINYML_ROWS_START_FRAME PARTS                              \
  TINYML_ROWS_TAIL(TINYML_ROWS_RECORD(FIX), RQ4, STORE)
/*
 * The channel loop of rows that are exactly one pass (no prologue, BODY's units all run once: KWS's
 * 64-channel pointwise layers, every width): START falls through into BODY and BODY into the
 * record, so per channel neither the computed entry (LDR PC) nor the jump out of BODY runs, and
 * the setup computes no jump addresses (no ADR, so no alignment to keep either). One more copy of
 * BODY in flash for it. Rows of exactly two passes (VWW's 128-channel pointwise layers) run it with
 * BODY given twice where flash is traded for speed (TINYML_ROWS_SPEED: not at -Os, as the other
 * extra loop copies of that kind): TINYML_ROWS spent 9 instructions a channel on them (the entry,
 * two exits and two pass tests).
 */
#if defined(__OPTIMIZE_SIZE__)
#define TINYML_ROWS_SPEED 0
#else
#define TINYML_ROWS_SPEED 1
#endif
#define TINYML_ROWS_ONE(SET_R7, START, BODY, RECORD, RQ4, STORE) \
  TINYML_ROWS_PUSH SET_R7                                       \
  "1:\n\t" START BODY TINYML_ROWS_TAIL(RECORD, RQ4, STORE)
/*
 * The straight loops that walk a pointwise layer's whole blocks themselves (conv_run; the
 * channel loop of one block is the same): the conv frame's words [18..23] go on the stack first
 * ([64] next input pixel, [68] where the walk stops, [72] weights, [76] input depth in bytes,
 * [80] the input step after a block's columns, [84] the output step from the old out end; the
 * steps walk up or down, see conv_run_pointwise), then the rows' frame. After a block's last
 * channel, TINYML_ROWS_NEXT writes the next block's columns (as col_copy4 without doubling: 16
 * instructions a group), moves the frame's output fields ([20] out, [36] out end; [24] n, [32]
 * 3 n stay) to the next block (every loop leaves its output pointer at the old out end), rewinds
 * the weights and goes back to 40 (the loop's SET_R7): ~18 instructions a block besides the
 * columns, where a call per block cost ~120.
 */
#define TINYML_ROWS_PUSH_B                        \
  "add    r7, r7, #72\n\t"                        \
  "ldmia  r7, {r0, r1, r2, r3, r4, r5}\n\t"       \
  "push   {r0, r1, r2, r3, r4, r5}\n\t"           \
  "sub    r7, r7, #72\n\t" TINYML_ROWS_PUSH
#define TINYML_ROWS_NEXT TINYML_ROWS_NEXT_X("")
/* The same with the columns doubled (int8 rows in the FAST modes, as col_copy4 with dbl). */
#define TINYML_ROWS_NEXT_DBL TINYML_ROWS_NEXT_X(TINYML_COL4_DBL)
#define TINYML_ROWS_NEXT_X(DBL)                   \
  "ldrd   r0, r3, [sp, #64]\n\t"                  \
  "cmp    r0, r3\n\t"                             \
  "beq    49f\n\t"                                \
  "ldr    r2, [sp, #76]\n\t"                      \
  "ldr    r1, [sp, #16]\n\t"                      \
  "add    r3, r0, r2\n\t"                         \
  "add    lr, r2, r2, lsl #1\n"                    \
  "41:\n\t" TINYML_COL4_LOAD DBL                   \
  "stmia  r1!, {r9, r10, r11, r12}\n\t"           \
  "stmia  r1!, {r4, r5, r6, r8}\n\t"              \
  "cmp    r0, r3\n\t"                             \
  "bne    41b\n\t" TINYML_ROWS_NEXT_TAIL
/* After the next block's columns (r0: its first pixel + the depth): the frame moved on to it. */
#define TINYML_ROWS_NEXT_TAIL                     \
  "ldrd   r1, r2, [sp, #80]\n\t"                  \
  "add    r0, r0, r1\n\t"                         \
  "str    r0, [sp, #64]\n\t"                      \
  "ldr    r3, [sp, #36]\n\t"                      \
  "add    r0, r3, r2\n\t"                         \
  "ldr    r3, [sp, #24]\n\t"                      \
  "add    r2, r0, r3\n\t"                         \
  "str    r0, [sp, #20]\n\t"                      \
  "str    r2, [sp, #36]\n\t"                      \
  "ldr    r12, [sp, #72]\n\t"                     \
  "b      40b\n"                                   \
  "49:\n\t"                                       \
  "add    sp, sp, #88\n\t"
/*
 * TINYML_ROWS_NEXT for rows of exactly two groups (input depth 8: VWW's first pointwise layer,
 * the row-streamed pair's): the four pixels' two words each with one LDRD apiece, no loop (24
 * instructions a block's columns where the loop takes 34).
 */
#define TINYML_K2_COLS(A, B, C, D, ROR)                                                 \
  "sxtb16 r10, " A ROR "\n\t"                                                          \
  "sxtb16 r11, " B ROR "\n\t"                                                          \
  "sxtb16 r12, " C ROR "\n\t"                                                          \
  "sxtb16 lr, " D ROR "\n\t"                                                           \
  "stmia  r1!, {r10, r11, r12, lr}\n\t"
#define TINYML_ROWS_NEXT_K2                       \
  "ldrd   r0, r3, [sp, #64]\n\t"                  \
  "cmp    r0, r3\n\t"                             \
  "beq    49f\n\t"                                \
  "ldr    r1, [sp, #16]\n\t"                      \
  "ldrd   r2, r3, [r0], #8\n\t"                   \
  "ldrd   r4, r5, [r0]\n\t"                       \
  "ldrd   r6, r7, [r0, #8]\n\t"                   \
  "ldrd   r8, r9, [r0, #16]\n\t"                  \
  TINYML_K2_COLS("r2", "r4", "r6", "r8", "")      \
  TINYML_K2_COLS("r2", "r4", "r6", "r8", ", ror #8") \
  TINYML_K2_COLS("r3", "r5", "r7", "r9", "")      \
  TINYML_K2_COLS("r3", "r5", "r7", "r9", ", ror #8") \
  TINYML_ROWS_NEXT_TAIL
/* TINYML_ROWS_ONE and TINYML_ROWS_SHORT walking the blocks (NEXT: TINYML_ROWS_NEXT or _K2). */
#define TINYML_ROWS_ONE_BN(SET_R7, START, BODY, RECORD, RQ4, STORE, NEXT) \
  TINYML_ROWS_PUSH_B "40:\n\t" SET_R7                                   \
  "1:\n\t" START BODY RECORD RQ4 STORE NEXT
#define TINYML_ROWS_ONE_B(SET_R7, START, BODY, RECORD, RQ4, STORE) \
  TINYML_ROWS_ONE_BN(SET_R7, START, BODY, RECORD, RQ4, STORE, TINYML_ROWS_NEXT)
#define TINYML_ROWS_SHORT_BN(LR, SET_R7, PARTS, FIX, RQ4, STORE, NEXT)    \
  TINYML_ROWS_PUSH_B "40:\n\t"                                          \
  "ldr    lr, [sp, #" LR "]\n\t" SET_R7                                 \
  "1:\n\t"                                                             \
  TINYML_ROWS_START_FRAME PARTS TINYML_ROWS_RECORD(FIX) RQ4 STORE NEXT
#define TINYML_ROWS_SHORT_B(LR, SET_R7, PARTS, FIX, RQ4, STORE) \
  TINYML_ROWS_SHORT_BN(LR, SET_R7, PARTS, FIX, RQ4, STORE, TINYML_ROWS_NEXT)
/* The output offset from the frame, then added to each output (FAST, not folded). */
#define TINYML_ROWS_ADD_OFF "ldr    r8, [sp, #60]\n\t", "add    r0, r0, r8\n\t", "add    r1, r1, r8\n\t", \
                            "add    r2, r2, r8\n\t", "add    r3, r3, r8\n\t"
/* The sub-byte rows' four stores at output pointer P (offsets r5 r6 r8, out end r9), SAVE keeping
 * P, then the loop back to 1 until the last channel. */
#define TINYML_SBA_STORE4_AT(P, SAVE) \
  "strb   r1, [" P ", r5]\n\t"        \
  "strb   r2, [" P ", r6]\n\t"        \
  "strb   r3, [" P ", r8]\n\t"        \
  "strb   r0, [" P "], #1\n\t" SAVE   \
  "cmp    " P ", r9\n\t"              \
  "bne    1b\n\t"
/* The output pointer from the frame and back (r7 holds the mask). */
#define TINYML_SBA_STORE4_NEXT           \
  "add    r10, sp, #20\n\t"              \
  "ldmia  r10, {r4, r5, r6, r8, r9}\n\t" \
  TINYML_SBA_STORE4_AT("r4", "str    r4, [sp, #20]\n\t")
/* Rows of exactly two groups (SB_LOOP_K2): lr is free for the whole call there (no prologue
 * bits), so it holds the output pointer, which never goes back to the frame: one instruction less
 * a channel (VWW's 8-channel pointwise layer: 16 channels a block of four pixels). */
#define TINYML_SBA_STORE4_NEXT_LR    \
  "add    r10, sp, #24\n\t"          \
  "ldmia  r10, {r5, r6, r8, r9}\n\t" \
  TINYML_SBA_STORE4_AT("lr", "")
#define TINYML_STR_(x) #x
#define TINYML_STR(x) TINYML_STR_(x)
/*
 * A sub-byte unit of BODY: two weight words (one LDRD, into r9 and lr), each unpacked pair by
 * pair as TINYML_SB*_WORD does; 16 groups per pass whatever the width. Prologue: the partial
 * words of k4 % SB_UNIT groups (bits of lr as in TINYML_SB*_DOT), then one whole word when their
 * count is odd.
 */
#define TINYML_SBU_LD "ldrd   r9, lr, [r12], #8\n\t"
#define TINYML_SBU4(D) TINYML_SBU_LD TINYML_SB4W("r9", D) TINYML_SB4W("lr", D)
#define TINYML_SBU2(D) TINYML_SBU_LD TINYML_SB2W("r9", D) TINYML_SB2W("lr", D)
#define TINYML_SBU1 TINYML_SBU_LD TINYML_SB1W("r9") TINYML_SB1W("lr")
#define TINYML_SBU_PRO_LD "ldr    lr, [sp, #56]\n\t"
/* (int4 rows have an even number of whole words: no odd one.) */
#define TINYML_SB4_PRO(D) TINYML_SBU_PRO_LD TINYML_SB_PART(5, TINYML_SB4_G1(D)) TINYML_SB_PART(6, TINYML_SB4_WORD(D))
#define TINYML_SB2_PRO(D) \
  TINYML_SBU_PRO_LD TINYML_SB_PART(5, TINYML_SB2_G1(D)) TINYML_SB_PART(6, TINYML_SB2_G2(D)) TINYML_SB_PART(7, TINYML_SB2_WORD(D))
#define TINYML_SB1_PRO                                                                                      \
  TINYML_SBU_PRO_LD TINYML_SB_PART(5, TINYML_SB1_G1) TINYML_SB_PART(6, TINYML_SB1_G2) TINYML_SB_PART(7, TINYML_SB1_G4) \
  TINYML_SB_PART(13, TINYML_SB1_WORD)
/* A short row's parts (k4 < 4, in lr): bit 0 of k4 into N, bit 1 into C (one LSLS; the parts
 * set no flags), G1 a word of one group, G2 a word of two. */
#define TINYML_SB_SHORT(G1, G2) "lsls   r10, lr, #31\n\t" "bpl    5f\n\t" G1 "5:\n\t" "bcc    6f\n\t" G2 "6:\n\t"
/* Bytes of one unit: the LDRD and per pair an AND, an LDM and four SMLADs (16 / BITS pairs a word),
 * 4 + 2 * (16 / BITS) * 24; units a pass: 16 groups. Plain numbers, as the assembler checks them. */
#define TINYML_SBU_BYTES_4 196
#define TINYML_SBU_BYTES_2 388
#define TINYML_SBU_BYTES_1 772
#define TINYML_SBU_PER_PASS_4 4
#define TINYML_SBU_PER_PASS_2 2
#define TINYML_SBU_PER_PASS_1 1
#define TINYML_SBU_BYTES(BITS) ((BITS) == 4 ? TINYML_SBU_BYTES_4 : (BITS) == 2 ? TINYML_SBU_BYTES_2 : TINYML_SBU_BYTES_1)
#define TINYML_SBU_PER_PASS(BITS) ((BITS) == 4 ? TINYML_SBU_PER_PASS_4 : (BITS) == 2 ? TINYML_SBU_PER_PASS_2 : TINYML_SBU_PER_PASS_1)
#define TINYML_SBU_BODY4(D) TINYML_SBU4(D) TINYML_SBU4(D) TINYML_SBU4(D) TINYML_SBU4(D)
#define TINYML_SBU_BODY2(D) TINYML_SBU2(D) TINYML_SBU2(D)

/*
 * The channel loop a layer's rows take, chosen once a layer (kept in the frame's word [64], which
 * is nonzero once the layer's fields are set). Straight loops (TINYML_ROWS_ONE: no computed entry,
 * no exit jump, no pass test; one more copy of their body in flash) for rows of exactly one pass
 * and, where flash is traded for speed, exactly two passes (K = 128) or exactly one or two units
 * of a pass (sub-byte) or 2, 4 or 8 groups (int16 rows: VWW's pointwise layers of 8, 16 and 32
 * input channels); TINYML_ROWS_SHORT for sub-byte rows under four groups, with no bit tests when
 * they are exactly two (VWW's 8-channel layer); TINYML_ROWS for the others.
 */
#define SB_LOOP_ROWS 1
#define SB_LOOP_ONE 2
#define SB_LOOP_TWO 3
#define SB_LOOP_SHORT 4
#define SB_LOOP_K2 5
#define SB_LOOP_U1 6
#define SB_LOOP_U2 7
#define MM_LOOP_ROWS 1
#define MM_LOOP_ONE 2
#define MM_LOOP_TWO 3
#define MM_LOOP_K2 4
#define MM_LOOP_K4 5
#define MM_LOOP_K8 6

/* The loop bounds of a frame: the first pass of `units` (`per_pass` units a pass, `unit_bytes` each). */
TINYML_DSP_INLINE void rows_frame_passes(int32_t *frame, int32_t units, int32_t per_pass, int32_t unit_bytes) {
  frame[11] = units ? (int32_t)(((uint32_t)(units - 1) % (uint32_t)per_pass + 1) * (uint32_t)unit_bytes) : 0;
  frame[12] = units > per_pass;
}

/* The frame's fields that int8 and sub-byte rows share (TINYML_ROWS). */
/*
 * A block of npx < 4 pixels (a layer's last) runs as four: the columns past npx hold whatever the
 * scratch holds, and their outputs go to offset 0, which pixel 0's store, the last of the four,
 * then overwrites with its own.
 */
TINYML_DSP_INLINE void rows_frame_block(int32_t *frame, const tinyml_conv2d_dsp_params *p, int8_t *out, int32_t npx) {
  const int32_t n = p->output_depth;
  frame[5] = (int32_t)(intptr_t)out;
  frame[6] = npx > 1 ? n : 0;
  frame[7] = npx > 2 ? 2 * n : 0;
  frame[8] = npx > 3 ? 3 * n : 0;
  frame[9] = (int32_t)(intptr_t)(out + n);
}

/* The fields that stay for the whole layer (the columns are the same scratch for every block). */
TINYML_DSP_INLINE void rows_frame_layer(int32_t *frame, const tinyml_conv2d_dsp_params *p, const uint32_t *cols) {
  frame[4] = (int32_t)(intptr_t)cols;
  frame[13] = (int32_t)(intptr_t)(cols + p->k4 * 8);
  frame[15] = p->output_offset;
  frame[16] = 1;
}

TINYML_DSP_INLINE int32_t mm_sb_asm(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w, int8_t *out,
                                 int32_t npx, const int32_t *k, const int mode, const int bits,
                                 const int signed_fields, int32_t *frame) {
  const int32_t unit = SB_UNIT(bits);
  const int32_t whole = (p->k4 & ~(unit - 1)) / (8 / bits);
  const int32_t pro = (p->k4 & (unit - 1)) | ((whole & 1) ? unit : 0);
  /* The straight loops of the speed builds, in every mode (a sub-byte model links one width's
   * loops; leaving them out of FAST cost ~7 instructions a block in the others, as compiled). */
  const int speed = TINYML_ROWS_SPEED;
  if (!frame[16]) {
    rows_frame_layer(frame, p, cols);
    frame[10] = pro != 0;
    rows_frame_passes(frame, whole >> 1, TINYML_SBU_PER_PASS(bits), TINYML_SBU_BYTES(bits));
    frame[14] = pro;
    /* The channel loop the row takes (SB_LOOP_*, below), chosen once a layer. */
    const int32_t units = pro == 0 ? whole >> 1 : -1;
    const int32_t per_pass = TINYML_SBU_PER_PASS(bits);
    frame[16] = speed && p->k4 == 2                     ? SB_LOOP_K2
                : p->k4 < 4                             ? SB_LOOP_SHORT
                : units == per_pass                     ? SB_LOOP_ONE
                : speed && units == 2 * per_pass        ? SB_LOOP_TWO
                : speed && units == 1                   ? SB_LOOP_U1
                : speed && units == 2 && per_pass == 4 ? SB_LOOP_U2
                                                        : SB_LOOP_ROWS;
  }
  /* The start values are the block's (its column sums). */
  frame[0] = k[0];
  frame[1] = k[1];
  frame[2] = k[2];
  frame[3] = k[3];
  rows_frame_block(frame, p, out, npx);
  const int32_t loop = frame[16];
  register int32_t *fr __asm__("r7") = frame;
  register const int8_t *wp __asm__("r12") = w;
#define TINYML_SBA_ROWS(PRO, BODY, BITS, MASK, FIX, RQ4)                                                         \
  TINYML_ROWS("mov    r7, #" MASK "\n\t", TINYML_ROWS_START_FRAME, PRO, BODY,                                   \
              TINYML_STR(TINYML_SBU_PER_PASS_##BITS) "*" TINYML_STR(TINYML_SBU_BYTES_##BITS),                      \
              TINYML_ROWS_RECORD(FIX), RQ4, TINYML_SBA_STORE4_NEXT)
#define TINYML_SBA_ONE_ROWS(BODY, MASK, FIX, RQ4)                                                              \
  TINYML_ROWS_ONE_B("mov    r7, #" MASK "\n\t", TINYML_ROWS_START_FRAME, BODY, TINYML_ROWS_RECORD(FIX), RQ4,          \
                  TINYML_SBA_STORE4_NEXT)
#define TINYML_SBA_SHORT_ROWS(PARTS, MASK, FIX, RQ4) \
  TINYML_ROWS_SHORT_B("56", "mov    r7, #" MASK "\n\t", PARTS, FIX, RQ4, TINYML_SBA_STORE4_NEXT)
/* Rows of exactly two groups (PARTS without bit tests): the output pointer in lr. */
#define TINYML_SBA_K2_ROWS(PARTS, MASK, FIX, RQ4) \
  TINYML_ROWS_SHORT_BN("20", "mov    r7, #" MASK "\n\t", PARTS, FIX, RQ4, TINYML_SBA_STORE4_NEXT_LR, TINYML_ROWS_NEXT_K2)
/* One of the channel loops (LOOP, its arguments before RQ4) with the requantization of the mode. */
#define TINYML_SBA_BY_MODE(LOOP, ...)                                                                           \
  if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED && TINYML_RQ_NF(mode)) {                                    \
    __asm__ volatile(LOOP(__VA_ARGS__, TINYML_SBA_RQ4_NF("", "", "", "", "")) : "+r"(wp), "+r"(fr) : : TINYML_MM_CLOBBERS); \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_FOLDED) {                                                   \
    __asm__ volatile(LOOP(__VA_ARGS__, TINYML_SBA_RQ4("", "", "", "", "")) : "+r"(wp), "+r"(fr) : : TINYML_MM_CLOBBERS); \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED && TINYML_RQ_NF(mode)) {                              \
    __asm__ volatile(LOOP(__VA_ARGS__, TINYML_SBA_RQ4_MIXED_NF) : "+r"(wp), "+r"(fr) : : TINYML_MM_CLOBBERS);     \
  } else if (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED) {                                                    \
    __asm__ volatile(LOOP(__VA_ARGS__, TINYML_SBA_RQ4_MIXED) : "+r"(wp), "+r"(fr) : : TINYML_MM_CLOBBERS);        \
  } else if (TINYML_RQ_NF(mode)) {                                                                              \
    __asm__ volatile(LOOP(__VA_ARGS__, TINYML_SBA_RQ4_NF_X(TINYML_ROWS_ADD_OFF)) : "+r"(wp), "+r"(fr) :          \
                     : TINYML_MM_CLOBBERS);                                                                     \
  } else {                                                                                                      \
    __asm__ volatile(LOOP(__VA_ARGS__, TINYML_SBA_RQ4_X(TINYML_ROWS_ADD_OFF)) : "+r"(wp), "+r"(fr) :             \
                     : TINYML_MM_CLOBBERS);                                                                     \
  }
/* The general loop first: it is the one whose layers have the most blocks. UNIT is one LDRD unit. */
#define TINYML_SBA_CASE(PRO, BODY, BITS, MASK, FIX, G1, G2, UNIT)                                                \
  if (loop == SB_LOOP_ROWS) {                                                                                   \
    TINYML_SBA_BY_MODE(TINYML_SBA_ROWS, PRO, BODY, BITS, MASK, FIX)                                             \
  } else if (loop == SB_LOOP_ONE) {                                                                             \
    TINYML_SBA_BY_MODE(TINYML_SBA_ONE_ROWS, BODY, MASK, FIX)                                                    \
  } else if (loop == SB_LOOP_SHORT) {                                                                           \
    TINYML_SBA_BY_MODE(TINYML_SBA_SHORT_ROWS, TINYML_SB_SHORT(G1, G2), MASK, FIX)                               \
  } else if (!speed) {                                                                                          \
  } else if (loop == SB_LOOP_TWO) {                                                                             \
    TINYML_SBA_BY_MODE(TINYML_SBA_ONE_ROWS, BODY BODY, MASK, FIX)                                               \
  } else if (loop == SB_LOOP_K2) {                                                                              \
    TINYML_SBA_BY_MODE(TINYML_SBA_K2_ROWS, G2, MASK, FIX)                                                       \
  } else if (BITS != 1 && loop == SB_LOOP_U1) {                                                                 \
    TINYML_SBA_BY_MODE(TINYML_SBA_ONE_ROWS, UNIT, MASK, FIX)                                                    \
  } else if (BITS == 4 && loop == SB_LOOP_U2) {                                                                 \
    TINYML_SBA_BY_MODE(TINYML_SBA_ONE_ROWS, UNIT UNIT, MASK, FIX)                                               \
  }
  if (bits == 4 && signed_fields) {
    TINYML_SBA_CASE(TINYML_SB4_PRO("lsl"), TINYML_SBU_BODY4("lsl"), 4, "0xF000F000", TINYML_SBA_FIX_S4,
                    TINYML_SB4_G1("lsl"), TINYML_SB4_WORD("lsl"), TINYML_SBU4("lsl"))
  } else if (bits == 4) {
    TINYML_SBA_CASE(TINYML_SB4_PRO("lsr"), TINYML_SBU_BODY4("lsr"), 4, "0x000F000F", TINYML_SBA_FIX_D,
                    TINYML_SB4_G1("lsr"), TINYML_SB4_WORD("lsr"), TINYML_SBU4("lsr"))
  } else if (bits == 2 && signed_fields) {
    TINYML_SBA_CASE(TINYML_SB2_PRO("lsl"), TINYML_SBU_BODY2("lsl"), 2, "0xC000C000", TINYML_SBA_FIX_S2,
                    TINYML_SB2_G1("lsl"), TINYML_SB2_G2("lsl"), TINYML_SBU2("lsl"))
  } else if (bits == 2) {
    TINYML_SBA_CASE(TINYML_SB2_PRO("lsr"), TINYML_SBU_BODY2("lsr"), 2, "0x00030003", TINYML_SBA_FIX_D,
                    TINYML_SB2_G1("lsr"), TINYML_SB2_G2("lsr"), TINYML_SBU2("lsr"))
  } else {
    TINYML_SBA_CASE(TINYML_SB1_PRO, TINYML_SBU1, 1, "0x00020002", TINYML_SBA_FIX_D,
                    TINYML_SB1_G1, TINYML_SB1_G2, TINYML_SBU1)
  }
#undef TINYML_SBA_CASE
#undef TINYML_SBA_BY_MODE
#undef TINYML_SBA_SHORT_ROWS
#undef TINYML_SBA_K2_ROWS
#undef TINYML_SBA_ROWS
  /* Every loop but the general one walks the blocks (TINYML_ROWS_NEXT). */
  return loop != SB_LOOP_ROWS;
}
#endif

/* The sums of four columns of k4 groups (each column word a pair of inputs). */
TINYML_DSP_INLINE void sb_col_sums(const uint32_t *cols, int32_t k4, int32_t *S0, int32_t *S1, int32_t *S2,
                                   int32_t *S3) {
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
  /* Two LDMs and eight SMLADs per group (what the compiler made of the C below: a load each). */
  /* LDM fills its registers in ascending order: pin them. */
  register uint32_t t0 __asm__("r4");
  register uint32_t t1 __asm__("r5");
  register uint32_t t2 __asm__("r6");
  register uint32_t t3 __asm__("r8");
  const uint32_t one = 0x00010001u;
  const uint32_t *c = cols;
  int32_t n = k4;
  __asm__ volatile(
      "1:\n\t"
      "ldmia  %[c]!, {%[t0], %[t1], %[t2], %[t3]}\n\t"
      "smlad  %[s0], %[t0], %[one], %[s0]\n\t"
      "smlad  %[s1], %[t1], %[one], %[s1]\n\t"
      "smlad  %[s2], %[t2], %[one], %[s2]\n\t"
      "smlad  %[s3], %[t3], %[one], %[s3]\n\t"
      "ldmia  %[c]!, {%[t0], %[t1], %[t2], %[t3]}\n\t"
      "smlad  %[s0], %[t0], %[one], %[s0]\n\t"
      "smlad  %[s1], %[t1], %[one], %[s1]\n\t"
      "smlad  %[s2], %[t2], %[one], %[s2]\n\t"
      "smlad  %[s3], %[t3], %[one], %[s3]\n\t"
      "subs   %[n], %[n], #1\n\t"
      "bne    1b\n\t"
      : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
        [t3] "=&r"(t3), [c] "+r"(c), [n] "+r"(n)
      : [one] "r"(one)
      : "cc", "memory");
#else
  for (int32_t j = 0; j < k4; ++j) {
    const uint32_t *c = cols + 8 * j;
    s0 = tinyml_smlad(c[0], 0x00010001u, tinyml_smlad(c[4], 0x00010001u, s0));
    s1 = tinyml_smlad(c[1], 0x00010001u, tinyml_smlad(c[5], 0x00010001u, s1));
    s2 = tinyml_smlad(c[2], 0x00010001u, tinyml_smlad(c[6], 0x00010001u, s2));
    s3 = tinyml_smlad(c[3], 0x00010001u, tinyml_smlad(c[7], 0x00010001u, s3));
  }
#endif
  *S0 = s0;
  *S1 = s1;
  *S2 = s2;
  *S3 = s3;
}


/* Words of a row of k4 groups (see above): one per set bit of k4 % SB_UNIT, then whole words. */
TINYML_DSP_INLINE int32_t sb_row_words(int32_t k4, const int BITS) {
  int32_t words = (k4 & ~(SB_UNIT(BITS) - 1)) / (8 / BITS);
  for (int32_t part = 1; part < SB_UNIT(BITS); part <<= 1) words += (k4 & part) ? 1 : 0;
  return words;
}

#if TINYML_MM_ASM
/*
 * Whole words of four rows (row r at w + r * stride words) against one column (c: its first pair's
 * word; the next pair's four words on), in assembly: the compiled C kept neither the four weight
 * words nor the accumulators in registers. Per word, the four rows' words (the fourth at
 * 3 * stride, an offset the loop takes from the stack: no register is left for it), then per pair
 * one column word and, per row, an AND (the shift folded in, as TINYML_SBW_X) and an SMLAD.
 * Registers: r0-r3 accumulators, r4 the column word, r5 r6 r8 r9 the rows' words, r10 a pair,
 * r7 the pair mask, r11 the column, r12 row 0, lr the row stride in bytes.
 */
#define TINYML_SB41_ROW(V, A, SH) "and    r10, r7, " V SH "\n\t" "smlad  " A ", r10, r4, " A "\n\t"
#define TINYML_SB41_PAIR(SH)                                                                       \
  "ldr    r4, [r11], #16\n\t" TINYML_SB41_ROW("r5", "r0", SH) TINYML_SB41_ROW("r6", "r1", SH)        \
  TINYML_SB41_ROW("r8", "r2", SH) TINYML_SB41_ROW("r9", "r3", SH)
#define TINYML_SB41_PD(D, N) TINYML_SB41_PAIR(", " D " #" #N)
#define TINYML_SB41_WORD4(D) TINYML_SB41_PAIR("") TINYML_SB41_PD(D, 4) TINYML_SB41_PD(D, 8) TINYML_SB41_PD(D, 12)
#define TINYML_SB41_WORD2(D)                                                                       \
  TINYML_SB41_PAIR("") TINYML_SB41_PD(D, 2) TINYML_SB41_PD(D, 4) TINYML_SB41_PD(D, 6) TINYML_SB41_PD(D, 8) \
  TINYML_SB41_PD(D, 10) TINYML_SB41_PD(D, 12) TINYML_SB41_PD(D, 14)
#define TINYML_SB41_WORD1                                                                                        \
  TINYML_SB41_PAIR(", lsl #1") TINYML_SB41_PAIR("") TINYML_SB41_PD("lsr", 1) TINYML_SB41_PD("lsr", 2)             \
  TINYML_SB41_PD("lsr", 3) TINYML_SB41_PD("lsr", 4) TINYML_SB41_PD("lsr", 5) TINYML_SB41_PD("lsr", 6)             \
  TINYML_SB41_PD("lsr", 7) TINYML_SB41_PD("lsr", 8) TINYML_SB41_PD("lsr", 9) TINYML_SB41_PD("lsr", 10)            \
  TINYML_SB41_PD("lsr", 11) TINYML_SB41_PD("lsr", 12) TINYML_SB41_PD("lsr", 13) TINYML_SB41_PD("lsr", 14)
#define TINYML_SB41_LOOP(WORD)         \
  "1:\n\t"                             \
  "ldr    r10, %[st3]\n\t"             \
  "ldr    r9, [r12, r10]\n\t"          \
  "ldr    r6, [r12, lr]\n\t"           \
  "ldr    r8, [r12, lr, lsl #1]\n\t"   \
  "ldr    r5, [r12], #4\n\t" WORD      \
  "ldr    r10, %[end]\n\t"             \
  "cmp    r12, r10\n\t"                \
  "bne    1b\n\t"
TINYML_DSP_INLINE void dot_sb_4x1_body(const uint32_t *c, const uint32_t *w, int32_t stride, int32_t words,
                                       int32_t *a, const int BITS, const int SIGNED) {
  register int32_t a0 __asm__("r0") = a[0];
  register int32_t a1 __asm__("r1") = a[1];
  register int32_t a2 __asm__("r2") = a[2];
  register int32_t a3 __asm__("r3") = a[3];
  register uint32_t mask __asm__("r7") = TINYML_SB_MASK(BITS, SIGNED);
  register const uint32_t *cp __asm__("r11") = c;
  register const uint32_t *wp __asm__("r12") = w;
  register int32_t st __asm__("lr") = stride * 4;
  const int32_t st3 = 3 * stride * 4;
  const uint32_t *const end = w + words;
#define TINYML_SB41_ASM(WORD)                                                             \
  __asm__ volatile(TINYML_SB41_LOOP(WORD)                                                  \
                   : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(cp), "+r"(wp)            \
                   : "r"(mask), "r"(st), [st3] "m"(st3), [end] "m"(end)                    \
                   : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory")
  if (BITS == 4) {
    if (SIGNED) {
      TINYML_SB41_ASM(TINYML_SB41_WORD4("lsl"));
    } else {
      TINYML_SB41_ASM(TINYML_SB41_WORD4("lsr"));
    }
  } else if (BITS == 2) {
    if (SIGNED) {
      TINYML_SB41_ASM(TINYML_SB41_WORD2("lsl"));
    } else {
      TINYML_SB41_ASM(TINYML_SB41_WORD2("lsr"));
    }
  } else {
    TINYML_SB41_ASM(TINYML_SB41_WORD1);
  }
#undef TINYML_SB41_ASM
  a[0] = a0;
  a[1] = a1;
  a[2] = a2;
  a[3] = a3;
}
/* One instance per width and layout, for every mode (the tail runs once per layer at most). */
#define TINYML_SB41_FN(NAME, BITS, SIGNED)                                                                          \
  static __attribute__((noinline)) void NAME(const uint32_t *c, const uint32_t *w, int32_t stride, int32_t words, \
                                             int32_t *a) {                                                        \
    dot_sb_4x1_body(c, w, stride, words, a, BITS, SIGNED);                                                        \
  }
TINYML_SB41_FN(dot_sb4_4x1, 4, 0)
TINYML_SB41_FN(dot_sb4s_4x1, 4, 1)
TINYML_SB41_FN(dot_sb2_4x1, 2, 0)
TINYML_SB41_FN(dot_sb2s_4x1, 2, 1)
TINYML_SB41_FN(dot_sb1_4x1, 1, 0)
#undef TINYML_SB41_FN
TINYML_DSP_INLINE void dot_sb_4x1_asm(const uint32_t *c, const uint32_t *w, int32_t stride, int32_t words, int32_t *a,
                                      const int BITS, const int SIGNED) {
  if (BITS == 4) {
    (SIGNED ? dot_sb4s_4x1 : dot_sb4_4x1)(c, w, stride, words, a);
  } else if (BITS == 2) {
    (SIGNED ? dot_sb2s_4x1 : dot_sb2_4x1)(c, w, stride, words, a);
  } else {
    dot_sb1_4x1(c, w, stride, words, a);
  }
}
#endif

/*
 * A block of one or two pixels (a layer's last) with sub-byte weights: each pixel against four
 * channels at a time, each pair unpacked once per channel and pixel instead of once per four
 * columns of which most are unused (as mm_4x1 for int8). k[s] is column s's start value.
 */
TINYML_DSP_INLINE void mm_sb_4x1(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const uint32_t *weights,
                                 int8_t *out, int32_t npx, const int32_t *k, const int MODE, const int BITS,
                                 const int SIGNED) {
  const int32_t n_out = p->output_depth;
  const int32_t k4 = p->k4;
  const int32_t row = sb_row_words(k4, BITS);
  const int32_t stride = row + SB_RECORD_WORDS;
  const int32_t whole = (k4 & ~(SB_UNIT(BITS) - 1)) / (8 / BITS);
  for (int32_t s = 0; s < npx; ++s) {
    const uint32_t *w = weights;
    for (int32_t ch = 0; ch < n_out; ch += 4, w += 4 * stride) {
      const int32_t nc = n_out - ch < 4 ? n_out - ch : 4;
      /* Channels past the last (nc < 4) repeat the last one's row: computed, never stored. */
      const uint32_t *w0 = w, *w1 = w + (nc > 1 ? stride : 0), *w2 = w + (nc > 2 ? 2 : nc - 1) * stride,
                     *w3 = w + (nc - 1) * stride;
      int32_t a[4] = {k[s], k[s], k[s], k[s]};
      const uint32_t *c = cols + s;
      for (int32_t part = 1; part <= SB_UNIT(BITS); part <<= 1) {
        const int32_t words = part < SB_UNIT(BITS) ? ((k4 & part) ? 1 : 0) : whole;
        const int32_t pairs = part < SB_UNIT(BITS) ? 2 * part : 16 / BITS;
#if TINYML_MM_ASM
        /* The whole words of four channels (the partial ones, and a last group of fewer channels, below). */
        if (part == SB_UNIT(BITS) && nc == 4 && words > 0) {
          dot_sb_4x1_asm(c, w0, stride, words, a, BITS, SIGNED);
          break;
        }
#endif
        for (int32_t j = 0; j < words; ++j) {
          const uint32_t v0 = *w0++, v1 = *w1++, v2 = *w2++, v3 = *w3++;
          for (int32_t q = 0; q < pairs; ++q) {
            const uint32_t x = c[0];
            c += 4;
            a[0] = tinyml_smlad(sb_pair(v0, q, BITS, SIGNED), x, a[0]);
            a[1] = tinyml_smlad(sb_pair(v1, q, BITS, SIGNED), x, a[1]);
            a[2] = tinyml_smlad(sb_pair(v2, q, BITS, SIGNED), x, a[2]);
            a[3] = tinyml_smlad(sb_pair(v3, q, BITS, SIGNED), x, a[3]);
          }
        }
      }
      for (int32_t r = 0; r < nc; ++r) {
        const uint32_t *rec = w + r * stride + row;
        const int32_t acc = sb_finish(a[r], rec[3], BITS, SIGNED, TINYML_RQ_BASE(MODE) != TINYML_RQ_REF);
        out[s * n_out + ch + r] = (int8_t)tinyml_rq(MODE, acc, (int32_t)rec[0], (int32_t)rec[1], (int32_t)rec[2],
                                                    p->output_offset, p->activation_min, p->activation_max);
      }
    }
  }
}

/*
 * Every output channel against four columns with sub-byte weights. The accumulators start from
 * -OFF * (column sum) (offset fields) or zero (signed fields), and bias' comes from the record
 * after the row; so the end value is exactly bias' + sum(w * x). Sums wrap like the int32
 * accumulator; the end value is the exact one, which the plan bounded.
 */
TINYML_DSP_INLINE int32_t mm_sb(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *weights, int8_t *out,
                             int32_t npx, int32_t *frame, const int MODE, const int BITS, const int SIGNED) {
  const int32_t n_out = p->output_depth;
  const int32_t off = p->output_offset;
  const int32_t lo = p->activation_min;
  const int32_t hi = p->activation_max;
  const uint32_t *w = (const uint32_t *)(const void *)weights;
  int32_t k[4] = {0, 0, 0, 0};
  if (!SIGNED) {
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    sb_col_sums(cols, p->k4, &s0, &s1, &s2, &s3);
    k[0] = (int32_t)(0u - (uint32_t)s0 * SB_OFF(BITS));
    k[1] = (int32_t)(0u - (uint32_t)s1 * SB_OFF(BITS));
    k[2] = (int32_t)(0u - (uint32_t)s2 * SB_OFF(BITS));
    k[3] = (int32_t)(0u - (uint32_t)s3 * SB_OFF(BITS));
  }
  /* One or two pixels: a whole block of four costs more (KWS int4: 1,200 instructions a layer). */
  if (npx < 3) {
    mm_sb_4x1(p, cols, w, out, npx, k, MODE, BITS, SIGNED);
    return 0;
  }
#if TINYML_MM_ASM
  /* Three pixels as four (see rows_frame_block). */
  if (TINYML_RQ_BASE(MODE) != TINYML_RQ_REF && lo == -128 && hi == 127) {
    return mm_sb_asm(p, cols, weights, out, npx, k, MODE, BITS, SIGNED, frame);
  }
#endif
  (void)frame;
  int8_t *o = out;
  int8_t *const o_end = out + n_out;
  while (o != o_end) {
    int32_t a0 = k[0], a1 = k[1], a2 = k[2], a3 = k[3];
    dot_sb_1x4(cols, &w, p->k4, BITS, SIGNED, &a0, &a1, &a2, &a3);
    const int32_t m = (int32_t)w[0], t = (int32_t)w[1], e = (int32_t)w[2];
    a0 = sb_finish(a0, w[3], BITS, SIGNED, TINYML_RQ_BASE(MODE) != TINYML_RQ_REF);
    a1 = sb_finish(a1, w[3], BITS, SIGNED, TINYML_RQ_BASE(MODE) != TINYML_RQ_REF);
    a2 = sb_finish(a2, w[3], BITS, SIGNED, TINYML_RQ_BASE(MODE) != TINYML_RQ_REF);
    a3 = sb_finish(a3, w[3], BITS, SIGNED, TINYML_RQ_BASE(MODE) != TINYML_RQ_REF);
    w += SB_RECORD_WORDS;
    o[0] = (int8_t)tinyml_rq(MODE, a0, m, t, e, off, lo, hi);
    if (npx > 1) o[n_out] = (int8_t)tinyml_rq(MODE, a1, m, t, e, off, lo, hi);
    if (npx > 2) o[2 * n_out] = (int8_t)tinyml_rq(MODE, a2, m, t, e, off, lo, hi);
    if (npx > 3) o[3 * n_out] = (int8_t)tinyml_rq(MODE, a3, m, t, e, off, lo, hi);
    ++o;
  }
  return 0;
}

/* ---- int8 weights ---- */

/*
 * The weights are one stream, like the sub-byte kernels' (above): per output channel its row and
 * its record (a per-tensor layer's record repeated), so that the channel loop walks one pointer
 * and loads a channel's constants with one LDM. A row is k4 words of int8 (each group of four K
 * indices one word, expanded by SXTB16 in the loop), followed by the record {m, t, e, bias'}; or,
 * pre-expanded at generation time, 2 * k4 words of int16, per group (w0, w2), (w1, w3), with
 * bias' four times before the row (the accumulators' start values: one LDM, where adding bias'
 * after the row costs an instruction per output) and {m, t, e} after it.
 */
/* Words of a channel's stream around its row: before (bias' copies) and after (the record). */
#define W8_HEAD_WORDS 0
#define W8_TAIL_WORDS 4
#define W16_HEAD_WORDS 4
#define W16_TAIL_WORDS 3
#define ROW_HEAD_WORDS(W16) ((W16) ? W16_HEAD_WORDS : W8_HEAD_WORDS)
#define ROW_TAIL_WORDS(W16) ((W16) ? W16_TAIL_WORDS : W8_TAIL_WORDS)
#if TINYML_MM_ASM
/* One group against the four columns; registers as in dot_sb_1x4 (r9 r10 the weights). */
#define TINYML_MM_GROUP_W8                                                                        \
  "ldr    r9, [r12], #4\n\t" TINYML_DSP_ASM_COLS "sxtb16 r10, r9\n\t" TINYML_DSP_ASM_SMLAD4("r10") \
  TINYML_DSP_ASM_COLS "sxtb16 r10, r9, ror #8\n\t" TINYML_DSP_ASM_SMLAD4("r10")
#define TINYML_MM_GROUP_W16                                                              \
  "ldrd   r9, r10, [r12], #8\n\t" TINYML_DSP_ASM_COLS TINYML_DSP_ASM_SMLAD4("r9") TINYML_DSP_ASM_COLS \
  TINYML_DSP_ASM_SMLAD4("r10")
/* Two groups of int8 rows from one LDRD (r9, lr: the assembly channel loops keep nothing in lr
 * while a row runs): 25 instructions where two TINYML_MM_GROUP_W8 take 26. */
#define TINYML_MM_W8_HALF(R, ROR) TINYML_DSP_ASM_COLS "sxtb16 r10, " R ROR "\n\t" TINYML_DSP_ASM_SMLAD4("r10")
#define TINYML_MM_UNIT_W8                                                                            \
  "ldrd   r9, lr, [r12], #8\n\t" TINYML_MM_W8_HALF("r9", "") TINYML_MM_W8_HALF("r9", ", ror #8")     \
  TINYML_MM_W8_HALF("lr", "") TINYML_MM_W8_HALF("lr", ", ror #8")
/* lr = k4 groups: one and two for the low bits of k4, then four per iteration (the loop branch
 * costs a quarter of an instruction per group). */
#define TINYML_MM_DOT(G) TINYML_SB_PART(6, G) TINYML_SB_PART(7, G G) TINYML_SB_LOOP(G G G G)
/* The same two groups per iteration, for the C loops (tails, fused clamps, REF): less flash. */
#define TINYML_MM_DOT_SHORT(G) TINYML_SB_PART(6, G) TINYML_SB_LOOP(G G)
#endif

/* One row (advancing *wp past it) against four columns, from the accumulators' initial values. */
TINYML_DSP_INLINE void dot_1x4(const uint32_t *cols, const uint32_t **wp, int32_t k4, const int W16, int32_t *A0,
                               int32_t *A1, int32_t *A2, int32_t *A3) {
#if TINYML_MM_ASM
  TINYML_DSP_ACC4_REGS(A0, A1, A2, A3);
  register const uint32_t *cp __asm__("r11") = cols;
  register const uint32_t *w __asm__("r12") = *wp;
  register int32_t n __asm__("lr") = k4;
  if (W16) {
    __asm__ volatile(TINYML_MM_DOT_SHORT(TINYML_MM_GROUP_W16)
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(cp), "+r"(w), "+r"(n)
                     :
                     : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory");
  } else {
    __asm__ volatile(TINYML_MM_DOT_SHORT(TINYML_MM_GROUP_W8)
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(cp), "+r"(w), "+r"(n)
                     :
                     : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory");
  }
  *wp = w;
#else
  TINYML_DSP_ACC4(A0, A1, A2, A3);
  const uint32_t *c = cols;
  const uint32_t *w = *wp;
  for (int32_t j = 0; j < k4; ++j) {
    uint32_t we, wo;
    if (W16) {
      we = w[0];
      wo = w[1];
      w += 2;
    } else {
      const uint32_t wv = *w++;
      we = tinyml_sxtb16(wv);
      wo = tinyml_sxtb16_ror8(wv);
    }
    TINYML_DSP_GROUP_1X4(we, wo, c);
    c += 8;
  }
  *wp = w;
#endif
  TINYML_DSP_ACC4_STORE(A0, A1, A2, A3);
}

/*
 * Every output channel against four columns; out[s * n_out + n] for s < npx. MODE, FULL (the
 * activation range is the whole int8 range) and W16 are constants in each instantiation.
 */
TINYML_DSP_INLINE void mm_1x4(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *weights,
                              int8_t *out, int32_t npx, const int MODE, const int FULL, const int W16) {
  const int32_t n_out = p->output_depth;
  const int32_t k4 = p->k4;
  const int32_t off = p->output_offset;
  const int32_t lo = FULL ? -128 : p->activation_min;
  const int32_t hi = FULL ? 127 : p->activation_max;
  const uint32_t *w = (const uint32_t *)(const void *)weights;
  int8_t *o = out;
  int8_t *const o_end = out + n_out;
  while (o != o_end) {
    /* From bias' (int16 rows: before the row), or from zero and bias' added after the row. */
    const int32_t start = W16 ? (int32_t)w[0] : 0;
    w += ROW_HEAD_WORDS(W16);
    int32_t a0 = start, a1 = start, a2 = start, a3 = start;
    dot_1x4(cols, &w, k4, W16, &a0, &a1, &a2, &a3);
    const int32_t m = (int32_t)w[0], t = (int32_t)w[1], e = (int32_t)w[2];
    const uint32_t bias = W16 ? 0u : w[3];
    w += ROW_TAIL_WORDS(W16);
    const int32_t z0 = tinyml_rq(MODE, (int32_t)((uint32_t)a0 + bias), m, t, e, off, lo, hi);
    const int32_t z1 = tinyml_rq(MODE, (int32_t)((uint32_t)a1 + bias), m, t, e, off, lo, hi);
    const int32_t z2 = tinyml_rq(MODE, (int32_t)((uint32_t)a2 + bias), m, t, e, off, lo, hi);
    const int32_t z3 = tinyml_rq(MODE, (int32_t)((uint32_t)a3 + bias), m, t, e, off, lo, hi);
    o[0] = (int8_t)z0;
    if (npx > 1) o[n_out] = (int8_t)z1;
    if (npx > 2) o[2 * n_out] = (int8_t)z2;
    if (npx > 3) o[3 * n_out] = (int8_t)z3;
    ++o;
  }
}

#if TINYML_MM_ASM
/*
 * One column (c: its first group's (x0, x2) word; (x1, x3) four words on) against four rows, in
 * assembly: the compiled C spilled its accumulators (~45 instructions a group); here 17 (int16
 * rows: two column words, per row one LDRD and two SMLADs) or 25 (int8 rows, two SXTB16 more).
 */
TINYML_DSP_INLINE void dot_4x1_asm(const uint32_t *c, const uint32_t *w0, const uint32_t *w1, const uint32_t *w2,
                                   const uint32_t *w3, int32_t k4, const int W16, int32_t *a) {
  register int32_t a0 __asm__("r0") = a[0];
  register int32_t a1 __asm__("r1") = a[1];
  register int32_t a2 __asm__("r2") = a[2];
  register int32_t a3 __asm__("r3") = a[3];
  register const uint32_t *cp __asm__("r11") = c;
  register const uint32_t *ce __asm__("r12") = c + 8 * k4;
  register const uint32_t *p0 __asm__("r6") = w0;
  register const uint32_t *p1 __asm__("r8") = w1;
  register const uint32_t *p2 __asm__("r9") = w2;
  register const uint32_t *p3 __asm__("r10") = w3;
  register uint32_t t0 __asm__("r7");
  register uint32_t t1 __asm__("lr");
#define TINYML_4X1_W16(P, A)              \
  "ldrd   r7, lr, [" P "], #8\n\t"        \
  "smlad  " A ", r7, r4, " A "\n\t"       \
  "smlad  " A ", lr, r5, " A "\n\t"
#define TINYML_4X1_W8(P, A)               \
  "ldr    r7, [" P "], #4\n\t"            \
  "sxtb16 lr, r7\n\t"                    \
  "sxtb16 r7, r7, ror #8\n\t"            \
  "smlad  " A ", lr, r4, " A "\n\t"       \
  "smlad  " A ", r7, r5, " A "\n\t"
#define TINYML_4X1_LOOP(G)                                                             \
  "1:\n\t"                                                                            \
  "ldr    r4, [r11], #16\n\t"                                                         \
  "ldr    r5, [r11], #16\n\t" G("r6", "r0") G("r8", "r1") G("r9", "r2") G("r10", "r3") \
  "cmp    r11, r12\n\t"                                                               \
  "bne    1b\n\t"
  if (W16) {
    __asm__ volatile(TINYML_4X1_LOOP(TINYML_4X1_W16)
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(cp), "+r"(p0), "+r"(p1), "+r"(p2), "+r"(p3),
                       "=&r"(t0), "=&r"(t1)
                     : "r"(ce)
                     : "r4", "r5", "cc", "memory");
  } else {
    __asm__ volatile(TINYML_4X1_LOOP(TINYML_4X1_W8)
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(cp), "+r"(p0), "+r"(p1), "+r"(p2), "+r"(p3),
                       "=&r"(t0), "=&r"(t1)
                     : "r"(ce)
                     : "r4", "r5", "cc", "memory");
  }
#undef TINYML_4X1_LOOP
#undef TINYML_4X1_W8
#undef TINYML_4X1_W16
  a[0] = a0;
  a[1] = a1;
  a[2] = a2;
  a[3] = a3;
}
#endif

/*
 * A block of one or two pixels (a layer's last): each pixel against four channels at a time, so
 * that no multiply is spent on the unused columns (mm_1x4 costs a whole block for one pixel).
 * Column s's group j is cols[8j + s] (x0, x2) and cols[8j + 4 + s] (x1, x3).
 */
TINYML_DSP_INLINE void mm_4x1(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *weights,
                              int8_t *out, int32_t npx, const int MODE, const int W16) {
  const int32_t n_out = p->output_depth;
  const int32_t k4 = p->k4;
  const int32_t row = (W16 ? 2 : 1) * k4;
  const int32_t head = ROW_HEAD_WORDS(W16);
  const int32_t stride = head + row + ROW_TAIL_WORDS(W16);
  for (int32_t s = 0; s < npx; ++s) {
    const uint32_t *w = (const uint32_t *)(const void *)weights;
    for (int32_t ch = 0; ch < n_out; ch += 4) {
      const int32_t nc = n_out - ch < 4 ? n_out - ch : 4;
      int32_t a[4] = {0, 0, 0, 0};
      const uint32_t *c = cols + s;
      /* Channels past the last (nc < 4) repeat the last one's row: computed, never stored. */
      const uint32_t *w0 = w + head, *w1 = w0 + (nc > 1 ? stride : 0), *w2 = w0 + (nc > 2 ? 2 : nc - 1) * stride,
                     *w3 = w0 + (nc - 1) * stride;
#if TINYML_MM_ASM
      dot_4x1_asm(c, w0, w1, w2, w3, k4, W16, a);
#else
      for (int32_t j = 0; j < k4; ++j) {
        const uint32_t xe = c[0], xo = c[4];
        c += 8;
        if (W16) {
          a[0] = tinyml_smlad(w0[0], xe, tinyml_smlad(w0[1], xo, a[0]));
          a[1] = tinyml_smlad(w1[0], xe, tinyml_smlad(w1[1], xo, a[1]));
          a[2] = tinyml_smlad(w2[0], xe, tinyml_smlad(w2[1], xo, a[2]));
          a[3] = tinyml_smlad(w3[0], xe, tinyml_smlad(w3[1], xo, a[3]));
          w0 += 2;
          w1 += 2;
          w2 += 2;
          w3 += 2;
        } else {
          const uint32_t v0 = *w0++, v1 = *w1++, v2 = *w2++, v3 = *w3++;
          a[0] = tinyml_smlad(tinyml_sxtb16(v0), xe, tinyml_smlad(tinyml_sxtb16_ror8(v0), xo, a[0]));
          a[1] = tinyml_smlad(tinyml_sxtb16(v1), xe, tinyml_smlad(tinyml_sxtb16_ror8(v1), xo, a[1]));
          a[2] = tinyml_smlad(tinyml_sxtb16(v2), xe, tinyml_smlad(tinyml_sxtb16_ror8(v2), xo, a[2]));
          a[3] = tinyml_smlad(tinyml_sxtb16(v3), xe, tinyml_smlad(tinyml_sxtb16_ror8(v3), xo, a[3]));
        }
      }
#endif
      for (int32_t r = 0; r < nc; ++r) {
        const uint32_t *rec = w + r * stride + head + row;
        const int32_t acc = (int32_t)((uint32_t)a[r] + (W16 ? w[r * stride] : rec[3]));
        out[s * n_out + ch + r] = (int8_t)tinyml_rq(MODE, acc, (int32_t)rec[0], (int32_t)rec[1], (int32_t)rec[2],
                                                    p->output_offset, p->activation_min, p->activation_max);
      }
      w += 4 * stride;
    }
  }
}

/* One instance of mm_4x1 for every mode (it runs once per layer at most): less flash. */
static __attribute__((noinline)) void mm_4x1_any(const tinyml_conv2d_dsp_params *p, const uint32_t *cols,
                                                 const int8_t *w, int8_t *out, int32_t npx, int mode, int w16) {
  mm_4x1(p, cols, w, out, npx, mode, w16);
}

/* mm_4x1 for the last blocks of one or two pixels, mm_1x4 otherwise. */
TINYML_DSP_INLINE void mm_int8_block(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w,
                                     int8_t *out, int32_t npx, const int MODE, const int FULL, const int W16) {
  if (npx < 3) {
    mm_4x1_any(p, cols, w, out, npx, MODE, W16);
  } else {
    mm_1x4(p, cols, w, out, npx, MODE, FULL, W16);
  }
}

#if TINYML_MM_ASM
/*
 * mm_1x4 for four columns, the FAST modes and no fused clamp, entirely in assembly: the sub-byte
 * kernels' channel loop (TINYML_ROWS: the row unrolled 16 groups a pass and entered where the
 * row's first pass starts, one LDM per record) around the int8 groups; int16 rows start from the
 * bias' copies before them, int8 rows from zero with bias' added after the row. r7 (no mask here)
 * keeps the output pointer and lr the output depth n, so the stores need no frame writes and one
 * LDRD (3 n and the end): pixel 2's output is at r7 + (lr << 1). (int8 rows load their second
 * weight word of a unit into lr, so their stores reload n first: TINYML_MM_STORE_0.)
 */
#define TINYML_MM_SET_R7 "ldr    r7, [sp, #20]\n\t" "ldr    lr, [sp, #24]\n\t"
#define TINYML_MM_STORE4_NEXT      \
  "ldrd   r4, r5, [sp, #32]\n\t"    \
  "strb   r1, [r7, lr]\n\t"         \
  "strb   r2, [r7, lr, lsl #1]\n\t" \
  "strb   r3, [r7, r4]\n\t"         \
  "strb   r0, [r7], #1\n\t"         \
  "cmp    r7, r5\n\t"               \
  "bne    1b\n\t"
/* Bytes of one group: LDR, two LDMs, two SXTB16s, eight SMLADs (W8, the prologue); LDRD, two LDMs, eight SMLADs (W16). */
#define TINYML_MM_GROUP_BYTES_1 44
#define TINYML_MM_GROUP_BYTES_0 52
#define TINYML_MM_GROUPS16(G) G G G G G G G G G G G G G G G G
/*
 * What the channel loops unroll, by width: int16 rows a group at a time; int8 rows two groups a
 * unit (TINYML_MM_UNIT_W8, 100 bytes), an odd row's first group run alone as the prologue. A
 * pass is 16 groups either way. lr carries the output depth into the stores (TINYML_MM_SET_R7),
 * so int8 rows, whose units load into lr, take it back from the frame first. The loops below take
 * a group G too: TINYML_MM_ROWS, _ONE and _TWO unroll the pass above and ignore it, the short
 * int16 loops (_K2, _K4, _K8) unroll G.
 */
#define TINYML_MM_UNIT_BYTES_1 TINYML_MM_GROUP_BYTES_1
#define TINYML_MM_UNIT_BYTES_0 100
#define TINYML_MM_UNIT_BYTES(W16) ((W16) ? TINYML_MM_UNIT_BYTES_1 : TINYML_MM_UNIT_BYTES_0)
#define TINYML_MM_UNITS_A_PASS(W16) ((W16) ? 16 : 8)
#define TINYML_MM_PASS_1 TINYML_MM_GROUPS16(TINYML_MM_GROUP_W16)
#define TINYML_MM_PASS_0 \
  TINYML_MM_UNIT_W8 TINYML_MM_UNIT_W8 TINYML_MM_UNIT_W8 TINYML_MM_UNIT_W8 TINYML_MM_UNIT_W8 TINYML_MM_UNIT_W8 TINYML_MM_UNIT_W8 TINYML_MM_UNIT_W8
#define TINYML_MM_PASS_BYTES_1 "16*" TINYML_STR(TINYML_MM_GROUP_BYTES_1)
#define TINYML_MM_PASS_BYTES_0 "8*" TINYML_STR(TINYML_MM_UNIT_BYTES_0)
#define TINYML_MM_PROLOGUE_1 ""
#define TINYML_MM_PROLOGUE_0 TINYML_MM_GROUP_W8
#define TINYML_MM_STORE_1 TINYML_MM_STORE4_NEXT
#define TINYML_MM_STORE_0 "ldr    lr, [sp, #24]\n\t" TINYML_MM_STORE4_NEXT
#define TINYML_MM_START_1 TINYML_ROWS_START_STREAM
#define TINYML_MM_START_0 TINYML_ROWS_START_FRAME
#define TINYML_MM_RECORD_1 "ldmia  r12!, {r4, r5, r6}\n\t"
#define TINYML_MM_RECORD_0 TINYML_ROWS_RECORD(TINYML_SBA_FIX)
/* The straight loops walk the blocks: int16 rows' columns as they are (TINYML_ROWS_NEXT), int8
 * rows' doubled (the assembly runs the FAST modes, which accumulate 2 * acc). */
#define TINYML_ROWS_ONE_1 TINYML_ROWS_ONE_B
#define TINYML_ROWS_ONE_0(SET_R7, START, BODY, RECORD, RQ4, STORE) \
  TINYML_ROWS_ONE_BN(SET_R7, START, BODY, RECORD, RQ4, STORE, TINYML_ROWS_NEXT_DBL)
#define TINYML_MM_ROWS(G, W16, RQ4)                                                                           \
  TINYML_ROWS(TINYML_MM_SET_R7, TINYML_MM_START_##W16, TINYML_MM_PROLOGUE_##W16, TINYML_MM_PASS_##W16,          \
              TINYML_MM_PASS_BYTES_##W16, TINYML_MM_RECORD_##W16, RQ4, TINYML_MM_STORE_##W16)
#define TINYML_MM_ONE(G, W16, RQ4)                                                                            \
  TINYML_ROWS_ONE_##W16(TINYML_MM_SET_R7, TINYML_MM_START_##W16, TINYML_MM_PASS_##W16, TINYML_MM_RECORD_##W16, RQ4,   \
                  TINYML_MM_STORE_##W16)
#define TINYML_MM_TWO(G, W16, RQ4)                                                                            \
  TINYML_ROWS_ONE_##W16(TINYML_MM_SET_R7, TINYML_MM_START_##W16, TINYML_MM_PASS_##W16 TINYML_MM_PASS_##W16,           \
                  TINYML_MM_RECORD_##W16, RQ4, TINYML_MM_STORE_##W16)
#define TINYML_MM_K2(G, W16, RQ4)                                                                                \
  TINYML_ROWS_ONE_BN(TINYML_MM_SET_R7, TINYML_MM_START_##W16, G G, TINYML_MM_RECORD_##W16, RQ4, TINYML_MM_STORE4_NEXT, \
                     TINYML_ROWS_NEXT_K2)
#define TINYML_MM_K4(G, W16, RQ4) \
  TINYML_ROWS_ONE_B(TINYML_MM_SET_R7, TINYML_MM_START_##W16, G G G G, TINYML_MM_RECORD_##W16, RQ4, TINYML_MM_STORE4_NEXT)
#define TINYML_MM_K8(G, W16, RQ4)                                                                  \
  TINYML_ROWS_ONE_B(TINYML_MM_SET_R7, TINYML_MM_START_##W16, G G G G G G G G, TINYML_MM_RECORD_##W16, RQ4, \
                  TINYML_MM_STORE4_NEXT)
/* Inlined into each variant (mode and width constants): a model links only the loops it runs. */
TINYML_DSP_INLINE int32_t mm_1x4_asm(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w, int8_t *out,
                                  int32_t npx, const int folded, const int nf, const int w16, int32_t *frame) {
  /* The straight loops of the speed builds, FOLDED only (FAST, the offset added after the shift, is
   * rare; each mode and width has a copy of its own, all linked with the int8 kernel). */
  const int speed = TINYML_ROWS_SPEED && folded;
  if (!frame[16]) {
    frame[0] = frame[1] = frame[2] = frame[3] = 0;
    rows_frame_layer(frame, p, cols);
    /* int8 rows: an odd row's first group is the prologue, then units of two groups. */
    frame[10] = !w16 && (p->k4 & 1);
    rows_frame_passes(frame, w16 ? p->k4 : p->k4 >> 1, TINYML_MM_UNITS_A_PASS(w16), TINYML_MM_UNIT_BYTES(w16));
    frame[14] = 0;
    /* The channel loop the row takes (MM_LOOP_*), chosen once a layer. */
    const int32_t k4 = p->k4;
    frame[16] = k4 == 16                                       ? MM_LOOP_ONE
                : speed && k4 == 32                            ? MM_LOOP_TWO
                : speed && w16 && (k4 == 2 || k4 == 4 || k4 == 8) ? MM_LOOP_K2 + (k4 >> 2)
                                                               : MM_LOOP_ROWS;
  }
  rows_frame_block(frame, p, out, npx);
  register int32_t *fr __asm__("r7") = frame;
  register const int8_t *wp __asm__("r12") = w;
#define TINYML_MM_CASE(ROWS, G, W16)                                                                               \
  if (folded && nf) {                                                                                             \
    __asm__ volatile(ROWS(G, W16, TINYML_SBA_RQ4_NF("", "", "", "", "")) : "+r"(wp), "+r"(fr) : : TINYML_MM_CLOBBERS); \
  } else if (folded) {                                                                                            \
    __asm__ volatile(ROWS(G, W16, TINYML_SBA_RQ4("", "", "", "", "")) : "+r"(wp), "+r"(fr) : : TINYML_MM_CLOBBERS); \
  } else if (nf) {                                                                                                \
    __asm__ volatile(ROWS(G, W16, TINYML_SBA_RQ4_NF_X(TINYML_ROWS_ADD_OFF)) : "+r"(wp), "+r"(fr) :                \
                     : TINYML_MM_CLOBBERS);                                                                       \
  } else {                                                                                                        \
    __asm__ volatile(ROWS(G, W16, TINYML_SBA_RQ4_X(TINYML_ROWS_ADD_OFF)) : "+r"(wp), "+r"(fr) :                   \
                     : TINYML_MM_CLOBBERS);                                                                       \
  }
  /* The general loop first (see MM_LOOP_*): it is the one whose layers have the most blocks. */
  const int32_t loop = frame[16];
  if (w16 && loop == MM_LOOP_ROWS) {
    TINYML_MM_CASE(TINYML_MM_ROWS, TINYML_MM_GROUP_W16, 1)
  } else if (w16 && loop == MM_LOOP_ONE) {
    TINYML_MM_CASE(TINYML_MM_ONE, TINYML_MM_GROUP_W16, 1)
  } else if (w16 && !speed) {
  } else if (w16 && loop == MM_LOOP_TWO) {
    TINYML_MM_CASE(TINYML_MM_TWO, TINYML_MM_GROUP_W16, 1)
  } else if (w16 && loop == MM_LOOP_K2) {
    TINYML_MM_CASE(TINYML_MM_K2, TINYML_MM_GROUP_W16, 1)
  } else if (w16 && loop == MM_LOOP_K4) {
    TINYML_MM_CASE(TINYML_MM_K4, TINYML_MM_GROUP_W16, 1)
  } else if (w16) {
    TINYML_MM_CASE(TINYML_MM_K8, TINYML_MM_GROUP_W16, 1)
  } else if (loop == MM_LOOP_ROWS) {
    TINYML_MM_CASE(TINYML_MM_ROWS, TINYML_MM_GROUP_W8, 0)
  } else if (loop == MM_LOOP_ONE || !speed) {
    TINYML_MM_CASE(TINYML_MM_ONE, TINYML_MM_GROUP_W8, 0)
  } else {
    TINYML_MM_CASE(TINYML_MM_TWO, TINYML_MM_GROUP_W8, 0)
  }
#undef TINYML_MM_CASE
  /* The straight loops walk the blocks (TINYML_ROWS_NEXT). */
  return loop != MM_LOOP_ROWS;
}
#define TINYML_MM_FULL_VARIANT(name, MODE, W16)                                                                  \
  static int32_t name(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w, int8_t *out,    \
                      int32_t npx, int32_t *frame) {                                                            \
    /* Three pixels too (rows_frame_block; not two: pixel 2's store is at twice pixel 1's offset). */        \
    if (npx >= 3) {                                                                                             \
      return mm_1x4_asm(p, cols, w, out, npx, TINYML_RQ_BASE(MODE) == TINYML_RQ_FAST_FOLDED, TINYML_RQ_NF(MODE), W16, frame); \
    }                                                                                                           \
    mm_int8_block(p, cols, w, out, npx, MODE, 1, W16);                                                          \
    return 0;                                                                                                   \
  }
#else
#define TINYML_MM_FULL_VARIANT(name, MODE, W16)                                                                  \
  static int32_t name(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w, int8_t *out,    \
                      int32_t npx, int32_t *frame) {                                                            \
    (void)frame;                                                                                                \
    mm_int8_block(p, cols, w, out, npx, MODE, 1, W16);                                                          \
    return 0;                                                                                                   \
  }
#endif
#define TINYML_MM_VARIANT(name, MODE, W16)                                                                       \
  static int32_t name(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w, int8_t *out,    \
                      int32_t npx, int32_t *frame) {                                                            \
    (void)frame;                                                                                                \
    mm_int8_block(p, cols, w, out, npx, MODE, 0, W16);                                                          \
    return 0;                                                                                                   \
  }
TINYML_MM_FULL_VARIANT(mm_fast_full, TINYML_RQ_FAST, 0)
TINYML_MM_FULL_VARIANT(mm_folded_full, TINYML_RQ_FAST_FOLDED, 0)
TINYML_MM_VARIANT(mm_fast, TINYML_RQ_FAST, 0)
TINYML_MM_VARIANT(mm_folded, TINYML_RQ_FAST_FOLDED, 0)
TINYML_MM_VARIANT(mm_ref, TINYML_RQ_REF, 0)
TINYML_MM_FULL_VARIANT(mm16_fast_full, TINYML_RQ_FAST, 1)
TINYML_MM_FULL_VARIANT(mm16_folded_full, TINYML_RQ_FAST_FOLDED, 1)
TINYML_MM_VARIANT(mm16_fast, TINYML_RQ_FAST, 1)
TINYML_MM_VARIANT(mm16_folded, TINYML_RQ_FAST_FOLDED, 1)
TINYML_MM_VARIANT(mm16_ref, TINYML_RQ_REF, 1)
/* TINYML_RQ_NOFIX layers (FOLDED, the int8 kernel's usual mode; FAST ones keep the correction). */
TINYML_MM_FULL_VARIANT(mm_folded_full_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 0)
TINYML_MM_VARIANT(mm_folded_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 0)
TINYML_MM_FULL_VARIANT(mm16_folded_full_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 1)
TINYML_MM_VARIANT(mm16_folded_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 1)

/* The int8 matrix multiply for the layer's mode and clamp (W16: the int16 rows). */
TINYML_DSP_INLINE mm_fn mm_int8(const tinyml_conv2d_dsp_params *p, const int W16) {
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;
  if (TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST) {
    return full ? (W16 ? mm16_fast_full : mm_fast_full) : (W16 ? mm16_fast : mm_fast);
  }
  if (TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED) {
    return full ? (W16 ? mm16_folded_full : mm_folded_full) : (W16 ? mm16_folded : mm_folded);
  }
  return W16 ? mm16_ref : mm_ref;
}

/*
 * Decoded rows (p->decoded_rows; the generator's convDecodedRows): small pointwise layers (VWW's
 * 6x6 ones: 9 blocks of four pixels) run channel-outer. The usual loops expand every channel's
 * row once per block (int8: SXTB16s, 12.5 instructions a group; sub-byte: an AND per pair);
 * here the columns of all whole blocks are written once into the scratch, then each channel's
 * row is decoded ONCE into an int16 row there (the W16 layout: four start values, per group
 * (w0, w2) and (w1, w3), a record) and its dot product runs against every block from it, as the
 * W16 loops do (11 instructions a group), the weights rewound per block and the columns going on.
 * Sub-byte rows (signed fields only: _sb4s, _sb2s) decode to the pairs exactly as the AND gives
 * them (2^12 or 2^14 times the weights, from zero start values), with the same single shift back
 * as bias' is added after the row (TINYML_SBA_FIX_S4 / _S2): the generator proved per layer that
 * those sums cannot wrap; or, in chunks of more than k4 + 2 blocks, exactly (2w in each half: an
 * EOR and an SSUB16 more per pair word) into an int8 row's layout, which then runs as one (no
 * shift back per output; dec_channels). Issue #15 forbids RAM copies of sub-byte weights; this keeps ONE
 * channel's decoded row at a time (2 * k4 + 8 words) in the layer's scratch, which the generator
 * gives it only where the model's arena does not grow (as the sub-byte stem decodes its small
 * layout to the stack; in place, the free bytes the plan has at the layer's step:
 * plan/memory-plan.ts growScratchIntoRoom). FOLDED modes, full clamp, k4 a multiple of 16
 * (passes of 16 groups), 8 or 4 (one pass, no pass test), the depth a multiple of 4; the last
 * pixels past the whole blocks take the usual loop. With p->descending (a widening layer in
 * place) the chunks run from the last pixel down, those last pixels first.
 */
#if TINYML_MM_ASM
#define DEC_INT8 1
#define DEC_SB4 2
#define DEC_SB2 3
/* int8 rows: bias' is in the start values, the record is {m, t, e}; sub-byte: {m, t, e, bias'},
 * FIX adding bias' after the shift back. */
#define TINYML_MM_GROUPS8(G) G G G G G G G G
#define TINYML_MM_GROUPS4(G) G G G G
#define TINYML_DEC_RECORD_INT8 "ldmia  r12, {r4, r5, r6}\n\t"
#define TINYML_DEC_RECORD_SB(FIX) "ldmia  r12, {r4, r5, r6, r9}\n\t" FIX("r0") FIX("r1") FIX("r2") FIX("r3")
/*
 * One decoded row against every block: r12 the row (start values first), lr its record (the
 * pass loop's end), r11 the columns (all blocks in a row), r7 the output of block 0; on the stack
 * n, 3 n, the row and the columns' end. Per block: the start values, passes of 16 groups (AGAIN:
 * the test that runs the pass again until the record, or "" for a row of exactly one pass), the
 * record, the requantization, four stores, the output on by four pixels, the row rewound.
 */
#define TINYML_DEC_AGAIN "cmp    r12, lr\n\t" "bne    2b\n\t"
#define TINYML_DEC_LOOP(PASS, AGAIN, RECORD, RQ4)         \
  "push   {r0, r1, r2, r3}\n"                            \
  "1:\n\t"                                               \
  "ldmia  r12!, {r0, r1, r2, r3}\n"                      \
  "2:\n\t" PASS AGAIN RECORD RQ4                          \
  "ldrd   r8, r9, [sp]\n\t"                              \
  "strb   r1, [r7, r8]\n\t"                              \
  "strb   r2, [r7, r8, lsl #1]\n\t"                      \
  "strb   r3, [r7, r9]\n\t"                              \
  "strb   r0, [r7]\n\t"                                  \
  "add    r7, r7, r8, lsl #2\n\t"                        \
  "ldrd   r12, r9, [sp, #8]\n\t"                         \
  "cmp    r11, r9\n\t"                                   \
  "bne    1b\n\t"                                        \
  "add    sp, sp, #16\n\t"

/* The decoded rows' pass: one of 4 or 8 groups (k4 = 4 or 8: no pass test), or passes of 16. */
#define DEC_PASS4 4
#define DEC_PASS8 8
#define DEC_PASS16 16

TINYML_DSP_INLINE void dec_blocks(const uint32_t *row, const uint32_t *record, const uint32_t *cols,
                                  const uint32_t *cols_end, int8_t *out, int32_t n, const int kind, const int nf,
                                  const int pass) {
  register int32_t r0 __asm__("r0") = n;
  register int32_t r1 __asm__("r1") = 3 * n;
  register const uint32_t *r2 __asm__("r2") = row;
  register const uint32_t *r3 __asm__("r3") = cols_end;
  register int8_t *o __asm__("r7") = out;
  register const uint32_t *c __asm__("r11") = cols;
  register const uint32_t *w __asm__("r12") = row;
  register const uint32_t *e __asm__("lr") = record;
#define TINYML_DEC_OPERANDS                                                                    \
  : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(o), "+r"(c), "+r"(w), "+r"(e)                 \
  :                                                                                            \
  : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory"
#define TINYML_DEC_BY_PASS(PASS, AGAIN, RECORD)                                                 \
  if (nf) {                                                                                    \
    __asm__ volatile(TINYML_DEC_LOOP(PASS, AGAIN, RECORD, TINYML_SBA_RQ4_NF("", "", "", "", "")) TINYML_DEC_OPERANDS); \
  } else {                                                                                     \
    __asm__ volatile(TINYML_DEC_LOOP(PASS, AGAIN, RECORD, TINYML_SBA_RQ4("", "", "", "", "")) TINYML_DEC_OPERANDS);    \
  }
/* Passes of 16 groups (k4 a multiple of 16), or one of 8 (k4 = 8: VWW's 32-channel layers) or 4
 * (k4 = 4: VWW's 16-channel layer widening in place, sub-byte rows). */
#define TINYML_DEC_BY_RQ(RECORD)                                                                \
  if (pass == DEC_PASS4) {                                                                     \
    TINYML_DEC_BY_PASS(TINYML_MM_GROUPS4(TINYML_MM_GROUP_W16), "", RECORD)                     \
  } else if (pass == DEC_PASS8) {                                                              \
    TINYML_DEC_BY_PASS(TINYML_MM_GROUPS8(TINYML_MM_GROUP_W16), "", RECORD)                     \
  } else {                                                                                     \
    TINYML_DEC_BY_PASS(TINYML_MM_GROUPS16(TINYML_MM_GROUP_W16), TINYML_DEC_AGAIN, RECORD)      \
  }
  if (kind == DEC_INT8) {
    TINYML_DEC_BY_RQ(TINYML_DEC_RECORD_INT8)
  } else if (kind == DEC_SB4) {
    TINYML_DEC_BY_RQ(TINYML_DEC_RECORD_SB(TINYML_SBA_FIX_S4))
  } else {
    TINYML_DEC_BY_RQ(TINYML_DEC_RECORD_SB(TINYML_SBA_FIX_S2))
  }
#undef TINYML_DEC_BY_RQ
#undef TINYML_DEC_BY_PASS
#undef TINYML_DEC_OPERANDS
}

/* Whether the layer runs on decoded rows (the generator's flag, checked against what the loop needs). */
/* k4 = 4 for sub-byte rows only (the generator gives int8 rows none there): int8 entry points link
 * no pass of 4 groups. */
TINYML_DSP_INLINE int32_t dec_ok(const tinyml_conv2d_dsp_params *p, const int kind) {
  return p->decoded_rows > 0 && TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED &&
         p->activation_min == -128 && p->activation_max == 127 &&
         ((p->k4 & 15) == 0 || p->k4 == 8 || (p->k4 == 4 && kind != DEC_INT8)) &&
         p->geo.input_depth == 4 * p->k4 && p->geo.output_height * p->geo.output_width >= 4;
}

/*
 * Every channel of one chunk of nb blocks (cols .. cols_end) on decoded rows: each channel's row
 * decoded into `row` (int16 pairs after four start values, then its record), then run against
 * the chunk's blocks (dec_blocks). kind, exact and pass are constants in each instance, so the
 * channel loop tests none of them.
 */
TINYML_DSP_INLINE void dec_channels(const uint32_t *weights, uint32_t *row, const uint32_t *cols,
                                    const uint32_t *cols_end, int8_t *out, int32_t n, int32_t k4, const int kind,
                                    const int exact, const int nf, const int pass) {
  /* Words of a channel's stream: its row, then the record {m, t, e, bias'}. */
  const int32_t words = kind == DEC_INT8 ? k4 : kind == DEC_SB4 ? k4 >> 1 : k4 >> 2;
  /* Sub-byte rows as the AND gives them: from zero, bias' added after the shift back. */
  if (kind != DEC_INT8 && !exact) row[0] = row[1] = row[2] = row[3] = 0;
  const uint32_t *w = weights;
  for (int32_t ch = 0; ch < n; ++ch) {
    uint32_t *d = row + 4;
    const uint32_t *rec = w + words;
    /* The row's words (k4 a multiple of 4: int8 rows k4 words, int4 k4 / 2, int2 k4 / 4; the
     * loops take 4, 2 and 1 a step), decoded in assembly: the compiled C took about twice
     * the instructions (a load and a store per word). */
    const uint32_t *src = w;
#define TINYML_DEC_STM "stmia  %[d]!, {r0, r1, r2, r3}\n\t"
/* Four pairs of the word V (shifted by S0-S3) ANDed out of it into r0-r3 and stored. */
#define TINYML_DEC_A4(V, S0, S1, S2, S3)                                                                  \
  "and    r0, %[m], " V S0 "\n\t" "and    r1, %[m], " V S1 "\n\t" "and    r2, %[m], " V S2 "\n\t"       \
  "and    r3, %[m], " V S3 "\n\t" TINYML_DEC_STM
    if (kind == DEC_INT8) {
      row[0] = row[1] = row[2] = row[3] = rec[3];
      /* Four words: one LDM, eight SXTB16s, two STMs. */
      __asm__ volatile("1:\n\t"
                       "ldmia  %[s]!, {r8, r9, r10, r11}\n\t"
                       "sxtb16 r0, r8\n\t"
                       "sxtb16 r1, r8, ror #8\n\t"
                       "sxtb16 r2, r9\n\t"
                       "sxtb16 r3, r9, ror #8\n\t" TINYML_DEC_STM
                       "sxtb16 r0, r10\n\t"
                       "sxtb16 r1, r10, ror #8\n\t"
                       "sxtb16 r2, r11\n\t"
                       "sxtb16 r3, r11, ror #8\n\t" TINYML_DEC_STM
                       "cmp    %[s], %[e]\n\t"
                       "bne    1b\n\t"
                       : [s] "+r"(src), [d] "+r"(d)
                       : [e] "r"(rec)
                       : "r0", "r1", "r2", "r3", "r8", "r9", "r10", "r11", "cc", "memory");
    } else if (exact) {
      row[0] = row[1] = row[2] = row[3] = rec[3];
      /* Per pair word 2f in each half by one AND of the weight word shifted (pair q's fields to
       * bits 1..bits of each half), then 2w = 2 (f ^ h) - 2 h by EOR and SSUB16 (h = 8 or 2,
       * the fields' sign bit: two's complement, w + h = f ^ h). int4: two words per LDRD, four
       * pairs each; int2: one word, eight pairs. Two STMs a word. */
#define TINYML_DEC_X(R, V, SH) "and    " R ", %[m], " V SH "\n\t" "eor    " R ", " R ", %[k]\n\t" "ssub16 " R ", " R ", %[k]\n\t"
#define TINYML_DEC_W4(V)                                                                                    \
  TINYML_DEC_X("r0", V, ", lsr #11") TINYML_DEC_X("r1", V, ", lsr #7") TINYML_DEC_X("r2", V, ", lsr #3")        \
  TINYML_DEC_X("r3", V, ", lsl #1") TINYML_DEC_STM
      if (kind == DEC_SB4) {
        __asm__ volatile("1:\n\t"
                         "ldrd   r8, r9, [%[s]], #8\n\t" TINYML_DEC_W4("r8") TINYML_DEC_W4("r9")
                         "cmp    %[s], %[e]\n\t"
                         "bne    1b\n\t"
                         : [s] "+r"(src), [d] "+r"(d)
                         : [e] "r"(rec), [m] "r"(0x001E001Eu), [k] "r"(0x00100010u)
                         : "r0", "r1", "r2", "r3", "r8", "r9", "cc", "memory");
      } else {
        __asm__ volatile("1:\n\t"
                         "ldr    r8, [%[s]], #4\n\t"
                         TINYML_DEC_X("r0", "r8", ", lsr #13") TINYML_DEC_X("r1", "r8", ", lsr #11")
                         TINYML_DEC_X("r2", "r8", ", lsr #9") TINYML_DEC_X("r3", "r8", ", lsr #7") TINYML_DEC_STM
                         TINYML_DEC_X("r0", "r8", ", lsr #5") TINYML_DEC_X("r1", "r8", ", lsr #3")
                         TINYML_DEC_X("r2", "r8", ", lsr #1") TINYML_DEC_X("r3", "r8", ", lsl #1") TINYML_DEC_STM
                         "cmp    %[s], %[e]\n\t"
                         "bne    1b\n\t"
                         : [s] "+r"(src), [d] "+r"(d)
                         : [e] "r"(rec), [m] "r"(0x00060006u), [k] "r"(0x00040004u)
                         : "r0", "r1", "r2", "r3", "r8", "cc", "memory");
      }
#undef TINYML_DEC_W4
#undef TINYML_DEC_X
    } else if (kind == DEC_SB4) {
      /* Two words: one LDRD, eight ANDs (the pairs of TINYML_SB4W), two STMs. */
      __asm__ volatile("1:\n\t"
                       "ldrd   r8, r9, [%[s]], #8\n\t"
                       TINYML_DEC_A4("r8", "", ", lsl #4", ", lsl #8", ", lsl #12")
                       TINYML_DEC_A4("r9", "", ", lsl #4", ", lsl #8", ", lsl #12")
                       "cmp    %[s], %[e]\n\t"
                       "bne    1b\n\t"
                       : [s] "+r"(src), [d] "+r"(d)
                       : [e] "r"(rec), [m] "r"(0xF000F000u)
                       : "r0", "r1", "r2", "r3", "r8", "r9", "cc", "memory");
    } else {
      /* One word: eight ANDs (TINYML_SB2W), two STMs. */
      __asm__ volatile("1:\n\t"
                       "ldr    r8, [%[s]], #4\n\t"
                       TINYML_DEC_A4("r8", "", ", lsl #2", ", lsl #4", ", lsl #6")
                       TINYML_DEC_A4("r8", ", lsl #8", ", lsl #10", ", lsl #12", ", lsl #14")
                       "cmp    %[s], %[e]\n\t"
                       "bne    1b\n\t"
                       : [s] "+r"(src), [d] "+r"(d)
                       : [e] "r"(rec), [m] "r"(0xC000C000u)
                       : "r0", "r1", "r2", "r3", "r8", "cc", "memory");
    }
#undef TINYML_DEC_A4
#undef TINYML_DEC_STM
    d[0] = rec[0];
    d[1] = rec[1];
    d[2] = rec[2];
    d[3] = rec[3];
    dec_blocks(row, row + 4 + 2 * k4, cols, cols_end, out + ch, n, exact ? DEC_INT8 : kind, nf, pass);
    w = rec + 4;
  }
}

/* The layer on decoded rows (kind DEC_*; nf: no sign correction; mm and dbl: the usual loop and
 * column doubling, for the pixels past the whole blocks). */
TINYML_DSP_INLINE void conv_decoded(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                                    int8_t *output, void *scratch, const int kind, const int nf, mm_fn mm,
                                    int32_t dbl) {
  const int32_t c = p->geo.input_depth;
  const int32_t n = p->output_depth;
  const int32_t k4 = p->k4;
  const int32_t npix = p->geo.output_height * p->geo.output_width;
  const int32_t whole = npix & ~3;
  uint32_t *cols = (uint32_t *)scratch;
  /* Blocks of four pixels a chunk (the columns the scratch holds at once). */
  const int32_t chunk = p->decoded_rows;
  uint32_t *row = cols + chunk * k4 * 8;
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in = input + b * npix * c;
    int8_t *out = output + b * npix * n;
    int32_t frame[TINYML_CONV_FRAME_WORDS];
    frame[16] = frame[17] = frame[18] = frame[19] = 0;
    /* p->descending (a layer widening in place, in_place_expand): the pixels past the whole blocks
     * first, then the chunks from the last down, so that a chunk's outputs cover only its own
     * inputs (in its columns before any output is written) and those of the chunks done before. */
    if (p->descending && whole < npix) {
      pointwise_block(p, in, (const int8_t *)(const void *)weights, out, (int16_t *)scratch, mm, dbl, frame, whole,
                      npix - whole);
    }
    for (int32_t done = 0; done < whole >> 2; done += chunk) {
      const int32_t nb = (whole >> 2) - done < chunk ? (whole >> 2) - done : chunk;
      const int32_t b0 = p->descending ? (whole >> 2) - done - nb : done;
      for (int32_t i = 0; i < nb; ++i) col_copy4((int16_t *)(void *)(cols + i * k4 * 8), 0, in + (b0 + i) * 4 * c, c, c, dbl);
      const uint32_t *cols_end = cols + nb * k4 * 8;
      int8_t *o = out + b0 * 4 * n;
      /*
       * Sub-byte rows decoded exactly (2w in each half, as the FAST modes' doubled int16 rows):
       * two instructions more per pair word (2 k4 of them a row) than the AND's 2^12 or 2^14 w,
       * and then the row runs as an int8 one (bias' the start values, no shift back per output:
       * four instructions a block less). Worth it when the chunk has a few more blocks than k4
       * (measured on VWW int4: 18 blocks at k4 = 16 lost ~5 instructions a row).
       */
      if (kind != DEC_INT8 && nb > k4 + 2) {
        if (k4 == 4) {
          dec_channels(weights, row, cols, cols_end, o, n, k4, kind, 1, nf, DEC_PASS4);
        } else if (k4 == 8) {
          dec_channels(weights, row, cols, cols_end, o, n, k4, kind, 1, nf, DEC_PASS8);
        } else {
          dec_channels(weights, row, cols, cols_end, o, n, k4, kind, 1, nf, DEC_PASS16);
        }
      } else if (k4 == 4 && kind != DEC_INT8) {
        dec_channels(weights, row, cols, cols_end, o, n, k4, kind, 0, nf, DEC_PASS4);
      } else if (k4 == 8) {
        dec_channels(weights, row, cols, cols_end, o, n, k4, kind, 0, nf, DEC_PASS8);
      } else {
        dec_channels(weights, row, cols, cols_end, o, n, k4, kind, 0, nf, DEC_PASS16);
      }
    }
    if (!p->descending && whole < npix) {
      pointwise_block(p, in, (const int8_t *)(const void *)weights, out, (int16_t *)scratch, mm, dbl, frame, whole,
                      npix - whole);
    }
  }
}
#define TINYML_DEC_RUN(KIND, NF, MM, DBL)                                                            \
  if (dec_ok(p, KIND)) {                                                                         \
    conv_decoded(p, input, weights, output, scratch, KIND, NF, MM, DBL);                          \
    return;                                                                                      \
  }
#else
#define TINYML_DEC_RUN(KIND, NF, MM, DBL)
#endif

#if TINYML_MM_ASM
/*
 * Pointwise layers of exactly 8 input and 16 output channels on int16 rows (the row-streamed
 * pair's 48x48 8 -> 16, int8 and, decoded on the frame, sub-byte: sb_w16_decode), FOLDED, no
 * fused clamp, in order: pixel after pixel, its 8 inputs expanded once into four column words
 * (one LDRD, four SXTB16) that stay in r0-r3 while the 16 channels run straight, each one LDM of
 * its stream's bias' x 4 and row (8 words), four SMLADs, one LDM of {m, t, e}, the
 * requantization and one store with post-increment (the outputs of a pixel are contiguous): 10
 * instructions an output where the blocks of four pixels took about 11.6 (their columns, start
 * values, stores at stride n and the block walk). The pixel loop's test is made before the
 * channels run (nothing in them sets the flags); the weights rewound by a constant.
 */
#define TINYML_PW8_CH(RQ)                                              \
  "ldmia  r12!, {r4, r5, r6, r8, r9, r10, r11, lr}\n\t"              \
  "smlad  r4, r9, r0, r4\n\t"                                        \
  "smlad  r4, r10, r1, r4\n\t"                                       \
  "smlad  r4, r11, r2, r4\n\t"                                       \
  "smlad  r4, lr, r3, r4\n\t" RQ                                     \
  "asr    r4, r4, r8\n\t"                                            \
  "ssat   r4, #8, r4\n\t"                                            \
  "strb   r4, [r7], #1\n\t"
/* The record {m, t, e} and SMMLAR: without the sign correction, with it, or (FAST_MIXED, no
 * sign correction: sub-byte layers decoded on the frame, sb_w16_decode) {m, t, r, s} with the
 * left shift s first (s = 0 on right-shift channels, r = 0 on left-shift ones: no branch). */
#define TINYML_PW8_RQ_NF "ldmia  r12!, {r5, r6, r8}\n\t" "smmlar r4, r4, r5, r6\n\t"
#define TINYML_PW8_RQ "ldmia  r12!, {r5, r6, r8}\n\t" "add    r9, r6, r4, asr #31\n\t" "smmlar r4, r4, r5, r9\n\t"
#define TINYML_PW8_RQ_MIXED_NF "ldmia  r12!, {r5, r6, r8, r9}\n\t" "lsl    r4, r4, r9\n\t" "smmlar r4, r4, r5, r6\n\t"
/* Bytes of the 16 channels' stream (the rewind): 11 words a channel, 12 with {m, t, r, s}. */
#define TINYML_PW8_BACK "#704"
#define TINYML_PW8_BACK_MIXED "#768"
#define TINYML_PW8_LOOP(RQ, BACK)                                                                       \
  "push   {r0, r1}\n"                                                                                  \
  "1:\n\t"                                                                                             \
  "ldrd   r4, r8, [sp]\n\t"                                                                           \
  "ldrd   r5, r6, [r4], #8\n\t"                                                                       \
  "cmp    r4, r8\n\t"                                                                                 \
  "str    r4, [sp]\n\t"                                                                               \
  "sxtb16 r0, r5\n\t"                                                                                 \
  "sxtb16 r1, r5, ror #8\n\t"                                                                         \
  "sxtb16 r2, r6\n\t"                                                                                 \
  "sxtb16 r3, r6, ror #8\n\t"                                                                         \
  TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) \
  TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) \
  TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ) TINYML_PW8_CH(RQ)                                  \
  "sub    r12, r12, " BACK "\n\t"                                                                     \
  "bne    1b\n\t"                                                                                      \
  "add    sp, sp, #8\n\t"
/* Whether the layer runs so: the int16 stream (11 words a channel: 704 bytes for 16 channels). */
TINYML_DSP_INLINE int32_t pw8_shape_ok(const tinyml_conv2d_dsp_params *p, const int8_t *input) {
  return p->activation_min == -128 && p->activation_max == 127 && p->k4 == 2 && p->geo.input_depth == 8 &&
         p->output_depth == 16 && !p->descending &&
         p->geo.filter_height == 1 && p->geo.filter_width == 1 && p->geo.stride_height == 1 &&
         p->geo.stride_width == 1 && p->geo.pad_height == 0 && p->geo.pad_width == 0 &&
         ((uintptr_t)input & 3) == 0;
}
/* The mode first (measured: of the orders tried, the one that left ResNet-8's calls as they were). */
TINYML_DSP_INLINE int32_t pw8_ok(const tinyml_conv2d_dsp_params *p, const int8_t *input) {
  return TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED && pw8_shape_ok(p, input);
}
/* One function per requantization (with the sign correction, or without: TINYML_RQ_NOFIX), so
 * that a model links only the loop its entry points run (the correction is exact in either mode). */
#define TINYML_PW8_FN(NAME, RQ, BACK)                                                                         \
  static void NAME(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,          \
                   int8_t *output) {                                                                          \
    register const int8_t *r0 __asm__("r0") = input;                                                          \
    register const int8_t *r1 __asm__("r1") = input + p->geo.batches * p->geo.output_height * p->geo.output_width * 8; \
    register int8_t *o __asm__("r7") = output;                                                                \
    register const uint32_t *w __asm__("r12") = weights;                                                      \
    __asm__ volatile(TINYML_PW8_LOOP(RQ, BACK) : "+r"(r0), "+r"(r1), "+r"(o), "+r"(w) :                              \
                     : "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "cc", "memory");          \
  }
TINYML_PW8_FN(pw8_run, TINYML_PW8_RQ, TINYML_PW8_BACK)
TINYML_PW8_FN(pw8_run_nf, TINYML_PW8_RQ_NF, TINYML_PW8_BACK)
TINYML_PW8_FN(pw8_run_mixed_nf, TINYML_PW8_RQ_MIXED_NF, TINYML_PW8_BACK_MIXED)
/* NF: the entry point's requantization has no sign correction (its _nf entries). */
#define TINYML_PW8_RUN(W, NF)                       \
  if (pw8_ok(p, input)) {                           \
    if (NF) {                                       \
      pw8_run_nf(p, input, (W), output);            \
    } else {                                        \
      pw8_run(p, input, (W), output);               \
    }                                               \
    return;                                         \
  }
#else
#define TINYML_PW8_RUN(W, NF)
#endif

void tinyml_conv2d_s8_dsp(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                          int8_t *output, void *scratch) {
  TINYML_DEC_RUN(DEC_INT8, 0, mm_int8(p, 0), 1)
  conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch, mm_int8(p, 0), TINYML_RQ_BASE(p->mode) != TINYML_RQ_REF,
           1);
}

void tinyml_conv2d_s8_dsp_w16(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                              int8_t *output, void *scratch) {
  /* The generator doubled the int16 weights in the FAST modes: the columns are not. */
  TINYML_PW8_RUN(weights, 0)
  conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch, mm_int8(p, 1), 0, 1);
}

/* TINYML_RQ_NOFIX entry points (FOLDED layers only): only their own loops are linked. */
TINYML_DSP_INLINE mm_fn mm_int8_nf(const tinyml_conv2d_dsp_params *p, const int W16) {
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;
  return full ? (W16 ? mm16_folded_full_nf : mm_folded_full_nf) : (W16 ? mm16_folded_nf : mm_folded_nf);
}

void tinyml_conv2d_s8_dsp_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                             int8_t *output, void *scratch) {
  TINYML_DEC_RUN(DEC_INT8, 1, mm_int8_nf(p, 0), 1)
  conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch, mm_int8_nf(p, 0), 1, 1);
}

void tinyml_conv2d_s8_dsp_w16_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *weights,
                                 int8_t *output, void *scratch) {
  TINYML_PW8_RUN(weights, 1)
  conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch, mm_int8_nf(p, 1), 0, 1);
}

/*
 * Small sub-byte pointwise layers on int16 rows (the row-streamed pair's 48x48 8 -> 16 rows, a
 * band at a time): the signed fields of the whole layer (_sb4s / _sb2s) decoded exactly, each
 * pair word (w0, w2), (w1, w3) as 2w in each half (the FAST modes' doubled int16 rows), into
 * tinyml_conv2d_s8_dsp_w16's stream on this call's stack frame ({bias' x 4, row, m, t, e} per
 * channel, at most TINYML_SB_W16_WORDS words: 768 bytes, as the sub-byte stem decodes its small
 * layout on its frame), then that kernel's loops: no AND per pair and no shift back per output.
 * Never a copy of the weights outside the call (issue #15). FOLDED layers of at least 16 (k4 + 1)
 * pixels a call: the decoding, about 10 instructions a pair (2 k4 pairs a row), pays off over
 * some 4 (k4 + 1) blocks, each saving an AND per pair and the four shifts back.
 */
#define TINYML_SB_W16_WORDS 192
TINYML_DSP_INLINE int32_t sb_w16_ok(const tinyml_conv2d_dsp_params *p) {
  return TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED && p->geo.filter_height == 1 && p->geo.filter_width == 1 &&
         p->geo.stride_height == 1 && p->geo.stride_width == 1 && p->geo.pad_height == 0 && p->geo.pad_width == 0 &&
         p->geo.input_depth == 4 * p->k4 && p->output_depth * (7 + 2 * p->k4) <= TINYML_SB_W16_WORDS &&
         p->geo.output_height * p->geo.output_width >= 16 * (p->k4 + 1);
}

/* Pair q of a signed-field word (fields at the top of each halfword, conv2d_dsp.c TINYML_SB4W), as
 * 2w in each half: two's complement fields of BITS bits, w = (f ^ h) - h with h the sign bit. */
TINYML_DSP_INLINE uint32_t sb_exact_pair(uint32_t v, int32_t q, const int BITS) {
  const uint32_t mask = (1u << BITS) - 1u;
  const int32_t h = 1 << (BITS - 1);
  const int32_t sh = 16 - BITS * (q + 1);
  const int32_t lo = (int32_t)(((v >> sh) & mask) ^ (uint32_t)h) - h;
  const int32_t hi = (int32_t)(((v >> (sh + 16)) & mask) ^ (uint32_t)h) - h;
  return ((uint32_t)(2 * lo) & 0xFFFFu) | ((uint32_t)(2 * hi) << 16);
}

/* The int16 stream of the signed-field stream w (rows of k4 groups: partial words of 1 and 2
 * groups for the low bits of k4, then whole words of 8 / BITS groups, as convSbWordGroups). */
TINYML_DSP_INLINE void sb_w16_decode(const tinyml_conv2d_dsp_params *p, const uint32_t *w, uint32_t *out, const int BITS,
                                     const int MIXED) {
  const int32_t k4 = p->k4;
  const int32_t per_word = 8 / BITS;
  for (int32_t ch = 0; ch < p->output_depth; ++ch) {
    uint32_t *row = out + 4;
    for (int32_t part = 1; part < 4; part <<= 1) {
      if (k4 & part) {
        const uint32_t v = *w++;
        for (int32_t q = 0; q < 2 * part; ++q) *row++ = sb_exact_pair(v, q, BITS);
      }
    }
    for (int32_t g = k4 & 3; g < k4; g += per_word) {
      const uint32_t v = *w++;
      for (int32_t q = 0; q < 2 * per_word; ++q) *row++ = sb_exact_pair(v, q, BITS);
    }
    /* The record {m, t, e, bias'}: bias' the accumulators' four start values. */
    out[0] = out[1] = out[2] = out[3] = w[3];
    row[0] = w[0];
    row[1] = w[1];
    if (MIXED) {
      /* {m, t, r, s}: the right shift r = e or the left shift s = -e, the other 0 (pw8_run_mixed_nf). */
      const int32_t e = (int32_t)w[2];
      row[2] = (uint32_t)(e > 0 ? e : 0);
      row[3] = (uint32_t)(e > 0 ? 0 : -e);
      out = row + 4;
    } else {
      row[2] = w[2];
      out = row + 3;
    }
    w += SB_RECORD_WORDS;
  }
}

#define TINYML_SB_W16_RUN(BITS, MM, NF)                                                          \
  if (sb_w16_ok(p)) {                                                                            \
    uint32_t w16[TINYML_SB_W16_WORDS];                                                           \
    sb_w16_decode(p, weights, w16, BITS, 0);                                                     \
    TINYML_PW8_RUN(w16, NF)                                                                      \
    conv_run(p, input, (const int8_t *)(const void *)w16, output, scratch, MM, 0, 1);            \
    return;                                                                                      \
  }

/*
 * FAST_MIXED without the sign correction (the requantization of 2-bit VWW's 8 -> 16 pair layer):
 * the 8 -> 16 shape alone (pw8_run_mixed_nf; the int16 kernel's other loops have no FAST_MIXED),
 * its stream with {m, t, r, s} records (12 words a channel).
 */
#if TINYML_MM_ASM
#define TINYML_SB_PW8_MIXED_RUN(BITS)                                                            \
  if (TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_MIXED && TINYML_RQ_NF(p->mode) && pw8_shape_ok(p, input)) { \
    uint32_t w16[TINYML_SB_W16_WORDS];                                                           \
    sb_w16_decode(p, weights, w16, BITS, 1);                                                     \
    pw8_run_mixed_nf(p, input, w16, output);                                                     \
    return;                                                                                      \
  }
#else
#define TINYML_SB_PW8_MIXED_RUN(BITS)
#endif

#define TINYML_MM_SB_VARIANT(name, MODE, BITS, SIGNED)                                                           \
  static int32_t name(const tinyml_conv2d_dsp_params *p, const uint32_t *cols, const int8_t *w, int8_t *out,    \
                      int32_t npx, int32_t *frame) {                                                            \
    return mm_sb(p, cols, w, out, npx, frame, MODE, BITS, SIGNED);                                              \
  }
/* DEC: the decoded rows' kind (DEC_SB4, DEC_SB2: signed fields), or 0. */
#define TINYML_CONV_SB_ENTRY(NAME, BITS, SIGNED, DEC)                                                            \
  TINYML_MM_SB_VARIANT(mm_##NAME##_fast, TINYML_RQ_FAST, BITS, SIGNED)                                           \
  TINYML_MM_SB_VARIANT(mm_##NAME##_folded, TINYML_RQ_FAST_FOLDED, BITS, SIGNED)                                  \
  TINYML_MM_SB_VARIANT(mm_##NAME##_ref, TINYML_RQ_REF, BITS, SIGNED)                                             \
  TINYML_MM_SB_VARIANT(mm_##NAME##_mixed, TINYML_RQ_FAST_MIXED, BITS, SIGNED)                                     \
  TINYML_MM_SB_VARIANT(mm_##NAME##_fast_nf, TINYML_RQ_FAST | TINYML_RQ_NOFIX, BITS, SIGNED)                        \
  TINYML_MM_SB_VARIANT(mm_##NAME##_folded_nf, TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, BITS, SIGNED)               \
  TINYML_MM_SB_VARIANT(mm_##NAME##_mixed_nf, TINYML_RQ_FAST_MIXED | TINYML_RQ_NOFIX, BITS, SIGNED)                 \
  void tinyml_conv2d_s8_dsp_##NAME(const tinyml_conv2d_dsp_params *p, const int8_t *input,                      \
                                   const uint32_t *weights, int8_t *output, void *scratch) {                    \
    /* Columns past the last K index are never written: zero them once, so that they add nothing \
     * (their weights' offset fields are not zero) and leave the column sums alone. */                          \
    /* Columns past the last K index are never written: zero them once, so that they add nothing \
     * (their weights' offset fields are not zero) and leave the column sums alone. */                          \
    uint32_t *c32 = (uint32_t *)scratch;                                                                        \
    for (int32_t i = 0; i < p->k4 * 8; ++i) c32[i] = 0;                                                         \
    if (DEC) {                                                                                                  \
      TINYML_DEC_RUN(DEC, 0, mm_##NAME##_folded, 0)                                                             \
    }                                                                                                           \
    const mm_fn mm = TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST          ? mm_##NAME##_fast                                      \
                     : TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED ? mm_##NAME##_folded                                    \
                                                        : mm_##NAME##_ref;                                      \
    conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch, mm, 0, SIGNED);                             \
  }                                                                                                             \
  /* FAST_MIXED has an entry point of its own, so that models without it do not link its loops. */              \
  void tinyml_conv2d_s8_dsp_##NAME##_mixed(const tinyml_conv2d_dsp_params *p, const int8_t *input,              \
                                           const uint32_t *weights, int8_t *output, void *scratch) {            \
    uint32_t *c32 = (uint32_t *)scratch;                                                                        \
    for (int32_t i = 0; i < p->k4 * 8; ++i) c32[i] = 0;                                                         \
    conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch, mm_##NAME##_mixed, 0, SIGNED);              \
  } \
  /* TINYML_RQ_NOFIX layers (FAST or FOLDED; FAST_MIXED): entry points of their own too. */                    \
  void tinyml_conv2d_s8_dsp_##NAME##_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,                 \
                                        const uint32_t *weights, int8_t *output, void *scratch) {               \
    uint32_t *c32 = (uint32_t *)scratch;                                                                        \
    for (int32_t i = 0; i < p->k4 * 8; ++i) c32[i] = 0;                                                         \
    if (DEC) {                                                                                                  \
      TINYML_DEC_RUN(DEC, 1, mm_##NAME##_folded_nf, 0)                                                          \
    }                                                                                                           \
    conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch,                                  \
             TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST ? mm_##NAME##_fast_nf : mm_##NAME##_folded_nf, 0, SIGNED);        \
  }                                                                                                             \
  void tinyml_conv2d_s8_dsp_##NAME##_mixed_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,           \
                                              const uint32_t *weights, int8_t *output, void *scratch) {         \
    uint32_t *c32 = (uint32_t *)scratch;                                                                        \
    for (int32_t i = 0; i < p->k4 * 8; ++i) c32[i] = 0;                                                         \
    conv_run(p, input, (const int8_t *)(const void *)weights, output, scratch, mm_##NAME##_mixed_nf, 0, SIGNED);           \
  }
#if !TINYML_MM_ASM
#define DEC_SB4 0
#define DEC_SB2 0
#endif
TINYML_CONV_SB_ENTRY(sb4, 4, 0, 0)
TINYML_CONV_SB_ENTRY(sb2, 2, 0, 0)
TINYML_CONV_SB_ENTRY(sb1, 1, 0, 0)
TINYML_CONV_SB_ENTRY(sb4s, 4, 1, DEC_SB4)
TINYML_CONV_SB_ENTRY(sb2s, 2, 1, DEC_SB2)

/*
 * Entry points of the signed-field layers the generator finds small enough for int16 rows decoded
 * on the frame (TINYML_SB_W16_RUN; ops/subbyte/dsp.ts convSbW16): apart, so that models without
 * such a layer link neither the decoding nor the int16 kernel's loops. A call the frame does not
 * fit (too few pixels: a short band) runs the sub-byte loops as the plain entry does.
 */
#define TINYML_CONV_SB_W16_ENTRY(NAME, BITS)                                                                     \
  void tinyml_conv2d_s8_dsp_##NAME##_w16(const tinyml_conv2d_dsp_params *p, const int8_t *input,                \
                                         const uint32_t *weights, int8_t *output, void *scratch) {              \
    TINYML_SB_W16_RUN(BITS, mm_int8(p, 1), 0)                                                                   \
    tinyml_conv2d_s8_dsp_##NAME(p, input, weights, output, scratch);                                            \
  }                                                                                                             \
  void tinyml_conv2d_s8_dsp_##NAME##_w16_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,             \
                                            const uint32_t *weights, int8_t *output, void *scratch) {           \
    TINYML_SB_W16_RUN(BITS, mm_int8_nf(p, 1), 1)                                                                \
    tinyml_conv2d_s8_dsp_##NAME##_nf(p, input, weights, output, scratch);                                       \
  }                                                                                                             \
  void tinyml_conv2d_s8_dsp_##NAME##_w16_mixed_nf(const tinyml_conv2d_dsp_params *p, const int8_t *input,       \
                                                  const uint32_t *weights, int8_t *output, void *scratch) {     \
    TINYML_SB_PW8_MIXED_RUN(BITS)                                                                               \
    tinyml_conv2d_s8_dsp_##NAME##_mixed_nf(p, input, weights, output, scratch);                                 \
  }
TINYML_CONV_SB_W16_ENTRY(sb4s, 4)
TINYML_CONV_SB_W16_ENTRY(sb2s, 2)

