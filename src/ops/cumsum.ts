/**
 * CUMSUM, the running sum along one constant axis (optionally exclusive: each output leaves its
 * own element out; optionally reversed: summing from the end), as TFLite Micro's cumsum.cc and
 * reference/cumsum.h compute it.
 *
 * float32: a single-precision running sum in TFLite Micro's order.
 *
 * int8: each re-centred input is shifted left by 20 and halved (a Q31 multiplier of 1/2, the
 * reference's "twice the max input scale" with one input), the running sum is kept in int32 and
 * requantized to the output by 2 * input_scale / (2^20 * output_scale). As in TFLite Micro, the
 * running sum starts from the scaled re-centred zero point, -input_zero_point, not from 0: every
 * output carries that offset (an exclusive sum's first output is -input_zero_point in input
 * units), so `tinyml quantize` gives CUMSUM's input zero point 0, where the sum is exact. The
 * int32 sum wraps as TFLite Micro's does when a long row overflows it.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplierSmallerThanOneExp } from '../fixedpoint.js';
import type { OpContext, OpDef } from './op-def.js';
import { cInt, cStructDecl, f32, normalizeParams, perTensorQuant, unsupportedDtypes } from './elementwise-util.js';
import { versionByInput } from './tflite-options.js';

export interface CumsumAttrs {
  exclusive: boolean;
  reverse: boolean;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    CUMSUM: CumsumAttrs;
  }
}

export interface CumsumParams {
  kind: 'int8' | 'float32';
  /** Product of the dims before the axis, the axis extent, product of the dims after it. */
  before: number;
  depth: number;
  after: number;
  exclusive: boolean;
  reverse: boolean;
  /** int8 only (0 for float32): TFLite's ArithmeticParams for the op. */
  inputOffset: number;
  outputOffset: number;
  leftShift: number;
  inputMultiplier: number;
  inputShift: number;
  outputMultiplier: number;
  outputShift: number;
}

/** TFLite Micro's kCumSumIntegerShift. */
const LEFT_SHIFT = 20;

function operands(ctx: OpContext<'CUMSUM'>): { x: Tensor; axis: number } {
  const where = describeOp(ctx.graph, ctx.op);
  const x = ctx.inputs[0];
  const axisT = ctx.inputs[1];
  if (ctx.inputs.length !== 2 || !x || !axisT || ctx.outputs.length !== 1) {
    throw new GraphError(`${where}: CUMSUM takes an input and an axis and has one output, got ${ctx.inputs.length} input(s) and ${ctx.outputs.length} output(s)`);
  }
  if (!(axisT.data instanceof Int32Array) || axisT.data.length !== 1) {
    throw new UnsupportedOpError(`${where}: the axis '${axisT.name}' must be a constant int32 tensor with one element`);
  }
  const rank = x.shape.length;
  const value = axisT.data[0];
  const axis = value < 0 ? value + rank : value;
  if (rank < 1 || axis < 0 || axis >= rank) throw new GraphError(`${where}: axis ${value} is out of range for a ${rank}-D input`);
  return { x, axis };
}

function prepareCumsum(ctx: OpContext<'CUMSUM'>): CumsumParams {
  const { x, axis } = operands(ctx);
  const out = ctx.outputs[0];
  const where = describeOp(ctx.graph, ctx.op);
  if (out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== x.shape[i])) {
    throw new GraphError(`${where}: output [${out.shape.join(', ')}] must have the input's shape [${x.shape.join(', ')}]`);
  }
  if (x.dtype !== out.dtype || (x.dtype !== 'int8' && x.dtype !== 'float32')) {
    throw unsupportedDtypes(ctx, 'TensorFlow Lite Micro runs CUMSUM on int8 and float32 (input and output alike)');
  }
  const prod = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
  const base = {
    before: prod(x.shape.slice(0, axis)),
    depth: x.shape[axis],
    after: prod(x.shape.slice(axis + 1)),
    exclusive: ctx.op.attrs.exclusive,
    reverse: ctx.op.attrs.reverse,
  };
  const none = { inputOffset: 0, outputOffset: 0, leftShift: 0, inputMultiplier: 0, inputShift: 0, outputMultiplier: 0, outputShift: 0 };
  if (x.dtype === 'float32') return { kind: 'float32', ...base, ...none };
  const qi = perTensorQuant(ctx, x);
  const qo = perTensorQuant(ctx, out);
  const twiceMax = 2 * qi.scale;
  const realOut = twiceMax / (2 ** LEFT_SHIFT * qo.scale);
  if (!(realOut < 1)) {
    throw new UnsupportedOpError(`${where}: int8 CUMSUM needs an output scale above 2^-19 times the input scale (got ${qo.scale} for input scale ${qi.scale}), as TensorFlow Lite Micro's requantization does`);
  }
  const mi = quantizeMultiplierSmallerThanOneExp(qi.scale / twiceMax);
  const mo = quantizeMultiplierSmallerThanOneExp(realOut);
  return {
    kind: 'int8',
    ...base,
    inputOffset: -qi.zeroPoint,
    outputOffset: qo.zeroPoint,
    leftShift: LEFT_SHIFT,
    inputMultiplier: mi.multiplier,
    inputShift: mi.shift,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
  };
}

