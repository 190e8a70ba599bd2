/*
 * conv2d_stem_dsp.c - see conv2d_stem_dsp.h.
 *
 * Per pair of output pixels (A, B): both windows expanded into one interleaved column buffer
 * (word j of A at cols[2j], of B at cols[2j + 1], so one LDRD reads both), then per block of
 * four output channels the eight accumulators (A and B times four channels) start from the
 * block's bias words, run the dot product and are requantized. An odd last pixel fills both
 * slots and stores A only; a last block of fewer than four channels stores the valid ones (the
 * generator padded its weights with zeros).
 *
 * Where the instructions go (VWW's first layer, 3x3 on three channels, eight outputs): the dot
 * product is 11 instructions per step of 16 MACs, the requantization about 5 per output; what
 * the expansion, the window lookups and the loops around the blocks cost came to as much again
 * in C, so the pairs routines below do the blocks of a pair, and for that shape whole runs of
 * pairs with their expansion, in assembly. VWW's exact shape (eight channels, stride 2, FOLDED
 * without the sign correction, issue #20) has its own routine, stem8_run in conv2d_stem8_dsp.c
 * (run here through weak references, so that only a model with that layer links it): 416
 * instructions a pair of pixels, the right-edge pair and the following rows in the same call
 * (stem_pairs_run's pair: 483, with per-row calls and every edge pair gathered in C).
 */
#include "conv2d_stem_dsp.h"

/* Linked only where the generator found VWW's shape (conv2d_stem8_dsp.c): null elsewhere. */
#pragma weak tinyml_conv2d_s8_stem8_layer
#pragma weak tinyml_conv2d_s8_stem8_pair

/* Column length of a layer: whole words of each filter row's bytes, then the rows' tails. */
typedef struct {
  int32_t row_words; /* whole 4-byte words in one filter row's fw * cin bytes */
  int32_t tail;      /* the 0-3 bytes after them */
  int32_t words;     /* column words (two K indices each) */
} stem_shape;

TINYML_DSP_INLINE stem_shape stem_shape_of(const tinyml_conv2d_dsp_params *p) {
  const int32_t row_len = p->geo.filter_width * p->geo.input_depth;
  stem_shape s;
  s.row_words = row_len >> 2;
  s.tail = row_len & 3;
  s.words = p->geo.filter_height * s.row_words * 2 + ((p->geo.filter_height * s.tail + 1) >> 1);
  return s;
}

/*
 * The window whose first row is iy0 and first column ix0, gathered into g (fw * cin bytes a row):
 * the image's bytes, the zero point outside it. A row outside the image is the zero point; one
 * inside it its bytes, a word at a time; one over the left or right edge the zero point first and
 * the image's bytes over it. Always inlined: stem_gather gives the shared models' first-layer
 * shapes as constants, so that a row is a few loads and stores.
 */
TINYML_DSP_INLINE void stem_gather_rows(const tinyml_conv2d_dsp_params *p, const int8_t *input, int32_t iy0, int32_t ix0,
                                        int8_t *g, const int32_t fh, const int32_t fw, const int32_t cin) {
  const int32_t w_in = p->geo.input_width;
  const int32_t row_len = fw * cin;
  const int32_t lo = ix0 < 0 ? (-ix0 < fw ? -ix0 * cin : row_len) : 0;
  const int32_t hi = ix0 + fw > w_in ? (w_in - ix0) * cin : row_len;
  const int8_t pad = (int8_t)p->pad_value;
  const uint32_t pad4 = (uint32_t)(uint8_t)pad * 0x01010101u;
  for (int32_t fy = 0; fy < fh; ++fy, g += row_len) {
    const int32_t iy = iy0 + fy;
    const int32_t at = (iy * w_in + ix0) * cin;
    const int32_t inside = iy >= 0 && iy < p->geo.input_height && hi > lo;
    int32_t i = 0;
    if (inside && lo == 0 && hi == row_len) {
      /* Bounds that are constants: straight loads and stores. */
      for (; i + 4 <= row_len; i += 4) tinyml_st32(g + i, tinyml_ld32(input + (at + i)));
      for (; i < row_len; ++i) g[i] = input[at + i];
      continue;
    }
    for (; i + 4 <= row_len; i += 4) tinyml_st32(g + i, pad4);
    for (; i < row_len; ++i) g[i] = pad;
    if (!inside) continue;
    for (i = lo; i + 4 <= hi; i += 4) tinyml_st32(g + i, tinyml_ld32(input + (at + i)));
    for (; i < hi; ++i) g[i] = input[at + i];
  }
}

/*
 * stem_gather_rows for 3x3 windows on three channels (three rows of nine bytes), unrolled: a row
 * outside the image two words and a byte of the zero point; one inside it two words and a byte;
 * one with a pixel over the left or right edge (VWW's last column, ResNet's first and last) the
 * zero point, then its six bytes as a word and two bytes.
 */
TINYML_DSP_INLINE void stem_gather9(const tinyml_conv2d_dsp_params *p, const int8_t *input, int32_t iy0, int32_t ix0,
                                    int8_t *g) {
  const int32_t w_in = p->geo.input_width;
  const int32_t lo = ix0 < 0 ? (-ix0 < 3 ? -3 * ix0 : 9) : 0;
  const int32_t hi = ix0 + 3 > w_in ? 3 * (w_in - ix0) : 9;
  const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
  const int32_t full = lo == 0 && hi == 9;
  const int32_t six = hi - lo == 6;
#pragma GCC unroll 3
  for (int32_t fy = 0; fy < 3; ++fy, g += 9) {
    const int32_t iy = iy0 + fy;
    const int32_t at = (iy * w_in + ix0) * 3;
    if (full && iy >= 0 && iy < p->geo.input_height) {
      tinyml_st32(g, tinyml_ld32(input + at));
      tinyml_st32(g + 4, tinyml_ld32(input + (at + 4)));
      g[8] = input[at + 8];
      continue;
    }
    tinyml_st32(g, pad4);
    tinyml_st32(g + 4, pad4);
    g[8] = (int8_t)pad4;
    if (iy < 0 || iy >= p->geo.input_height) continue;
    if (six) {
      tinyml_st32(g + lo, tinyml_ld32(input + (at + lo)));
      g[lo + 4] = input[at + lo + 4];
      g[lo + 5] = input[at + lo + 5];
    } else {
      for (int32_t i = lo; i < hi; ++i) g[i] = input[at + i];
    }
  }
}

/* stem_gather_rows, the shared models' first layers with their shapes as constants (VWW, ResNet: 3x3 on three channels; KWS: 10x4 on one). */
static void stem_gather(const tinyml_conv2d_dsp_params *p, const int8_t *input, int32_t iy0, int32_t ix0, int8_t *g) {
  const int32_t fh = p->geo.filter_height, fw = p->geo.filter_width, cin = p->geo.input_depth;
  if (fh == 3 && fw == 3 && cin == 3) {
    stem_gather9(p, input, iy0, ix0, g);
  } else if (fh == 10 && fw == 4 && cin == 1) {
    stem_gather_rows(p, input, iy0, ix0, g, 10, 4, 1);
  } else {
    stem_gather_rows(p, input, iy0, ix0, g, fh, fw, cin);
  }
}

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
/*
 * Both windows of a pair of 3x3 windows on three channels that leave the image, as one gather: the
 * three rows' 3 * stride + 9 bytes from (iy0, ix0) on (both windows' columns), 16 bytes a row in g
 * (word-aligned), the zero point outside the image. Window A is then g, B g + 3 * stride, rows
 * 16 bytes apart: one pass over the shared column, whole words where the row allows.
 */
