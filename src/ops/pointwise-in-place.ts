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
    p.outputWidth === p.inputWidth &&
    p.outputDepth <= p.inputDepth
  );
}
