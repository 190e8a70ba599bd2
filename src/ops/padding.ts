/**
 * Window geometry of the conv-like and pooling layers as TFLite computes it: the output size of a
 * SAME or VALID window (ComputeOutSize) and the leading padding plus its odd remainder
 * (ComputePaddingWithOffset).
 */
import { GraphError } from '../errors.js';
import type { Padding } from '../ir/attrs.js';
import type { Tensor } from '../ir/types.js';
import type { OpContext } from './op-def.js';
import { checkArity, checkBias, opLabel, requireRank, type WindowFields } from './layer-params.js';

/**
 * Output size and padding of one spatial axis, as TFLite's ComputePaddingHeightWidth does it:
 * ComputeOutSize (GetWindowedOutputSize; throws when the window does not fit), then
 * ComputePaddingWithOffset (the leading padding, floor of half the total, and the odd remainder
 * that goes to the trailing side).
 */
export function windowAxis(
  ctx: OpContext,
  padding: Padding,
  inSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
): { out: number; pad: number; offset: number } {
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
  const total = Math.max(0, (out - 1) * stride + effective - inSize);
  return { out, pad: Math.trunc(total / 2), offset: total % 2 };
}

/** The attributes a forward window (CONV_2D, DEPTHWISE_CONV_2D) is laid out by. */
export interface ForwardWindowAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
}

export interface ForwardWindowOperands {
  input: Tensor;
  filter: Tensor;
  bias: Tensor | undefined;
}

/** CONV_2D's and DEPTHWISE_CONV_2D's operands: a 4-D NHWC input, 4-D weights, an optional bias. */
export function forwardWindowOperands(ctx: OpContext): ForwardWindowOperands {
  checkArity(ctx, 2, 3);
  const [input, filter, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  requireRank(ctx, input, 4, 'input');
  requireRank(ctx, filter, 4, 'weights');
  return { input, filter, bias };
}

/**
 * The window fields of a forward window over the input, for `outputDepth` channels of weights
 * whose dimensions 1 and 2 are the window's height and width (OHWI and 1HWC alike): the bias
 * checked, and both axes' output size and padding from the attributes.
 */
export function forwardWindow(
  ctx: OpContext,
  { input, filter, bias }: ForwardWindowOperands,
  outputDepth: number,
  a: ForwardWindowAttrs,
): WindowFields & { dilationHeight: number; dilationWidth: number } {
  const [batches, inH, inW, inC] = input.shape;
  const [, fH, fW] = filter.shape;
  checkBias(ctx, bias, outputDepth);
  const h = windowAxis(ctx, a.padding, inH, fH, a.strideH, a.dilationH);
  const w = windowAxis(ctx, a.padding, inW, fW, a.strideW, a.dilationW);
  return {
    batches,
    inputHeight: inH,
    inputWidth: inW,
    inputDepth: inC,
    filterHeight: fH,
    filterWidth: fW,
    outputHeight: h.out,
    outputWidth: w.out,
    outputDepth,
    strideHeight: a.strideH,
    strideWidth: a.strideW,
    dilationHeight: a.dilationH,
    dilationWidth: a.dilationW,
    padHeight: h.pad,
    padWidth: w.pad,
    padHeightOffset: h.offset,
    padWidthOffset: w.offset,
    hasBias: bias !== undefined,
  };
}
