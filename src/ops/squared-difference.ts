/**
 * SQUARED_DIFFERENCE, (x - y)^2 with numpy broadcasting, as TFLite Micro's
 * squared_difference.cc computes it.
 *
 * int8 (left shift 7) and int16 (left shift 0, zero points 0): each re-centred input is shifted
 * left, scaled by its scale / (2 * the larger input scale) (Q31 multipliers below one), the
 * difference is squared in int32 and requantized by (2 * max scale)^2 / (2^(2 * left shift) *
 * output scale), then the output zero point is added and the result clamped to the type.
 * float32: (x - y) * (x - y) in single precision; int32: the same in wrapping int32.
 */
import type { NoAttrs } from '../ir/attrs.js';
import type { TensorData } from '../ir/types.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, quantizeMultiplierSmallerThanOneExp } from '../fixedpoint.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import {
  type BroadcastLayout,
  cBroadcastFields,
  checkedBroadcast,
  cInt,
  cStructDecl,
  f32,
  forEachBroadcast,
  inferBroadcastShape,
  intRange,
  normalizeParams,
  perTensorQuant,
  unsupportedDtypes,
} from './elementwise-util.js';
import { emptyOptions, versionByInput } from './tflite-options.js';

export type SquaredDifferenceKind = 'int8' | 'int16' | 'int32' | 'float32';

export interface SquaredDifferenceParams extends BroadcastLayout {
  kind: SquaredDifferenceKind;
  /** Quantized kinds only (0 otherwise): TFLite's ArithmeticParams for the op. */
  input1Offset: number;
  input2Offset: number;
  outputOffset: number;
  leftShift: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
  activationMin: number;
  activationMax: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    SQUARED_DIFFERENCE: NoAttrs;
  }
}

const KINDS: readonly SquaredDifferenceKind[] = ['int8', 'int16', 'int32', 'float32'];

function prepareSquaredDifference(ctx: OpContext<'SQUARED_DIFFERENCE'>): SquaredDifferenceParams {
  const { layout, a, b, out } = checkedBroadcast(ctx);
  if (a.dtype !== b.dtype || a.dtype !== out.dtype || !KINDS.includes(out.dtype as SquaredDifferenceKind)) {
    throw unsupportedDtypes(ctx, `inputs and output must share one of ${KINDS.join(', ')}`);
  }
  const kind = out.dtype as SquaredDifferenceKind;
  const none = { input1Offset: 0, input2Offset: 0, outputOffset: 0, leftShift: 0, input1Multiplier: 0, input1Shift: 0, input2Multiplier: 0, input2Shift: 0, outputMultiplier: 0, outputShift: 0, activationMin: 0, activationMax: 0 };
  if (kind === 'float32' || kind === 'int32') return { kind, ...layout, ...none };
  const q1 = perTensorQuant(ctx, a);
  const q2 = perTensorQuant(ctx, b);
  const qo = perTensorQuant(ctx, out);
  if (kind === 'int16' && (q1.zeroPoint !== 0 || q2.zeroPoint !== 0 || qo.zeroPoint !== 0)) {
    throw unsupportedDtypes(ctx, `int16 SQUARED_DIFFERENCE needs zero points 0 (got ${q1.zeroPoint}, ${q2.zeroPoint} and ${qo.zeroPoint})`);
  }
  // TFLM: left shift 7 keeps 255^2 * 2^14 inside int32; int16 values are already wide.
  const leftShift = kind === 'int8' ? 7 : 0;
  const twiceMax = 2 * Math.max(q1.scale, q2.scale);
  const m1 = quantizeMultiplierSmallerThanOneExp(q1.scale / twiceMax);
  const m2 = quantizeMultiplierSmallerThanOneExp(q2.scale / twiceMax);
  const mo = quantizeMultiplier((twiceMax * twiceMax) / (2 ** (2 * leftShift) * qo.scale));
  const [lo, hi] = intRange(kind);
  return {
    kind,
    ...layout,
    input1Offset: -q1.zeroPoint,
    input2Offset: -q2.zeroPoint,
    outputOffset: qo.zeroPoint,
    leftShift,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
    activationMin: lo,
    activationMax: hi,
  };
}

