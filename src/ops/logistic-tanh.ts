/**
 * LOGISTIC and TANH as TFLite Micro computes them.
 *
 * int8: the re-centred input is rescaled into a Q4.27 fixed-point value (inputs beyond the
 * representable radius saturate directly), passed through gemmlowp's fixed-point logistic or
 * tanh, and rounded into the output. TFLM assumes the conventional output quantization: scale
 * 1/256 with zero point -128 for LOGISTIC (it checks the zero point), scale 1/128 with zero
 * point 0 for TANH (it checks nothing and adds no output zero point).
 *
 * int16: a 256-entry table of sigmoid(i/24) in Q0.16 with linear interpolation (tanh uses
 * tanh(x) = 2 sigmoid(2x) - 1); zero points must be 0 and the output scale 2^-15.
 */
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import { frexp, multiplyByQuantizedMultiplier, roundHalfAwayFromZero, roundingDivideByPOT } from '../fixedpoint.js';
import { fixedLogistic, fixedTanh } from '../fixedpoint-gemmlowp.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { byteTable, cInt, cStructDecl, emitUnaryFloat, elementCountOf, f32, inferSameShape, input, normalizeParams, perTensorQuant, unsupportedDtypes } from './elementwise-util.js';
import type { NoAttrs } from '../ir/attrs.js';
import { versionByInput } from './tflite-options.js';

/** sigmoid(i / 24) in unsigned Q0.16, i = 0..255 (TFLite's table; the last entry is clamped to 65535). */
export const SIGMOID_TABLE_U16: readonly number[] = [
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
  43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
  51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
  57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
  61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
  63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
  64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
  64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
  65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
  65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
  65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
  65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
  65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
  65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
  65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
  65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
];

/** Integer bits of the fixed-point input of the int8 kernels (Q4.27). */
const INPUT_INTEGER_BITS = 4;

export interface LogisticTanhInt8Params {
  kind: 'int8';
  size: number;
  inputZeroPoint: number;
  /** |input - zero point| at or beyond this saturates the output without computing. */
  inputRangeRadius: number;
  /** input_scale * 2^27 as a Q31 multiplier and a power-of-two exponent (usually a left shift). */
  inputMultiplier: number;
  inputLeftShift: number;
}

export interface LogisticTanhInt16Params {
  kind: 'int16';
  size: number;
  /** 0 for a power-of-two input scale (the kernel then uses 3 << inputLeftShift, shift 0). */
  inputMultiplier: number;
  inputLeftShift: number;
}

export interface LogisticTanhFloatParams {
  kind: 'float32';
  size: number;
}

export type LogisticTanhParams = LogisticTanhInt8Params | LogisticTanhInt16Params | LogisticTanhFloatParams;

export type Kind = 'LOGISTIC' | 'TANH';

/** TFLite CheckedLog2 in float32: the rounded log2 and whether x is (nearly) a power of two. */
export function checkedLog2(x: number): { log2: number; isPowerOfTwo: boolean } {
  const xLog2 = f32(f32(Math.log(x)) * f32(1 / f32(Math.log(2))));
  const rounded = roundHalfAwayFromZero(xLog2);
  return { log2: rounded, isPowerOfTwo: Math.abs(f32(xLog2 - rounded)) < f32(1e-3) };
}

