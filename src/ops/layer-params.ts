/**
 * Prepare-time helpers of the layers with weights (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
 * TRANSPOSE_CONV): arity and rank checks, per-tensor and per-channel quantization constants,
 * fused-activation clamp ranges, the dtype combinations the kernels take, and the scalar 16x8
 * requantization the reference loops use.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { FusedActivation } from '../ir/attrs.js';
import { describeOp, type DType, elementCount, type Quantization, type Tensor, type TensorData } from '../ir/types.js';
import { multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplier64, quantizeMultiplier, roundHalfAwayFromZero } from '../fixedpoint.js';
import type { OpContext } from './op-def.js';
import type { SubByteKind } from '../ir/weight-encoding.js';
import { packedKindOf } from '../ir/weight-packing.js';
import { checkRequant64Limits, maxAbsAccumulators } from './requant64-limits.js';

/** std::numeric_limits<float>::max(): the "no clamp" bound of the float kernels (JSON-safe, unlike Infinity). */
export const FLT_MAX = 3.4028234663852886e38;

export function opLabel(ctx: OpContext): string {
  return describeOp(ctx.graph, ctx.op);
}

/** Checks input/output counts; optional trailing inputs may be absent or -1. */
export function checkArity(ctx: OpContext, minInputs: number, maxInputs: number, outputs = 1): void {
  const n = ctx.op.inputs.length;
  if (n < minInputs || n > maxInputs) {
    const want = minInputs === maxInputs ? `${minInputs}` : `${minInputs} to ${maxInputs}`;
    throw new GraphError(`${opLabel(ctx)}: expects ${want} inputs, got ${n}`);
  }
  for (let i = 0; i < minInputs; i++) {
    if (!ctx.inputs[i]) throw new GraphError(`${opLabel(ctx)}: required input ${i} is missing`);
  }
  if (ctx.op.outputs.length !== outputs) {
    throw new GraphError(`${opLabel(ctx)}: expects ${outputs} output(s), got ${ctx.op.outputs.length}`);
  }
}

export function requireRank(ctx: OpContext, t: Tensor, rank: number, role: string): void {
  if (t.shape.length !== rank) {
    throw new GraphError(`${opLabel(ctx)}: ${role} '${t.name}' must be ${rank}-D, got [${t.shape.join(', ')}]`);
  }
}

/** Per-tensor scale and zero point of an activation tensor; throws if it is not quantized. */
export function tensorQuant(ctx: OpContext, t: Tensor, role: string): { scale: number; zeroPoint: number } {
  const q = t.quant;
  if (!q || q.scale.length === 0) {
    throw new GraphError(`${opLabel(ctx)}: ${role} '${t.name}' is ${t.dtype} but has no quantization parameters`);
  }
  if (q.scale.length !== 1) {
    throw new UnsupportedOpError(`${opLabel(ctx)}: ${role} '${t.name}' is quantized per channel; only its weights may be`);
  }
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] ?? 0 };
}

/**
 * The kernels' input offset, -zeroPoint, without producing -0: a -0 would turn an integer field
 * of the params into a double, and the evaluate loops would deoptimize on the changed shape.
 */
export function zeroPointOffset(zeroPoint: number): number {
  return zeroPoint === 0 ? 0 : -zeroPoint;
}

/**
 * An int8 layer's params with `weightEncoding` set when its constant weights (input 1) are
 * stored sub-byte: the sub-byte kernel variants (ops/subbyte/) take exactly those layers. The
 * arithmetic is the int8 layer's on the decoded weights, so nothing else changes.
 */
export function withSubByteWeights<P extends { kind: string }>(ctx: OpContext, p: P): P & { weightEncoding?: SubByteKind } {
  const w = ctx.inputs[1];
  const kind = packedKindOf(w?.weightEncoding);
  if (p.kind !== 'int8' || !w?.data || !kind) return p;
  return { ...p, weightEncoding: kind };
}

/**
 * Rebuilds a params object with every integral number as a small integer (zero points read from
 * a model arrive as heap doubles). Params of one op type then share one hidden class, so the
 * evaluate loops stay optimized across ops instead of deoptimizing on each new field layout.
 */
export function normalizeParams<T extends object>(p: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) out[k] = v | 0;
    else if (Array.isArray(v)) out[k] = v.map((x: unknown) => (typeof x === 'number' && Number.isInteger(x) ? x | 0 : x));
    else out[k] = v;
  }
  return out as T;
}

