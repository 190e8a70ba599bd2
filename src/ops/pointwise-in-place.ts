/**
 * In-place pointwise (1x1) convolution on the Cortex-M DSP kernel (issue #20): arm/conv2d_dsp.c's
 * `conv_run` copies each block of up to four input pixels into its column scratch before it
 * writes those pixels' outputs, and walks the pixels in order. When an output pixel is no wider
 * than an input pixel (output depth <= input depth), the outputs of pixels 0..n-1 end at or before
 * input pixel n, so writing them never overwrites an input pixel still to be read: the output can
 * share the input's buffer (same offset) with no change to the kernel and no extra instruction.
 */
import type { Conv2DParams } from './conv2d.js';

/** Whether the DSP convolution may write this layer's output over its input (see the file comment). */
export function pointwiseInPlaceOk(p: Conv2DParams): boolean {
  return pointwiseShape(p) && p.outputDepth <= p.inputDepth;
}

/**
 * Whether a pointwise layer that widens its input runs in place from the same start, in runs of
 * pixels from the last down (tinyml_conv2d_s8_dsp_in_place_expand): each run's output lies past
 * its own input (or the run is one pixel, read whole before it is written) and past every
 * earlier pixel's input, so the buffer is the output's size (VWW's 24x24x16 -> 24x24x32).
 */
export function pointwiseExpandInPlaceOk(p: Conv2DParams): boolean {
  return pointwiseShape(p) && p.outputDepth > p.inputDepth;
}

/** Runs [s, e) of pixels the expanding driver calls the kernel on, in its order (for its cost). */
export function pointwiseExpandRuns(p: Conv2DParams): { s: number; e: number }[] {
  const runs: { s: number; e: number }[] = [];
  for (let e = p.inputHeight * p.inputWidth; e > 0; ) {
    const s = Math.min(e - 1, Math.ceil((p.inputDepth * e) / p.outputDepth));
    runs.push({ s, e });
    e = s;
  }
  return runs;
}

/** A 1x1, stride-1, unpadded int8 convolution of one batch (either rule's shape). */
function pointwiseShape(p: Conv2DParams): boolean {
  return (
    p.kind === 'int8' &&
    p.batches === 1 &&
    p.groups === 1 &&
    p.filterHeight === 1 &&
    p.filterWidth === 1 &&
    p.strideHeight === 1 &&
    p.strideWidth === 1 &&
    p.padHeight === 0 &&
    p.padWidth === 0 &&
    p.outputHeight === p.inputHeight &&
    p.outputWidth === p.inputWidth
  );
}
