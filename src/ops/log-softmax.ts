/**
 * LOG_SOFTMAX over the last axis, as TFLite Micro's log_softmax.cc computes it.
 *
 * int8 (output fixed at scale 16/256, zero point 127, which TFLite Micro checks): per row, the
 * differences to the row maximum are rescaled to Q5.26 (PreprocessLogSoftmaxScalingExp), their
 * gemmlowp exps summed in Q12.19, the sum's logarithm taken with TFLite's fixed-point
 * log_x_for_x_greater_than_or_equal_to_1 (Q5.26), and each output is (diff - log sum) brought to
 * Q4 and shifted up by 127; differences below a cut-off (diff_min, or where the result would
 * saturate) give -128.
 *
 * float32: x - max - logf(sum of expf(x - max)), each step rounded to single precision in
 * TFLite Micro's order.
 */
import type { NoAttrs } from '../ir/attrs.js';
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { UnsupportedOpError } from '../errors.js';
import {
  INT32_MAX,
  INT32_MIN,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  quantizeMultiplierSmallerThanOneExp,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../fixedpoint.js';
import { expOnNegativeValues, oneOverOnePlusXForXIn01, rescale, roundingHalfSum, saturatingRoundingMultiplyByPOT } from '../fixedpoint-gemmlowp.js';
import type { OpContext, OpDef } from './op-def.js';
import { cInt, cStructDecl, elementCountOf, f32, FLT_MAX, inferSameShape, input, normalizeParams, perTensorQuant, unsupportedDtypes } from './elementwise-util.js';
import { emptyOptions, versionByInput } from './tflite-options.js';

export interface LogSoftmaxInt8Params {
  kind: 'int8';
  outerSize: number;
  depth: number;
  /** The input scale times 2^26 (Q5.26 differences) as a multiplier and a left shift >= 1. */
  inputMultiplier: number;
  inputLeftShift: number;
  /** The inverse of that scaling (to map the log sum back to input units): Q31 multiplier, shift <= 0. */
  reverseScalingDivisor: number;
  reverseScalingShift: number;
  /** Differences below this (in input units) contribute nothing to the sum. */
  diffMin: number;
}

export interface LogSoftmaxFloatParams {
  kind: 'float32';
  outerSize: number;
  depth: number;
}

export type LogSoftmaxParams = LogSoftmaxInt8Params | LogSoftmaxFloatParams;

declare module '../ir/attrs.js' {
  interface OpAttrs {
    LOG_SOFTMAX: NoAttrs;
  }
}

/** TFLite Micro's fixed int8 output: [-8, 0) in steps of 1/16. */
const OUTPUT_SCALE = 16 / 256;
const OUTPUT_ZERO_POINT = 127;
const INPUT_INTEGER_BITS = 5;
const ACCUMULATION_INTEGER_BITS = 12;
const OUTPUT_INTEGER_BITS = 4;

const srdhm = saturatingRoundingDoublingHighMul;

function saturatingAdd(a: number, b: number): number {
  const s = a + b;
  return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : s;
}

/**
 * TFLite's log_x_for_x_greater_than_or_equal_to_1_impl<outputIntegerBits, inputIntegerBits>:
 * ln(x) for a fixed-point x >= 1, by splitting x into a power of two (taken at two offsets and
 * the better kept) and a remainder near 1 whose log comes from a rational approximation.
 */
export function logXForXGreaterThanOrEqualTo1(x: number, inputIntegerBits: number, outputIntegerBits: number): number {
  const accumBits = outputIntegerBits + 1;
  const LOG_2 = 1488522236;
  const SQRT_SQRT_HALF = 1805811301;
  const SQRT_HALF = 1518500250;
  const ONE_QUARTER = 536870912;
  const ALPHA_N = 117049297;
  const ALPHA_D = 127690142;
  const ALPHA_I = 1057819769;
  const ALPHA_F = 638450708;
  const shiftedQuarter = rescale(ONE_QUARTER, 0, accumBits);
  // The input's raw value read as Q0.31; the power of two is found from its leading zeros.
  const za = x;
  const zaHeadroomPlus1 = Math.clz32(za);
  const raTmp = saturatingRoundingMultiplyByPOT(za, zaHeadroomPlus1 - 1);
  const raRaw = saturatingRoundingMultiplyByPOT(srdhm(raTmp, SQRT_HALF), 1);
  const zaPow2Adj = saturatingAdd(saturatingRoundingMultiplyByPOT(inputIntegerBits - zaHeadroomPlus1, 31 - accumBits), shiftedQuarter);
  const zb = srdhm(za, SQRT_HALF);
  const zbHeadroom = Math.clz32(zb) - 1;
  const rbRaw = saturatingRoundingMultiplyByPOT(za, zbHeadroom);
  const zbPow2Adj = saturatingAdd(saturatingRoundingMultiplyByPOT(inputIntegerBits - zbHeadroom, 31 - accumBits), -shiftedQuarter);
  const r = Math.min(raRaw, rbRaw);
  const zPow2Adj = Math.max(zaPow2Adj, zbPow2Adj);
  const p = roundingHalfSum(r, SQRT_SQRT_HALF);
  let q = (r - SQRT_SQRT_HALF) | 0;
  q = (q + q) | 0;
  const commonSq = srdhm(q, q);
  const num = (srdhm(q, r) + srdhm(srdhm(q, commonSq), ALPHA_N)) | 0;
  const denomMinusOne = (srdhm(p, (((ALPHA_I + q) | 0) + srdhm(ALPHA_D, commonSq)) | 0) + srdhm(ALPHA_F, q)) | 0;
  const recipDenom = oneOverOnePlusXForXIn01(denomMinusOne);
  const numScaled = rescale(num, 0, accumBits);
  return rescale((srdhm(zPow2Adj, LOG_2) + srdhm(numScaled, recipDenom)) | 0, accumBits, outputIntegerBits);
}

function rows(ctx: OpContext<'LOG_SOFTMAX'>): { outerSize: number; depth: number } {
  const shape = input(ctx, 0).shape;
  if (shape.length < 1) throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: LOG_SOFTMAX needs an input of rank 1 or more`);
  const depth = shape[shape.length - 1];
  return { outerSize: depth === 0 ? 0 : elementCountOf(input(ctx, 0)) / depth, depth };
}

function prepareLogSoftmax(ctx: OpContext<'LOG_SOFTMAX'>): LogSoftmaxParams {
  inferSameShape(ctx);
  const x = input(ctx, 0);
  const out = ctx.outputs[0];
  const { outerSize, depth } = rows(ctx);
  if (x.dtype !== out.dtype) throw unsupportedDtypes(ctx, 'input and output must have the same type');
  if (x.dtype === 'float32') return { kind: 'float32', outerSize, depth };
  if (x.dtype !== 'int8') throw unsupportedDtypes(ctx, 'TensorFlow Lite Micro runs LOG_SOFTMAX on int8 and float32');
  const qi = perTensorQuant(ctx, x);
  const qo = perTensorQuant(ctx, out);
  if (qo.scale !== OUTPUT_SCALE || qo.zeroPoint !== OUTPUT_ZERO_POINT) {
    throw new UnsupportedOpError(
      `${describeOp(ctx.graph, ctx.op)}: int8 LOG_SOFTMAX output must have scale 16/256 and zero point 127 (got ${qo.scale} and ${qo.zeroPoint}), as TensorFlow Lite Micro requires`,
    );
  }
  // PreprocessSoftmaxScaling (beta 1): the input scale as a Q5.26 multiplier, capped at 2^31 - 1.
  const real = Math.min(qi.scale * 2 ** (31 - INPUT_INTEGER_BITS), 2 ** 31 - 1);
  const q = quantizeMultiplier(real);
  if (q.shift < 1) {
    throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: int8 LOG_SOFTMAX input scale ${qi.scale} is below 2^-26; TensorFlow Lite Micro cannot represent it`);
  }
  const reverse = quantizeMultiplierSmallerThanOneExp(2 ** (31 - q.shift) / q.multiplier);
  // CalculateInputRadius(5, left shift): the largest difference whose rescaled value fits Q5.26.
  const radius = Math.floor((((1 << INPUT_INTEGER_BITS) - 1) * 2 ** (31 - INPUT_INTEGER_BITS)) / 2 ** q.shift);
  return {
    kind: 'int8',
    outerSize,
    depth,
    inputMultiplier: q.multiplier,
    inputLeftShift: q.shift,
    reverseScalingDivisor: reverse.multiplier,
    reverseScalingShift: reverse.shift,
    diffMin: -radius,
  };
}

