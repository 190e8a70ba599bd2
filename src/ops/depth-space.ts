/**
 * DEPTH_TO_SPACE and SPACE_TO_DEPTH on 4-D NHWC tensors, as TFLite Micro's reference kernels do
 * them for int8 and float32 (pure data movement: the output keeps the input's quantization).
 * Both are one axis permutation of a 6-D view of the input, so they plan a transpose:
 * DEPTH_TO_SPACE views [n, h, w, c] as [n, h, w, b, b, c/b²] and SPACE_TO_DEPTH views
 * [n, h, w, c] as [n, h/b, b, w/b, b, c]; swapping axes 2 and 3 gives the output in both cases.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import { describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import { type TfliteOptions, versionByInput } from './tflite-options.js';
import { type TransposeKind, type TransposeParams, emitTranspose, transposeParams, transposeWalk } from './transpose.js';
import type { TensorData } from '../ir/types.js';

export interface BlockSizeAttrs {
  blockSize: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    DEPTH_TO_SPACE: BlockSizeAttrs;
    SPACE_TO_DEPTH: BlockSizeAttrs;
  }
}

type DepthSpaceOp = 'DEPTH_TO_SPACE' | 'SPACE_TO_DEPTH';

/** The 6-D view of the input each op permutes with SWAP_2_3 (see the file comment). */
const SWAP_2_3 = [0, 1, 3, 2, 4, 5];

/** DepthToSpaceOptions / SpaceToDepthOptions: 0 block_size. */
function blockSizeOptions(table: string, unionType: number): TfliteOptions<BlockSizeAttrs> {
  return {
    table,
    unionType,
    fields: [{ id: 0, name: 'block_size', kind: 'i32' }],
    read: (v, c) => ({ blockSize: c.positive(v.num('block_size'), 'block_size') }),
    write: (a, c) => ({ block_size: c.int('blockSize', a.blockSize) }),
  };
}

/** Validated input shape, block size, the 6-D view and the output shape. */
function resolve(ctx: OpContext<DepthSpaceOp>): { view: number[]; out: number[] } {
  const what = describeOp(ctx.graph, ctx.op);
  const input = ctx.inputs[0];
  if (ctx.inputs.length !== 1 || !input || ctx.outputs.length !== 1) {
    throw new GraphError(`${what}: ${ctx.op.type} has one input and one output, got ${ctx.inputs.length} input(s) and ${ctx.outputs.length} output(s)`);
  }
  if (input.shape.length !== 4) throw new UnsupportedOpError(`${what}: ${ctx.op.type} needs a 4-D NHWC input (as TFLite Micro), got [${input.shape.join(', ')}]`);
  const b = ctx.op.attrs.blockSize;
  if (!Number.isInteger(b) || b < 1) throw new GraphError(`${what}: block size must be a positive integer, got ${b}`);
  const [n, h, w, c] = input.shape;
  if (ctx.op.type === 'DEPTH_TO_SPACE') {
    if (c % (b * b) !== 0) throw new GraphError(`${what}: input depth ${c} is not a multiple of block size² (${b}² = ${b * b})`);
    return { view: [n, h, w, b, b, c / (b * b)], out: [n, h * b, w * b, c / (b * b)] };
  }
  if (h % b !== 0 || w % b !== 0) throw new GraphError(`${what}: input height ${h} and width ${w} must be multiples of the block size ${b}`);
  return { view: [n, h / b, b, w / b, b, c], out: [n, h / b, w / b, c * b * b] };
}

function prepareDepthSpace(ctx: OpContext<DepthSpaceOp>): TransposeParams {
  const what = describeOp(ctx.graph, ctx.op);
  const { view, out } = resolve(ctx);
  const input = ctx.inputs[0]!;
  const output = ctx.outputs[0];
  if (input.dtype !== output.dtype || (input.dtype !== 'int8' && input.dtype !== 'float32')) {
    throw new UnsupportedOpError(`${what}: ${ctx.op.type} of ${input.dtype} to ${output.dtype} is not supported (TFLite Micro: int8 or float32, same on both sides)`);
  }
  if (output.shape.length !== 4 || output.shape.some((d, i) => d !== out[i])) {
    throw new GraphError(`${what}: output is [${output.shape.join(', ')}] but block size ${ctx.op.attrs.blockSize} on [${input.shape.join(', ')}] gives [${out.join(', ')}]`);
  }
  return transposeParams(input.dtype as TransposeKind, view, SWAP_2_3);
}

function depthSpaceDef<T extends DepthSpaceOp>(type: T, table: string, unionType: number): OpDef<T, TransposeParams> {
  return {
    type,
    // op_version.cc: 2 for int8, 1 otherwise.
    tflite: { options: blockSizeOptions(table, unionType), version: versionByInput(1, 2) },
    quant: { sameQParams: 'first', followsInputPrecision: true },
    inferShapes: (ctx) => [resolve(ctx).out],
    macs: () => 0,
    prepare: prepareDepthSpace,
    evaluate: (p, inputs, outputs) => transposeWalk(p, inputs[0] as TensorData, outputs[0] as TensorData),
    emitC: (p, names, ctx) => emitTranspose(type, p, names, ctx),
  };
}

export const depthToSpace = depthSpaceDef('DEPTH_TO_SPACE', 'DepthToSpaceOptions', 94);
export const spaceToDepth = depthSpaceDef('SPACE_TO_DEPTH', 'SpaceToDepthOptions', 19);
