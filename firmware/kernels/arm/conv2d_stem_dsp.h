/*
 * conv2d_stem_dsp.h - CONV_2D (int8, groups 1) with few input channels (1 to 3), and
 * DEPTHWISE_CONV_2D with input depth 1 (a convolution with depth_multiplier outputs), for cores
 * with the DSP extension: the first layer of most models (issue #20).
 *
 * With 1-3 input channels and 8-16 output channels the generic kernel's im2col costs as much as
 * its multiplies, and its 4-pixel x 1-channel blocking pays a requantization setup per channel
 * for few MACs. Here each output pixel's window is expanded once into an int16 column that every
 * output channel reads, and the dot product runs two pixels x four channels in registers (eight
 * accumulators, one LDRD of two column words and two LDRDs of four weight words per step of two
 * K indices), with no loop counter: the steps are unrolled and entered at the layer's length.
 *
 * VWW's first layer exactly (3x3 on three channels, eight channels, stride 2 across, an even output
 * width, FAST_FOLDED without the sign correction, no clamp) runs a routine of its own on the DSP
 * assembly (stem8_run in conv2d_stem8_dsp.c, which the generator lists only for such a layer):
 * both blocks of a pair unrolled, its state on its own stack frame, the weights three words per
 * LDM, the last column word shared by the two pixels, the row's last pair expanded in place when
 * only its second window's third column is over the right edge, whole runs of rows in one call
 * with each row's first filter row taken from the row before's last (a row buffer); same sums,
 * same requantization, same bytes.
 *
 * Same params struct as conv2d_dsp.h; `bias` is per block of four channels the eight words
 * (b0, b0, b1, b1, b2, b2, b3, b3) (doubled in the FAST modes, zero for padding channels), `rq`
 * has one record per channel, padded to whole blocks of four (per_channel is always 1), and `k4`
 * is unused (the kernel derives the column length from the geometry).
 *
 * Column order (the generator's stemColumnOrder): per filter row, each whole word of the row's
 * fw * cin input bytes as the halfword pairs SXTB16 gives, (x0, x2) then (x1, x3); then the rows'
 * remaining 1-3 bytes, all rows', paired in order, the last pair padded with 0 when their count is
 * odd. Weights: int16, per block of four output channels, per column word j the four channels'
 * (w[perm 2j], w[perm 2j + 1]) words (doubled in the FAST modes, zero in padding channels).
 */
#ifndef TINYML_CONV2D_STEM_DSP_H
#define TINYML_CONV2D_STEM_DSP_H

#include <stdint.h>

#include "conv2d_dsp.h"

/*
 * VWW's exact shape's routines (conv2d_stem8_dsp.c): the whole layer, and one pair of
 * tinyml_conv2d_s8_stem_dsp_pair's. conv2d_stem_dsp.c references them weakly and runs them when
 * they are linked: the generator lists that file only for a layer of that shape, so other models
 * do not carry its 4 KB.
 */
void tinyml_conv2d_s8_stem8_layer(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                  int8_t *output);
void tinyml_conv2d_s8_stem8_pair(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                 int32_t oy, int32_t ox, int8_t *out);

/* Longest column (words of two K indices) the unrolled dot product covers. */
#define TINYML_CONV2D_STEM_MAX_WORDS 40

/* Scratch: two interleaved columns of `words` words, then twice fh * fw * cin bytes to gather
 * the two windows when they leave the image (padded with the input zero point). */
#define TINYML_CONV2D_STEM_SCRATCH_BYTES(words, window_bytes) ((words) * 8 + 2 * (window_bytes))

void tinyml_conv2d_s8_stem_dsp(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                               int8_t *output, void *scratch);

/* Most output channels tinyml_conv2d_s8_stem_dsp_pixel takes (its accumulators are on the frame). */
#define TINYML_CONV2D_STEM_PIXEL_MAX_CHANNELS 32

/*
 * One output pixel (oy, ox) of the layer, all its channels into out[0 .. output_depth), with no
 * scratch: the same weights, bias and records as tinyml_conv2d_s8_stem_dsp, the column's
 * halfword pairs built from the input as the dot product needs them (taps outside the image read
 * pad_value), so the sums and the requantization are the kernel's and so are the bytes. Slower
 * (about four times per pixel): for the few pixels of a stem written over its own input before any
 * input bytes are free for the kernel's columns (conv2d_dsp_in_place.h).
 */
void tinyml_conv2d_s8_stem_dsp_pixel(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                     int32_t oy, int32_t ox, int8_t *out);

