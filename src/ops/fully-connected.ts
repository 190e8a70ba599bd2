/**
 * FULLY_CONNECTED: output[b, o] = sum_d input[b, d] * weights[o, d] + bias[o], weights [out, in].
 * The input is flattened to (elements / in) rows; keep_num_dims keeps its leading dimensions.
 *
 * Reference: TFLite Micro's fully_connected kernel: reference_integer_ops::FullyConnected
 * (per-tensor weights, with a weights offset) and FullyConnectedPerChannel, for int8 and 16x8
 * (int64 bias, or int32 bias with an int32 accumulator); reference_ops::FullyConnected for float.
 */
import { GraphError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { elementCount } from '../ir/types.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../fixedpoint.js';
import {
  checkArity,
  checkBias,
  classifyDtypes,
  cInt32Array,
  convMultipliers,
  cPointer,
  cStructInit,
  filterScales,
  floatActivationRange,
  floatKernelUnsupported,
  kernelFunction,
  normalizeParams,
  opLabel,
  quantCommonFields,
  quantizedActivationRange,
  requantize16,
  requireRank,
  tensorQuant,
  zeroPointOffset,
  type Accumulator,
  type QuantKind,
} from './conv2d.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';

export interface FullyConnectedGeometry {
  /** Rows: input elements / inputDepth. */
  batches: number;
  /** Accumulation depth: weights dimension 1. */
  inputDepth: number;
  /** Units: weights dimension 0. */
  outputDepth: number;
  hasBias: boolean;
}

export interface FullyConnectedQuantParams extends FullyConnectedGeometry {
  kind: QuantKind;
  /** int32 for int8; for 16x8, int64 unless the bias is int32. */
  accumulator: Accumulator;
  /** -input zero point (TFLM applies it for int16 too). */
  inputOffset: number;
  /** -weights zero point for per-tensor weights (0 in practice); 0 for per-channel. */
  weightsOffset: number;
  outputOffset: number;
  activationMin: number;
  activationMax: number;
  perChannel: boolean;
  outputMultiplier: number[];
  outputShift: number[];
}

export interface FullyConnectedFloatParams extends FullyConnectedGeometry {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type FullyConnectedParams = FullyConnectedQuantParams | FullyConnectedFloatParams;

function shapes(ctx: OpContext<'FULLY_CONNECTED'>): { geometry: FullyConnectedGeometry; outputShape: number[] } {
  checkArity(ctx, 2, 3);
  const [input, weights, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  requireRank(ctx, weights, 2, 'weights');
  const [units, depth] = weights.shape;
  const n = elementCount(input.shape);
  if (input.shape.length === 0 || depth <= 0 || n % depth !== 0) {
    throw new GraphError(`${opLabel(ctx)}: input [${input.shape.join(', ')}] does not split into rows of ${depth} (weights [${weights.shape.join(', ')}])`);
  }
  checkBias(ctx, bias, units);
  let outputShape: number[];
  if (ctx.op.attrs.keepNumDims) {
    const last = input.shape[input.shape.length - 1];
    if (last !== depth) {
      throw new GraphError(`${opLabel(ctx)}: keep_num_dims needs the input's last dimension (${last}) to equal the weights' depth ${depth}`);
    }
    outputShape = [...input.shape.slice(0, -1), units];
  } else {
    outputShape = [n / depth, units];
  }
  return { geometry: { batches: n / depth, inputDepth: depth, outputDepth: units, hasBias: bias !== undefined }, outputShape };
}

function prepare(ctx: OpContext<'FULLY_CONNECTED'>): FullyConnectedParams {
  const g = shapes(ctx).geometry;
  const [input, weights, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  const output = ctx.outputs[0];
  const { kind, accumulator } = classifyDtypes(ctx, input, weights, bias, output, true);
  const activation = ctx.op.attrs.activation;
  if (kind === 'float32') {
    const r = floatActivationRange(activation);
    return { ...g, kind, activationMin: r.min, activationMax: r.max };
  }
  const iq = tensorQuant(ctx, input, 'input');
  const oq = tensorQuant(ctx, output, 'output');
  const scales = filterScales(ctx, weights, 0, g.outputDepth);
  const perChannel = scales.length > 1;
  let multiplier: number[];
  let shift: number[];
  if (perChannel) {
    ({ multiplier, shift } = convMultipliers(iq.scale, scales, oq.scale));
  } else {
    // Per-tensor FC goes through GetQuantizedConvolutionMultipler, which multiplies the input and
    // weight scales in float32 before widening (unlike the per-channel path's double product).
    const product = Math.fround(Math.fround(iq.scale) * Math.fround(scales[0]));
    const q = quantizeMultiplier(product / Math.fround(oq.scale));
    multiplier = [q.multiplier];
    shift = [q.shift];
  }
  const r = quantizedActivationRange(activation, kind, oq.scale, oq.zeroPoint);
  return {
    ...g,
    kind,
    accumulator,
    inputOffset: zeroPointOffset(iq.zeroPoint),
    weightsOffset: perChannel ? 0 : zeroPointOffset(weights.quant?.zeroPoint[0] ?? 0),
    outputOffset: oq.zeroPoint,
    activationMin: r.min,
    activationMax: r.max,
    perChannel,
    outputMultiplier: multiplier,
    outputShift: shift,
  };
}

function evaluate(p: FullyConnectedParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const depth = p.inputDepth;
  const units = p.outputDepth;
  if (p.kind === 'float32') {
    const input = inputs[0] as Float32Array;
    const weights = inputs[1] as Float32Array;
    const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
    const out = outputs[0] as Float32Array;
    const fr = Math.fround;
    for (let b = 0; b < p.batches; b++) {
      for (let o = 0; o < units; o++) {
        let acc = 0;
        const ip = b * depth;
        const wp = o * depth;
        for (let d = 0; d < depth; d++) acc = fr(acc + fr(input[ip + d] * weights[wp + d]));
        const v = fr(acc + (bias ? bias[o] : 0));
        out[b * units + o] = Math.min(Math.max(v, p.activationMin), p.activationMax);
      }
    }
    return;
  }
  const input = inputs[0] as Int8Array | Int16Array;
  const weights = inputs[1] as Int8Array;
  const out = outputs[0] as Int8Array | Int16Array;
  const { inputOffset: inOff, weightsOffset: wOff, outputOffset: outOff, activationMin: lo, activationMax: hi } = p;
  const wide = p.kind === 'int16';
  const bias = p.hasBias ? (inputs[2] as Int32Array | BigInt64Array) : undefined;
  for (let b = 0; b < p.batches; b++) {
    const ip = b * depth;
    for (let o = 0; o < units; o++) {
      const wp = o * depth;
      let acc = 0;
      if (wOff === 0) {
        for (let d = 0; d < depth; d++) acc += weights[wp + d] * (input[ip + d] + inOff);
      } else {
        for (let d = 0; d < depth; d++) acc += (weights[wp + d] + wOff) * (input[ip + d] + inOff);
      }
      const ch = p.perChannel ? o : 0;
      let v: number;
      if (wide) {
        v = requantize16(acc, bias, o, p.accumulator, p.outputMultiplier[ch], p.outputShift[ch]) + outOff;
      } else {
        const total = (bias ? acc + (bias as Int32Array)[o] : acc) | 0;
        v = multiplyByQuantizedMultiplier(total, p.outputMultiplier[ch], p.outputShift[ch]) + outOff;
      }
      out[b * units + o] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

function emitC(p: FullyConnectedParams, names: EmitNames, ctx: EmitContext): CEmission {
  if (p.kind === 'float32') floatKernelUnsupported(ctx, 'FULLY_CONNECTED');
  const fields: Record<string, string | number> = {
    batches: p.batches,
    input_depth: p.inputDepth,
    output_depth: p.outputDepth,
    weights_offset: p.weightsOffset,
    ...quantCommonFields(p, ctx.prefix),
  };
  const decls = [
    cInt32Array(`${ctx.prefix}_mult`, p.outputMultiplier),
    cInt32Array(`${ctx.prefix}_shift`, p.outputShift),
    cStructInit('tinyml_fully_connected_params', `${ctx.prefix}_params`, fields),
  ].join('\n');
  const fn = kernelFunction('tinyml_fully_connected', p.kind, p.accumulator);
  const args = [`&${ctx.prefix}_params`, names.inputs[0], names.inputs[1], cPointer(p.hasBias ? names.inputs[2] : undefined), names.outputs[0]];
  return { kernels: ['fully_connected.c'], includes: ['fully_connected.h'], decls, call: `  ${fn}(${args.join(', ')});` };
}

export const fullyConnected: OpDef<'FULLY_CONNECTED', FullyConnectedParams> = {
  type: 'FULLY_CONNECTED',
  inferShapes(ctx) {
    return [shapes(ctx).outputShape];
  },
  macs(ctx) {
    const g = shapes(ctx).geometry;
    return g.batches * g.outputDepth * g.inputDepth;
  },
  prepare: (ctx) => normalizeParams(prepare(ctx)),
  evaluate,
  emitC,
};
