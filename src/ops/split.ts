/**
 * SPLIT, SPLIT_V and UNPACK: one input cut along one axis into several outputs, as TFLite
 * Micro's split.cc, split_v.cc and unpack.cc do it: plain copies for any element type, with no
 * requantization (TFLite Micro checks no scales: the bytes move unchanged, and the converter
 * gives every output the input's quantization).
 *
 * With the axis fixed, the input is `outerSize` slabs, each holding, for every output in order,
 * that output's extent along the axis times the inner size. SPLIT cuts the axis into equal parts,
 * SPLIT_V into the sizes of its `size_splits` input (one of them may be -1: the rest), and UNPACK
 * into parts of extent 1 that drop the axis; all three are the same copy loop, the inverse of
 * CONCATENATION's, and run the same C kernel.
 *
 * TFLite Micro needs the axis (and SPLIT_V's sizes) constant: output shapes are fixed at
 * allocation.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { DType, Graph, Op, Tensor, TensorData } from '../ir/types.js';
import { DTYPE_BYTES, describeOp } from '../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { dtypeOf } from './tflite-options.js';

export type SplitKind = 'int8' | 'int16' | 'int32' | 'float32';
/** The element types TFLite Micro's three kernels take. */
const KINDS: readonly DType[] = ['int8', 'int16', 'int32', 'float32'];

export interface SplitParams {
  kind: SplitKind;
  elementBytes: number;
  /** Non-negative axis. */
  axis: number;
  /** Product of the input dims before the axis. */
  outerSize: number;
  /** Per output: elements it takes per outer step (its axis extent * the inner size). */
  copySizes: number[];
}

/** SPLIT: `numSplits` equal parts along the axis given by input 0 (a constant). */
export interface SplitAttrs {
  numSplits: number;
}

/** UNPACK: `num` outputs, one per position along `axis`, which they drop. */
export interface UnpackAttrs {
  num: number;
  axis: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    SPLIT: SplitAttrs;
    SPLIT_V: SplitAttrs;
    UNPACK: UnpackAttrs;
  }
}

type SplitOp = 'SPLIT' | 'SPLIT_V' | 'UNPACK';

function present(ctx: OpContext, i: number): Tensor {
  const t = ctx.inputs[i];
  if (!t) throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: input ${i} is missing`);
  return t;
}

/** The integer values of a constant int32/int64 tensor; UnsupportedOpError when not constant. */
function constInts(ctx: OpContext, t: Tensor, what: string): number[] {
  const d = t.data;
  if (d instanceof Int32Array) return Array.from(d);
  if (d instanceof BigInt64Array) return Array.from(d, (v) => Number(v));
  throw new UnsupportedOpError(
    `${describeOp(ctx.graph, ctx.op)}: ${what} '${t.name}' must be a constant int32 tensor (TFLite Micro fixes output shapes when it allocates)`,
  );
}

/** A validated, non-negative axis for a rank-`rank` input. */
function normalizeAxis(ctx: OpContext, value: number, rank: number): number {
  const axis = value < 0 ? value + rank : value;
  if (!(Number.isInteger(axis) && axis >= 0 && axis < rank)) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: axis ${value} is out of range for a ${rank}-D input`);
  }
  return axis;
}

