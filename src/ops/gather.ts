/**
 * GATHER with int32 positions, as TFLite Micro's gather.cc: output = input.shape[:axis] +
 * positions.shape[batch_dims:] + input.shape[axis+1:], each position selecting one slice along
 * `axis`. TFLite Micro gathers float32 and int8; int32 is accepted too because the converter
 * gathers from shape vectors, which tinyml folds to constants at import (src/passes/shape-fold.ts).
 * Its C kernel (firmware/kernels/gather.c) copies slices byte-wise, so one body serves every kind.
 */
import { GraphError, InputError, UnsupportedOpError } from '../errors.js';
import type { DType, Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';

const KINDS: readonly DType[] = ['int8', 'int32', 'float32'];

export interface GatherParams {
  batchSize: number;
  outerSize: number;
  /** Extent of the gathered axis (positions must be in [0, axisSize)). */
  axisSize: number;
  /** Positions per batch. */
  coordSize: number;
  /** Elements per gathered slice. */
  innerSize: number;
  /** Bytes per element (1 for int8, 4 for int32 and float32). */
  elementBytes: number;
}

function resolve(ctx: OpContext<'GATHER'>): { input: Tensor; axis: number; batchDims: number; shape: number[] } {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  if (ctx.inputs.length !== 2 || !ctx.inputs[0] || !ctx.inputs[1]) throw new GraphError(`${where}: GATHER takes an input and positions, got ${ctx.inputs.length} inputs`);
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: GATHER has one output, got ${ctx.outputs.length}`);
  const [input, coords] = ctx.inputs as Tensor[];
  if (coords.dtype !== 'int32') throw new UnsupportedOpError(`${where}: GATHER positions of type ${coords.dtype} are not supported (TFLite Micro takes int32)`);
  const inRank = input.shape.length;
  const axis = op.attrs.axis < 0 ? op.attrs.axis + inRank : op.attrs.axis;
  const batchDims = op.attrs.batchDims < 0 ? op.attrs.batchDims + coords.shape.length : op.attrs.batchDims;
  if (!(axis >= 0 && axis < inRank)) throw new GraphError(`${where}: axis ${op.attrs.axis} is out of range for a ${inRank}-D input`);
  if (!(batchDims >= 0 && batchDims <= axis && batchDims < inRank && batchDims <= coords.shape.length)) {
    throw new GraphError(`${where}: batch_dims ${op.attrs.batchDims} is out of range (axis ${axis}, positions [${coords.shape.join(', ')}])`);
  }
  for (let i = 0; i < batchDims; i++) {
    if (input.shape[i] !== coords.shape[i]) throw new GraphError(`${where}: batch dimension ${i} differs between input (${input.shape[i]}) and positions (${coords.shape[i]})`);
  }
  const shape = [...input.shape.slice(0, axis), ...coords.shape.slice(batchDims), ...input.shape.slice(axis + 1)];
  return { input, axis, batchDims, shape };
}

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** GATHER: picks slices of input 0 along `axis` at the indices in input 1. */
export interface GatherAttrs {
  axis: number;
  batchDims: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    GATHER: GatherAttrs;
  }
}

export const gather: OpDef<'GATHER', GatherParams> = {
  type: 'GATHER',
  // GatherOptions: 0 axis, 1 batch_dims.
  tflite: {
    options: {
      table: 'GatherOptions',
      unionType: 23,
      fields: [
        { id: 0, name: 'axis', kind: 'i32' },
        { id: 1, name: 'batch_dims', kind: 'i32' },
      ],
      read: (v) => ({ axis: v.num('axis'), batchDims: v.num('batch_dims') }),
      write: (a, c) => ({ axis: c.int('axis', a.axis), batch_dims: c.int('batchDims', a.batchDims) }),
    },
  },
  inferShapes: (ctx) => [resolve(ctx).shape],
  macs: () => 0,
  prepare(ctx) {
    const { input, axis, batchDims, shape } = resolve(ctx);
    const where = describeOp(ctx.graph, ctx.op);
    const out = ctx.outputs[0];
    if (!KINDS.includes(input.dtype) || out.dtype !== input.dtype) {
      throw new UnsupportedOpError(`${where}: GATHER of ${input.dtype} into ${out.dtype} is not supported (input and output must share one of ${KINDS.join(', ')})`);
    }
    if (out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
      throw new GraphError(`${where}: output is [${out.shape.join(', ')}] but GATHER gives [${shape.join(', ')}]`);
    }
    const coords = ctx.inputs[1]!;
    const params: GatherParams = {
      batchSize: product(input.shape.slice(0, batchDims)),
      outerSize: product(input.shape.slice(batchDims, axis)),
      axisSize: input.shape[axis],
      coordSize: product(coords.shape.slice(batchDims)),
      innerSize: product(input.shape.slice(axis + 1)),
      elementBytes: DTYPE_BYTES[input.dtype],
    };
    if (coords.data) {
      const bad = Array.from(coords.data as Int32Array).find((c) => c < 0 || c >= params.axisSize);
      if (bad !== undefined) throw new GraphError(`${where}: position ${bad} is outside [0, ${params.axisSize}) along axis ${axis}`);
    }
    return params;
  },
  evaluate(p, inputs, outputs) {
    const src = inputs[0] as Int8Array;
    const coords = inputs[1] as Int32Array;
    const dst = outputs[0] as Int8Array;
    for (let b = 0; b < p.batchSize; b++) {
      for (let o = 0; o < p.outerSize; o++) {
        for (let c = 0; c < p.coordSize; c++) {
          const pos = coords[b * p.coordSize + c];
          // TFLite Micro only DCHECKs this; the reference refuses to read out of bounds.
          if (!(pos >= 0 && pos < p.axisSize)) throw new InputError(`GATHER position ${pos} is outside [0, ${p.axisSize})`);
          const from = ((b * p.outerSize + o) * p.axisSize + pos) * p.innerSize;
          dst.set(src.subarray(from, from + p.innerSize), ((b * p.outerSize + o) * p.coordSize + c) * p.innerSize);
        }
      }
    }
  },
  emitC(params, names, ctx) {
    const p = ctx.prefix;
    const [input, positions] = names.inputs;
    if (!input || !positions) throw new GraphError(`GATHER (${p}): input or positions has no C name`);
    return {
      kernels: ['gather.c'],
      includes: ['gather.h'],
      decls:
        `/* GATHER: ${params.batchSize} batch x ${params.outerSize} outer x ${params.coordSize} positions of ${params.innerSize}-element slices from an axis of ${params.axisSize} */\n` +
        `static const tinyml_gather_params ${p}_params = { ${params.batchSize}u, ${params.outerSize}u, ${params.axisSize}u, ${params.coordSize}u, ${params.innerSize}u, ${params.elementBytes}u };`,
      call: `  tinyml_gather(&${p}_params, ${input}, ${positions}, ${names.outputs[0]});`,
    };
  },
};
