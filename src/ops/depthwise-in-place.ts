/**
 * In-place depthwise convolution (as MIT's TinyEngine does): the output overwrites the input, and
 * the kernel keeps the few input rows its window still needs in a small row buffer (planned
 * scratch) instead of needing a second tensor. Both C kernels (depthwise_conv2d.c's
 * `_in_place` and arm/depthwise_conv2d_dsp.c) read each input row once, in order, into that
 * buffer: output row `oy` is written after the rows up to `oy * stride - pad + kh - 1` are read.
 * The layer can run in place when no output row overwrites an input row that is still to be read.
 */
import type { DepthwiseConv2DParams } from './depthwise-conv2d.js';

/**
 * Whether the kernels may write this layer's output over its input: int8, one batch, dilation 1
 * along the height, a stride no larger than the filter height (so every input row is read once),
 * and for every output row but the last, the bytes written so far cover only input rows already
 * read (stride 1 same or valid padding and stride 2 satisfy this; a depth multiplier above 1
 * usually does not, its output rows being wider than the input rows).
 */
export function depthwiseInPlaceOk(p: DepthwiseConv2DParams): boolean {
  if (p.kind !== 'int8' || p.batches !== 1 || p.dilationHeight !== 1 || p.strideHeight > p.filterHeight) return false;
  if (p.weightsOffset !== 0) return false;
  const inRow = p.inputWidth * p.inputDepth;
  const outRow = p.outputWidth * p.outputDepth;
  for (let oy = 0; oy < p.outputHeight - 1; oy++) {
    const lastRead = Math.min(p.inputHeight - 1, oy * p.strideHeight - p.padHeight + p.filterHeight - 1);
    const lastOverwritten = Math.min(p.inputHeight - 1, Math.floor(((oy + 1) * outRow - 1) / inRow));
    if (lastOverwritten > lastRead) return false;
  }
  return true;
}

/** Scratch of the portable in-place kernel: filter_height unpadded input rows. */
export function depthwiseInPlaceRowBytes(p: DepthwiseConv2DParams): number {
  return p.filterHeight * p.inputWidth * p.inputDepth;
}