/** The weights' scales: one (per tensor) or one per channel along `channelDim`. */
export function filterScales(ctx: OpContext, filter: Tensor, channelDim: number, channels: number): number[] {
  const q: Quantization | undefined = filter.quant;
  if (!q || q.scale.length === 0) {
    throw new GraphError(`${opLabel(ctx)}: weights '${filter.name}' are ${filter.dtype} but have no quantization parameters`);
  }
  if (q.scale.length === 1) return [q.scale[0]];
  if (q.scale.length !== channels || q.quantizedDimension !== channelDim) {
    throw new GraphError(
      `${opLabel(ctx)}: weights '${filter.name}' have ${q.scale.length} scales along dimension ${q.quantizedDimension}; ` +
        `expected 1 or ${channels} along dimension ${channelDim}`,
    );
  }
  return q.scale;
}

/**
 * Per-channel requantization constants, as PopulateConvolutionQuantizationParams computes them:
 * input_scale * filter_scale / output_scale in double precision from the float32 scales.
 */
export function convMultipliers(inputScale: number, scales: readonly number[], outputScale: number): { multiplier: number[]; shift: number[] } {
  const multiplier: number[] = [];
  const shift: number[] = [];
  const si = Math.fround(inputScale);
  const so = Math.fround(outputScale);
  for (const s of scales) {
    const q = quantizeMultiplier((si * Math.fround(s)) / so);
    multiplier.push(q.multiplier);
    shift.push(q.shift);
  }
  return { multiplier, shift };
}

/** TFLite CalculateActivationRangeQuantized: the fused activation as a clamp on quantized outputs. */
export function quantizedActivationRange(
  activation: FusedActivation,
  dtype: 'int8' | 'int16',
  scale: number,
  zeroPoint: number,
): { min: number; max: number } {
  const qmin = dtype === 'int8' ? -128 : -32768;
  const qmax = dtype === 'int8' ? 127 : 32767;
  // The reference quantizes the bound in float32: round(f / scale) with a float division.
  const quantize = (f: number): number => zeroPoint + roundHalfAwayFromZero(Math.fround(Math.fround(f) / Math.fround(scale)));
  switch (activation) {
    case 'RELU':
      return { min: Math.max(qmin, quantize(0)), max: qmax };
    case 'RELU6':
      return { min: Math.max(qmin, quantize(0)), max: Math.min(qmax, quantize(6)) };
    case 'RELU_N1_TO_1':
      return { min: Math.max(qmin, quantize(-1)), max: Math.min(qmax, quantize(1)) };
    default:
      // TFLite applies no clamp for NONE, and also (silently) for TANH and SIGN_BIT.
      return { min: qmin, max: qmax };
  }
}

/** TFLite CalculateActivationRange for float kernels. */
export function floatActivationRange(activation: FusedActivation): { min: number; max: number } {
  switch (activation) {
    case 'RELU':
      return { min: 0, max: FLT_MAX };
    case 'RELU6':
      return { min: 0, max: 6 };
    case 'RELU_N1_TO_1':
      return { min: -1, max: 1 };
    default:
      return { min: -FLT_MAX, max: FLT_MAX };
  }
}

/**
 * The dtype combinations the conv-like kernels take: int8 (int32 bias), 16x8 (int16 activations,
 * int8 weights; bias int64, or int32 where `int16Bias32` says TFLM accepts it) and float32.
 */
export type QuantKind = 'int8' | 'int16';
export type Accumulator = 'int32' | 'int64';

export function classifyDtypes(
  ctx: OpContext,
  input: Tensor,
  filter: Tensor,
  bias: Tensor | undefined,
  output: Tensor,
  int16Bias32: boolean,
): { kind: QuantKind | 'float32'; accumulator: Accumulator } {
  const i = input.dtype;
  const w = filter.dtype;
  const b: DType | undefined = bias?.dtype;
  const o = output.dtype;
  if (i === 'int8' && w === 'int8' && o === 'int8' && (b === undefined || b === 'int32')) return { kind: 'int8', accumulator: 'int32' };
  if (i === 'int16' && w === 'int8' && o === 'int16') {
    if (b === undefined || b === 'int64') return { kind: 'int16', accumulator: 'int64' };
    if (b === 'int32' && int16Bias32) return { kind: 'int16', accumulator: 'int32' };
  }
  if (i === 'float32' && w === 'float32' && o === 'float32' && (b === undefined || b === 'float32')) return { kind: 'float32', accumulator: 'int32' };
  const hybrid =
    i === 'float32' && (w === 'int8' || w === 'int16')
      ? ' This is a hybrid (dynamic-range quantized) model, which TFLite Micro does not run either: convert it with full integer quantization.'
      : '';
  throw new UnsupportedOpError(
    `${opLabel(ctx)}: ${ctx.op.type} does not support input ${i}, weights ${w}, bias ${b ?? 'none'}, output ${o}. ` +
      `Supported: int8/int8/int32->int8, int16/int8/int64${int16Bias32 ? ' or int32' : ''}->int16 (16x8), and float32.${hybrid}`,
  );
}

