/**
 * RELU, RELU6, LEAKY_RELU and HARD_SWISH as TFLite Micro computes them.
 *
 * - RELU requantizes input -> output (multiplier from the float32 ratio of the scales) and clamps
 *   below at the output zero point.
 * - RELU6 does not requantize at all: TFLM clamps the raw input between its zero point and the
 *   quantized 6.0 of the input scale and writes that, assuming output quantization = input's.
 * - LEAKY_RELU requantizes with an identity multiplier (x >= 0) or an alpha multiplier (x < 0).
 * - HARD_SWISH (int8 only in TFLM) works in int16 fixed point: the input on a 7-bit higher
 *   resolution scale, a "relu-ish" factor in [0, 1] and a truncating final multiply.
 */
import type { NoAttrs } from '../ir/attrs.js';
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAwayFromZero } from '../fixedpoint.js';
import { roundingDivideByPOT16, saturatingDoublingHighMul16, saturatingRoundingDoublingHighMul16 } from '../fixedpoint-gemmlowp.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { byteTable, cFloat, cInt, cStructDecl, emitUnaryFloat, elementCountOf, f32, inferSameShape, input, intRange, perTensorQuant, unsupportedDtypes, withNormalizedParams } from './elementwise-util.js';
import { emptyOptions, versionByInput } from './tflite-options.js';

type ActType = 'RELU' | 'RELU6' | 'LEAKY_RELU' | 'HARD_SWISH';

export interface ReluQuantParams {
  kind: 'int8' | 'int16';
  size: number;
  /** Input zero point (subtracted) and output zero point (added). */
  inputOffset: number;
  outputOffset: number;
  outputMultiplier: number;
  outputShift: number;
  activationMin: number;
  activationMax: number;
}

export interface Relu6QuantParams {
  kind: 'int8' | 'int16';
  size: number;
  /** Quantized 0.0 and 6.0 on the input scale; the input is clamped to [lower, upper]. */
  lower: number;
  upper: number;
}

export interface LeakyReluQuantParams {
  kind: 'int8' | 'int16';
  size: number;
  inputOffset: number;
  outputOffset: number;
  identityMultiplier: number;
  identityShift: number;
  /** Signed: a negative alpha gives a negative multiplier, applied to |multiplier| and negated. */
  alphaMultiplier: number;
  alphaShift: number;
}

export interface HardSwishQuantParams {
  kind: 'int8';
  size: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  /** Q15 multiplier and exponent taking the hi-res input onto the [-3, 3] -> [-1, 1] scale. */
  reluishMultiplierFixedpointInt16: number;
  reluishMultiplierExponent: number;
  /** Q15 multiplier and exponent (<= 0) taking the hi-res input onto the output scale. */
  outputMultiplierFixedpointInt16: number;
  outputMultiplierExponent: number;
}

export interface ActivationFloatParams {
  kind: 'float32';
  size: number;
  /** LEAKY_RELU only. */
  alpha?: number;
}

export type ReluParams = ReluQuantParams | ActivationFloatParams;
export type Relu6Params = Relu6QuantParams | ActivationFloatParams;
export type LeakyReluParams = LeakyReluQuantParams | ActivationFloatParams;
export type HardSwishParams = HardSwishQuantParams | ActivationFloatParams;

/** Common checks; returns the element count and the shared dtype. */
function common(ctx: OpContext<ActType>): { size: number; dtype: 'int8' | 'int16' | 'float32' } {
  const [shape] = inferSameShape(ctx);
  const x = input(ctx, 0);
  const out = ctx.outputs[0];
  const size = elementCountOf(x);
  if (elementCountOf(out) !== size) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: output shape [${out.shape.join(', ')}] differs from the input shape [${shape.join(', ')}]`);
  }
  if (x.dtype !== out.dtype) throw unsupportedDtypes(ctx, 'input and output must share one data type');
  if (x.dtype !== 'int8' && x.dtype !== 'int16' && x.dtype !== 'float32') throw unsupportedDtypes(ctx);
  return { size, dtype: x.dtype };
}

function requireZeroZeroPoints(ctx: OpContext, zps: number[]): void {
  if (zps.some((z) => z !== 0)) {
    throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: int16 ${ctx.op.type} needs zero points of 0 (TFLite Micro requires it)`);
  }
}

