/**
 * ARG_MAX: the index of the largest value along a constant axis, as TFLite Micro's reference
 * kernel computes it for int8 and float32 inputs and an int32 output: the first index wins a tie,
 * and for float a NaN never replaces a number (a number always replaces a NaN; all NaN gives 0).
 * The axis is dropped from the output shape.
 */
import { GraphError, ModelFormatError, UnsupportedOpError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import { cStructDecl } from './elementwise-util.js';
import { versionByInput } from './tflite-options.js';

export interface ArgMaxAttrs {
  /** TFLite's output_type; TFLite Micro runs int32 only. */
  outputType: 'int32' | 'int64';
}

export interface ArgMaxParams {
  kind: 'int8' | 'float32';
  outer: number;
  axisSize: number;
  inner: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    ARG_MAX: ArgMaxAttrs;
  }
}

function constIntValues(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

/** The validated, non-negative axis. */
function readAxis(ctx: OpContext<'ARG_MAX'>): number {
  const what = describeOp(ctx.graph, ctx.op);
  const input = ctx.inputs[0];
  const axisT = ctx.inputs[1];
  if (ctx.inputs.length !== 2 || !input || !axisT || ctx.outputs.length !== 1) {
    throw new GraphError(`${what}: ARG_MAX takes an input and an axis and has one output, got ${ctx.inputs.length} input(s) and ${ctx.outputs.length} output(s)`);
  }
  const values = constIntValues(axisT);
  if (!values || values.length !== 1) {
    throw new UnsupportedOpError(`${what}: the axis '${axisT.name}' must be a constant int32 tensor with one element`);
  }
  const rank = input.shape.length;
  const axis = values[0] < 0 ? values[0] + rank : values[0];
  if (rank < 1 || axis < 0 || axis >= rank) throw new GraphError(`${what}: axis ${values[0]} is out of range for a ${rank}-D input`);
  return axis;
}

export const argMax: OpDef<'ARG_MAX', ArgMaxParams> = {
  type: 'ARG_MAX',
  tflite: {
    options: {
      // ArgMaxOptions: 0 output_type (a TensorType: INT32 2, INT64 4).
      table: 'ArgMaxOptions',
      unionType: 40,
      fields: [{ id: 0, name: 'output_type', kind: 'i8', alwaysWrite: true }],
      read(v, c) {
        const t = v.num('output_type');
        if (t === 2) return { outputType: 'int32' };
        if (t === 4) return { outputType: 'int64' };
        throw new ModelFormatError(`${c.label} has output_type ${t}; ARG_MAX writes INT32 (2) or INT64 (4)`);
      },
      write: (a) => ({ output_type: a.outputType === 'int64' ? 4 : 2 }),
    },
    // op_version.cc: 2 for int8, 1 otherwise.
    version: versionByInput(1, 2),
  },
  inferShapes(ctx) {
    const axis = readAxis(ctx);
    return [ctx.inputs[0]!.shape.filter((_, i) => i !== axis)];
  },
  macs: () => 0,
  prepare(ctx) {
    const what = describeOp(ctx.graph, ctx.op);
    const axis = readAxis(ctx);
    const input = ctx.inputs[0]!;
    const output = ctx.outputs[0];
    if ((input.dtype !== 'int8' && input.dtype !== 'float32') || output.dtype !== 'int32') {
      throw new UnsupportedOpError(`${what}: ARG_MAX from ${input.dtype} to ${output.dtype} is not supported (TFLite Micro: int8 or float32 in, int32 out)`);
    }
    const expected = input.shape.filter((_, i) => i !== axis);
    if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
      throw new GraphError(`${what}: output is [${output.shape.join(', ')}] but dropping axis ${axis} of [${input.shape.join(', ')}] gives [${expected.join(', ')}]`);
    }
    const prod = (xs: number[]) => xs.reduce((p, d) => p * d, 1);
    return { kind: input.dtype, outer: prod(input.shape.slice(0, axis)), axisSize: input.shape[axis], inner: prod(input.shape.slice(axis + 1)) };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array | Float32Array;
    const o = outputs[0] as TensorData as Int32Array;
    for (let outer = 0; outer < p.outer; outer++) {
      for (let inner = 0; inner < p.inner; inner++) {
        const base = outer * p.axisSize * p.inner + inner;
        let best = x[base];
        let index = 0;
        for (let i = 1; i < p.axisSize; i++) {
          const v = x[base + i * p.inner];
          // TFLM's comparator: a NaN candidate never wins; anything but NaN beats a NaN best.
          if (!Number.isNaN(v) && (Number.isNaN(best) || v > best)) {
            best = v;
            index = i;
          }
        }
        o[outer * p.inner + inner] = index;
      }
    }
  },
  emitC(p, names, ctx) {
    const fields = [`.outer = ${p.outer}`, `.axis_size = ${p.axisSize}`, `.inner = ${p.inner}`];
    return {
      kernels: ['arg_max.c'],
      includes: ['arg_max.h'],
      decls: cStructDecl('tinyml_arg_max_params', `${ctx.prefix}_params`, fields),
      call: `  tinyml_arg_max_${p.kind === 'int8' ? 's8' : 'f32'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};