TINYML_DSP_INLINE void stem_gather_pair_s(const tinyml_conv2d_dsp_params *p, const int8_t *input, int32_t iy0,
                                          int32_t ix0, uint32_t *g, const int32_t stride) {
  const int32_t w_in = p->geo.input_width;
  const int32_t span = 3 * stride + 9;
  const int32_t lo = ix0 < 0 ? -3 * ix0 : 0;
  const int32_t right = 3 * (w_in - ix0);
  const int32_t hi = right < span ? right : span;
  const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
  for (int32_t fy = 0; fy < 3; ++fy, g += 4) {
    const int32_t iy = iy0 + fy;
    g[0] = pad4;
    g[1] = pad4;
    g[2] = pad4;
    g[3] = pad4;
    if (iy < 0 || iy >= p->geo.input_height || lo >= hi) continue;
    const int8_t *r = input + (iy * w_in + ix0) * 3;
    int8_t *d = (int8_t *)(void *)g;
    if (lo == 0 && hi == span) {
      /* A whole row (the strides as constants): straight loads and stores. */
      g[0] = tinyml_ld32(r);
      g[1] = tinyml_ld32(r + 4);
      g[2] = tinyml_ld32(r + 8);
      for (int32_t k = 12; k < span; ++k) d[k] = r[k];
      continue;
    }
    int32_t i = lo;
    for (; i + 4 <= hi; i += 4) tinyml_st32(d + i, tinyml_ld32(r + i));
    for (; i < hi; ++i) d[i] = r[i];
  }
}

/* stem_gather_pair with strides 1 (ResNet) and 2 (VWW) as constants. */
static void stem_gather_pair(const tinyml_conv2d_dsp_params *p, const int8_t *input, int32_t iy0, int32_t ix0,
                             uint32_t *g) {
  if (p->geo.stride_width == 2) {
    stem_gather_pair_s(p, input, iy0, ix0, g, 2);
  } else {
    stem_gather_pair_s(p, input, iy0, ix0, g, 1);
  }
}
#endif

/*
 * The window of output pixel (oy, ox): where its first row starts, *stride the bytes from one of
 * its rows to the next. A window inside the image is read where it lies; one that leaves it is
 * first gathered with the zero point into `gather` (fh * fw * cin bytes).
 */
static const int8_t *stem_window(const tinyml_conv2d_dsp_params *p, const int8_t *input, int32_t oy, int32_t ox,
                                 int8_t *gather, int32_t *stride) {
  const int32_t cin = p->geo.input_depth;
  const int32_t w_in = p->geo.input_width;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
  if (iy0 >= 0 && iy0 + p->geo.filter_height <= p->geo.input_height && ix0 >= 0 && ix0 + p->geo.filter_width <= w_in) {
    *stride = w_in * cin;
    return input + (iy0 * w_in + ix0) * cin;
  }
  stem_gather(p, input, iy0, ix0, gather);
  *stride = p->geo.filter_width * cin;
  return gather;
}

/* An int8 as the low halfword of a word (high half zero). */
TINYML_DSP_INLINE uint32_t stem_half(int8_t x) { return (uint32_t)(int32_t)x & 0xFFFFu; }

/*
 * Both windows (rows sa / sb bytes apart) as the interleaved columns: word j of A at c[2j], of B
 * at c[2j + 1]. Always inlined: stem_columns_of gives it the common shapes as constants, so that
 * their loops unroll into straight loads, SXTB16s and paired stores.
 */
TINYML_DSP_INLINE void stem_columns(uint32_t *c, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb, int32_t fh,
                                    stem_shape sh) {
  const int8_t *ra = a;
  const int8_t *rb = b;
  for (int32_t fy = 0; fy < fh; ++fy) {
    for (int32_t w = 0; w < sh.row_words; ++w) {
      const uint32_t va = tinyml_ld32(ra + 4 * w);
      const uint32_t vb = tinyml_ld32(rb + 4 * w);
      c[0] = tinyml_sxtb16(va);
      c[1] = tinyml_sxtb16(vb);
      c[2] = tinyml_sxtb16_ror8(va);
      c[3] = tinyml_sxtb16_ror8(vb);
      c += 4;
    }
    ra += sa;
    rb += sb;
  }
  if (sh.tail == 0) return;
  /* The rows' last bytes, two per word; an odd count leaves a zero high half. */
  const int8_t *ta = a + 4 * sh.row_words;
  const int8_t *tb = b + 4 * sh.row_words;
  if (sh.tail == 1) {
    /* One per row (3x3 filters on three channels): two rows per word. */
    int32_t fy = 0;
    for (; fy + 1 < fh; fy += 2) {
      /* PKHBT keeps the low half of the first: no masking of its sign. */
      c[0] = tinyml_pkhbt((uint32_t)(int32_t)ta[0], (uint32_t)(int32_t)ta[sa]);
      c[1] = tinyml_pkhbt((uint32_t)(int32_t)tb[0], (uint32_t)(int32_t)tb[sb]);
      c += 2;
      ta += 2 * sa;
      tb += 2 * sb;
    }
    if (fy < fh) {
      c[0] = stem_half(ta[0]);
      c[1] = stem_half(tb[0]);
    }
    return;
  }
  uint32_t pa = 0, pb = 0;
  int32_t odd = 0;
  for (int32_t fy = 0; fy < fh; ++fy) {
    for (int32_t i = 0; i < sh.tail; ++i) {
      const uint32_t va = stem_half(ta[i]);
      const uint32_t vb = stem_half(tb[i]);
      if (odd) {
        c[0] = pa | (va << 16);
        c[1] = pb | (vb << 16);
        c += 2;
      } else {
        pa = va;
        pb = vb;
      }
      odd ^= 1;
    }
    ta += sa;
    tb += sb;
  }
  if (odd) {
    c[0] = pa;
    c[1] = pb;
  }
}

/*
 * The columns of a pair, the first layers of the shared models with their shape as constants:
 * 3x3 on three channels (VWW, ResNet: two words and one byte a row; where the pairs routines do
 * not expand them themselves) and 10x4 on one (KWS: one word a row). Their loops then unroll; loop
 * counters per pair would cost as much as the expansion itself. Out of line: one copy serves both
 * of stem_run's.
 */
static __attribute__((noinline)) void stem_columns_of(uint32_t *c, const int8_t *a, int32_t sa, const int8_t *b,
                                                      int32_t sb, int32_t fh, stem_shape sh) {
  if (fh == 3 && sh.row_words == 2 && sh.tail == 1) {
    const stem_shape s3 = {2, 1, 14};
    stem_columns(c, a, sa, b, sb, 3, s3);
  } else if (fh == 10 && sh.row_words == 1 && sh.tail == 0) {
    const stem_shape s10 = {1, 0, 20};
    stem_columns(c, a, sa, b, sb, 10, s10);
  } else {
    stem_columns(c, a, sa, b, sb, fh, sh);
  }
}

/*
 * The state of one pair of pixels as the channel blocks consume it: each block advances the
 * bias, weights and records pointers and the two output pointers past its four channels.
 */
