/**
 * FULLY_CONNECTED: output[b, o] = sum_d input[b, d] * weights[o, d] + bias[o], weights [out, in].
 * The input is flattened to (elements / in) rows; keep_num_dims keeps its leading dimensions.
 *
 * Reference: TFLite Micro's fully_connected kernel: reference_integer_ops::FullyConnected
 * (per-tensor weights, with a weights offset) and FullyConnectedPerChannel, for int8 and 16x8
 * (int64 bias, or int32 bias with an int32 accumulator); reference_ops::FullyConnected for float.
 */
import type { SubByteKind } from '../ir/weight-encoding.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import { type Tensor, type TensorData, elementCount } from '../ir/types.js';
import { quantizeMultiplier } from '../fixedpoint.js';
import { ACC_CHUNK, SCRATCH_ACC, SCRATCH_INPUT, SCRATCH_WEIGHTS, dotRowsFloat, dotRowsInt8, f64Scratch, gemmF64, toF64 } from './gemm-f64.js';
import { checkArity, checkBias, classifyDtypes, convMultipliers, filterScales, floatActivationRange, normalizeParams, withSubByteWeights, opLabel, quantizedActivationRange, requireRank, tensorQuant, zeroPointOffset, type Accumulator, type QuantKind, type QuantLayerFields, finishReference } from './layer-params.js';
import { cInt32Array, cPointer, cStructInit, emitFloatConvLike, kernelFunction, quantCommonFields } from './c-emit.js';
import { finalizeOutputs, outputStage } from './requant-fast.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { checkRequant64Limits, maxAbsAccumulators } from './requant64-limits.js';
import type { FusedActivation } from '../ir/attrs.js';
import { dtypeOf, type TfliteMapping } from './tflite-options.js';
import { withHybridForm } from './hybrid/common.js';
import { evaluateHybridFullyConnected, prepareHybridFullyConnected, type HybridFullyConnectedParams } from './hybrid/fully-connected.js';

export interface FullyConnectedGeometry {
  /** Rows: input elements / inputDepth. */
  batches: number;
  /** Accumulation depth: weights dimension 1. */
  inputDepth: number;
  /** Units: weights dimension 0. */
  outputDepth: number;
  hasBias: boolean;
}