/**
 * An int8/int16 activation in C: `static const tinyml_<name>_params` (the size, then `fields`
 * as C ints, in the header's order) and `tinyml_<name>_<s8|s16>(&params, input, output)`.
 */
function emitQuantActivation(name: string, p: { kind: 'int8' | 'int16'; size: number }, names: EmitNames, ctx: EmitContext, fields: Record<string, number>): CEmission {
  const members = [`.size = ${p.size}`, ...Object.entries(fields).map(([field, v]) => `.${field} = ${cInt(v)}`)];
  return {
    kernels: ['activations.c'],
    includes: ['activations.h'],
    decls: cStructDecl(`tinyml_${name}_params`, `${ctx.prefix}_params`, members),
    call: `  tinyml_${name}_${p.kind === 'int8' ? 's8' : 's16'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
  };
}

function clampTo(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Applies a per-value kernel; int8 goes through a 256-entry table computed once per call. */
function mapValues(kind: 'int8' | 'int16', size: number, x: Int8Array | Int16Array, out: Int8Array | Int16Array, fn: (v: number) => number): void {
  if (kind === 'int8') {
    const { table, offset } = byteTable(true, fn);
    for (let i = 0; i < size; i++) out[i] = table[x[i] + offset];
  } else {
    for (let i = 0; i < size; i++) out[i] = fn(x[i]);
  }
}

// --- RELU ---

export interface LeakyReluAttrs {
  alpha: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    RELU: NoAttrs;
    RELU6: NoAttrs;
    LEAKY_RELU: LeakyReluAttrs;
    HARD_SWISH: NoAttrs;
  }
}

export const relu: OpDef<'RELU', ReluParams> = withNormalizedParams<'RELU', ReluParams>({
  type: 'RELU',
  tflite: { version: versionByInput(3, 2) },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare(ctx) {
    const { size, dtype } = common(ctx);
    if (dtype === 'float32') return { kind: 'float32', size };
    const qi = perTensorQuant(ctx, input(ctx, 0));
    const qo = perTensorQuant(ctx, ctx.outputs[0]);
    if (dtype === 'int16') requireZeroZeroPoints(ctx, [qi.zeroPoint, qo.zeroPoint]);
    const { multiplier, shift } = quantizeMultiplier(f32(qi.scale / qo.scale));
    const [qmin, qmax] = intRange(dtype);
    return {
      kind: dtype,
      size,
      inputOffset: qi.zeroPoint,
      outputOffset: qo.zeroPoint,
      outputMultiplier: multiplier,
      outputShift: shift,
      activationMin: Math.max(qmin, qo.zeroPoint + roundHalfAwayFromZero(f32(0 / qo.scale))),
      activationMax: qmax,
    };
  },
  evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]) {
    if (p.kind === 'float32') {
      const x = inputs[0] as Float32Array;
      const o = outputs[0] as Float32Array;
      for (let i = 0; i < p.size; i++) o[i] = x[i] < 0 ? 0 : x[i];
      return;
    }
    mapValues(p.kind, p.size, inputs[0] as Int8Array | Int16Array, outputs[0] as Int8Array | Int16Array, (x) =>
      clampTo(p.outputOffset + multiplyByQuantizedMultiplier(x - p.inputOffset, p.outputMultiplier, p.outputShift), p.activationMin, p.activationMax),
    );
  },
  emitC(p, names, ctx): CEmission {
    if (p.kind === 'float32') return emitUnaryFloat('relu', p.size, names);
    return emitQuantActivation('relu', p, names, ctx, {
      input_offset: p.inputOffset,
      output_offset: p.outputOffset,
      output_multiplier: p.outputMultiplier,
      output_shift: p.outputShift,
      activation_min: p.activationMin,
      activation_max: p.activationMax,
    });
  },
});

// --- RELU6 ---

export const relu6: OpDef<'RELU6', Relu6Params> = withNormalizedParams<'RELU6', Relu6Params>({
  type: 'RELU6',
  tflite: { version: versionByInput(3, 2) },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare(ctx) {
    const { size, dtype } = common(ctx);
    if (dtype === 'float32') return { kind: 'float32', size };
    const qi = perTensorQuant(ctx, input(ctx, 0));
    const [qmin, qmax] = intRange(dtype);
    const six = clampTo(roundHalfAwayFromZero(f32(6 / qi.scale)) + qi.zeroPoint, qmin, qmax);
    return { kind: dtype, size, lower: qi.zeroPoint, upper: six };
  },
  evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]) {
    const x = inputs[0] as Int8Array | Int16Array | Float32Array;
    const o = outputs[0] as Int8Array | Int16Array | Float32Array;
    const lo = p.kind === 'float32' ? 0 : p.lower;
    const hi = p.kind === 'float32' ? 6 : p.upper;
    for (let i = 0; i < p.size; i++) {
      const v = x[i];
      o[i] = v > hi ? hi : v < lo ? lo : v;
    }
  },
  emitC(p, names, ctx): CEmission {
    if (p.kind === 'float32') return emitUnaryFloat('relu6', p.size, names);
    return emitQuantActivation('relu6', p, names, ctx, { lower: p.lower, upper: p.upper });
  },
});

// --- LEAKY_RELU ---

export const leakyRelu: OpDef<'LEAKY_RELU', LeakyReluParams> = withNormalizedParams<'LEAKY_RELU', LeakyReluParams>({
  type: 'LEAKY_RELU',
  // LeakyReluOptions: 0 alpha.
  tflite: {
    options: {
      table: 'LeakyReluOptions',
      unionType: 75,
      fields: [{ id: 0, name: 'alpha', kind: 'f32' }],
      read: (v, c) => ({ alpha: c.finite(v.num('alpha'), 'alpha') }),
      write: (a) => ({ alpha: a.alpha }),
    },
    version: versionByInput(2, 1),
  },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare(ctx) {
    const { size, dtype } = common(ctx);
    const alpha = f32((ctx.op.attrs as LeakyReluAttrs).alpha);
    if (dtype === 'float32') return { kind: 'float32', size, alpha };
    const qi = perTensorQuant(ctx, input(ctx, 0));
    const qo = perTensorQuant(ctx, ctx.outputs[0]);
    // TFLM computes both ratios in float32 before widening them.
    const a = quantizeMultiplier(f32(f32(qi.scale * alpha) / qo.scale));
    const id = quantizeMultiplier(f32(qi.scale / qo.scale));
    return {
      kind: dtype,
      size,
      inputOffset: qi.zeroPoint,
      outputOffset: qo.zeroPoint,
      identityMultiplier: id.multiplier,
      identityShift: id.shift,
      alphaMultiplier: a.multiplier,
      alphaShift: a.shift,
    };
  },
  evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]) {
    if (p.kind === 'float32') {
      const x = inputs[0] as Float32Array;
      const o = outputs[0] as Float32Array;
      const alpha = p.alpha ?? 0;
      for (let i = 0; i < p.size; i++) o[i] = x[i] > 0 ? x[i] : f32(x[i] * alpha);
      return;
    }
    const [qmin, qmax] = intRange(p.kind);
    const negativeAlpha = p.alphaMultiplier < 0;
    const alphaMagnitude = Math.abs(p.alphaMultiplier) | 0;
    mapValues(p.kind, p.size, inputs[0] as Int8Array | Int16Array, outputs[0] as Int8Array | Int16Array, (x) => {
      const v = x - p.inputOffset;
      let r = p.outputOffset;
      if (v >= 0) {
        r += multiplyByQuantizedMultiplier(v, p.identityMultiplier, p.identityShift);
      } else {
        const scaled = multiplyByQuantizedMultiplier(v, alphaMagnitude, p.alphaShift);
        r += negativeAlpha ? -scaled : scaled;
      }
      return clampTo(r, qmin, qmax);
    });
  },
  emitC(p, names, ctx): CEmission {
    if (p.kind === 'float32') return emitUnaryFloat('leaky_relu', p.size, names, [cFloat(p.alpha ?? 0)]);
    return emitQuantActivation('leaky_relu', p, names, ctx, {
      input_offset: p.inputOffset,
      output_offset: p.outputOffset,
      identity_multiplier: p.identityMultiplier,
      identity_shift: p.identityShift,
      alpha_multiplier: p.alphaMultiplier,
      alpha_shift: p.alphaShift,
    });
  },
});

// --- HARD_SWISH ---

/** TFLite DownScaleInt32ToInt16Multiplier: Q31 -> Q15 with rounding, saturating at 32767. */
function downScaleToInt16(m: number): number {
  return m >= 2147483647 - (1 << 15) ? 32767 : (m + (1 << 15)) >> 16;
}

function saturatingLeftShift16(value: number, amount: number): number {
  return clampTo(value * 2 ** amount, -32768, 32767);
}

export const hardSwish: OpDef<'HARD_SWISH', HardSwishParams> = withNormalizedParams<'HARD_SWISH', HardSwishParams>({
  type: 'HARD_SWISH',
  tflite: { options: emptyOptions('HardSwishOptions', 91) },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare(ctx) {
    const { size, dtype } = common(ctx);
    if (dtype === 'float32') return { kind: 'float32', size };
    if (dtype !== 'int8') throw unsupportedDtypes(ctx, 'TFLite Micro has HARD_SWISH for int8 and float32 only');
    const qi = perTensorQuant(ctx, input(ctx, 0));
    const qo = perTensorQuant(ctx, ctx.outputs[0]);
    const hiresInputScale = f32(f32(1 / 128) * qi.scale);
    const reluishScale = f32(3 / 32768);
    const out = quantizeMultiplier(f32(hiresInputScale / qo.scale));
    const reluish = quantizeMultiplier(f32(hiresInputScale / reluishScale));
    if (out.shift > 0) {
      throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: output scale ${qo.scale} is too small for the input scale ${qi.scale} (TFLite Micro needs input_scale / 128 <= output_scale)`);
    }
    return {
      kind: 'int8',
      size,
      inputZeroPoint: qi.zeroPoint,
      outputZeroPoint: qo.zeroPoint,
      reluishMultiplierFixedpointInt16: downScaleToInt16(reluish.multiplier),
      reluishMultiplierExponent: reluish.shift,
      outputMultiplierFixedpointInt16: downScaleToInt16(out.multiplier),
      outputMultiplierExponent: out.shift,
    };
  },
  evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]) {
    if (p.kind === 'float32') {
      const x = inputs[0] as Float32Array;
      const o = outputs[0] as Float32Array;
      for (let i = 0; i < p.size; i++) {
        const v = x[i];
        o[i] = f32(f32(v * Math.min(6, Math.max(0, f32(v + 3)))) / 6);
      }
      return;
    }
    const rExp = p.reluishMultiplierExponent;
    mapValues('int8', p.size, inputs[0] as Int8Array, outputs[0] as Int8Array, (x) => {
      const inputValue = x - p.inputZeroPoint;
      // 7 bits of headroom: |input| <= 255 so this stays inside int16.
      const hires = inputValue * 128;
      const preshiftOutput = saturatingRoundingDoublingHighMul16(hires, p.outputMultiplierFixedpointInt16);
      let reluish = hires;
      // Shift left all but one bit before the multiply, so saturation there cannot matter.
      if (rExp > 0) reluish = saturatingLeftShift16(reluish, rExp - 1);
      reluish = saturatingRoundingDoublingHighMul16(reluish, p.reluishMultiplierFixedpointInt16);
      if (rExp > 0) reluish = saturatingLeftShift16(reluish, 1);
      if (rExp < 0) reluish = roundingDivideByPOT16(reluish, -rExp);
      // [-1, 1] -> [0, 1] in Q0.15.
      reluish = (reluish + (1 << 15)) >> 1;
      const preshift = saturatingDoublingHighMul16(reluish, preshiftOutput);
      let v = roundingDivideByPOT16(preshift, -p.outputMultiplierExponent);
      v = ((v + p.outputZeroPoint) << 16) >> 16;
      return clampTo(v, -128, 127);
    });
  },
  emitC(p, names, ctx): CEmission {
    if (p.kind === 'float32') return emitUnaryFloat('hard_swish', p.size, names);
    return emitQuantActivation('hard_swish', p, names, ctx, {
      input_zero_point: p.inputZeroPoint,
      output_zero_point: p.outputZeroPoint,
      reluish_multiplier_fixedpoint_int16: p.reluishMultiplierFixedpointInt16,
      reluish_multiplier_exponent: p.reluishMultiplierExponent,
      output_multiplier_fixedpoint_int16: p.outputMultiplierFixedpointInt16,
      output_multiplier_exponent: p.outputMultiplierExponent,
    });
  },
});