typedef struct {
  const int32_t *bias;   /* [0] the block's eight start values */
  int32_t skip;          /* [1] bytes of unrolled steps to skip: (MAX - words) * 44 */
  const uint32_t *cols;  /* [2] the interleaved columns */
  const int16_t *w;      /* [3] the block's weights */
  const tinyml_dsp_rq *rq; /* [4] the block's four records */
  int8_t *oa;            /* [5] pixel A's output, at the block's first channel */
  int8_t *ob;            /* [6] pixel B's */
  int32_t *acc;          /* [7] where stem_dot leaves the eight accumulators */
} stem_frame;

/*
 * What stem_pairs_run runs: `pairs` pairs of pixels, every full block of
 * four channels of each. [0]-[6] are stem_frame's (with [1] the address of the first step to
 * run); [14]-[18] are their values at each pair's start. With `expand` the routine first writes
 * each pair's columns from the windows at pa and pa + step (3x3 filters on three channels: VWW's
 * and ResNet's first layers), then moves pa on by two steps: the pairs are neighbours on one
 * output row. Without, `pairs` is 1 and the columns are there.
 */
typedef struct {
  const int32_t *bias;         /* [0] */
  uint32_t entry;              /* [1] set by the routine: where its steps start, skip bytes in */
  const uint32_t *cols;        /* [2] */
  const int16_t *w;            /* [3] */
  const tinyml_dsp_rq *rq;     /* [4] */
  int8_t *oa;                  /* [5] */
  int8_t *ob;                  /* [6] */
  int32_t n;                   /* [7] output depth: pixel B's outputs after A's, the next pair's after B's */
  const tinyml_dsp_rq *rq_end; /* [8] the records after the last full block */
  const int8_t *pa;            /* [9] window A's first row (expand) */
  int32_t step;                /* [10] bytes from window A to window B (expand) */
  int32_t row;                 /* [11] bytes from one input row to the next (expand) */
  int32_t pairs;               /* [12] pairs left */
  int32_t skip;                /* [13] bytes of unrolled steps to skip: (MAX - words) * 44 */
  const int32_t *bias0;        /* [14] */
  uint32_t entry0;             /* [15] set by the routine */
  const uint32_t *cols0;       /* [16] */
  const int16_t *w0;           /* [17] */
  const tinyml_dsp_rq *rq0;    /* [18] */
  int32_t expand;              /* [19] */
  int32_t kind;                /* [20] after the steps: 0 FOLDED, 1 FAST_MIXED (both no clamp), 2 the accumulators to acc,
                                  3 and 4: 0 and 1 without the sign correction (TINYML_RQ_NOFIX) */
  uint32_t rq_at;              /* [21] set by the routine: the address (Thumb) of kind's code */
  int32_t *acc;                /* [22] kind 2: where the eight accumulators go (A c0, B c0, A c1, ...) */
} stem_pairs;

/* Bytes of one unrolled step (see STEM_STEP). */
#define STEM_STEP_BYTES 44

#if TINYML_DSP_ASM && defined(__OPTIMIZE__)
#define STEM_ASM 1
/*
 * One step: column words of A and B (r9, r10), then two weight words at a time (r7, lr) for
 * channels 0, 1 and 2, 3; accumulators r0 r1 (channel 0, A B), r2 r3, r4 r5, r6 r8. Every
 * instruction is 32 bits wide, so a step is 44 bytes and a block enters the unrolled steps at
 * (MAX - words) * 44: no counter, which no register would be left for.
 */
#define STEM_STEP                  \
  "ldrd   r9, r10, [r11], #8\n\t"  \
  "ldrd   r7, lr, [r12], #8\n\t"   \
  "smlad  r0, r7, r9, r0\n\t"      \
  "smlad  r1, r7, r10, r1\n\t"     \
  "smlad  r2, lr, r9, r2\n\t"      \
  "smlad  r3, lr, r10, r3\n\t"     \
  "ldrd   r7, lr, [r12], #8\n\t"   \
  "smlad  r4, r7, r9, r4\n\t"      \
  "smlad  r5, r7, r10, r5\n\t"     \
  "smlad  r6, lr, r9, r6\n\t"      \
  "smlad  r8, lr, r10, r8\n\t"
#define STEM_STR2(x) #x
#define STEM_STR(x) STEM_STR2(x)
#define STEM_CLOBBERS "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory"

/*
 * One accumulator a of the channel whose record {m, t, e} is in r10 r11 r12, requantized as
 * TINYML_MM_RQ does up to the clamp: t - [acc < 0], SMMLAR, shift (lr overwritten). STEM_RQ_NF:
 * the same without the sign correction (TINYML_RQ_NOFIX layers, see tinyml_dsp.h).
 */
#define STEM_RQ(a)                      \
  "add    lr, r11, " a ", asr #31\n\t"  \
  "smmlar " a ", " a ", r10, lr\n\t"    \
  "asr    " a ", " a ", r12\n\t"
#define STEM_RQ_NF(a)                   \
  "smmlar " a ", " a ", r10, r11\n\t"   \
  "asr    " a ", " a ", r12\n\t"
/* FAST_FOLDED, both pixels of one channel: its record (one LDM), both accumulators by RQ, SSAT. */
#define STEM_RQ2_WITH(RQ, a, b)         \
  "ldmia  r9!, {r10, r11, r12}\n\t"     \
  RQ(a) "ssat   " a ", #8, " a "\n\t"   \
  RQ(b) "ssat   " b ", #8, " b "\n\t"
#define STEM_RQ2(a, b) STEM_RQ2_WITH(STEM_RQ, a, b)
#define STEM_RQ2_NF(a, b) STEM_RQ2_WITH(STEM_RQ_NF, a, b)
/* The eight requantized bytes: pixel A's four channels through r10, pixel B's through r11. */
#define STEM_STORE8                \
  "strb   r0, [r10], #1\n\t"       \
  "strb   r2, [r10], #1\n\t"       \
  "strb   r4, [r10], #1\n\t"       \
  "strb   r6, [r10], #1\n\t"       \
  "strb   r1, [r11], #1\n\t"       \
  "strb   r3, [r11], #1\n\t"       \
  "strb   r5, [r11], #1\n\t"       \
  "strb   r8, [r11], #1\n\t"


/*
 * FAST_MIXED, both pixels of one channel (sub-byte stems: multipliers near 1 give shifts of both
 * signs): a channel with e >= 1 as STEM_RQ2, one with e <= 0 shifted left by -e and SMMLAR'd
 * with t (the offset) and no sign correction, as tinyml_rq does; then SSAT.
 */
#define STEM_RQ2_MIXED_WITH(RQ, a, b)   \
  "ldmia  r9!, {r10, r11, r12}\n\t"     \
  "cmp    r12, #0\n\t"                  \
  "ble    1f\n\t" RQ(a) RQ(b)            \
  "b      2f\n"                         \
  "1:\n\t"                              \
  "rsb    r12, r12, #0\n\t"             \
  "lsl    " a ", " a ", r12\n\t"        \
  "lsl    " b ", " b ", r12\n\t"        \
  "smmlar " a ", " a ", r10, r11\n\t"   \
  "smmlar " b ", " b ", r10, r11\n"      \
  "2:\n\t"                              \
  "ssat   " a ", #8, " a "\n\t"         \
  "ssat   " b ", #8, " b "\n\t"