/** reference_ops::CumSum (both overloads): rows along the axis, walked backwards when reversed. */
function evaluateCumsum(p: CumsumParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const x = inputs[0] as Int8Array | Float32Array;
  const o = outputs[0] as Int8Array | Float32Array;
  const { before, depth, after, exclusive, reverse } = p;
  const scale = (v: number, m: number, s: number) => multiplyByQuantizedMultiplier(v, m, s);
  for (let a = 0; a < after; a++) {
    const aa = reverse ? after - 1 - a : a;
    for (let b = 0; b < before; b++) {
      const bb = reverse ? before - 1 - b : b;
      let acc = p.kind === 'float32' ? 0 : scale(p.inputOffset * 2 ** p.leftShift, p.inputMultiplier, p.inputShift);
      for (let d = 0; d < depth; d++) {
        const dd = reverse ? depth - 1 - d : d;
        const index = aa + bb * depth * after + dd * after;
        if (p.kind === 'float32') {
          if (exclusive) {
            o[index] = acc;
            acc = f32(acc + x[index]);
          } else {
            acc = f32(acc + x[index]);
            o[index] = acc;
          }
          continue;
        }
        const y = scale((p.inputOffset + x[index]) * 2 ** p.leftShift, p.inputMultiplier, p.inputShift);
        let sum: number;
        if (exclusive) {
          sum = acc;
          acc = (acc + y) | 0;
        } else {
          acc = (acc + y) | 0;
          sum = acc;
        }
        const raw = scale(sum, p.outputMultiplier, p.outputShift) + p.outputOffset;
        o[index] = raw < -128 ? -128 : raw > 127 ? 127 : raw;
      }
    }
  }
}

export const cumsum: OpDef<'CUMSUM', CumsumParams> = {
  type: 'CUMSUM',
  // CumsumOptions: 0 exclusive, 1 reverse.
  tflite: {
    options: {
      table: 'CumsumOptions',
      unionType: 102,
      fields: [
        { id: 0, name: 'exclusive', kind: 'bool' },
        { id: 1, name: 'reverse', kind: 'bool' },
      ],
      read: (v) => ({ exclusive: v.bool('exclusive'), reverse: v.bool('reverse') }),
      write: (a) => ({ exclusive: a.exclusive, reverse: a.reverse }),
    },
    // op_version.cc has no rule for CUMSUM: version 1 for every type (what the converter writes).
    version: versionByInput(1, 1),
  },
  // TFLite Micro's int8 sum starts from -input_zero_point: exact only with zero point 0.
  quant: { symmetricInputs: [0] },
  inferShapes: (ctx) => [[...operands(ctx).x.shape]],
  macs: () => 0,
  prepare: (ctx) => normalizeParams(prepareCumsum(ctx)),
  evaluate: evaluateCumsum,
  emitC(p, names, ctx) {
    return {
      kernels: ['cumsum.c'],
      includes: ['cumsum.h'],
      decls: cStructDecl('tinyml_cumsum_params', `${ctx.prefix}_params`, [
        `.before = ${p.before}`,
        `.depth = ${p.depth}`,
        `.after = ${p.after}`,
        `.exclusive = ${p.exclusive ? 1 : 0}`,
        `.reverse = ${p.reverse ? 1 : 0}`,
        `.input_offset = ${cInt(p.inputOffset)}`,
        `.output_offset = ${cInt(p.outputOffset)}`,
        `.left_shift = ${cInt(p.leftShift)}`,
        `.input_multiplier = ${cInt(p.inputMultiplier)}`,
        `.input_shift = ${cInt(p.inputShift)}`,
        `.output_multiplier = ${cInt(p.outputMultiplier)}`,
        `.output_shift = ${cInt(p.outputShift)}`,
      ]),
      call: `  tinyml_cumsum_${p.kind === 'int8' ? 's8' : 'f32'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};