function prepareLogisticTanh(type: Kind, ctx: OpContext<Kind>): LogisticTanhParams {
  const [shape] = inferSameShape(ctx);
  const x = input(ctx, 0);
  const out = ctx.outputs[0];
  const size = elementCountOf(x);
  const where = describeOp(ctx.graph, ctx.op);
  if (elementCountOf(out) !== size) throw new GraphError(`${where}: output shape [${out.shape.join(', ')}] differs from the input shape [${shape.join(', ')}]`);
  if (x.dtype !== out.dtype) throw unsupportedDtypes(ctx, 'input and output must share one data type');
  if (x.dtype === 'float32') return { kind: 'float32', size };
  if (x.dtype === 'int8') {
    const qi = perTensorQuant(ctx, x);
    const qo = perTensorQuant(ctx, out);
    if (type === 'LOGISTIC' && qo.zeroPoint !== -128) {
      throw new UnsupportedOpError(`${where}: int8 LOGISTIC needs output zero point -128 (scale 1/256), got ${qo.zeroPoint} (TFLite Micro requires it)`);
    }
    // Not QuantizeMultiplier: TFLM rounds the frexp fraction itself here (same result for float32 scales).
    const { fraction, exponent } = frexp(qi.scale * 2 ** (31 - INPUT_INTEGER_BITS));
    const inputMultiplier = roundHalfAwayFromZero(fraction * 2 ** 31);
    const radius = Math.floor(((2 ** INPUT_INTEGER_BITS - 1) * 2 ** (31 - INPUT_INTEGER_BITS)) / 2 ** exponent);
    return { kind: 'int8', size, inputZeroPoint: qi.zeroPoint, inputRangeRadius: radius, inputMultiplier, inputLeftShift: exponent };
  }
  if (x.dtype === 'int16') {
    const qi = perTensorQuant(ctx, x);
    const qo = perTensorQuant(ctx, out);
    if (qi.zeroPoint !== 0 || qo.zeroPoint !== 0) {
      throw new UnsupportedOpError(`${where}: int16 ${type} needs zero points of 0 (TFLite Micro requires it)`);
    }
    const outLog = checkedLog2(qo.scale);
    if (!outLog.isPowerOfTwo || outLog.log2 !== -15) {
      throw new UnsupportedOpError(`${where}: int16 ${type} needs output scale 2^-15, got ${qo.scale} (TFLite Micro requires it)`);
    }
    const inLog = checkedLog2(qi.scale);
    let inputLeftShift = 15 - 3 + inLog.log2;
    const pot = inLog.isPowerOfTwo && (inputLeftShift === 0 || (type === 'TANH' && inputLeftShift === 1));
    if (pot) return { kind: 'int16', size, inputMultiplier: 0, inputLeftShift };
    // Rescale the input to 1/(3 * 4096) per step, as the table lookup expects.
    let multiplier = qi.scale * 4096.0 * 3.0;
    inputLeftShift = 0;
    while (multiplier <= 32767.0 / 2.0 && inputLeftShift <= 30) {
      inputLeftShift++;
      multiplier *= 2.0;
    }
    const inputMultiplier = Math.trunc(multiplier);
    if (inputMultiplier > 32767) throw new UnsupportedOpError(`${where}: int16 input scale ${qi.scale} is too large for TFLite Micro's ${type}`);
    return { kind: 'int16', size, inputMultiplier, inputLeftShift };
  }
  throw unsupportedDtypes(ctx, `${type} supports int8, int16 and float32`);
}

/** The int8 kernel for one input value. */
function int8Value(type: Kind, p: LogisticTanhInt8Params, x: number): number {
  const v = x - p.inputZeroPoint;
  if (v <= -p.inputRangeRadius) return -128;
  if (v >= p.inputRangeRadius) return 127;
  const inQ4 = multiplyByQuantizedMultiplier(v, p.inputMultiplier, p.inputLeftShift);
  const r =
    type === 'LOGISTIC'
      ? roundingDivideByPOT(fixedLogistic(inQ4, INPUT_INTEGER_BITS), 23) - 128
      : roundingDivideByPOT(fixedTanh(inQ4, INPUT_INTEGER_BITS), 24);
  return r < -128 ? -128 : r > 127 ? 127 : r;
}

function evaluateInt8(type: Kind, p: LogisticTanhInt8Params, x: Int8Array, out: Int8Array): void {
  const { table, offset } = byteTable(true, (v) => int8Value(type, p, v));
  for (let i = 0; i < p.size; i++) out[i] = table[x[i] + offset];
}