#define STEM_RQ2_MIXED(a, b) STEM_RQ2_MIXED_WITH(STEM_RQ, a, b)
/* The same without the sign correction on e >= 1 channels (TINYML_RQ_NOFIX). */
#define STEM_RQ2_MIXED_NF(a, b) STEM_RQ2_MIXED_WITH(STEM_RQ_NF, a, b)
/* A block's eight accumulators requantized by RQ2 (one of the four above) and stored. */
#define STEM_RQ_BLOCK(RQ2)                                                 \
  RQ2("r0", "r1") RQ2("r2", "r3") RQ2("r4", "r5") RQ2("r6", "r8")          \
  "ldrd   r10, r11, [r7, #20]\n\t" STEM_STORE8 STEM_BLOCK_END

/*
 * One filter row of a pair's columns (3x3 on three channels: each row two words and a byte):
 * A's row at r11, B's at r12, both words expanded (SXTB16, bytes 0 2 then 1 3) into the eight
 * interleaved column words, stored by one STM at r10; the row's last bytes are left to the caller.
 */
#define STEM_EXPAND_ROW                        \
  "ldr    r6, [r11]\n\t"                       \
  "ldr    r8, [r12]\n\t"                       \
  "sxtb16 r0, r6\n\t"                          \
  "sxtb16 r1, r8\n\t"                          \
  "sxtb16 r2, r6, ror #8\n\t"                  \
  "sxtb16 r3, r8, ror #8\n\t"                  \
  "ldr    r6, [r11, #4]\n\t"                   \
  "ldr    r8, [r12, #4]\n\t"                   \
  "sxtb16 r4, r6\n\t"                          \
  "sxtb16 r5, r8\n\t"                          \
  "sxtb16 r6, r6, ror #8\n\t"                  \
  "sxtb16 r8, r8, ror #8\n\t"                  \
  "stmia  r10!, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"
/*
 * After a block's requantization (r9 past its records, the output pointers in r10 r11): the next
 * block until the records reach [8], then the next pair (its outputs after B's) until [12] pairs
 * are done, then out.
 */
#define STEM_BLOCK_END                                                         \
  "ldr    lr, [r7, #32]\n\t"                                                   \
  "str    r9, [r7, #16]\n\t"                                                   \
  "strd   r10, r11, [r7, #20]\n\t"                                             \
  "cmp    r9, lr\n\t"                                                          \
  "bne    62b\n\t"                                                             \
  "ldr    lr, [r7, #28]\n\t"                                                   \
  "mov    r10, r11\n\t"                                                        \
  "add    r11, r11, lr\n\t"                                                    \
  "strd   r10, r11, [r7, #20]\n\t"                                             \
  "ldr    r9, [r7, #48]\n\t"                                                   \
  "subs   r9, r9, #1\n\t"                                                      \
  "str    r9, [r7, #48]\n\t"                                                   \
  "bne    60b\n\t"                                                             \
  "b      79f\n\t"

/*
 * The pairs of a stem_pairs frame (in r7). Once per call: the steps' entry ([1]'s template) and
 * the address of the kind's code after them ([21]). Per pair: the columns (expand: three rows
 * as above, then the rows' last bytes as (row 0, row 1) and (row 2, 0) for A and B, the zero half
 * that padding weights meet, by one STM of r7 r9 r11 r12: A's and B's in ascending registers),
 * the start values of [0]-[4], then the blocks: the start values from the bias (one LDM), the
 * steps entered at [1], then one LDR PC to the kind's code: FOLDED or FAST_MIXED requantization
 * and the eight stores, or the accumulators to [22] (what stem_dot asks); each then
 * STEM_BLOCK_END. One copy of the unrolled steps serves every kind (flash).
 */
#define STEM_PAIRS                                                             \
  "adr.w  r9, 63f\n\t"                                                         \
  "ldr    r10, [r7, #52]\n\t"                                                  \
  "add    r9, r9, r10\n\t"                                                     \
  "str    r9, [r7, #60]\n\t"                                                   \
  "ldr    r0, [r7, #80]\n\t"                                                   \
  "adr.w  r9, 70f\n\t"                                                         \
  "cbz    r0, 69f\n\t"                                                         \
  "adr.w  r9, 71f\n\t"                                                         \
  "cmp    r0, #1\n\t"                                                          \
  "beq    69f\n\t"                                                             \
  "adr.w  r9, 72f\n\t"                                                         \
  "cmp    r0, #2\n\t"                                                          \
  "beq    69f\n\t"                                                             \
  "adr.w  r9, 73f\n\t"                                                         \
  "cmp    r0, #3\n\t"                                                          \
  "beq    69f\n\t"                                                             \
  "adr.w  r9, 74f\n"                                                           \
  "69:\n\t"                                                                    \
  "orr    r9, r9, #1\n\t"                                                      \
  "str    r9, [r7, #84]\n\t"                                                   \
  "ldr    r10, [r7, #76]\n\t"                                                  \
  "cmp    r10, #0\n\t"                                                         \
  "beq    61f\n"                                                               \
  "60:\n\t"                                                                    \
  "add    r9, r7, #36\n\t"                                                     \
  "ldmia  r9, {r11, r12, lr}\n\t"                                              \
  "add    r9, r11, r12, lsl #1\n\t"                                            \
  "str    r9, [r7, #36]\n\t"                                                   \
  "add    r12, r11, r12\n\t"                                                   \
  "ldr    r10, [r7, #64]\n\t"                                                  \
  "push   {r7}\n\t"                                                            \
  STEM_EXPAND_ROW                                                              \
  "ldrsb  r7, [r11, #8]\n\t"                                                   \
  "ldrsb  r9, [r12, #8]\n\t"                                                   \
  "add    r11, r11, lr\n\t"                                                    \
  "add    r12, r12, lr\n\t"                                                    \
  STEM_EXPAND_ROW                                                              \
  "ldrsb  r0, [r11, #8]\n\t"                                                   \
  "ldrsb  r1, [r12, #8]\n\t"                                                   \
  "pkhbt  r7, r7, r0, lsl #16\n\t"                                             \
  "pkhbt  r9, r9, r1, lsl #16\n\t"                                             \
  "add    r11, r11, lr\n\t"                                                    \
  "add    r12, r12, lr\n\t"                                                    \
  STEM_EXPAND_ROW                                                              \
  "ldrsb  r11, [r11, #8]\n\t"                                                  \
  "ldrsb  r12, [r12, #8]\n\t"                                                  \
  "uxth   r11, r11\n\t"                                                        \
  "uxth   r12, r12\n\t"                                                        \
  "stmia  r10!, {r7, r9, r11, r12}\n\t"                                        \
  "pop    {r7}\n"                                                              \
  "61:\n\t"                                                                    \
  "add    r9, r7, #56\n\t"                                                     \
  "ldmia  r9, {r0, r1, r2, r3, r4}\n\t"                                        \
  "stmia  r7, {r0, r1, r2, r3, r4}\n"                                          \
  "62:\n\t"                                                                    \
  "push   {r7}\n\t"                                                            \
  "ldmia  r7, {r9, r10, r11, r12}\n\t"                                         \
  "ldmia  r9!, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"                           \
  "str    r9, [r7]\n\t"                                                        \
  "mov    pc, r10\n\t"                                                         \
  ".p2align 2\n"                                                               \
  "63:\n\t"                                                                    \
  ".rept " STEM_STR(TINYML_CONV2D_STEM_MAX_WORDS) "\n\t" STEM_STEP ".endr\n\t" \
  "pop    {r7}\n\t"                                                            \
  "str    r12, [r7, #12]\n\t"                                                  \
  "ldr    r9, [r7, #16]\n\t"                                                   \
  "ldr    pc, [r7, #84]\n"                                                     \
  "70:\n\t"                                                                    \
  STEM_RQ_BLOCK(STEM_RQ2)                                                    \
  "71:\n\t"                                                                    \
  STEM_RQ_BLOCK(STEM_RQ2_MIXED)                                                    \
  "72:\n\t"                                                                    \
  "ldr    r10, [r7, #88]\n\t"                                                  \
  "stmia  r10, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"                           \
  "add    r9, r9, #48\n\t"                                                     \
  "ldrd   r10, r11, [r7, #20]\n\t"                                             \
  STEM_BLOCK_END                                                               \
  "73:\n\t"                                                                    \
  STEM_RQ_BLOCK(STEM_RQ2_NF)                                                    \
  "74:\n\t"                                                                    \
  STEM_RQ_BLOCK(STEM_RQ2_MIXED_NF)                                                    \
  "79:\n\t"

