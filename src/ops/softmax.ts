/**
 * SOFTMAX over the last dimension, exactly as TFLite Micro computes it.
 *
 * int8 input (int8 or int16 output): input differences to the row maximum are scaled by
 * beta * input_scale into Q5.26, exponentiated with gemmlowp's fixed-point exp, summed in Q12.19,
 * and the sum's reciprocal (gemmlowp 1/(1+x) after normalising) scales each exp into the output,
 * whose quantization TFLM fixes (scale 1/256, zero point -128 for int8; 1/65536, -32768 for
 * int16). Differences below diff_min contribute nothing and output the minimum.
 *
 * int16: two 513-entry interpolated lookup tables (exp on [-10, 0] and 1/(1+x) on [0, 1]),
 * generated here with float32 arithmetic exactly as TFLM's LUTPopulate does.
 */
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierGreaterThanOne,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../fixedpoint.js';
import { countLeadingZeros32, expOnNegativeValues, getReciprocal, lutLookupInt16, lutPopulateInt16 } from '../fixedpoint-gemmlowp.js';
import type { OpContext, OpDef } from './op-def.js';
import { FLT_MAX, cFloat, cInt, cInt16Table, cStructDecl, checkArity, f32, input, perTensorQuant, unsupportedDtypes, withNormalizedParams } from './elementwise-util.js';
import { versionByInput } from './tflite-options.js';

/** Integer bits of the scaled input differences fed to exp (Q5.26). */
const SCALED_DIFF_INTEGER_BITS = 5;
/** Integer bits of the sum of exponentials (Q12.19). */
const ACCUMULATION_INTEGER_BITS = 12;

export interface SoftmaxInt8Params {
  kind: 'int8';
  /** 8: int8 output (zero point -128); 16: int16 output (zero point -32768). */
  outputBits: 8 | 16;
  /** Rows (all dims but the last) and row length. */
  outerSize: number;
  depth: number;
  /** beta * input_scale * 2^26 as a Q31 multiplier with a left shift (>= 0). */
  inputMultiplier: number;
  inputLeftShift: number;
  /** Input differences below this (a negative number) give exp() = 0. */
  diffMin: number;
}

export interface SoftmaxInt16Params {
  kind: 'int16';
  outerSize: number;
  depth: number;
  /** Rescales input differences so that [-65535, 0] spans [-10, 0]. */
  inputMultiplier: number;
  inputShift: number;
  /** 513-entry tables: exp(x) for x in [-10, 0] and 1/(1+x) for x in [0, 1], both Q0.15. */
  expLut: number[];
  oneOverOnePlusXLut: number[];
}

export interface SoftmaxFloatParams {
  kind: 'float32';
  outerSize: number;
  depth: number;
  beta: number;
}

export type SoftmaxParams = SoftmaxInt8Params | SoftmaxInt16Params | SoftmaxFloatParams;

function rows(ctx: OpContext<'SOFTMAX'>): { outerSize: number; depth: number } {
  const x = input(ctx, 0);
  if (x.shape.length < 1) throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: input must have at least one dimension`);
  const depth = x.shape[x.shape.length - 1];
  const outerSize = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  return { outerSize, depth };
}

function unsupportedQuant(ctx: OpContext, what: string): UnsupportedOpError {
  return new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: ${what} (TFLite Micro requires this for quantized SOFTMAX)`);
}

/** TFLite's int16 softmax tables. The transforms run in float32 like the C++ lambdas. */
function softmaxLuts(): { expLut: number[]; oneOverOnePlusXLut: number[] } {
  const range = 65535;
  const expLut = lutPopulateInt16(f32(10 / range), 32767, f32(2 / range), 0, (v) => f32(Math.exp(v)));
  const oneOverOnePlusXLut = lutPopulateInt16(f32(1 / range), -32768, f32(2 / range), 0, (v) => f32(1 / f32(1 + v)));
  return { expLut: Array.from(expLut), oneOverOnePlusXLut: Array.from(oneOverOnePlusXLut) };
}

let cachedLuts: { expLut: number[]; oneOverOnePlusXLut: number[] } | undefined;

export interface SoftmaxAttrs {
  beta: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    SOFTMAX: SoftmaxAttrs;
  }
}