/** One quantized element, TFLM's SquaredDifference(x, y, params). */
export function squaredDifferenceQuantized(p: SquaredDifferenceParams, x: number, y: number): number {
  const s1 = (x + p.input1Offset) * 2 ** p.leftShift;
  const s2 = (y + p.input2Offset) * 2 ** p.leftShift;
  // MultiplyByQuantizedMultiplierSmallerThanOneExp is the plain one with a shift <= 0.
  const diff = multiplyByQuantizedMultiplier(s1, p.input1Multiplier, p.input1Shift) - multiplyByQuantizedMultiplier(s2, p.input2Multiplier, p.input2Shift);
  const raw = multiplyByQuantizedMultiplier(diff * diff, p.outputMultiplier, p.outputShift) + p.outputOffset;
  return raw < p.activationMin ? p.activationMin : raw > p.activationMax ? p.activationMax : raw;
}

function evaluateSquaredDifference(p: SquaredDifferenceParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const x = inputs[0] as Int8Array | Int16Array | Int32Array | Float32Array;
  const y = inputs[1] as Int8Array | Int16Array | Int32Array | Float32Array;
  const o = outputs[0] as Int8Array | Int16Array | Int32Array | Float32Array;
  if (p.kind === 'float32') {
    forEachBroadcast(p, (i, i1, i2) => {
      const d = f32(x[i1] - y[i2]);
      o[i] = f32(d * d);
    });
  } else if (p.kind === 'int32') {
    // int32 arithmetic wraps (the reference's T is int32_t).
    forEachBroadcast(p, (i, i1, i2) => {
      const d = (x[i1] - y[i2]) | 0;
      o[i] = Math.imul(d, d);
    });
  } else {
    forEachBroadcast(p, (i, i1, i2) => {
      o[i] = squaredDifferenceQuantized(p, x[i1], y[i2]);
    });
  }
}

const C_SUFFIX: Record<SquaredDifferenceKind, string> = { int8: 's8', int16: 's16', int32: 's32', float32: 'f32' };

function emitSquaredDifference(p: SquaredDifferenceParams, names: EmitNames, ctx: EmitContext): CEmission {
  return {
    kernels: ['squared_difference.c'],
    includes: ['squared_difference.h'],
    decls: cStructDecl('tinyml_squared_difference_params', `${ctx.prefix}_params`, [
      ...cBroadcastFields(p),
      `.input1_offset = ${cInt(p.input1Offset)}`,
      `.input2_offset = ${cInt(p.input2Offset)}`,
      `.output_offset = ${cInt(p.outputOffset)}`,
      `.left_shift = ${cInt(p.leftShift)}`,
      `.input1_multiplier = ${cInt(p.input1Multiplier)}`,
      `.input1_shift = ${cInt(p.input1Shift)}`,
      `.input2_multiplier = ${cInt(p.input2Multiplier)}`,
      `.input2_shift = ${cInt(p.input2Shift)}`,
      `.output_multiplier = ${cInt(p.outputMultiplier)}`,
      `.output_shift = ${cInt(p.outputShift)}`,
      `.activation_min = ${cInt(p.activationMin)}`,
      `.activation_max = ${cInt(p.activationMax)}`,
    ]),
    call: `  tinyml_squared_difference_${C_SUFFIX[p.kind]}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
  };
}

export const squaredDifference: OpDef<'SQUARED_DIFFERENCE', SquaredDifferenceParams> = {
  type: 'SQUARED_DIFFERENCE',
  tflite: {
    // SquaredDifferenceOptions is an empty table (union type 76).
    options: emptyOptions('SquaredDifferenceOptions', 76),
    // op_version.cc: 2 for int8, 1 otherwise.
    version: versionByInput(1, 2),
  },
  inferShapes: (ctx) => [inferBroadcastShape(ctx)],
  macs: () => 0,
  prepare: (ctx) => normalizeParams(prepareSquaredDifference(ctx)),
  evaluate: evaluateSquaredDifference,
  emitC: emitSquaredDifference,
};