/*
 * The pairs of a stem_pairs frame: a block costs no call and no C loop around it, a pair of
 * VWW's first layer no call per window and no loop over filter rows.
 */
static __attribute__((noinline)) void stem_pairs_run(stem_pairs *f) {
  register stem_pairs *fr __asm__("r7") = f;
  __asm__ volatile(STEM_PAIRS : "+r"(fr) : : STEM_CLOBBERS);
}

/*
 * One block's accumulators into acc[0..7] (A c0, B c0, A c1, ...), the frame's bias, weights and
 * records advanced past the block: the pairs routine on one pair and one block, kind 2.
 */
static void stem_dot(stem_frame *f) {
  stem_pairs q;
  q.bias0 = f->bias;
  q.cols0 = f->cols;
  q.w0 = f->w;
  q.rq0 = f->rq;
  q.skip = f->skip;
  q.rq_end = f->rq + 4;
  q.pairs = 1;
  q.expand = 0;
  q.kind = 2;
  q.acc = f->acc;
  q.oa = 0;
  q.ob = 0;
  q.n = 0;
  stem_pairs_run(&q);
  f->bias = q.bias;
  f->w = q.w;
  f->rq = q.rq;
}

#else
#define STEM_ASM 0
TINYML_DSP_INLINE void stem_dot(stem_frame *f) {
  int32_t a[8];
  for (int32_t i = 0; i < 8; ++i) a[i] = f->bias[i];
  const uint32_t *cols = f->cols;
  const int16_t *w = f->w;
  const int32_t words = TINYML_CONV2D_STEM_MAX_WORDS - f->skip / STEM_STEP_BYTES;
  for (int32_t j = 0; j < words; ++j) {
    const uint32_t xa = cols[2 * j];
    const uint32_t xb = cols[2 * j + 1];
    for (int32_t k = 0; k < 4; ++k) {
      const uint32_t wv = tinyml_ld32(w + 2 * k);
      a[2 * k] = tinyml_smlad(wv, xa, a[2 * k]);
      a[2 * k + 1] = tinyml_smlad(wv, xb, a[2 * k + 1]);
    }
    w += 8;
  }
  for (int32_t i = 0; i < 8; ++i) f->acc[i] = a[i];
  f->bias += 8;
  f->w = w;
  f->rq += 4;
}
#endif

/*
 * The output pixels whose windows lie inside the image: rows oy_lo..oy_hi, columns ox_lo..ox_hi
 * (empty when lo > hi); `row` bytes from one input row to the next, `step` from one window to the
 * next on a row.
 */
typedef struct {
  int32_t oy_lo, oy_hi, ox_lo, ox_hi, row, step;
} stem_interior;

/* First and last output index along one axis whose window [o * stride - pad, + filter) is inside [0, size). */
TINYML_DSP_INLINE void stem_inside(int32_t size, int32_t filter, int32_t stride, int32_t pad, int32_t outs, int32_t *lo,
                                   int32_t *hi) {
  *lo = (pad + stride - 1) / stride;
  *hi = size - filter + pad < 0 ? -1 : (size - filter + pad) / stride;
  if (*hi > outs - 1) *hi = outs - 1;
}

static stem_interior stem_interior_of(const tinyml_conv2d_dsp_params *p) {
  stem_interior r;
  stem_inside(p->geo.input_height, p->geo.filter_height, p->geo.stride_height, p->geo.pad_height, p->geo.output_height,
              &r.oy_lo, &r.oy_hi);
  stem_inside(p->geo.input_width, p->geo.filter_width, p->geo.stride_width, p->geo.pad_width, p->geo.output_width,
              &r.ox_lo, &r.ox_hi);
  r.row = p->geo.input_width * p->geo.input_depth;
  r.step = p->geo.stride_width * p->geo.input_depth;
  return r;
}


#if STEM_ASM
/*
 * An edge pair of stem_run's 3x3 windows on three channels, (oy, ox) and the next pixel, into
 * `gather` for the pairs routine (its step and row set in pr): both windows' columns in one pass
 * when they are on one row and the stride across is 1 or 2 (the scratch after the columns is
 * word-aligned and holds 2 * 27 >= 48 bytes), else each window (rows of 9 bytes). Out of line:
 * stem_run's loop is compiled as it was without it.
 */
static __attribute__((noinline)) void stem_gather_edge_pair(const tinyml_conv2d_dsp_params *p, const int8_t *in_b,
                                                            int32_t oy, int32_t ox, int8_t *gather, stem_pairs *pr) {
  const int32_t wrap = ox + 1 == p->geo.output_width;
  const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
  if (wrap || p->geo.stride_width > 2 || p->geo.input_depth != 3) {
    stem_gather(p, in_b, iy0, ox * p->geo.stride_width - p->geo.pad_width, gather);
    stem_gather(p, in_b, (oy + wrap) * p->geo.stride_height - p->geo.pad_height,
                (wrap ? 0 : ox + 1) * p->geo.stride_width - p->geo.pad_width, gather + 27);
    pr->step = 27;
    pr->row = 9;
  } else {
    stem_gather_pair(p, in_b, iy0, ox * p->geo.stride_width - p->geo.pad_width, (uint32_t *)(void *)gather);
    pr->step = 3 * p->geo.stride_width;
    pr->row = 16;
  }
}
#endif

/*
 * The whole layer. Two copies (flash): FF, FAST_FOLDED without a clamp (the shared models' first
 * layers), with the mode a constant, and one for every other mode, which reads it at run time.
 */
