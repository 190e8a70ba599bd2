/**
 * SHAPE: the input's dimensions as a 1-D int32 (or int64) tensor. TFLite Micro has no dynamic
 * shapes, so the value is known when the model is loaded: the importer folds every SHAPE into a
 * constant (src/passes/shape-fold.ts), and the reference kernel only exists so that folding and
 * the interpreter agree. No C kernel: a SHAPE never reaches the firmware.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import { describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import { ModelFormatError } from '../errors.js';

export interface ShapeParams {
  /** The input's dimensions, outermost first. */
  dims: number[];
  outType: 'int32' | 'int64';
}

function check(ctx: OpContext<'SHAPE'>): number[] {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  if (ctx.inputs.length !== 1 || !ctx.inputs[0]) throw new GraphError(`${where}: SHAPE takes one input, got ${ctx.inputs.length}`);
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: SHAPE has one output, got ${ctx.outputs.length}`);
  return [...ctx.inputs[0].shape];
}

/** SHAPE: the dtype of the output (TFLite ShapeOptions.out_type; int32 unless said otherwise). */
export interface ShapeAttrs {
  outType: 'int32' | 'int64';
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    SHAPE: ShapeAttrs;
  }
}

export const shape: OpDef<'SHAPE', ShapeParams> = {
  type: 'SHAPE',
  // ShapeOptions: 0 out_type, a TensorType (INT32 = 2, INT64 = 4, the only shape types TFLite
  // allows). Without options TFLite uses INT32; a table without the field holds the schema
  // default 0 (FLOAT32), which is refused, so the writer always stores it.
  tflite: {
    options: {
      table: 'ShapeOptions',
      unionType: 55,
      fields: [{ id: 0, name: 'out_type', kind: 'i8', withoutTable: 2, alwaysWrite: true }],
      read(v, c) {
        const outType = v.num('out_type');
        if (outType === 2) return { outType: 'int32' };
        if (outType === 4) return { outType: 'int64' };
        throw new ModelFormatError(`${c.label} has out_type ${outType}; SHAPE writes INT32 (2) or INT64 (4)`);
      },
      write: (a) => ({ out_type: a.outType === 'int64' ? 4 : 2 }),
    },
  },
  inferShapes: (ctx) => [[check(ctx).length]],
  macs: () => 0,
  prepare(ctx) {
    const dims = check(ctx);
    const out = ctx.outputs[0];
    const outType = ctx.op.attrs.outType;
    if (out.dtype !== outType) {
      throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: SHAPE with out_type ${outType} writes a ${out.dtype} tensor; they must agree`);
    }
    return { dims, outType };
  },
  evaluate(params, _inputs, outputs) {
    const out = outputs[0];
    if (out instanceof BigInt64Array) params.dims.forEach((d, i) => (out[i] = BigInt(d)));
    else params.dims.forEach((d, i) => (out[i] = d));
  },
};
