/**
 * RSQRT (1 / sqrt(x)) as TFLite Micro's elementwise.cc computes it.
 *
 * int8 and int16 (16-bit: zero points 0): each re-centred input v = x - input_zero_point goes
 * through TFLite's GetInvSqrtQuantizedMultiplierExp (five gemmlowp Newton-Raphson steps on a
 * Q3.28 value normalised into [2^27, 2^29)), giving 1/sqrt(v) as a Q31 multiplier and shift;
 * that is applied to 1 scaled up by 2^20, then rescaled by 1 / (sqrt(input_scale) * output_scale)
 * (float32 product, double reciprocal) and shifted back by 2^20. v = 0 gives the type's maximum.
 * TFLM refuses v < 0 at run time ("Rsqrt is only defined for positive values"); the reference
 * throws an InputError, the C kernel (which has no error path) treats it as v = 1, as
 * GetInvSqrtQuantizedMultiplierExp does for any v <= 1.
 *
 * float32: 1.f / sqrtf(x) (C: elementwise_f32.c's tinyml_rsqrt_f32).
 */
import { InputError } from '../errors.js';
import type { NoAttrs } from '../ir/attrs.js';
import { INT32_MAX, multiplyByQuantizedMultiplier, quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../fixedpoint.js';
import { countLeadingZeros32, rescale } from '../fixedpoint-gemmlowp.js';
import { cInt, cStructDecl, elementCountOf, emitUnaryFloat, f32, inferSameShape, input, perTensorQuant, unsupportedDtypes, withNormalizedParams } from './elementwise-util.js';
import type { OpDef } from './op-def.js';
import { versionByInput } from './tflite-options.js';

export interface RsqrtQuantParams {
  kind: 'int8' | 'int16';
  size: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  /** 1 / (sqrt(input_scale) * output_scale) as a Q31 multiplier and shift. */
  outputMultiplier: number;
  outputShift: number;
}

export interface RsqrtFloatParams {
  kind: 'float32';
  size: number;
}

export type RsqrtParams = RsqrtQuantParams | RsqrtFloatParams;

const srdhm = saturatingRoundingDoublingHighMul;

/**
 * TFLite GetInvSqrtQuantizedMultiplierExp(v, kReverseShift = -1): 1/sqrt(v) as a Q31
 * multiplier and a shift in MultiplyByQuantizedMultiplier's convention (positive: left).
 */
export function invSqrtQuantizedMultiplierExp(v: number): { multiplier: number; shift: number } {
  if (v <= 1) return { multiplier: INT32_MAX, shift: 0 };
  let x = v;
  let shift = 11;
  while (x >= 2 ** 29) {
    x = Math.trunc(x / 4);
    shift++;
  }
  const leftShiftBitPairs = Math.floor((countLeadingZeros32(x) - 1) / 2) - 1;
  shift -= leftShiftBitPairs;
  x *= 2 ** (2 * leftShiftBitPairs);
  // Q3.28 Newton-Raphson for 1/sqrt, starting from 1: x <- 1.5 x - (input/2) x^3.
  const halfInput = roundingDivideByPOT(x >> 1, 1);
  const halfThree = 2 ** 28 + 2 ** 27;
  let r = 2 ** 28;
  for (let i = 0; i < 5; i++) {
    const r3 = rescale(srdhm(srdhm(r, r), r), 9, 3);
    // gemmlowp subtracts raw int32 values without saturation.
    r = rescale((srdhm(halfThree, r) - srdhm(halfInput, r3)) | 0, 6, 3);
  }
  let multiplier = srdhm(r, 1518500250); // * sqrt(2)/2 in Q0.31
  if (shift < 0) {
    multiplier = Math.imul(multiplier, 2 ** -shift);
    shift = 0;
  }
  return { multiplier, shift: shift === 0 ? 0 : -shift };
}

/** Fixed-point bits that keep 1/sqrt(v) an integer between the two multiplications (TFLM's kShift). */
const K_SHIFT = 20;

/** One quantized element; `undefined` for v < 0 (TFLM refuses it). */
export function rsqrtQuantized(p: RsqrtQuantParams, x: number): number | undefined {
  const [lo, hi] = p.kind === 'int8' ? [-128, 127] : [-32768, 32767];
  const v = x - p.inputZeroPoint;
  if (v < 0) return undefined;
  if (v === 0) return hi;
  const inv = invSqrtQuantizedMultiplierExp(v);
  const data = multiplyByQuantizedMultiplier(1, inv.multiplier, inv.shift + K_SHIFT);
  const out = multiplyByQuantizedMultiplier(data, p.outputMultiplier, p.outputShift - K_SHIFT) + p.outputZeroPoint;
  return out < lo ? lo : out > hi ? hi : out;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    RSQRT: NoAttrs;
  }
}