TINYML_DSP_INLINE void stem_run(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                int8_t *output, void *scratch, const int FF) {
  const int32_t mode = FF ? TINYML_RQ_FAST_FOLDED : p->mode;
  const int32_t full = FF ? 1 : p->activation_min == -128 && p->activation_max == 127;
  const stem_shape sh = stem_shape_of(p);
  uint32_t *cols = (uint32_t *)scratch;
  int8_t *gather = (int8_t *)scratch + sh.words * 8;
  const int32_t fh = p->geo.filter_height;
  const int32_t window_bytes = fh * p->geo.filter_width * p->geo.input_depth;
  const int32_t npix = p->geo.output_height * p->geo.output_width;
  const int32_t ow = p->geo.output_width;
  const int32_t n = p->output_depth;
  const int32_t off = p->output_offset;
  const int32_t lo = full ? -128 : p->activation_min;
  const int32_t hi = full ? 127 : p->activation_max;
  const int32_t in_size = p->geo.input_height * p->geo.input_width * p->geo.input_depth;
  const stem_interior in = stem_interior_of(p);
  const int32_t skip = (TINYML_CONV2D_STEM_MAX_WORDS - sh.words) * STEM_STEP_BYTES;
  int32_t acc[8];
  stem_frame f;
  f.skip = skip;
  f.acc = acc;
  f.cols = cols;
#if STEM_ASM
  /* Blocks of four channels the pairs routines take for both pixels; the rest (a last block of
   * fewer channels, an odd last pixel, other modes) run through stem_dot and tinyml_rq. */
  int32_t asm_blocks = 0;
  const int32_t asm_rq = FF || (TINYML_RQ_BASE(mode) == TINYML_RQ_FAST_MIXED && full);
  /* The routines expand 3x3 windows on three channels themselves, whole runs of pairs at once. */
  const int32_t expand3 = fh == 3 && sh.row_words == 2 && sh.tail == 1 && (n & 3) == 0;
  stem_pairs pr;
  /* FOLDED, else FAST_MIXED (asm_rq); 3 and 4 those without the sign correction (TINYML_RQ_NOFIX). */
  pr.kind = (FF ? 0 : 1) + (TINYML_RQ_NF(p->mode) ? 3 : 0);
  if (asm_rq) asm_blocks = n >> 2;
  pr.n = n;
  pr.rq_end = p->rq + 4 * asm_blocks;
  pr.step = in.step;
  pr.row = in.row;
  pr.skip = skip;
  pr.bias0 = p->bias;
  pr.cols0 = cols;
  pr.w0 = weights;
  pr.rq0 = p->rq;
#endif
  for (int32_t b = 0; b < p->geo.batches; ++b) {
    const int8_t *in_b = input + b * in_size;
    int8_t *out = output + b * npix * n;
    int32_t oy = 0;
    int32_t ox = 0;
    int32_t p0 = 0;
    while (p0 < npix) {
      const int32_t two = npix - p0 >= 2;
      const int32_t inside = oy >= in.oy_lo && oy <= in.oy_hi && ox >= in.ox_lo && ox < in.ox_hi;
      /* Both windows inside the image, on one output row: read where they lie. */
      const int8_t *wa = inside ? in_b + (oy * p->geo.stride_height - p->geo.pad_height) * in.row +
                                      (ox * p->geo.stride_width - p->geo.pad_width) * p->geo.input_depth
                                : in_b;
#if STEM_ASM
      if (asm_blocks && expand3 && inside) {
        /* Every pair of this row whose windows are inside: pixels ox .. ox + 2k - 1. */
        const int32_t k = (in.ox_hi - ox + 1) >> 1;
        pr.pa = wa;
        pr.pairs = k;
        pr.expand = 1;
        pr.oa = out + p0 * n;
        pr.ob = pr.oa + n;
        stem_pairs_run(&pr);
        p0 += 2 * k;
        ox += 2 * k;
        if (ox == ow) {
          ox = 0;
          ++oy;
        }
        continue;
      }
      if (asm_blocks && expand3 && two) {
        /* A window over the image's edge: both gathered (rows of fw * cin bytes), then the same
         * routine expands them from there, as one pair. */
        stem_gather_edge_pair(p, in_b, oy, ox, gather, &pr);
        pr.pa = gather;
        pr.pairs = 1;
        pr.expand = 1;
        pr.oa = out + p0 * n;
        pr.ob = pr.oa + n;
        stem_pairs_run(&pr);
        pr.step = in.step;
        pr.row = in.row;
        p0 += 2;
        ox += 2;
        if (ox >= ow) {
          ox -= ow;
          ++oy;
        }
        continue;
      }
#endif
      if (inside) {
        stem_columns_of(cols, wa, in.row, wa + in.step, in.row, fh, sh);
        ox += 2;
      } else {
        int32_t sa, sb;
        wa = stem_window(p, in_b, oy, ox, gather, &sa);
        if (two && ++ox == ow) {
          ox = 0;
          ++oy;
        }
        /* An odd last pixel fills slot B too (its results are not stored). */
        const int8_t *wb = stem_window(p, in_b, oy, ox, gather + window_bytes, &sb);
        ++ox;
        stem_columns_of(cols, wa, sa, wb, sb, fh, sh);
      }
      if (ox == ow) {
        ox = 0;
        ++oy;
      }
      int32_t c0 = 0;
#if STEM_ASM
      if (asm_blocks && two) {
        pr.pairs = 1;
        pr.expand = 0;
        pr.oa = out + p0 * n;
        pr.ob = pr.oa + n;
        stem_pairs_run(&pr);
        c0 = 4 * asm_blocks;
      }
#endif
      f.bias = p->bias + 2 * c0;
      f.w = weights + c0 * 2 * sh.words;
      f.rq = p->rq + c0;
      f.oa = out + p0 * n + c0;
      f.ob = f.oa + n;
      for (; c0 < n; c0 += 4) {
        const int32_t valid = n - c0 < 4 ? n - c0 : 4;
        const tinyml_dsp_rq *r = f.rq;
        stem_dot(&f);
        for (int32_t k = 0; k < valid; ++k) {
          const int32_t m = r[k].multiplier, t = r[k].t, e = r[k].e;
          f.oa[k] = (int8_t)tinyml_rq(mode, acc[2 * k], m, t, e, off, lo, hi);
          if (two) f.ob[k] = (int8_t)tinyml_rq(mode, acc[2 * k + 1], m, t, e, off, lo, hi);
        }
        f.oa += 4;
        f.ob += 4;
      }
      p0 += 2;
    }
  }
}

static void stem_folded_full(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                             int8_t *output, void *scratch) {
  stem_run(p, input, weights, output, scratch, 1);
}

static void stem_any(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights, int8_t *output,
                     void *scratch) {
  stem_run(p, input, weights, output, scratch, 0);
}

void tinyml_conv2d_s8_stem_dsp(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                               int8_t *output, void *scratch) {
#if STEM_ASM
  /* VWW's first layer: FOLDED without the sign correction, no clamp, 3x3 on three channels, eight
   * channels, stride 2 across, an even output width. */
  if (p->mode == (TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX) && p->activation_min == -128 && p->activation_max == 127 &&
      p->output_depth == 8 && p->geo.filter_height == 3 && p->geo.filter_width == 3 && p->geo.input_depth == 3 &&
      p->geo.stride_width == 2 && (p->geo.output_width & 1) == 0 && tinyml_conv2d_s8_stem8_layer) {
    tinyml_conv2d_s8_stem8_layer(p, input, weights, output);
    return;
  }
#endif
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;
  (TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED && full ? stem_folded_full : stem_any)(p, input, weights, output, scratch);
}

/* Column word x times one block's weights w (four channels' halfword pairs) into a. */
TINYML_DSP_INLINE void stem_pixel_word(int32_t *a, const int16_t *w, uint32_t x) {
  a[0] = tinyml_smlad(tinyml_ld32(w), x, a[0]);
  a[1] = tinyml_smlad(tinyml_ld32(w + 2), x, a[1]);
  a[2] = tinyml_smlad(tinyml_ld32(w + 4), x, a[2]);
  a[3] = tinyml_smlad(tinyml_ld32(w + 6), x, a[3]);
}

