/**
 * CONCATENATION along one axis, as TFLite Micro does it: a pure copy. TFLite Micro never
 * requantizes here: int8 inputs must share the output's scale and zero point, and int16 inputs
 * and output must have zero point 0 (their scales may differ, and are then simply ignored, as
 * TFLite Micro ignores them). A fused activation is rejected, as in TFLite Micro.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { DType, Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import type { FusedActivation } from '../ir/attrs.js';
import { versionByInput } from './tflite-options.js';

export type ConcatenationKind = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'bool';
const KINDS: readonly DType[] = ['int8', 'int16', 'int32', 'int64', 'float32', 'bool'];

export interface ConcatenationParams {
  kind: ConcatenationKind;
  elementBytes: number;
  /** Non-negative concatenation axis. */
  axis: number;
  /** Product of the output dims before the axis. */
  outerSize: number;
  /** Product of the output dims after the axis. */
  innerSize: number;
  /** Per input: elements it contributes per outer step (its axis extent * innerSize). */
  copySizes: number[];
}

function inputsOf(ctx: OpContext<'CONCATENATION'>): Tensor[] {
  const { graph, op } = ctx;
  if (ctx.inputs.length < 1) throw new GraphError(`${describeOp(graph, op)}: CONCATENATION needs at least one input`);
  if (ctx.outputs.length !== 1) throw new GraphError(`${describeOp(graph, op)}: CONCATENATION has one output, got ${ctx.outputs.length}`);
  return ctx.inputs.map((t, i) => {
    if (!t) throw new GraphError(`${describeOp(graph, op)}: input ${i} is missing`);
    return t;
  });
}

function resolve(ctx: OpContext<'CONCATENATION'>): { axis: number; shape: number[] } {
  const { graph, op } = ctx;
  const inputs = inputsOf(ctx);
  const rank = inputs[0].shape.length;
  const axis = op.attrs.axis < 0 ? op.attrs.axis + rank : op.attrs.axis;
  if (!(axis >= 0 && axis < rank)) throw new GraphError(`${describeOp(graph, op)}: axis ${op.attrs.axis} is out of range for ${rank}-D inputs`);
  const shape = [...inputs[0].shape];
  shape[axis] = 0;
  inputs.forEach((t, i) => {
    const ok = t.shape.length === rank && t.shape.every((d, j) => j === axis || d === shape[j]);
    if (!ok) {
      throw new GraphError(
        `${describeOp(graph, op)}: input ${i} [${t.shape.join(', ')}] does not match input 0 [${inputs[0].shape.join(', ')}] outside axis ${axis}`,
      );
    }
    shape[axis] += t.shape[axis];
  });
  return { axis, shape };
}

function quantOf(t: Tensor): { scale: number; zeroPoint: number } {
  // TFLite tensors store the scale as float; compare what TFLite Micro compares.
  return { scale: Math.fround(t.quant?.scale[0] ?? 0), zeroPoint: t.quant?.zeroPoint[0] ?? 0 };
}

export interface ConcatenationAttrs {
  axis: number;
  activation: FusedActivation;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    CONCATENATION: ConcatenationAttrs;
  }
}