/*
 * Scratch bytes the tight in-place stem keeps on its stack frame: the kernel's columns and edge
 * windows when they fit (3x3 on three channels: 14 words, 112 + 54 = 166 bytes), so that its
 * kernel rows need no dead input bytes beside their output (stemTightSchedule's STEM_TIGHT_FRAME_BYTES).
 */
#define TINYML_CONV2D_STEM_TIGHT_FRAME_BYTES 168

/* The kernel's scratch bytes for this layer (TINYML_CONV2D_STEM_SCRATCH_BYTES of its shape). */
int32_t tinyml_conv2d_stem_dsp_scratch_bytes(const tinyml_conv2d_dsp_params *p);

/*
 * Output pixels (oy, ox) and (oy, ox + 1), or (oy, ox) alone when it is its row's last, into
 * out[0 .. 2 * output_depth): the kernel's bytes. On the kernel's fast pairs routine where it
 * takes the layer (3x3 on three channels, blocks of four channels, no clamp), with its columns
 * and any edge windows in `scratch` (tinyml_conv2d_stem_dsp_scratch_bytes of them; the tight
 * driver's frame; VWW's shape reads none: its routine keeps both on its own frame), else one pixel
 * at a time as tinyml_conv2d_s8_stem_dsp_pixel (no scratch read, `scratch` may be 0). Both pixels
 * are computed before either is stored: the in-place driver relies on that order.
 */
void tinyml_conv2d_s8_stem_dsp_pair(const tinyml_conv2d_dsp_params *p, const int8_t *input, const int16_t *weights,
                                    int32_t oy, int32_t ox, int8_t *out, void *scratch);

/*
 * Sub-byte stem weights (int4, int2/ternary, binary), kept packed in flash: `words` words of
 * `bits`-bit fields (low bits first, 32 / bits per word), one per halfword of the int16 layout
 * above in its order; int4 and 2-bit fields are two's complement, a 1-bit field is +1 when set
 * and -1 when clear. Writes that layout (each value times `scale`: 2 in the FAST modes) to
 * `out`, words * 16 / bits int16 values, once per call: the int8 stem kernel then runs on them
 * unchanged, so the layer costs its int8 twin's instructions plus three to four per weight.
 */
void tinyml_conv2d_stem_dsp_decode(const uint32_t *packed, int32_t words, int32_t bits, int32_t scale, int16_t *out);

/* Largest decoded layout (bytes) tinyml_conv2d_s8_stem_dsp_sb<bits> keep on their stack frame. */
#define TINYML_CONV2D_STEM_SB_STACK_BYTES 1024

/*
 * A sub-byte stem of `bits`-bit fields (sb4: int4; sb2: int2 and ternary; sb1: binary; one entry
 * point each, so that a model links only its widths' decoders): its `words` packed words decoded
 * (tinyml_conv2d_stem_dsp_decode, times `scale`), then the
 * int8 kernel on them. A layout of at most TINYML_CONV2D_STEM_SB_STACK_BYTES (VWW's 448, a
 * Fashion-MNIST-sized 640) is decoded into the stack frame and `scratch` is the int8 layer's: a
 * stem's input, output and scratch are often the model's largest live set (VWW's 96x96x3 image
 * and 48x48x8 output), so the arena does not grow. A larger one (KWS's 5,120 bytes) goes to the
 * start of `scratch`, the int8 layer's scratch after it.
 */
void tinyml_conv2d_s8_stem_dsp_sb4(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                   int32_t words, int32_t scale, int8_t *output, void *scratch);
void tinyml_conv2d_s8_stem_dsp_sb2(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                   int32_t words, int32_t scale, int8_t *output, void *scratch);
void tinyml_conv2d_s8_stem_dsp_sb1(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                   int32_t words, int32_t scale, int8_t *output, void *scratch);

/*
 * A stem with clustered weights (4-bit indices into `table`, 16 int8 entries, unused ones
 * anything): `words` words of 4-bit fields, one per halfword of the int16 layout above in its
 * order (low field first), each decoded to table[index] * scale (2 in the FAST modes) once per
 * call, on the stack frame or at the start of `scratch` by the rule of the sub-byte twins (the
 * layout is sb4's size); then the int8 kernel on it. With `scratch` NULL the kernel's own scratch
 * goes on the frame after the layout too (the caller checked that both fit
 * TINYML_CONV2D_STEM_SB_STACK_BYTES).
 */
void tinyml_conv2d_s8_stem_dsp_lut4(const tinyml_conv2d_dsp_params *p, const int8_t *input, const uint32_t *packed,
                                    int32_t words, const int8_t *table, int32_t scale, int8_t *output, void *scratch);

#endif /* TINYML_CONV2D_STEM_DSP_H */