void tinyml_conv2d_s8_stem_dsp_pixel(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                     int32_t oy, int32_t ox, int8_t *out) {
  const stem_shape sh = stem_shape_of(p);
  const int32_t fh = p->geo.filter_height;
  const int32_t row_len = p->geo.filter_width * p->geo.input_depth;
  const int32_t n = p->output_depth;
  /* A window that leaves the image is gathered with the zero point, as the kernel does; the
   * longest column the kernel takes bounds it. */
  int8_t gather[TINYML_CONV2D_STEM_MAX_WORDS * 2];
  int32_t stride;
  const int8_t *win = stem_window(p, input, oy, ox, gather, &stride);
  /* Per block of four channels (the weights' order) the column is read again from the window:
   * four accumulators stay in registers, and a stem has one to a few blocks. */
  for (int32_t c0 = 0; c0 < n; c0 += 4) {
    int32_t a[4];
    /* Pixel A's start values: the bias block's even words. */
    for (int32_t k = 0; k < 4; ++k) a[k] = p->bias[2 * c0 + 2 * k];
    const int16_t *w = weights + c0 * sh.words * 2;
    /* The column in the kernel's order (conv2d_stem_dsp.h): each row's whole words as SXTB16
     * pairs them, (0, 2) then (1, 3); then all rows' tails, paired in order, an odd one with 0. */
    const int8_t *r = win;
    for (int32_t fy = 0; fy < fh; ++fy, r += stride) {
      for (int32_t b = 0; b < 4 * sh.row_words; b += 4) {
        const uint32_t v = tinyml_ld32(r + b);
        stem_pixel_word(a, w, tinyml_sxtb16(v));
        stem_pixel_word(a, w + 8, tinyml_sxtb16_ror8(v));
        w += 16;
      }
    }
    uint32_t held = 0;
    int32_t odd = 0;
    r = win;
    for (int32_t fy = 0; fy < fh; ++fy, r += stride) {
      for (int32_t b = 4 * sh.row_words; b < row_len; ++b) {
        const uint32_t v = (uint32_t)(int32_t)r[b];
        if (odd) {
          stem_pixel_word(a, w, (held & 0xFFFFu) | (v << 16));
          w += 8;
        }
        held = v;
        odd ^= 1;
      }
    }
    if (odd) stem_pixel_word(a, w, held & 0xFFFFu);
    const int32_t valid = n - c0 < 4 ? n - c0 : 4;
    for (int32_t k = 0; k < valid; ++k) {
      const tinyml_dsp_rq *rq = &p->rq[c0 + k];
      out[c0 + k] = (int8_t)tinyml_rq(p->mode, a[k], rq->multiplier, rq->t, rq->e, p->output_offset, p->activation_min,
                                      p->activation_max);
    }
  }
}

int32_t tinyml_conv2d_stem_dsp_scratch_bytes(const tinyml_conv2d_dsp_params *p) {
  return TINYML_CONV2D_STEM_SCRATCH_BYTES(stem_shape_of(p).words,
                                          p->geo.filter_height * p->geo.filter_width * p->geo.input_depth);
}

/*
 * A pair on stem8_run where it takes the layer (in place, or B's third column over the right edge
 * expanded in place, else both windows gathered on this frame), else on the pairs routine as
 * stem_run's edge pairs run (columns at the scratch's start, the two windows gathered after them
 * when either leaves the image), else by pixel.
 */
void tinyml_conv2d_s8_stem_dsp_pair(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                    int32_t oy, int32_t ox, int8_t *out, void *scratch) {
  const int32_t n = p->output_depth;
  const int32_t two = ox + 1 < p->geo.output_width;
#if STEM_ASM
  const stem_shape sh = stem_shape_of(p);
  const int32_t full = p->activation_min == -128 && p->activation_max == 127;
  if (two && full && (TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED || TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_MIXED) &&
      p->geo.filter_height == 3 && sh.row_words == 2 && sh.tail == 1 && (n & 3) == 0) {
    const int32_t cin = p->geo.input_depth;
    const int32_t w_in = p->geo.input_width;
    const int32_t row_len = p->geo.filter_width * cin;
    const int32_t iy0 = oy * p->geo.stride_height - p->geo.pad_height;
    const int32_t ix0 = ox * p->geo.stride_width - p->geo.pad_width;
    const int32_t sw = p->geo.stride_width;
    const int32_t kind = (TINYML_RQ_BASE(p->mode) == TINYML_RQ_FAST_FOLDED ? 0 : 1) + (TINYML_RQ_NF(p->mode) ? 3 : 0);
    const int32_t rows_in = iy0 >= 0 && iy0 + 3 <= p->geo.input_height;
    const int32_t inside = rows_in && ix0 >= 0 && ix0 + sw + 3 <= w_in;
    if (n == 8 && kind == 3 && sw == 2 && cin == 3 && tinyml_conv2d_s8_stem8_pair) {
      /* VWW's shape (conv2d_stem8_dsp.c, where the generator linked it). */
      tinyml_conv2d_s8_stem8_pair(p, input, weights, oy, ox, out);
      return;
    }
    if (!scratch) {
      tinyml_conv2d_s8_stem_dsp_pixel(p, input, weights, oy, ox, out);
      tinyml_conv2d_s8_stem_dsp_pixel(p, input, weights, oy, ox + 1, out + n);
      return;
    }
    int8_t *gather = (int8_t *)scratch + sh.words * 8;
    stem_pairs pr;
    if (inside) {
      pr.pa = input + (iy0 * w_in + ix0) * cin;
      pr.step = sw * cin;
      pr.row = w_in * cin;
    } else if (sw <= 2 && cin == 3) {
      stem_gather_pair(p, input, iy0, ix0, (uint32_t *)(void *)gather);
      pr.pa = gather;
      pr.step = sw * cin;
      pr.row = 16;
    } else {
      stem_gather(p, input, iy0, ix0, gather);
      stem_gather(p, input, iy0, ix0 + sw, gather + 3 * row_len);
      pr.pa = gather;
      pr.step = 3 * row_len;
      pr.row = row_len;
    }
    pr.kind = kind;
    pr.n = n;
    pr.rq_end = p->rq + n;
    pr.skip = (TINYML_CONV2D_STEM_MAX_WORDS - sh.words) * STEM_STEP_BYTES;
    pr.bias0 = p->bias;
    pr.cols0 = (const uint32_t *)scratch;
    pr.w0 = weights;
    pr.rq0 = p->rq;
    pr.pairs = 1;
    pr.expand = 1;
    pr.oa = out;
    pr.ob = out + n;
    stem_pairs_run(&pr);
    return;
  }
#else
  (void)scratch;
#endif
  tinyml_conv2d_s8_stem_dsp_pixel(p, input, weights, oy, ox, out);
  if (two) tinyml_conv2d_s8_stem_dsp_pixel(p, input, weights, oy, ox + 1, out + n);
}

