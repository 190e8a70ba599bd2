/**
 * Window geometry of the conv-like and pooling layers as TFLite computes it: the output size of a
 * SAME or VALID window (ComputeOutSize) and the leading padding plus its odd remainder
 * (ComputePaddingWithOffset).
 */
import { GraphError } from '../errors.js';
import type { Padding } from '../ir/attrs.js';
import type { OpContext } from './op-def.js';
import { opLabel } from './layer-params.js';

/** TFLite ComputeOutSize (GetWindowedOutputSize); throws when the window does not fit. */
export function computeOutSize(
  ctx: OpContext,
  padding: Padding,
  inSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
): number {
  if (!(stride > 0 && dilation > 0 && filterSize > 0)) {
    throw new GraphError(`${opLabel(ctx)}: stride (${stride}), dilation (${dilation}) and filter size (${filterSize}) must be positive`);
  }
  const effective = (filterSize - 1) * dilation + 1;
  const out = padding === 'SAME' ? Math.trunc((inSize + stride - 1) / stride) : Math.trunc((inSize + stride - effective) / stride);
  if (out <= 0) {
    throw new GraphError(
      `${opLabel(ctx)}: ${padding} window of ${filterSize} (dilation ${dilation}, stride ${stride}) produces no output from input size ${inSize}`,
    );
  }
  return out;
}

/**
 * TFLite ComputePaddingWithOffset: the leading padding (floor of half the total) and the odd
 * remainder that goes to the trailing side.
 */
export function computePaddingWithOffset(
  stride: number,
  dilation: number,
  inSize: number,
  filterSize: number,
  outSize: number,
): { pad: number; offset: number } {
  const effective = (filterSize - 1) * dilation + 1;
  const total = Math.max(0, (outSize - 1) * stride + effective - inSize);
  return { pad: Math.trunc(total / 2), offset: total % 2 };
}

/** Output size and padding of one spatial axis, as TFLite's ComputePaddingHeightWidth does it. */
export function windowAxis(
  ctx: OpContext,
  padding: Padding,
  inSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
): { out: number; pad: number; offset: number } {
  const out = computeOutSize(ctx, padding, inSize, filterSize, stride, dilation);
  return { out, ...computePaddingWithOffset(stride, dilation, inSize, filterSize, out) };
}