function singleAxis(ctx: OpContext, t: Tensor): number {
  const v = constInts(ctx, t, 'the axis');
  if (v.length !== 1) throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: the axis '${t.name}' has ${v.length} values; it must hold one`);
  return v[0];
}

/** The data input, the axis and each output's extent along it (UNPACK: 1 each, axis dropped). */
interface Cut {
  input: Tensor;
  axis: number;
  extents: number[];
  dropAxis: boolean;
}

function resolve(ctx: OpContext<SplitOp>): Cut {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  if (ctx.outputs.length < 1) throw new GraphError(`${where}: ${op.type} has no outputs`);
  if (op.type === 'SPLIT') {
    if (ctx.inputs.length !== 2) throw new GraphError(`${where}: SPLIT takes an axis and an input, got ${ctx.inputs.length} inputs`);
    const input = present(ctx, 1);
    const axis = normalizeAxis(ctx, singleAxis(ctx, present(ctx, 0)), input.shape.length);
    const n = (op.attrs as SplitAttrs).numSplits;
    if (n !== ctx.outputs.length) throw new GraphError(`${where}: SPLIT has num_splits ${n} but ${ctx.outputs.length} outputs`);
    const dim = input.shape[axis];
    if (dim % n !== 0) throw new GraphError(`${where}: axis ${axis} of [${input.shape.join(', ')}] (${dim}) does not split into ${n} equal parts`);
    return { input, axis, extents: new Array<number>(n).fill(dim / n), dropAxis: false };
  }
  if (op.type === 'SPLIT_V') {
    if (ctx.inputs.length !== 3) throw new GraphError(`${where}: SPLIT_V takes an input, the sizes and an axis, got ${ctx.inputs.length} inputs`);
    const input = present(ctx, 0);
    const axis = normalizeAxis(ctx, singleAxis(ctx, present(ctx, 2)), input.shape.length);
    const sizes = constInts(ctx, present(ctx, 1), 'size_splits');
    const n = (op.attrs as SplitAttrs).numSplits;
    if (sizes.length !== ctx.outputs.length || n !== ctx.outputs.length) {
      throw new GraphError(`${where}: SPLIT_V has num_splits ${n} and ${sizes.length} sizes but ${ctx.outputs.length} outputs`);
    }
    const dim = input.shape[axis];
    const unknown = sizes.filter((s) => s === -1).length;
    const known = sizes.filter((s) => s !== -1);
    const sum = known.reduce((a, b) => a + b, 0);
    if (unknown > 1 || known.some((s) => s < 0) || (unknown === 0 ? sum !== dim : sum > dim)) {
      throw new GraphError(`${where}: size_splits [${sizes.join(', ')}] do not cut axis ${axis} of [${input.shape.join(', ')}] (${dim}); at most one may be -1`);
    }
    return { input, axis, extents: sizes.map((s) => (s === -1 ? dim - sum : s)), dropAxis: false };
  }
  if (ctx.inputs.length !== 1) throw new GraphError(`${where}: UNPACK takes one input, got ${ctx.inputs.length}`);
  const input = present(ctx, 0);
  const { num, axis: a } = op.attrs as UnpackAttrs;
  const axis = normalizeAxis(ctx, a, input.shape.length);
  if (input.shape[axis] !== num || num !== ctx.outputs.length) {
    throw new GraphError(`${where}: UNPACK has num ${num} and ${ctx.outputs.length} outputs but axis ${axis} of [${input.shape.join(', ')}] is ${input.shape[axis]}`);
  }
  return { input, axis, extents: new Array<number>(num).fill(1), dropAxis: true };
}

function outputShapes(cut: Cut): number[][] {
  const s = cut.input.shape;
  return cut.extents.map((e) => (cut.dropAxis ? [...s.slice(0, cut.axis), ...s.slice(cut.axis + 1)] : [...s.slice(0, cut.axis), e, ...s.slice(cut.axis + 1)]));
}

function prepareSplit(ctx: OpContext<SplitOp>): SplitParams {
  const cut = resolve(ctx);
  const where = describeOp(ctx.graph, ctx.op);
  const { input, axis } = cut;
  if (!KINDS.includes(input.dtype) || ctx.outputs.some((t) => t.dtype !== input.dtype)) {
    throw new UnsupportedOpError(
      `${where}: ${ctx.op.type} of ${input.dtype} into ${ctx.outputs.map((t) => t.dtype).join(', ')} is not supported (input and outputs must share one of ${KINDS.join(', ')})`,
    );
  }
  const shapes = outputShapes(cut);
  ctx.outputs.forEach((t, i) => {
    if (t.shape.length !== shapes[i].length || t.shape.some((d, j) => d !== shapes[i][j])) {
      throw new GraphError(`${where}: output ${i} is [${t.shape.join(', ')}] but cutting the input gives [${shapes[i].join(', ')}]`);
    }
  });
  const outerSize = input.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const innerSize = input.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return {
    kind: input.dtype as SplitKind,
    elementBytes: DTYPE_BYTES[input.dtype],
    axis,
    outerSize,
    copySizes: cut.extents.map((e) => e * innerSize),
  };
}

/** The reference loop of split.cc / split_v.cc / unpack.cc: per outer step, each output's slab in turn. */
function evaluateSplit(p: SplitParams, inputs: (TensorData | undefined)[], outputs: TensorData[], dataInput: number): void {
  const src = inputs[dataInput] as Int8Array;
  const dsts = outputs as Int8Array[];
  let at = 0;
  for (let k = 0; k < p.outerSize; k++) {
    p.copySizes.forEach((n, i) => {
      dsts[i].set(src.subarray(at, at + n), k * n);
      at += n;
    });
  }
}

function emitSplit(type: SplitOp, p: SplitParams, names: EmitNames, ctx: EmitContext, dataInput: number): CEmission {
  const pre = ctx.prefix;
  const n = p.copySizes.length;
  const input = names.inputs[dataInput];
  if (!input) throw new GraphError(`${type} (${pre}): the data input has no C name`);
  const bytes = p.copySizes.map((s) => `${s * p.elementBytes}u`).join(', ');
  return {
    kernels: ['split.c'],
    includes: ['split.h'],
    decls:
      `/* ${type} ${p.kind}: ${n} outputs along axis ${p.axis} */\n` +
      `static const uint32_t ${pre}_copy_bytes[${n}] = { ${bytes} };\n` +
      `static const tinyml_split_params ${pre}_params = { ${p.outerSize}u, ${n}u, ${pre}_copy_bytes };`,
    call:
      `  {\n` +
      `    void *const ${pre}_outputs[${n}] = { ${names.outputs.join(', ')} };\n` +
      `    tinyml_split(&${pre}_params, ${input}, ${pre}_outputs);\n` +
      `  }`,
  };
}

/**
 * op_version.cc, by the data input's type: int8 2; SPLIT also int32 3 and int16 4, UNPACK int16 4;
 * anything else 1 (the TFLite converter itself writes 2 for int16 SPLIT and SPLIT_V, 1 for UNPACK).
 */
function versionOf(dataInput: number, int16: number, int32 = 1): (graph: Graph, op: Op) => number {
  return (graph, op) => {
    const d = dtypeOf(graph, op.inputs[dataInput]);
    return d === 'int8' ? 2 : d === 'int16' ? int16 : d === 'int32' ? int32 : 1;
  };
}

export const split: OpDef<'SPLIT', SplitParams> = {
  type: 'SPLIT',
  // SplitOptions: 0 num_splits.
  tflite: {
    options: {
      table: 'SplitOptions',
      unionType: 35,
      fields: [{ id: 0, name: 'num_splits', kind: 'i32' }],
      read: (v, c) => ({ numSplits: c.positive(v.num('num_splits'), 'num_splits') }),
      write: (a, c) => ({ num_splits: c.int('numSplits', a.numSplits) }),
    },
    version: versionOf(1, 4, 3),
  },
  quant: { sameQParams: [1], followsInputPrecision: true },
  inferShapes: (ctx) => outputShapes(resolve(ctx)),
  macs: () => 0,
  prepare: prepareSplit,
  evaluate: (p, inputs, outputs) => evaluateSplit(p, inputs, outputs, 1),
  emitC: (p, names, ctx) => emitSplit('SPLIT', p, names, ctx, 1),
};

export const splitV: OpDef<'SPLIT_V', SplitParams> = {
  type: 'SPLIT_V',
  // SplitVOptions: 0 num_splits.
  tflite: {
    options: {
      table: 'SplitVOptions',
      unionType: 79,
      fields: [{ id: 0, name: 'num_splits', kind: 'i32' }],
      read: (v, c) => ({ numSplits: c.positive(v.num('num_splits'), 'num_splits') }),
      write: (a, c) => ({ num_splits: c.int('numSplits', a.numSplits) }),
    },
    version: versionOf(0, 1),
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes: (ctx) => outputShapes(resolve(ctx)),
  macs: () => 0,
  prepare: prepareSplit,
  evaluate: (p, inputs, outputs) => evaluateSplit(p, inputs, outputs, 0),
  emitC: (p, names, ctx) => emitSplit('SPLIT_V', p, names, ctx, 0),
};

export const unpack: OpDef<'UNPACK', SplitParams> = {
  type: 'UNPACK',
  // UnpackOptions: 0 num, 1 axis.
  tflite: {
    options: {
      table: 'UnpackOptions',
      unionType: 64,
      fields: [
        { id: 0, name: 'num', kind: 'i32' },
        { id: 1, name: 'axis', kind: 'i32' },
      ],
      read: (v, c) => ({ num: c.positive(v.num('num'), 'num'), axis: v.num('axis') }),
      write: (a, c) => ({ num: c.int('num', a.num), axis: c.int('axis', a.axis) }),
    },
    version: versionOf(0, 4),
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes: (ctx) => outputShapes(resolve(ctx)),
  macs: () => 0,
  prepare: prepareSplit,
  evaluate: (p, inputs, outputs) => evaluateSplit(p, inputs, outputs, 0),
  emitC: (p, names, ctx) => emitSplit('UNPACK', p, names, ctx, 0),
};