/*
 * One packed word's 32 / bits fields as halfword pairs (field 2i low, 2i + 1 high) at dst. Byte
 * planes instead of one field at a time: plane q holds field q of each byte ((v >> bits q) &
 * mask, each byte's field there), so UXTB16 of two planes gives four fields in halfwords, and
 * PKHBT / PKHTB pair them. A two's complement field is (u ^ h) - h with h its sign bit (the XOR on
 * the plane, the subtraction one SADD16 per output word), a 1-bit field 2u - 1. `bits` is a
 * constant in each caller, so the plane loop unrolls: three to four instructions a weight.
 */
TINYML_DSP_INLINE void stem_decode_word(uint32_t v, uint32_t *dst, int32_t scale, const int32_t bits) {
  const int32_t per_byte = 8 / bits;
  const uint32_t mask = ((1u << bits) - 1u) * 0x01010101u;
  const uint32_t h = bits == 1 ? 0u : 1u << (bits - 1);
  /* Added to each halfword: -h (two's complement), or -1 after doubling (1 bit). */
  const uint32_t minus = (bits == 1 ? 0xFFFFu : (0x10000u - h)) * 0x10001u;
#pragma GCC unroll 4
  for (int32_t q = 0; q < per_byte; q += 2) {
    const uint32_t a = ((v >> (bits * q)) & mask) ^ (h * 0x01010101u);
    const uint32_t b = ((v >> (bits * (q + 1))) & mask) ^ (h * 0x01010101u);
    uint32_t w[4];
    w[0] = tinyml_pkhbt(tinyml_uxtb16(a), tinyml_uxtb16(b));             /* byte 0's fields q, q + 1 */
    w[1] = tinyml_pkhbt(tinyml_uxtb16_ror8(a), tinyml_uxtb16_ror8(b));   /* byte 1's */
    w[2] = tinyml_pkhtb(tinyml_uxtb16(b), tinyml_uxtb16(a));             /* byte 2's */
    w[3] = tinyml_pkhtb(tinyml_uxtb16_ror8(b), tinyml_uxtb16_ror8(a));   /* byte 3's */
#pragma GCC unroll 4
    for (int32_t k = 0; k < 4; ++k) {
      uint32_t x = bits == 1 ? tinyml_sadd16(w[k], w[k]) : w[k];
      x = tinyml_sadd16(x, minus);
      dst[(k * per_byte + q) >> 1] = scale == 2 ? tinyml_sadd16(x, x) : x;
    }
  }
}

/* The packed words at src, `scale` 1 or 2 a constant in each copy. */
TINYML_DSP_INLINE void stem_decode_bits(const uint32_t *src, int32_t words, uint32_t *dst, const int32_t scale,
                                        const int32_t bits) {
  for (int32_t j = 0; j < words; ++j) {
    stem_decode_word(src[j], dst, scale, bits);
    dst += 16 / bits;
  }
}

/* One width's decoder, both scales (a constant each), out of line: a model links only the widths it uses. */
#define STEM_DECODE_FN(name, BITS)                                                                          \
  static __attribute__((noinline)) void name(const uint32_t *packed, int32_t words, int32_t scale, int16_t *out) { \
    uint32_t *dst = (uint32_t *)(void *)out;                                                                \
    if (scale == 2) {                                                                                       \
      stem_decode_bits(packed, words, dst, 2, BITS);                                                        \
    } else {                                                                                                \
      stem_decode_bits(packed, words, dst, 1, BITS);                                                        \
    }                                                                                                       \
  }
STEM_DECODE_FN(stem_decode4, 4)
STEM_DECODE_FN(stem_decode2, 2)
STEM_DECODE_FN(stem_decode1, 1)
#undef STEM_DECODE_FN

/* out is 16-byte aligned scratch or a word array: halfword pairs are written as words. */
void tinyml_conv2d_stem_dsp_decode(const uint32_t *packed, int32_t words, int32_t bits, int32_t scale, int16_t *out) {
  (bits == 4 ? stem_decode4 : bits == 2 ? stem_decode2 : stem_decode1)(packed, words, scale, out);
}

/* The layout on the stack frame when it fits, else at the scratch's start; then the int8 kernel. */
TINYML_DSP_INLINE void stem_sb_run(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                   int32_t words, int32_t scale, int8_t *output, void *scratch, const int32_t bits,
                                   void (*decode)(const uint32_t *, int32_t, int32_t, int16_t *)) {
  /* Words, for the kernel's LDRD (word-aligned); the scratch is 16-byte aligned. */
  uint32_t frame[TINYML_CONV2D_STEM_SB_STACK_BYTES / 4];
  const int32_t bytes = words * (32 / bits) * 2;
  const int32_t on_stack = bytes <= TINYML_CONV2D_STEM_SB_STACK_BYTES;
  int16_t *decoded = on_stack ? (int16_t *)(void *)frame : (int16_t *)scratch;
  decode(packed, words, scale, decoded);
  tinyml_conv2d_s8_stem_dsp(p, input, decoded, output, on_stack ? scratch : (void *)((int8_t *)scratch + bytes));
}

void tinyml_conv2d_s8_stem_dsp_sb4(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                   int32_t words, int32_t scale, int8_t *output, void *scratch) {
  stem_sb_run(p, input, packed, words, scale, output, scratch, 4, stem_decode4);
}

void tinyml_conv2d_s8_stem_dsp_sb2(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                   int32_t words, int32_t scale, int8_t *output, void *scratch) {
  stem_sb_run(p, input, packed, words, scale, output, scratch, 2, stem_decode2);
}

void tinyml_conv2d_s8_stem_dsp_sb1(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                   int32_t words, int32_t scale, int8_t *output, void *scratch) {
  stem_sb_run(p, input, packed, words, scale, output, scratch, 1, stem_decode1);
}

/*
 * Clustered weights (4-bit indices into one table of at most 16 int8 entries): the table scaled
 * into 16 halfwords once, then each index byte (two fields, low first) gives one word of the
 * layout, two loads from that small table; the layout goes on the stack frame or at the
 * scratch's start by the sub-byte rule (same size as sb4's), then the int8 kernel.
 */
void tinyml_conv2d_s8_stem_dsp_lut4(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                    int32_t words, const int8_t *table, int32_t scale, int8_t *output, void *scratch) {
  uint32_t frame[TINYML_CONV2D_STEM_SB_STACK_BYTES / 4];
  uint32_t level[16];
  const int32_t bytes = words * 16;
  const int32_t on_stack = bytes <= TINYML_CONV2D_STEM_SB_STACK_BYTES;
  uint32_t *dst = on_stack ? frame : (uint32_t *)scratch;
  /* No scratch: the kernel's own columns fit the frame after the layout (the generator checked),
   * so the layer takes no arena bytes at all (VWW's stem, at the arena's peak). */
  if (scratch == 0) scratch = (void *)(frame + bytes / 4);
  /* Low halfword of each entry; a word table so that no index needs a halfword load and mask. */
  for (int32_t i = 0; i < 16; ++i) level[i] = (uint32_t)(table[i] * scale) & 0xFFFFu;
  const uint8_t *idx = (const uint8_t *)packed;
  for (int32_t j = 0; j < words * 4; ++j) {
    const uint32_t b = idx[j];
    dst[j] = level[b & 15u] | (level[b >> 4] << 16);
  }
  tinyml_conv2d_s8_stem_dsp(p, input, (const int16_t *)(const void *)dst, output,
                            on_stack ? scratch : (void *)((int8_t *)scratch + bytes));
}