export function checkBias(ctx: OpContext, bias: Tensor | undefined, channels: number): void {
  if (bias && elementCount(bias.shape) !== channels) {
    throw new GraphError(`${opLabel(ctx)}: bias '${bias.name}' has ${elementCount(bias.shape)} elements, expected ${channels} (one per output channel)`);
  }
}

/** Requantizes a finished accumulator the way the kernel's accumulator width dictates. */
export function requantize16(acc: number, bias: BigInt64Array | Int32Array | undefined, ch: number, accumulator: Accumulator, mult: number, shift: number): number {
  if (accumulator === 'int64') {
    // Products of int16 x int8 summed in a double stay exact; only the bias and the 64-bit
    // rescale need BigInt.
    const total = bias ? BigInt(acc) + (bias as BigInt64Array)[ch] : BigInt(acc);
    return multiplyByQuantizedMultiplier64(total, mult, shift);
  }
  const total = (bias ? acc + (bias as Int32Array)[ch] : acc) | 0;
  return multiplyByQuantizedMultiplier(total, mult, shift);
}

export interface FinishParams {
  kind: QuantKind | 'float32';
  hasBias: boolean;
  activationMin: number;
  activationMax: number;
  accumulator?: 'int32' | 'int64';
  perChannel?: boolean;
  outputMultiplier?: number[];
  outputShift?: number[];
}

/**
 * Bias, requantization and clamp of one finished accumulator, as the reference kernels do it
 * (float32: the double sum plus bias, clamped, rounded to float32 once).
 */
export function finishReference(p: FinishParams, acc: number, biasData: TensorData | undefined, oc: number, outOff: number): number {
  const bias = p.hasBias ? biasData : undefined;
  if (p.kind === 'float32') {
    const v = acc + (bias ? (bias as Float32Array)[oc] : 0);
    return Math.fround(Math.min(Math.max(v, p.activationMin), p.activationMax));
  }
  const ch = p.perChannel ? oc : 0;
  const m = p.outputMultiplier![ch];
  const s = p.outputShift![ch];
  let v: number;
  if (p.kind === 'int16') {
    v = requantize16(acc, bias as BigInt64Array | Int32Array | undefined, oc, p.accumulator!, m, s) + outOff;
  } else {
    const total = (bias ? acc + (bias as Int32Array)[oc] : acc) | 0;
    v = multiplyByQuantizedMultiplier(total, m, s) + outOff;
  }
  return Math.min(Math.max(v, p.activationMin), p.activationMax);
}

/** The requantization fields the quantized conv-like params share. */
export interface QuantLayerFields {
  /** -input zero point (0 for the 16x8 conv-like kernels, which ignore zero points). */
  inputOffset: number;
  /** Output zero point (as inputOffset). */
  outputOffset: number;
  /** Output clamp from the fused activation, in output quantized units. */
  activationMin: number;
  activationMax: number;
  /** false: one multiplier/shift for all channels (per-tensor weights). */
  perChannel: boolean;
  outputMultiplier: number[];
  /** Power-of-two exponents: positive shifts left. */
  outputShift: number[];
}

/**
 * The window fields the conv-like ops' params share (their geometry adds what is particular to
 * each: groups, depth multiplier, dilation).
 */
/** The NHWC output shape of a windowed layer (inferShapes' answer). */
export function windowOutputShapes(g: WindowFields): number[][] {
  return [[g.batches, g.outputHeight, g.outputWidth, g.outputDepth]];
}

export interface WindowFields {
  batches: number;
  inputHeight: number;
  inputWidth: number;
  inputDepth: number;
  filterHeight: number;
  filterWidth: number;
  outputHeight: number;
  outputWidth: number;
  outputDepth: number;
  strideHeight: number;
  strideWidth: number;
  /** Leading (top/left) padding (TRANSPOSE_CONV: output cropped there); the trailing side gets pad + offset. */
  padHeight: number;
  padWidth: number;
  padHeightOffset: number;
  padWidthOffset: number;
  hasBias: boolean;
}

