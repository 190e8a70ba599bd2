/**
 * MUL with numpy broadcasting, as TFLite Micro's quantized kernel computes it: the product of the
 * two re-centred inputs (exact in int32) is requantized once with in1_scale * in2_scale /
 * out_scale, offset by the output zero point and clamped to the fused activation range. int16
 * needs all zero points to be 0, as in TFLM.
 */
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { UnsupportedOpError } from '../errors.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../fixedpoint.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import {
  type BroadcastLayout,
  activationRangeQuantized,
  emitBinaryFloat,
  emitBinaryQuant,
  f32,
  forEachBroadcast,
  inferBroadcastShape,
  normalizeParams,
  prepareBinaryArithmetic,
} from './elementwise-util.js';
import { activationOnlyFields, type ElementwiseAttrs } from './elementwise-util.js';
import { versionByInput } from './tflite-options.js';

export interface MulQuantParams extends BroadcastLayout {
  kind: 'int8' | 'int16';
  /** Negated input zero points. */
  input1Offset: number;
  input2Offset: number;
  /** Output zero point. */
  outputOffset: number;
  outputMultiplier: number;
  /** Power-of-two exponent of the multiplier; positive shifts left. */
  outputShift: number;
  activationMin: number;
  activationMax: number;
}

export interface MulFloatParams extends BroadcastLayout {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type MulParams = MulQuantParams | MulFloatParams;

declare module '../ir/attrs.js' {
  interface OpAttrs {
    MUL: ElementwiseAttrs;
  }
}

export const mul: OpDef<'MUL', MulParams> = {
  type: 'MUL',
  // MulOptions: 0 fused_activation_function.
  tflite: {
    options: {
      table: 'MulOptions',
      unionType: 21,
      fields: activationOnlyFields(),
      read: (v, c) => ({ activation: c.activation(v.num('fused_activation_function')) }),
      write: (a, c) => ({ fused_activation_function: c.activation(a.activation) }),
    },
    version: versionByInput(4, 2),
  },
  inferShapes: (ctx) => [inferBroadcastShape(ctx)],
  macs: () => 0,

  prepare: (ctx) => normalizeParams(prepareMul(ctx)),

  evaluate: evaluateMul,

  emitC: emitMul,
};

function prepareMul(ctx: OpContext<'MUL'>): MulParams {
  const start = prepareBinaryArithmetic(ctx);
  if (start.float) return start.float;
  const { layout, out, attrs, q1, q2, qo } = start;
  if (out.dtype === 'int16' && (q1.zeroPoint !== 0 || q2.zeroPoint !== 0 || qo.zeroPoint !== 0)) {
    throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: int16 MUL needs zero points of 0 on inputs and output (as TFLite Micro)`);
  }
  const { multiplier, shift } = quantizeMultiplier((q1.scale * q2.scale) / qo.scale);
  const [activationMin, activationMax] = activationRangeQuantized(ctx, attrs.activation, out.dtype, qo.scale, qo.zeroPoint);
  return {
    kind: out.dtype,
    ...layout,
    input1Offset: -q1.zeroPoint,
    input2Offset: -q2.zeroPoint,
    outputOffset: qo.zeroPoint,
    outputMultiplier: multiplier,
    outputShift: shift,
    activationMin,
    activationMax,
  };
}

function evaluateMul(p: MulParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const lo = p.activationMin;
  const hi = p.activationMax;
  if (p.kind === 'float32') {
    const x = inputs[0] as Float32Array;
    const y = inputs[1] as Float32Array;
    const o = outputs[0] as Float32Array;
    forEachBroadcast(p, (i, i1, i2) => {
      o[i] = Math.min(Math.max(f32(x[i1] * y[i2]), lo), hi);
    });
    return;
  }
  const x = inputs[0] as Int8Array | Int16Array;
  const y = inputs[1] as Int8Array | Int16Array;
  const o = outputs[0] as Int8Array | Int16Array;
  const { input1Offset, input2Offset, outputOffset, outputMultiplier, outputShift } = p;
  const one = (a: number, b: number): number => {
    const v = multiplyByQuantizedMultiplier((a + input1Offset) * (b + input2Offset), outputMultiplier, outputShift) + outputOffset;
    return v < lo ? lo : v > hi ? hi : v;
  };
  if (p.kind === 'int8' && p.size >= 65536) {
    // Large int8 tensors: the output depends on the byte pair only, so tabulate all pairs.
    const pair = new Int8Array(65536);
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) pair[(a << 8) | b] = one(a - 128, b - 128);
    forEachBroadcast(p, (i, i1, i2) => {
      o[i] = pair[((x[i1] + 128) << 8) | (y[i2] + 128)];
    });
    return;
  }
  forEachBroadcast(p, (i, i1, i2) => {
    o[i] = one(x[i1], y[i2]);
  });
}

function emitMul(p: MulParams, names: EmitNames, ctx: EmitContext): CEmission {
  if (p.kind === 'float32') return emitBinaryFloat('MUL', p, names, ctx);
  return emitBinaryQuant('mul', 'mul', p, {
    input1_offset: p.input1Offset,
    input2_offset: p.input2Offset,
    output_offset: p.outputOffset,
    output_multiplier: p.outputMultiplier,
    output_shift: p.outputShift,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
  }, names, ctx);
}