/** TFLite's LogSoftmaxQuantized<int8_t>, row by row. */
export function logSoftmaxInt8(p: LogSoftmaxInt8Params, x: Int8Array, out: Int8Array): void {
  const { outerSize, depth, inputMultiplier, inputLeftShift, diffMin } = p;
  for (let i = 0; i < outerSize; i++) {
    const base = i * depth;
    let max = -128;
    for (let c = 0; c < depth; c++) if (x[base + c] > max) max = x[base + c];
    let sumOfExps = 0;
    for (let c = 0; c < depth; c++) {
      const diff = x[base + c] - max;
      if (diff >= diffMin) {
        const scaled = multiplyByQuantizedMultiplier(diff, inputMultiplier, inputLeftShift);
        sumOfExps = (sumOfExps + rescale(expOnNegativeValues(scaled, INPUT_INTEGER_BITS), 0, ACCUMULATION_INTEGER_BITS)) | 0;
      }
    }
    const logSum = logXForXGreaterThanOrEqualTo1(sumOfExps, ACCUMULATION_INTEGER_BITS, INPUT_INTEGER_BITS);
    const shiftedLogSum = (logSum + INT32_MIN) | 0;
    const adjustedDiffMin = Math.max(diffMin - 1, multiplyByQuantizedMultiplier(shiftedLogSum, p.reverseScalingDivisor, p.reverseScalingShift));
    for (let c = 0; c < depth; c++) {
      const diff = x[base + c] - max;
      if (diff > adjustedDiffMin) {
        const scaled = multiplyByQuantizedMultiplier(diff, inputMultiplier, inputLeftShift);
        const v = roundingDivideByPOT((scaled - logSum) | 0, 31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS) + 127;
        out[base + c] = v > 127 ? 127 : v < -128 ? -128 : v;
      } else {
        out[base + c] = -128;
      }
    }
  }
}