/** The int16 kernel over `p.size` elements (in place allowed); the LSTM's gates use it too. */
export function evaluateInt16(type: Kind, p: LogisticTanhInt16Params, x: Int16Array, out: Int16Array): void {
  let multiplier = p.inputMultiplier;
  let shift = p.inputLeftShift;
  if (multiplier === 0) {
    multiplier = 3 << shift;
    shift = 0;
  }
  const round = shift > 0 ? 1 << (shift - 1) : 0;
  const t = SIGMOID_TABLE_U16;
  for (let i = 0; i < p.size; i++) {
    const v = (x[i] * multiplier + round) >> shift;
    const abs = Math.abs(v);
    if (type === 'LOGISTIC') {
      // 9 fractional bits: 7 from the input scaling and 2 from the table's 1/24 (vs 1/32) step.
      const uh = abs >>> 9;
      let r = uh >= 255 ? 0x7fff << 10 : (t[uh] << 9) + (abs & 0x1ff) * (t[uh + 1] - t[uh]);
      r = v >= 0 ? r + (1 << 9) : (1 << 25) - r + (1 << 9) - 1;
      out[i] = r >>> 10;
    } else {
      // tanh(x) = 2 sigmoid(2x) - 1: the same table indexed with one bit less of fraction.
      const uh = abs >>> 8;
      let r = uh >= 255 ? 0xffff << 8 : (t[uh] << 8) + (abs & 0xff) * (t[uh + 1] - t[uh]);
      r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
      out[i] = r >> 8;
    }
  }
}

function evaluateFloat(type: Kind, p: LogisticTanhFloatParams, x: Float32Array, out: Float32Array): void {
  const cutoffUpper = f32(16.619047164916992188);
  for (let i = 0; i < p.size; i++) {
    const v = x[i];
    if (type === 'TANH') out[i] = f32(Math.tanh(v));
    else if (v > cutoffUpper) out[i] = 1;
    else if (v < -9) out[i] = f32(Math.exp(v));
    else out[i] = f32(1 / f32(1 + f32(Math.exp(-v))));
  }
}

function emitLogisticTanh(type: Kind, p: LogisticTanhParams, names: EmitNames, ctx: EmitContext): CEmission {
  if (p.kind === 'float32') return emitUnaryFloat(type === 'LOGISTIC' ? 'logistic' : 'tanh', p.size, names);
  const fn = `tinyml_${type.toLowerCase()}_${p.kind === 'int8' ? 's8' : 's16'}`;
  const decls =
    p.kind === 'int8'
      ? cStructDecl('tinyml_logistic_tanh_s8_params', `${ctx.prefix}_params`, [
          `.size = ${p.size}`,
          `.input_zero_point = ${cInt(p.inputZeroPoint)}`,
          `.input_range_radius = ${cInt(p.inputRangeRadius)}`,
          `.input_multiplier = ${cInt(p.inputMultiplier)}`,
          `.input_left_shift = ${cInt(p.inputLeftShift)}`,
        ])
      : cStructDecl('tinyml_logistic_tanh_s16_params', `${ctx.prefix}_params`, [
          `.size = ${p.size}`,
          `.input_multiplier = ${cInt(p.inputMultiplier)}`,
          `.input_left_shift = ${cInt(p.inputLeftShift)}`,
        ]);
  return {
    kernels: ['logistic_tanh.c'],
    includes: ['logistic_tanh.h'],
    decls,
    call: `  ${fn}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
  };
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    LOGISTIC: NoAttrs;
    TANH: NoAttrs;
  }
}

/** The spec's fixed output quantization: [0, 1) for LOGISTIC, [-1, 1) for TANH. */
const FIXED_OUTPUT = {
  LOGISTIC: { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
  TANH: { int8: { scale: 1 / 128, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
};

function makeDef<T extends Kind>(type: T): OpDef<T, LogisticTanhParams> {
  return {
    type,
    // No options table in schema.fbs.
    tflite: { version: versionByInput(3, 2) },
    quant: { fixedOutput: FIXED_OUTPUT[type] },
    inferShapes: inferSameShape,
    macs: () => 0,
    prepare: (ctx) => normalizeParams(prepareLogisticTanh(type, ctx as OpContext<Kind>)),
    evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]) {
      if (p.kind === 'int8') evaluateInt8(type, p, inputs[0] as Int8Array, outputs[0] as Int8Array);
      else if (p.kind === 'int16') evaluateInt16(type, p, inputs[0] as Int16Array, outputs[0] as Int16Array);
      else evaluateFloat(type, p, inputs[0] as Float32Array, outputs[0] as Float32Array);
    },
    emitC: (p, names, ctx) => emitLogisticTanh(type, p, names, ctx),
  };
}

export const logistic: OpDef<'LOGISTIC', LogisticTanhParams> = makeDef('LOGISTIC');
export const tanh: OpDef<'TANH', LogisticTanhParams> = makeDef('TANH');
