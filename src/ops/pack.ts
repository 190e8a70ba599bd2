/**
 * PACK: stacks N equally shaped tensors along a new axis, as TFLite Micro's pack.cc does: a
 * plain copy per input, for any element type, with no requantization (TFLite Micro checks no
 * scales either: the bytes move unchanged). Stacking along a new axis lays memory out exactly
 * as concatenating the inputs, each seen with a 1 inserted at that axis, so PACK reuses the
 * CONCATENATION kernel.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { DType, Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp } from '../ir/types.js';
import { concatenation, type ConcatenationKind, type ConcatenationParams } from './concatenation.js';
import type { OpContext, OpDef } from './op-def.js';

/** TFLite Micro's pack handles float32, int8, int16, int32 and int64. */
const KINDS: readonly DType[] = ['int8', 'int16', 'int32', 'int64', 'float32'];

function resolve(ctx: OpContext<'PACK'>): { inputs: Tensor[]; axis: number; shape: number[] } {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  const n = op.attrs.valuesCount;
  if (ctx.inputs.length !== n || n < 1) throw new GraphError(`${where}: PACK has values_count ${n} but ${ctx.inputs.length} inputs`);
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: PACK has one output, got ${ctx.outputs.length}`);
  const inputs = ctx.inputs.map((t, i) => {
    if (!t) throw new GraphError(`${where}: input ${i} is missing`);
    return t;
  });
  const inShape = inputs[0].shape;
  inputs.forEach((t, i) => {
    if (t.shape.length !== inShape.length || t.shape.some((d, j) => d !== inShape[j])) {
      throw new GraphError(`${where}: input ${i} [${t.shape.join(', ')}] differs from input 0 [${inShape.join(', ')}]; PACK stacks equal shapes`);
    }
  });
  const rank = inShape.length + 1;
  const axis = op.attrs.axis < 0 ? op.attrs.axis + rank : op.attrs.axis;
  if (!(axis >= 0 && axis < rank)) throw new GraphError(`${where}: axis ${op.attrs.axis} is out of range for a ${rank}-D output`);
  const shape = [...inShape.slice(0, axis), n, ...inShape.slice(axis)];
  return { inputs, axis, shape };
}

/** PACK: stacks `valuesCount` equally shaped inputs along a new axis `axis` of the output. */
export interface PackAttrs {
  valuesCount: number;
  axis: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    PACK: PackAttrs;
  }
}

export const pack: OpDef<'PACK', ConcatenationParams> = {
  type: 'PACK',
  // PackOptions: 0 values_count, 1 axis.
  tflite: {
    options: {
      table: 'PackOptions',
      unionType: 59,
      fields: [
        { id: 0, name: 'values_count', kind: 'i32' },
        { id: 1, name: 'axis', kind: 'i32' },
      ],
      read: (v, c) => ({ valuesCount: c.positive(v.num('values_count'), 'values_count'), axis: v.num('axis') }),
      write: (a, c) => ({ values_count: c.int('valuesCount', a.valuesCount), axis: c.int('axis', a.axis) }),
    },
  },
  inferShapes: (ctx) => [resolve(ctx).shape],
  macs: () => 0,
  prepare(ctx) {
    const { inputs, axis, shape } = resolve(ctx);
    const where = describeOp(ctx.graph, ctx.op);
    const out = ctx.outputs[0];
    if (!KINDS.includes(out.dtype) || inputs.some((t) => t.dtype !== out.dtype)) {
      throw new UnsupportedOpError(
        `${where}: PACK of ${inputs.map((t) => t.dtype).join(', ')} into ${out.dtype} is not supported (inputs and output must share one of ${KINDS.join(', ')})`,
      );
    }
    if (out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
      throw new GraphError(`${where}: output is [${out.shape.join(', ')}] but stacking the inputs gives [${shape.join(', ')}]`);
    }
    const outerSize = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const innerSize = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return {
      kind: out.dtype as ConcatenationKind,
      elementBytes: DTYPE_BYTES[out.dtype],
      axis,
      outerSize,
      innerSize,
      copySizes: inputs.map(() => innerSize),
    };
  },
  evaluate: concatenation.evaluate,
  emitC(params, names, ctx) {
    const em = concatenation.emitC!(params, names, ctx);
    return { ...em, decls: em.decls.replace('/* CONCATENATION', '/* PACK (run as a concatenation)') };
  },
};