/** Unlike the conv-like kernels, TFLM's 16x8 fully connected applies the input and output offsets. */
export interface FullyConnectedQuantParams extends FullyConnectedGeometry, QuantLayerFields {
  kind: QuantKind;
  /** int32 for int8; for 16x8, int64 unless the bias is int32. */
  accumulator: Accumulator;
  /** -weights zero point for per-tensor weights (0 in practice); 0 for per-channel. */
  weightsOffset: number;
  /** Set when the constant weights are stored sub-byte (decoded values in the tensor; see ops/subbyte/). */
  weightEncoding?: SubByteKind;
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
  if (kind === 'int16' && accumulator === 'int64') {
    // TFLM's 16x8 fully connected applies the input (and per-tensor weights) offsets.
    const depth = g.inputDepth;
    const totals = maxAbsAccumulators({
      weights,
      bias,
      channels: g.outputDepth,
      taps: depth,
      index: (c, k) => c * depth + k,
      inputOffset: zeroPointOffset(iq.zeroPoint),
      weightsOffset: perChannel ? 0 : zeroPointOffset(weights.quant?.zeroPoint[0] ?? 0),
    });
    checkRequant64Limits(ctx, multiplier, shift, perChannel, totals);
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

/**
 * The input rows become doubles with the input offset applied; each row is multiplied with the
 * weights (read in place for a few rows, converted once for many rows or a weights offset) and
 * the accumulators are requantized per output kind (conv2d.ts's shared kernels).
 */
function evaluate(p: FullyConnectedParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  // `| 0`: V8 may hold params fields as doubles; int32 locals keep all index arithmetic integral.
  const depth = p.inputDepth | 0;
  const units = p.outputDepth | 0;
  const batches = p.batches | 0;
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  const weights = inputs[1] as Int8Array | Float32Array;
  const bias = p.hasBias ? inputs[2] : undefined;
  const inOff = p.kind === 'float32' ? 0 : p.inputOffset | 0;
  const wOff = p.kind === 'float32' ? 0 : p.weightsOffset | 0;
  // Unlike the conv kernels, TFLM's 16x8 fully connected kernel adds the output zero point.
  const outOff = p.kind === 'float32' ? 0 : p.outputOffset | 0;
  const stage = outputStage(p, units, bias, outputs[0], outOff);
  const X = toF64(input, 0, batches * depth, inOff, f64Scratch(SCRATCH_INPUT, batches * depth));
  const rowsPerChunk = Math.max(1, Math.floor(ACC_CHUNK / units)) | 0;
  const acc = f64Scratch(SCRATCH_ACC, Math.min(batches, rowsPerChunk) * units);
  const convert = batches >= 4 || wOff !== 0;
  const W = convert ? toF64(weights, 0, units * depth, wOff, f64Scratch(SCRATCH_WEIGHTS, units * depth)) : undefined;
  for (let b0 = 0; b0 < batches; b0 += rowsPerChunk) {
    const rows = Math.min(batches - b0, rowsPerChunk) | 0;
    if (W !== undefined) {
      gemmF64(X, b0 * depth, depth, rows, W, 0, depth, units, acc, 0, units);
    } else {
      for (let r = 0; r < rows; r++) {
        if (weights instanceof Int8Array) dotRowsInt8(X, (b0 + r) * depth, depth, weights, 0, units, acc, r * units);
        else dotRowsFloat(X, (b0 + r) * depth, depth, weights, 0, units, acc, r * units);
      }
    }
    finalizeOutputs(stage, acc, rows, units, b0 * units);
  }
}

/**
 * The plain reference (the oracle): TFLite Micro's reference_integer_ops::FullyConnected and
 * reference_ops::FullyConnected loops. `evaluate` is the fast host path, tested equal to this.
 */
export function fullyConnectedReference(p: FullyConnectedParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const output = outputs[0];
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  const weights = inputs[1] as Int8Array | Float32Array;
  const depth = p.inputDepth;
  for (let b = 0; b < p.batches; b++) {
    for (let o = 0; o < p.outputDepth; o++) {
      let acc = 0;
      for (let d = 0; d < depth; d++) {
        const x = input[b * depth + d];
        const w = weights[o * depth + d];
        if (p.kind === 'float32') acc += x * w;
        else acc += (w + p.weightsOffset) * (x + p.inputOffset);
      }
      output[b * p.outputDepth + o] = finishReference(p, acc, inputs[2], o, p.kind === 'float32' ? 0 : p.outputOffset);
    }
  }
}

function emitC(p: FullyConnectedParams, names: EmitNames, ctx: EmitContext): CEmission {
  if (p.kind === 'float32') {
    const geometry = { batches: p.batches, input_depth: p.inputDepth, output_depth: p.outputDepth };
    const args = { input: names.inputs[0], weights: names.inputs[1], bias: p.hasBias ? names.inputs[2] : undefined, output: names.outputs[0] };
    return emitFloatConvLike('fully_connected', 'tinyml_fully_connected', p, geometry, args, ctx);
  }
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

export interface FullyConnectedAttrs {
  activation: FusedActivation;
  keepNumDims: boolean;
  /** Hybrid layers (float input, int8 weights): quantize each input row with a zero point (absent: false). */
  asymmetricQuantizeInputs?: boolean;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    FULLY_CONNECTED: FullyConnectedAttrs;
  }
}

/**
 * FullyConnectedOptions: 0 fused_activation_function, 1 weights_format (DEFAULT = 0,
 * SHUFFLED4x16INT8 = 1), 2 keep_num_dims, 3 asymmetric_quantize_inputs (4 quantized_bias_type).
 */
const fullyConnectedTflite: TfliteMapping<FullyConnectedAttrs> = {
  options: {
    table: 'FullyConnectedOptions',
    unionType: 8,
    fields: [
      { id: 0, name: 'fused_activation_function', kind: 'i8' },
      { id: 1, name: 'weights_format', kind: 'i8' },
      { id: 2, name: 'keep_num_dims', kind: 'bool' },
      { id: 3, name: 'asymmetric_quantize_inputs', kind: 'bool' },
    ],
    read(v, c) {
      const format = v.num('weights_format');
      if (format !== 0) {
        throw new UnsupportedOpError(
          `${c.label} uses weights_format ${format === 1 ? 'SHUFFLED4x16INT8' : format}; tinyml only supports the DEFAULT weights format`,
        );
      }
      return {
        activation: c.activation(v.num('fused_activation_function')),
        keepNumDims: v.bool('keep_num_dims'),
        ...(v.bool('asymmetric_quantize_inputs') ? { asymmetricQuantizeInputs: true } : {}),
      };
    },
    write: (a, c) => ({
      fused_activation_function: c.activation(a.activation),
      keep_num_dims: a.keepNumDims,
      asymmetric_quantize_inputs: a.asymmetricQuantizeInputs === true,
    }),
  },
  version(graph, op) {
    const [in0, in1] = [dtypeOf(graph, op.inputs[0]), dtypeOf(graph, op.inputs[1])];
    if (in0 === 'int16' && in1 === 'int8') return 7;
    if (op.inputs.length < 3 || op.inputs[2] < 0) return 6;
    if ((op.attrs as FullyConnectedAttrs).keepNumDims) return 5;
    if (in0 === 'int8' && in1 === 'int8') return 4;
    if (in0 === 'float32' && in1 === 'int8') return (op.attrs as FullyConnectedAttrs).asymmetricQuantizeInputs ? 9 : 3; // hybrid
    return 1;
  },
};

export const fullyConnected: OpDef<'FULLY_CONNECTED', FullyConnectedParams | HybridFullyConnectedParams> = {
  type: 'FULLY_CONNECTED',
  tflite: fullyConnectedTflite,
  quant: { weights: { weights: 1, axis: 0, bias: 2, input: 0 } },
  inferShapes(ctx) {
    return [shapes(ctx).outputShape];
  },
  macs(ctx) {
    const g = shapes(ctx).geometry;
    return g.batches * g.outputDepth * g.inputDepth;
  },
  // Hybrid layers (float activations, int8 weights) are ops/hybrid/'s; their C kernel is a
  // kernel variant registered there.
  ...withHybridForm(
    { prepare: (ctx) => normalizeParams(withSubByteWeights(ctx, prepare(ctx))), evaluate, reference: fullyConnectedReference, emitC },
    { prepare: (ctx) => prepareHybridFullyConnected(ctx, shapes(ctx).geometry), evaluate: evaluateHybridFullyConnected },
  ),
};