export const rsqrt: OpDef<'RSQRT', RsqrtParams> = withNormalizedParams<'RSQRT', RsqrtParams>({
  type: 'RSQRT',
  // No options table in schema.fbs; op_version.cc: int8 2, int16 3.
  tflite: { version: versionByInput(3, 2) },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare(ctx) {
    inferSameShape(ctx);
    const inT = input(ctx, 0);
    const outT = ctx.outputs[0];
    const size = elementCountOf(inT);
    if (inT.dtype !== outT.dtype) throw unsupportedDtypes(ctx, 'input and output must have the same type');
    if (inT.dtype === 'float32') return { kind: 'float32', size };
    if (inT.dtype !== 'int8' && inT.dtype !== 'int16') throw unsupportedDtypes(ctx, 'RSQRT takes int8, int16 or float32');
    const qi = perTensorQuant(ctx, inT);
    const qo = perTensorQuant(ctx, outT);
    if (inT.dtype === 'int16' && (qi.zeroPoint !== 0 || qo.zeroPoint !== 0)) {
      throw unsupportedDtypes(ctx, `int16 RSQRT needs zero points 0 (got ${qi.zeroPoint} and ${qo.zeroPoint})`);
    }
    // TFLM: 1. / double(sqrtf(input_scale) * output_scale), the product in float32.
    const q = quantizeMultiplier(1 / f32(f32(Math.sqrt(qi.scale)) * qo.scale));
    return { kind: inT.dtype, size, inputZeroPoint: qi.zeroPoint, outputZeroPoint: qo.zeroPoint, outputMultiplier: q.multiplier, outputShift: q.shift };
  },
  evaluate(p, inputs, outputs) {
    if (p.kind === 'float32') {
      const x = inputs[0] as Float32Array;
      const out = outputs[0] as Float32Array;
      for (let i = 0; i < p.size; i++) out[i] = f32(1 / f32(Math.sqrt(x[i])));
      return;
    }
    const x = inputs[0] as Int8Array | Int16Array;
    const out = outputs[0] as Int8Array | Int16Array;
    for (let i = 0; i < p.size; i++) {
      const r = rsqrtQuantized(p, x[i]);
      if (r === undefined) throw new InputError(`RSQRT input ${x[i]} is below the zero point ${p.inputZeroPoint}: rsqrt is only defined for positive values`);
      out[i] = r;
    }
  },
  emitC(p, names, ctx) {
    if (p.kind === 'float32') return emitUnaryFloat('rsqrt', p.size, names);
    return {
      kernels: ['rsqrt.c'],
      includes: ['rsqrt.h'],
      decls: cStructDecl('tinyml_rsqrt_params', `${ctx.prefix}_params`, [
        `.size = ${p.size}`,
        `.input_zero_point = ${cInt(p.inputZeroPoint)}`,
        `.output_zero_point = ${cInt(p.outputZeroPoint)}`,
        `.output_multiplier = ${cInt(p.outputMultiplier)}`,
        `.output_shift = ${cInt(p.outputShift)}`,
      ]),
      call: `  tinyml_rsqrt_${p.kind === 'int8' ? 's8' : 's16'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
});
