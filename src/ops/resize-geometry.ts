/**
 * What RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR share: their two attributes, the constant
 * size operand (TFLite Micro needs it constant too), and the NHWC geometry it gives.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import type { OpContext } from './op-def.js';
import type { RawOptions, TfliteFieldValues } from './tflite-options.js';

export interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** Both options tables name the two flags alike (at different field ids). */
export function readResizeAttrs(v: RawOptions): ResizeAttrs {
  return { alignCorners: v.bool('align_corners'), halfPixelCenters: v.bool('half_pixel_centers') };
}

export function writeResizeAttrs(a: ResizeAttrs): TfliteFieldValues {
  return { align_corners: a.alignCorners, half_pixel_centers: a.halfPixelCenters };
}

/** The 4-D input and the constant output height and width. */
export function resizeOperands(ctx: OpContext<'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'>): { input: Tensor; height: number; width: number } {
  const where = describeOp(ctx.graph, ctx.op);
  const type = ctx.op.type;
  if (ctx.inputs.length !== 2 || !ctx.inputs[0] || !ctx.inputs[1]) {
    throw new GraphError(`${where}: ${type} takes an input and a size tensor, got ${ctx.inputs.length} inputs`);
  }
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: ${type} has one output, got ${ctx.outputs.length}`);
  const [input, size] = ctx.inputs as Tensor[];
  if (input.shape.length !== 4) throw new GraphError(`${where}: input must be 4-D NHWC, got [${input.shape.join(', ')}]`);
  if (size.shape.length !== 1 || size.shape[0] !== 2 || size.dtype !== 'int32') {
    throw new GraphError(`${where}: size must be an int32 tensor of shape [2], got ${size.dtype} [${size.shape.join(', ')}]`);
  }
  if (!(size.data instanceof Int32Array)) {
    throw new UnsupportedOpError(`${where}: the size tensor '${size.name}' is computed at run time; tinyml (like TFLite Micro) needs a constant size`);
  }
  const [height, width] = size.data;
  if (height < 1 || width < 1) throw new GraphError(`${where}: output size ${height}x${width} must be positive`);
  return { input, height, width };
}

export function inferResizeShape(ctx: OpContext<'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'>): number[][] {
  const { input, height, width } = resizeOperands(ctx);
  return [[input.shape[0], height, width, input.shape[3]]];
}

export interface ResizeGeometry {
  batches: number;
  inHeight: number;
  inWidth: number;
  depth: number;
  outHeight: number;
  outWidth: number;
}

/**
 * The geometry of a resize whose input and output share one of the `kinds` (`supported` says
 * which in the error), with the output shape checked against the size.
 */
export function resizeGeometry<K extends string>(
  ctx: OpContext<'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'>,
  input: Tensor,
  height: number,
  width: number,
  kinds: readonly K[],
  supported: string,
): ResizeGeometry & { kind: K } {
  const where = describeOp(ctx.graph, ctx.op);
  const output = ctx.outputs[0];
  if (input.dtype !== output.dtype || !(kinds as readonly string[]).includes(input.dtype)) {
    throw new UnsupportedOpError(`${where}: ${ctx.op.type} with input ${input.dtype} and output ${output.dtype} is not supported (${supported})`);
  }
  const [batches, inHeight, inWidth, depth] = input.shape;
  const expected = [batches, height, width, depth];
  if (output.shape.length !== 4 || output.shape.some((d, i) => d !== expected[i])) {
    throw new GraphError(`${where}: output is [${output.shape.join(', ')}] but resizing gives [${expected.join(', ')}]`);
  }
  return { kind: input.dtype as K, batches, inHeight, inWidth, depth, outHeight: height, outWidth: width };
}