export const softmax: OpDef<'SOFTMAX', SoftmaxParams> = withNormalizedParams<'SOFTMAX', SoftmaxParams>({
  type: 'SOFTMAX',
  // SoftmaxOptions: 0 beta.
  tflite: {
    options: {
      table: 'SoftmaxOptions',
      unionType: 9,
      fields: [{ id: 0, name: 'beta', kind: 'f32' }],
      read: (v, c) => ({ beta: c.finite(v.num('beta'), 'beta') }),
      write: (a) => ({ beta: a.beta }),
    },
    version: versionByInput(3, 2),
  },
  quant: { fixedOutput: { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } } },

  inferShapes(ctx) {
    checkArity(ctx, 1, 1);
    rows(ctx);
    return [[...input(ctx, 0).shape]];
  },

  macs: () => 0,

  prepare(ctx): SoftmaxParams {
    checkArity(ctx, 1, 1);
    const { outerSize, depth } = rows(ctx);
    const x = input(ctx, 0);
    const out = ctx.outputs[0];
    if (out.shape.reduce((p, d) => p * d, 1) !== outerSize * depth) {
      throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: output shape [${out.shape.join(', ')}] differs from the input shape [${x.shape.join(', ')}]`);
    }
    const beta = f32((ctx.op.attrs as SoftmaxAttrs).beta);
    if (x.dtype === 'float32' && out.dtype === 'float32') return { kind: 'float32', outerSize, depth, beta };
    if (x.dtype === 'int8' && (out.dtype === 'int8' || out.dtype === 'int16')) {
      const qi = perTensorQuant(ctx, x);
      const qo = perTensorQuant(ctx, out);
      if (out.dtype === 'int8') {
        if (qo.zeroPoint !== -128 || qo.scale !== 1 / 256) throw unsupportedQuant(ctx, `int8 output needs scale 1/256 and zero point -128, got ${qo.scale} and ${qo.zeroPoint}`);
      } else if (qo.zeroPoint !== -32768 || Math.abs(qo.scale - 1 / 65536) > 0.001 / 65536) {
        throw unsupportedQuant(ctx, `int16 output of an int8 input needs scale 1/65536 and zero point -32768, got ${qo.scale} and ${qo.zeroPoint}`);
      }
      const maxReal = 2 ** 31 - 1;
      const real = Math.min(beta * qi.scale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), maxReal);
      const q = quantizeMultiplier(real);
      if (!(real > 1) || q.shift < 0) throw unsupportedQuant(ctx, `beta * input scale * 2^26 = ${real} must exceed 1`);
      const radius = Math.floor((((1 << SCALED_DIFF_INTEGER_BITS) - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** q.shift);
      return {
        kind: 'int8',
        outputBits: out.dtype === 'int8' ? 8 : 16,
        outerSize,
        depth,
        inputMultiplier: q.multiplier,
        inputLeftShift: q.shift,
        diffMin: -radius,
      };
    }
    if (x.dtype === 'int16' && out.dtype === 'int16') {
      const qi = perTensorQuant(ctx, x);
      const qo = perTensorQuant(ctx, out);
      if (qi.zeroPoint !== 0 || qo.zeroPoint !== 0) throw unsupportedQuant(ctx, 'int16 input and output need zero point 0');
      if (Math.abs(qo.scale - 1 / 32768) > 0.001 / 32768) throw unsupportedQuant(ctx, `int16 output needs scale 1/32768, got ${qo.scale}`);
      const q = quantizeMultiplier((qi.scale * beta) / (10.0 / 65535.0));
      cachedLuts ??= softmaxLuts();
      return { kind: 'int16', outerSize, depth, inputMultiplier: q.multiplier, inputShift: q.shift, ...cachedLuts };
    }
    throw unsupportedDtypes(ctx, 'SOFTMAX supports int8 -> int8, int8 -> int16, int16 -> int16 and float32');
  },

  evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
    if (p.kind === 'int8') softmaxInt8(p, inputs[0] as Int8Array, outputs[0] as Int8Array | Int16Array);
    else if (p.kind === 'int16') softmaxInt16(p, inputs[0] as Int16Array, outputs[0] as Int16Array);
    else softmaxFloat(p, inputs[0] as Float32Array, outputs[0] as Float32Array);
  },

  emitC(p, names, ctx) {
    if (p.kind === 'float32') {
      return {
        kernels: ['softmax_f32.c'],
        includes: ['softmax_f32.h'],
        decls: cStructDecl('tinyml_softmax_f32_params', `${ctx.prefix}_params`, [`.outer_size = ${p.outerSize}`, `.depth = ${p.depth}`, `.beta = ${cFloat(p.beta)}`]),
        call: `  tinyml_softmax_f32(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
      };
    }
    const call = (fn: string) => `  ${fn}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`;
    if (p.kind === 'int8') {
      const fields = [
        `.outer_size = ${p.outerSize}`,
        `.depth = ${p.depth}`,
        `.input_multiplier = ${cInt(p.inputMultiplier)}`,
        `.input_left_shift = ${p.inputLeftShift}`,
        `.diff_min = ${cInt(p.diffMin)}`,
      ];
      return {
        kernels: ['softmax.c'],
        includes: ['softmax.h'],
        decls: cStructDecl('tinyml_softmax_s8_params', `${ctx.prefix}_params`, fields),
        call: call(p.outputBits === 8 ? 'tinyml_softmax_s8' : 'tinyml_softmax_s8_s16'),
      };
    }
    const fields = [
      `.outer_size = ${p.outerSize}`,
      `.depth = ${p.depth}`,
      `.input_multiplier = ${cInt(p.inputMultiplier)}`,
      `.input_shift = ${p.inputShift}`,
      `.exp_lut = ${ctx.prefix}_exp_lut`,
      `.one_over_one_plus_x_lut = ${ctx.prefix}_one_over_one_plus_x_lut`,
    ];
    return {
      kernels: ['softmax.c'],
      includes: ['softmax.h'],
      decls: [
        cInt16Table(`${ctx.prefix}_exp_lut`, Int16Array.from(p.expLut)),
        cInt16Table(`${ctx.prefix}_one_over_one_plus_x_lut`, Int16Array.from(p.oneOverOnePlusXLut)),
        cStructDecl('tinyml_softmax_s16_params', `${ctx.prefix}_params`, fields),
      ].join('\n'),
      call: call('tinyml_softmax_s16'),
    };
  },
});