export const concatenation: OpDef<'CONCATENATION', ConcatenationParams> = {
  type: 'CONCATENATION',
  // ConcatenationOptions: 0 axis, 1 fused_activation_function.
  tflite: {
    options: {
      table: 'ConcatenationOptions',
      unionType: 10,
      fields: [
        { id: 0, name: 'axis', kind: 'i32' },
        { id: 1, name: 'fused_activation_function', kind: 'i8' },
      ],
      read: (v, c) => ({ axis: v.num('axis'), activation: c.activation(v.num('fused_activation_function')) }),
      write: (a, c) => ({ axis: c.int('axis', a.axis), fused_activation_function: c.activation(a.activation) }),
    },
    version: versionByInput(3, 2),
  },
  quant: { sameQParams: 'all', followsInputPrecision: true },
  inferShapes: (ctx) => [resolve(ctx).shape],
  macs: () => 0,
  prepare(ctx) {
    const { graph, op } = ctx;
    const { axis, shape } = resolve(ctx);
    const inputs = inputsOf(ctx);
    const output = ctx.outputs[0];
    const where = describeOp(graph, op);
    if (op.attrs.activation !== 'NONE') {
      throw new UnsupportedOpError(`${where}: CONCATENATION with fused activation ${op.attrs.activation} is not supported (TFLite Micro requires NONE)`);
    }
    const dtypes = inputs.map((t) => t.dtype);
    if (!KINDS.includes(output.dtype) || dtypes.some((d) => d !== output.dtype)) {
      throw new UnsupportedOpError(
        `${where}: CONCATENATION of ${dtypes.join(', ')} into ${output.dtype} is not supported (all inputs and the output must share one of ${KINDS.join(', ')})`,
      );
    }
    if (output.shape.length !== shape.length || output.shape.some((d, i) => d !== shape[i])) {
      throw new GraphError(`${where}: output is [${output.shape.join(', ')}] but the inputs concatenate to [${shape.join(', ')}]`);
    }
    const kind = output.dtype as ConcatenationKind;
    const oq = quantOf(output);
    if (kind === 'int8') {
      inputs.forEach((t, i) => {
        const q = quantOf(t);
        if (q.scale !== oq.scale || q.zeroPoint !== oq.zeroPoint) {
          throw new UnsupportedOpError(
            `${where}: int8 input ${i} '${t.name}' is quantized (scale ${q.scale}, zero point ${q.zeroPoint}) unlike the output (scale ${oq.scale}, zero point ${oq.zeroPoint}); ` +
              'TFLite Micro concatenates int8 without requantizing and rejects this. Requantize the inputs to the output scale first.',
          );
        }
      });
    } else if (kind === 'int16') {
      [...inputs, output].forEach((t) => {
        if (quantOf(t).zeroPoint !== 0) {
          throw new UnsupportedOpError(`${where}: int16 tensor '${t.name}' has zero point ${quantOf(t).zeroPoint}; TFLite Micro's int16 CONCATENATION requires 0`);
        }
      });
    }
    const outerSize = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const innerSize = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return {
      kind,
      elementBytes: DTYPE_BYTES[kind],
      axis,
      outerSize,
      innerSize,
      copySizes: inputs.map((t) => t.shape[axis] * innerSize),
    };
  },
  evaluate(params, inputs, outputs) {
    const dst = outputs[0] as Int8Array;
    const srcs = inputs as Int8Array[];
    let o = 0;
    for (let k = 0; k < params.outerSize; k++) {
      for (let i = 0; i < params.copySizes.length; i++) {
        const n = params.copySizes[i];
        dst.set(srcs[i].subarray(k * n, k * n + n), o);
        o += n;
      }
    }
  },
  emitC(params, names, ctx) {
    const p = ctx.prefix;
    const n = params.copySizes.length;
    const bytes = params.copySizes.map((s) => `${s * params.elementBytes}u`).join(', ');
    const ins = names.inputs.map((s, i) => {
      if (!s) throw new GraphError(`CONCATENATION (${p}): input ${i} has no C name`);
      return s;
    });
    return {
      kernels: ['concatenation.c'],
      includes: ['concatenation.h'],
      decls:
        `/* CONCATENATION ${params.kind}: ${n} inputs along axis ${params.axis} */\n` +
        `static const uint32_t ${p}_copy_bytes[${n}] = { ${bytes} };\n` +
        `static const tinyml_concatenation_params ${p}_params = { ${params.outerSize}u, ${n}u, ${params.elementBytes}u, ${p}_copy_bytes };`,
      call:
        `  {\n` +
        `    const void *const ${p}_inputs[${n}] = { ${ins.join(', ')} };\n` +
        `    tinyml_concatenation(&${p}_params, ${p}_inputs, ${names.outputs[0]});\n` +
        `  }`,
    };
  },
};
