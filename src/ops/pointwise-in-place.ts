/**
 * In-place pointwise (1x1) convolution on the Cortex-M DSP kernel (issue #20): arm/conv2d_dsp.c's
 * `conv_run` copies each block of up to four input pixels into its column scratch before it
 * writes those pixels' outputs, and walks the pixels in order. When an output pixel is no wider
 * than an input pixel (output depth <= input depth), the outputs of pixels 0..n-1 end at or before
 * input pixel n, so writing them never overwrites an input pixel still to be read: the output can
 * share the input's buffer (same offset) with no change to the kernel and no extra instruction.
 */
import { isUnitWindow, type Conv2DParams } from './conv2d.js';

/** Whether the DSP convolution may write this layer's output over its input (see the file comment). */
export function pointwiseInPlaceOk(p: Conv2DParams): boolean {
  return pointwiseShape(p) && p.outputDepth <= p.inputDepth;
}

/**
 * Whether a pointwise layer that widens its input runs in place from the same start, its blocks
 * of pixels from the last down (tinyml_conv2d_s8_dsp_in_place_expand, one kernel call with
 * `descending` set): a block's outputs cover only its own inputs (in the kernel's columns before
 * any output is written) and those of the blocks after it, already done, so the buffer is the
 * output's size (VWW's 24x24x16 -> 24x24x32).
 */
export function pointwiseExpandInPlaceOk(p: Conv2DParams): boolean {
  return pointwiseShape(p) && p.outputDepth > p.inputDepth;
}

/**
 * Runs [s, e) of pixels the expanding driver calls the kernel on, in its order (for its cost):
 * one, every pixel, since the kernel walks them from the last down (before, runs in order from
 * the last one down, each ending before its output started: 11 on VWW's layer).
 */
export function pointwiseExpandRuns(p: Conv2DParams): { s: number; e: number }[] {
  return [{ s: 0, e: p.inputHeight * p.inputWidth }];
}

/** A 1x1, stride-1, unpadded int8 convolution of one batch (either rule's shape). */
function pointwiseShape(p: Conv2DParams): boolean {
  return (
    p.kind === 'int8' &&
    p.batches === 1 &&
    p.groups === 1 &&
    isUnitWindow(p) &&
    p.outputHeight === p.inputHeight &&
    p.outputWidth === p.inputWidth
  );
}