function logSoftmaxFloat(p: LogSoftmaxFloatParams, x: Float32Array, out: Float32Array): void {
  const { outerSize, depth } = p;
  for (let i = 0; i < outerSize; i++) {
    const base = i * depth;
    let max = -FLT_MAX;
    for (let c = 0; c < depth; c++) max = Math.max(max, x[base + c]);
    let sum = 0;
    for (let c = 0; c < depth; c++) sum = f32(sum + f32(Math.exp(f32(x[base + c] - max))));
    const logSum = f32(Math.log(sum));
    for (let c = 0; c < depth; c++) out[base + c] = f32(f32(x[base + c] - max) - logSum);
  }
}

export const logSoftmax: OpDef<'LOG_SOFTMAX', LogSoftmaxParams> = {
  type: 'LOG_SOFTMAX',
  tflite: {
    // LogSoftmaxOptions is an empty table (union type 36).
    options: emptyOptions('LogSoftmaxOptions', 36),
    // op_version.cc: 2 for int8, 1 otherwise.
    version: versionByInput(1, 2),
  },
  // TFLite Micro has no int16 LOG_SOFTMAX (prepare refuses it); int16 is the 16-bit analogue.
  quant: { fixedOutput: { int8: { scale: OUTPUT_SCALE, zeroPoint: OUTPUT_ZERO_POINT }, int16: { scale: 16 / 32768, zeroPoint: 0 } } },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare: (ctx) => normalizeParams(prepareLogSoftmax(ctx)),
  evaluate(p, inputs: (TensorData | undefined)[], outputs) {
    if (p.kind === 'float32') logSoftmaxFloat(p, inputs[0] as Float32Array, outputs[0] as Float32Array);
    else logSoftmaxInt8(p, inputs[0] as Int8Array, outputs[0] as Int8Array);
  },
  emitC(p, names, ctx) {
    const fields =
      p.kind === 'float32'
        ? [`.outer_size = ${p.outerSize}`, `.depth = ${p.depth}`, '.input_multiplier = 0', '.input_left_shift = 0', '.reverse_scaling_divisor = 0', '.reverse_scaling_shift = 0', '.diff_min = 0']
        : [
            `.outer_size = ${p.outerSize}`,
            `.depth = ${p.depth}`,
            `.input_multiplier = ${cInt(p.inputMultiplier)}`,
            `.input_left_shift = ${cInt(p.inputLeftShift)}`,
            `.reverse_scaling_divisor = ${cInt(p.reverseScalingDivisor)}`,
            `.reverse_scaling_shift = ${cInt(p.reverseScalingShift)}`,
            `.diff_min = ${cInt(p.diffMin)}`,
          ];
    return {
      kernels: ['log_softmax.c'],
      includes: ['log_softmax.h'],
      decls: cStructDecl('tinyml_log_softmax_params', `${ctx.prefix}_params`, fields),
      call: `  tinyml_log_softmax_${p.kind === 'int8' ? 's8' : 'f32'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};
