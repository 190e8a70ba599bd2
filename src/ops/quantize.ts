/**
 * QUANTIZE and DEQUANTIZE as TFLite Micro computes them.
 *
 * QUANTIZE from float32: q = zp + round(x / scale), the division and the rounding (half away
 * from zero) in float32, then saturated to the output type. NaN quantizes to the zero point and
 * infinities saturate (TFLM leaves those undefined).
 * QUANTIZE between integer types (requantize): zp_out + (x - zp_in) * in_scale / out_scale with a
 * Q31 multiplier, saturated. Supported pairs (TFLM's): int8/int16 to int8/int16/int32, int32 to
 * int8/int16, uint8 <-> int8. With int32 on either side the subtraction and addition of zero
 * points wrap like two's-complement int32 (TFLM computes them in int32 without a check).
 * DEQUANTIZE: scale * (x - zp) rounded once to float32.
 */
import type { DType, TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAwayFromZero } from '../fixedpoint.js';
import type { OpContext, OpDef } from './op-def.js';
import { byteTable, cFloat, cInt, cStructDecl, elementCountOf, f32, inferSameShape, input, intRange, perTensorQuant, unsupportedDtypes, withNormalizedParams } from './elementwise-util.js';
import type { NoAttrs } from '../ir/attrs.js';
import { dtypeOf, emptyOptions, versionByInput } from './tflite-options.js';

type IntType = 'int8' | 'int16' | 'uint8' | 'int32';

export interface QuantizeFloatParams {
  kind: 'float32';
  outputType: 'int8' | 'int16';
  size: number;
  /** Output scale as a float32 value and output zero point. */
  scale: number;
  zeroPoint: number;
}

export interface RequantizeParams {
  /** The input type. */
  kind: IntType;
  outputType: IntType;
  size: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  /** in_scale / out_scale as a Q31 multiplier and power-of-two exponent (positive: left). */
  multiplier: number;
  shift: number;
}

export type QuantizeParams = QuantizeFloatParams | RequantizeParams;

export interface DequantizeParams {
  kind: IntType;
  size: number;
  scale: number;
  zeroPoint: number;
}

const REQUANTIZE_PAIRS = new Set([
  'int8>int8',
  'int8>int16',
  'int8>int32',
  'int16>int8',
  'int16>int16',
  'int16>int32',
  'int32>int8',
  'int32>int16',
  'uint8>int8',
  'int8>uint8',
]);

const SUFFIX: Record<IntType, string> = { int8: 's8', int16: 's16', uint8: 'u8', int32: 's32' };