function softmaxInt8(p: SoftmaxInt8Params, x: Int8Array, out: Int8Array | Int16Array): void {
  const { outerSize, depth, inputMultiplier, inputLeftShift, diffMin } = p;
  const outMin = p.outputBits === 8 ? -128 : -32768;
  const outMax = p.outputBits === 8 ? 127 : 32767;
  // exp() depends only on the difference to the row maximum (0..-255): tabulate it once per call.
  // TFLM recomputes it per element; the values are identical.
  const expOfDiff = new Int32Array(256);
  for (let d = 0; d < 256; d++) {
    if (-d >= diffMin) expOfDiff[d] = expOnNegativeValues(multiplyByQuantizedMultiplierGreaterThanOne(-d, inputMultiplier, inputLeftShift), SCALED_DIFF_INTEGER_BITS);
  }
  for (let i = 0; i < outerSize; i++) {
    const base = i * depth;
    let maxInRow = -128;
    for (let c = 0; c < depth; c++) if (x[base + c] > maxInRow) maxInRow = x[base + c];
    let sumOfExps = 0;
    for (let c = 0; c < depth; c++) {
      const diff = x[base + c] - maxInRow;
      if (diff >= diffMin) sumOfExps = (sumOfExps + roundingDivideByPOT(expOfDiff[-diff], ACCUMULATION_INTEGER_BITS)) | 0;
    }
    const { reciprocal, numBitsOverUnit } = getReciprocal(sumOfExps, ACCUMULATION_INTEGER_BITS);
    const exponent = numBitsOverUnit + 31 - p.outputBits;
    for (let c = 0; c < depth; c++) {
      const diff = x[base + c] - maxInRow;
      if (diff >= diffMin) {
        const unsat = roundingDivideByPOT(saturatingRoundingDoublingHighMul(reciprocal, expOfDiff[-diff]), exponent);
        const v = unsat + outMin;
        out[base + c] = v > outMax ? outMax : v < outMin ? outMin : v;
      } else {
        out[base + c] = outMin;
      }
    }
  }
}

function softmaxInt16(p: SoftmaxInt16Params, x: Int16Array, out: Int16Array): void {
  const { outerSize, depth, inputMultiplier, inputShift, expLut, oneOverOnePlusXLut } = p;
  for (let i = 0; i < outerSize; i++) {
    const base = i * depth;
    let maxInRow = -32768;
    for (let c = 0; c < depth; c++) if (x[base + c] > maxInRow) maxInRow = x[base + c];
    let sumOfExps = 0;
    for (let c = 0; c < depth; c++) {
      const scaled = multiplyByQuantizedMultiplier(x[base + c] - maxInRow, inputMultiplier, inputShift);
      // Re-centre [-65535, 0] onto the table's symmetric int16 input range.
      const sym = Math.min(Math.max(scaled + 32767, -32768), 32767);
      const e = lutLookupInt16(sym, expLut);
      out[base + c] = e;
      sumOfExps += e;
    }
    // Normalise the sum to [1, 2) with 16 fractional bits; the table takes x = sum - 1 re-centred
    // onto the int16 range, and the final shift undoes the normalisation.
    const headroomPlusOne = countLeadingZeros32(sumOfExps);
    const shiftedSum = Math.floor((sumOfExps * 2 ** (headroomPlusOne - 1) + (1 << 13)) / 2 ** 14);
    const symShiftedSum = Math.min(Math.max(shiftedSum - ((1 << 15) + (1 << 16)), -32768), 32767);
    const reciprocal = lutLookupInt16(symShiftedSum, oneOverOnePlusXLut);
    const rightShift = 31 - headroomPlusOne;
    const round = 2 ** (rightShift - 1);
    for (let c = 0; c < depth; c++) {
      const r = Math.floor((out[base + c] * reciprocal + round) / 2 ** rightShift);
      out[base + c] = Math.min(Math.max(r, 0), 32767);
    }
  }
}

function softmaxFloat(p: SoftmaxFloatParams, x: Float32Array, out: Float32Array): void {
  const { outerSize, depth, beta } = p;
  for (let i = 0; i < outerSize; i++) {
    const base = i * depth;
    let max = -FLT_MAX;
    for (let c = 0; c < depth; c++) max = Math.max(max, x[base + c]);
    let sum = 0;
    for (let c = 0; c < depth; c++) {
      const e = f32(Math.exp(f32(f32(x[base + c] - max) * beta)));
      out[base + c] = e;
      sum = f32(sum + e);
    }
    for (let c = 0; c < depth; c++) out[base + c] = f32(out[base + c] / sum);
  }
}