/**
 * The quantized half of a conv-like prepare (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV): the
 * multipliers from the input, per-channel filter (along `channelDim`) and output scales, the
 * offsets (none in 16x8) and the clamp range. `check64` lays out each output channel's taps in
 * the weights when the kernel requantizes a 64-bit accumulator, whose limits are then checked.
 */
export function quantLayerFields(
  ctx: OpContext,
  t: { input: Tensor; filter: Tensor; bias: Tensor | undefined; output: Tensor },
  kind: QuantKind,
  activation: FusedActivation,
  channelDim: number,
  channels: number,
  check64?: { taps: number; index: (channel: number, tap: number) => number },
): QuantLayerFields {
  const iq = tensorQuant(ctx, t.input, 'input');
  const oq = tensorQuant(ctx, t.output, 'output');
  const scales = filterScales(ctx, t.filter, channelDim, channels);
  const m = convMultipliers(iq.scale, scales, oq.scale);
  if (check64) {
    // The 16x8 kernels have no input offset.
    const totals = maxAbsAccumulators({ weights: t.filter, bias: t.bias, channels, taps: check64.taps, index: check64.index, inputOffset: 0, weightsOffset: 0 });
    checkRequant64Limits(ctx, m.multiplier, m.shift, scales.length > 1, totals);
  }
  const r = quantizedActivationRange(activation, kind, oq.scale, oq.zeroPoint);
  return {
    inputOffset: kind === 'int8' ? zeroPointOffset(iq.zeroPoint) : 0,
    outputOffset: kind === 'int8' ? oq.zeroPoint : 0,
    activationMin: r.min,
    activationMax: r.max,
    perChannel: scales.length > 1,
    outputMultiplier: m.multiplier,
    outputShift: m.shift,
  };
}

/**
 * The kernels' weights offset, -weights zero point: TFLite's uint8 kernels subtract it (a legacy
 * uint8 model's weights become int8 with zero point z - 128, see passes/uint8-tflite.ts); the
 * int8 spec has it 0. Only one per tensor, and only with int8 activations: the per-channel and
 * 16x8 kernels (TFLite Micro's) have no weights offset, so a non-zero one there is refused.
 */
export function weightsOffsetOf(ctx: OpContext, filter: Tensor, kind: QuantKind): number {
  const zps = filter.quant?.zeroPoint ?? [];
  if (zps.every((z) => z === 0)) return 0;
  if (kind !== 'int8' || zps.length !== 1) {
    throw new UnsupportedOpError(
      `${opLabel(ctx)}: weights '${filter.name}' have zero point${zps.length > 1 ? 's' : ''} ${zps.slice(0, 4).join(', ')}${zps.length > 4 ? ', ...' : ''}; ` +
        `tinyml supports a non-zero weights zero point only per tensor with int8 (or legacy uint8) activations, as TFLite's kernels do; quantize the weights symmetrically`,
    );
  }
  return zeroPointOffset(zps[0]);
}

/**
 * The prepare of CONV_2D and DEPTHWISE_CONV_2D once their geometry is known: input 0 the
 * activation, 1 the filter, 2 the optional bias; the dtype combination (`int32BiasFor16x8`: the
 * kernel also takes 16x8 with an int32 bias), then the float clamp range or the quantized
 * fields, with the filter quantized per channel along `channelDim`. `check64` lays out each
 * channel's taps for the 64-bit accumulator limits, when the kind has one.
 */
export function prepareWindowed<G extends object>(
  ctx: OpContext,
  g: G,
  o: {
    int32BiasFor16x8: boolean;
    channelDim: number;
    channels: number;
    check64: (kind: QuantKind, accumulator: Accumulator) => { taps: number; index: (channel: number, tap: number) => number } | undefined;
  },
): (G & { kind: 'float32'; activationMin: number; activationMax: number }) | (G & { kind: QuantKind; accumulator: Accumulator; weightsOffset: number } & QuantLayerFields) {
  const [input, filter, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  const output = ctx.outputs[0];
  const { kind, accumulator } = classifyDtypes(ctx, input, filter, bias, output, o.int32BiasFor16x8);
  const activation = (ctx.op.attrs as { activation: FusedActivation }).activation;
  if (kind === 'float32') {
    const r = floatActivationRange(activation);
    return { ...g, kind, activationMin: r.min, activationMax: r.max };
  }
  const check64 = o.check64(kind, accumulator);
  const weightsOffset = weightsOffsetOf(ctx, filter, kind);
  return { ...g, kind, accumulator, weightsOffset, ...quantLayerFields(ctx, { input, filter, bias, output }, kind, activation, o.channelDim, o.channels, check64) };
}