function sizes(ctx: OpContext<'QUANTIZE' | 'DEQUANTIZE'>): number {
  const [shape] = inferSameShape(ctx);
  const size = elementCountOf(input(ctx, 0));
  const out = ctx.outputs[0];
  if (elementCountOf(out) !== size) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: output shape [${out.shape.join(', ')}] differs from the input shape [${shape.join(', ')}]`);
  }
  return size;
}

/** TFLite's float32 quantization of one value, saturated (NaN -> zero point). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  let q = roundHalfAwayFromZero(f32(x / scale));
  if (Number.isNaN(q)) q = 0;
  const v = q + zeroPoint;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    QUANTIZE: NoAttrs;
    DEQUANTIZE: NoAttrs;
  }
}

export const quantize: OpDef<'QUANTIZE', QuantizeParams> = withNormalizedParams<'QUANTIZE', QuantizeParams>({
  type: 'QUANTIZE',
  tflite: {
    options: emptyOptions('QuantizeOptions', 89),
    version: (graph, op) => (dtypeOf(graph, op.inputs[0]) === 'int16' || dtypeOf(graph, op.outputs[0]) === 'int16' ? 2 : 1),
  },
  // What QUANTIZE and DEQUANTIZE mean in a float graph is already quantized.
  quant: { notQuantizable: true },
  inferShapes: inferSameShape,
  macs: () => 0,

  prepare(ctx): QuantizeParams {
    const size = sizes(ctx);
    const x = input(ctx, 0);
    const out = ctx.outputs[0];
    if (out.dtype !== 'int8' && out.dtype !== 'int16' && out.dtype !== 'uint8' && out.dtype !== 'int32') throw unsupportedDtypes(ctx);
    const qo = perTensorQuant(ctx, out);
    if (x.dtype === 'float32') {
      if (out.dtype === 'uint8' || out.dtype === 'int32') throw unsupportedDtypes(ctx, 'TFLite Micro quantizes float32 to int8 or int16');
      return { kind: 'float32', outputType: out.dtype, size, scale: qo.scale, zeroPoint: qo.zeroPoint };
    }
    if (!REQUANTIZE_PAIRS.has(`${x.dtype}>${out.dtype}`)) {
      throw unsupportedDtypes(ctx, 'requantization supports int8/int16 -> int8/int16/int32, int32 -> int8/int16 and uint8 <-> int8');
    }
    const qi = perTensorQuant(ctx, x);
    const { multiplier, shift } = quantizeMultiplier(qi.scale / qo.scale);
    return {
      kind: x.dtype as IntType,
      outputType: out.dtype,
      size,
      inputZeroPoint: qi.zeroPoint,
      outputZeroPoint: qo.zeroPoint,
      multiplier,
      shift,
    };
  },

  evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
    const [qmin, qmax] = intRange(p.outputType);
    const out = outputs[0] as Int8Array | Int16Array | Uint8Array | Int32Array;
    if (p.kind === 'float32') {
      const x = inputs[0] as Float32Array;
      for (let i = 0; i < p.size; i++) out[i] = quantizeValue(x[i], p.scale, p.zeroPoint, qmin, qmax);
      return;
    }
    const x = inputs[0] as Int8Array | Int16Array | Uint8Array | Int32Array;
    const one = (q: number): number => {
      // `| 0`: int32 arithmetic (only int32 inputs or outputs can leave the range).
      const v = (multiplyByQuantizedMultiplier((q - p.inputZeroPoint) | 0, p.multiplier, p.shift) + p.outputZeroPoint) | 0;
      return v < qmin ? qmin : v > qmax ? qmax : v;
    };
    if (p.kind === 'int16' || p.kind === 'int32') {
      for (let i = 0; i < p.size; i++) out[i] = one(x[i]);
    } else {
      const { table, offset } = byteTable(p.kind === 'int8', one);
      for (let i = 0; i < p.size; i++) out[i] = table[x[i] + offset];
    }
  },

  emitC(p, names, ctx) {
    if (p.kind === 'float32') {
      return {
        kernels: ['quantize.c'],
        includes: ['quantize.h'],
        decls: cStructDecl('tinyml_quantize_params', `${ctx.prefix}_params`, [`.size = ${p.size}`, `.scale = ${cFloat(p.scale)}`, `.zero_point = ${cInt(p.zeroPoint)}`]),
        call: `  tinyml_quantize_f32_${SUFFIX[p.outputType as IntType]}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
      };
    }
    return {
      kernels: ['quantize.c'],
      includes: ['quantize.h'],
      decls: cStructDecl('tinyml_requantize_params', `${ctx.prefix}_params`, [
        `.size = ${p.size}`,
        `.input_zero_point = ${cInt(p.inputZeroPoint)}`,
        `.output_zero_point = ${cInt(p.outputZeroPoint)}`,
        `.multiplier = ${cInt(p.multiplier)}`,
        `.shift = ${cInt(p.shift)}`,
      ]),
      call: `  tinyml_requantize_${SUFFIX[p.kind]}_${SUFFIX[p.outputType]}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
});

export const dequantize: OpDef<'DEQUANTIZE', DequantizeParams> = withNormalizedParams<'DEQUANTIZE', DequantizeParams>({
  type: 'DEQUANTIZE',
  tflite: { options: emptyOptions('DequantizeOptions', 38), version: versionByInput(3, 2) },
  quant: { notQuantizable: true },
  inferShapes: inferSameShape,
  macs: () => 0,

  prepare(ctx): DequantizeParams {
    const size = sizes(ctx);
    const x = input(ctx, 0);
    const out = ctx.outputs[0];
    const inType: DType = x.dtype;
    if ((inType !== 'int8' && inType !== 'int16' && inType !== 'uint8') || out.dtype !== 'float32') {
      throw unsupportedDtypes(ctx, 'DEQUANTIZE supports int8, int16 and uint8 to float32');
    }
    const qi = perTensorQuant(ctx, x);
    return { kind: inType, size, scale: qi.scale, zeroPoint: qi.zeroPoint };
  },

  evaluate(p, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
    const x = inputs[0] as Int8Array | Int16Array | Uint8Array;
    const out = outputs[0] as Float32Array;
    // The exact product fits a double, so this rounds once, like TFLM's double-then-float.
    for (let i = 0; i < p.size; i++) out[i] = p.scale * (x[i] - p.zeroPoint);
  },

  emitC(p, names, ctx) {
    if (!(p.kind in SUFFIX)) throw new UnsupportedOpError(`DEQUANTIZE ${p.kind} has no C kernel`);
    return {
      kernels: ['quantize.c'],
      includes: ['quantize.h'],
      decls: cStructDecl('tinyml_dequantize_params', `${ctx.prefix}_params`, [`.size = ${p.size}`, `.scale = ${cFloat(p.scale)}`, `.zero_point = ${cInt(p.zeroPoint)}`]),
      call: `  tinyml_dequantize_${SUFFIX[p.kind]}_f32(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
});
