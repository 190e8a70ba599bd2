/**
 * CONV_2D, plus the helpers every convolution-like op shares (window geometry, SAME/VALID
 * padding, per-channel requantization constants, fused-activation clamp ranges, dtype checks,
 * C literal emission). DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV import them from here.
 *
 * Reference: TFLite Micro's conv kernel (reference_integer_ops::ConvPerChannel for int8 and 16x8,
 * reference_ops::Conv for float), with grouped convolution (input depth = filter depth x groups).
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { FusedActivation, OpType, Padding } from '../ir/attrs.js';
import type { DType, Quantization, Tensor, TensorData } from '../ir/types.js';
import { describeOp, elementCount } from '../ir/types.js';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
  quantizeMultiplier,
  roundHalfAwayFromZero,
} from '../fixedpoint.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

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

/** TFLite ComputeOutSize (GetWindowedOutputSize); throws when the window does not fit. */
export function computeOutSize(
  ctx: OpContext,
  padding: Padding,
  inSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
): number {
  if (!(stride > 0 && dilation > 0 && filterSize > 0)) {
    throw new GraphError(`${opLabel(ctx)}: stride (${stride}), dilation (${dilation}) and filter size (${filterSize}) must be positive`);
  }
  const effective = (filterSize - 1) * dilation + 1;
  const out = padding === 'SAME' ? Math.trunc((inSize + stride - 1) / stride) : Math.trunc((inSize + stride - effective) / stride);
  if (out <= 0) {
    throw new GraphError(
      `${opLabel(ctx)}: ${padding} window of ${filterSize} (dilation ${dilation}, stride ${stride}) produces no output from input size ${inSize}`,
    );
  }
  return out;
}

/**
 * TFLite ComputePaddingWithOffset: the leading padding (floor of half the total) and the odd
 * remainder that goes to the trailing side.
 */
export function computePaddingWithOffset(
  stride: number,
  dilation: number,
  inSize: number,
  filterSize: number,
  outSize: number,
): { pad: number; offset: number } {
  const effective = (filterSize - 1) * dilation + 1;
  const total = Math.max(0, (outSize - 1) * stride + effective - inSize);
  return { pad: Math.trunc(total / 2), offset: total % 2 };
}

/** Output size and padding of one spatial axis, as TFLite's ComputePaddingHeightWidth does it. */
export function windowAxis(
  ctx: OpContext,
  padding: Padding,
  inSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
): { out: number; pad: number; offset: number } {
  const out = computeOutSize(ctx, padding, inSize, filterSize, stride, dilation);
  return { out, ...computePaddingWithOffset(stride, dilation, inSize, filterSize, out) };
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

// C emission helpers

export function cInt32Array(name: string, values: readonly number[]): string {
  return `static const int32_t ${name}[${values.length}] = {${values.join(', ')}};`;
}

export function cPointer(name: string | undefined): string {
  return name ?? 'NULL';
}

/** Designated-initializer body for a params struct: `.field = value` lines. */
export function cStructInit(type: string, name: string, fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([k, v]) => `  .${k} = ${v},`)
    .join('\n');
  return `static const ${type} ${name} = {\n${body}\n};`;
}

export function floatKernelUnsupported(ctx: { prefix: string }, type: OpType): never {
  throw new UnsupportedOpError(`${type} (${ctx.prefix}): float32 kernels are not emitted to C yet; quantize the model to int8 or 16x8`);
}

// ---------------------------------------------------------------------------------------------
// CONV_2D
// ---------------------------------------------------------------------------------------------

export interface Conv2DGeometry {
  batches: number;
  inputHeight: number;
  inputWidth: number;
  inputDepth: number;
  filterHeight: number;
  filterWidth: number;
  /** Filter dimension 3: input channels seen by one output channel (input depth / groups). */
  filterInputDepth: number;
  outputHeight: number;
  outputWidth: number;
  outputDepth: number;
  groups: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  /** Leading (top/left) padding; the trailing side gets pad + offset. */
  padHeight: number;
  padWidth: number;
  padHeightOffset: number;
  padWidthOffset: number;
  hasBias: boolean;
}

export interface Conv2DQuantParams extends Conv2DGeometry {
  kind: QuantKind;
  /** int32 for int8; for 16x8, int64 unless the bias is int32 (TFLM then accumulates in int32). */
  accumulator: Accumulator;
  /** -input zero point (int8 only; the 16x8 kernel ignores zero points). */
  inputOffset: number;
  /** Output zero point (int8 only). */
  outputOffset: number;
  activationMin: number;
  activationMax: number;
  /** false: one multiplier/shift for all channels (per-tensor weights). */
  perChannel: boolean;
  outputMultiplier: number[];
  /** Power-of-two exponents: positive shifts left. */
  outputShift: number[];
}

export interface Conv2DFloatParams extends Conv2DGeometry {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type Conv2DParams = Conv2DQuantParams | Conv2DFloatParams;

function conv2dGeometry(ctx: OpContext<'CONV_2D'>): Conv2DGeometry {
  checkArity(ctx, 2, 3);
  const [input, filter, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  requireRank(ctx, input, 4, 'input');
  requireRank(ctx, filter, 4, 'weights');
  const a = ctx.op.attrs;
  const [batches, inH, inW, inC] = input.shape;
  const [outC, fH, fW, fIC] = filter.shape;
  if (fIC <= 0 || inC % fIC !== 0) {
    throw new GraphError(`${opLabel(ctx)}: input depth ${inC} is not a multiple of the weights' input depth ${fIC}`);
  }
  const groups = inC / fIC;
  if (outC % groups !== 0) {
    throw new GraphError(`${opLabel(ctx)}: ${outC} output channels cannot be split into ${groups} groups`);
  }
  checkBias(ctx, bias, outC);
  const h = windowAxis(ctx, a.padding, inH, fH, a.strideH, a.dilationH);
  const w = windowAxis(ctx, a.padding, inW, fW, a.strideW, a.dilationW);
  return {
    batches,
    inputHeight: inH,
    inputWidth: inW,
    inputDepth: inC,
    filterHeight: fH,
    filterWidth: fW,
    filterInputDepth: fIC,
    outputHeight: h.out,
    outputWidth: w.out,
    outputDepth: outC,
    groups,
    strideHeight: a.strideH,
    strideWidth: a.strideW,
    dilationHeight: a.dilationH,
    dilationWidth: a.dilationW,
    padHeight: h.pad,
    padWidth: w.pad,
    padHeightOffset: h.offset,
    padWidthOffset: w.offset,
    hasBias: bias !== undefined,
  };
}

function conv2dPrepare(ctx: OpContext<'CONV_2D'>): Conv2DParams {
  const g = conv2dGeometry(ctx);
  const [input, filter, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  const output = ctx.outputs[0];
  const { kind, accumulator } = classifyDtypes(ctx, input, filter, bias, output, true);
  const activation = ctx.op.attrs.activation;
  if (kind === 'float32') {
    const r = floatActivationRange(activation);
    return { ...g, kind, activationMin: r.min, activationMax: r.max };
  }
  const iq = tensorQuant(ctx, input, 'input');
  const oq = tensorQuant(ctx, output, 'output');
  const scales = filterScales(ctx, filter, 0, g.outputDepth);
  const m = convMultipliers(iq.scale, scales, oq.scale);
  const r = quantizedActivationRange(activation, kind, oq.scale, oq.zeroPoint);
  return {
    ...g,
    kind,
    accumulator,
    inputOffset: kind === 'int8' ? zeroPointOffset(iq.zeroPoint) : 0,
    outputOffset: kind === 'int8' ? oq.zeroPoint : 0,
    activationMin: r.min,
    activationMax: r.max,
    perChannel: scales.length > 1,
    outputMultiplier: m.multiplier,
    outputShift: m.shift,
  };
}

function conv2dEvaluate(p: Conv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  if (p.kind === 'float32') {
    conv2dFloat(p, inputs[0] as Float32Array, inputs[1] as Float32Array, inputs[2] as Float32Array | undefined, outputs[0] as Float32Array);
    return;
  }
  const input = inputs[0] as Int8Array | Int16Array;
  const filter = inputs[1] as Int8Array;
  const bias = p.hasBias ? (inputs[2] as Int32Array | BigInt64Array) : undefined;
  const output = outputs[0] as Int8Array | Int16Array;
  const { inputHeight: inH, inputWidth: inW, inputDepth: inC, filterHeight: fH, filterWidth: fW, filterInputDepth: fIC } = p;
  const { outputHeight: outH, outputWidth: outW, outputDepth: outC, strideHeight: sH, strideWidth: sW } = p;
  const { dilationHeight: dH, dilationWidth: dW, padHeight: pH, padWidth: pW } = p;
  const inOff = p.inputOffset;
  const outOff = p.outputOffset;
  const actMin = p.activationMin;
  const actMax = p.activationMax;
  const mults = p.outputMultiplier;
  const shifts = p.outputShift;
  const perChannel = p.perChannel;
  const filtersPerGroup = outC / p.groups;
  const wide = p.kind === 'int16';
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    const inBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sH - pH;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * sW - pW;
        for (let oc = 0; oc < outC; oc++) {
          const icBase = Math.floor(oc / filtersPerGroup) * fIC;
          let acc = 0;
          for (let fy = 0; fy < fH; fy++) {
            const iy = iy0 + dH * fy;
            if (iy < 0 || iy >= inH) continue;
            const inRow = inBatch + iy * inW * inC + icBase;
            const fRow = (oc * fH + fy) * fW * fIC;
            for (let fx = 0; fx < fW; fx++) {
              const ix = ix0 + dW * fx;
              if (ix < 0 || ix >= inW) continue;
              const ip = inRow + ix * inC;
              const fp = fRow + fx * fIC;
              for (let ic = 0; ic < fIC; ic++) acc += filter[fp + ic] * (input[ip + ic] + inOff);
            }
          }
          const ch = perChannel ? oc : 0;
          let v: number;
          if (wide) {
            v = requantize16(acc, bias, oc, p.accumulator, mults[ch], shifts[ch]);
          } else {
            // C accumulates in int32; the double sum is exact, so wrapping once at the end matches.
            const total = (bias ? acc + (bias as Int32Array)[oc] : acc) | 0;
            v = multiplyByQuantizedMultiplier(total, mults[ch], shifts[ch]) + outOff;
          }
          output[o++] = v < actMin ? actMin : v > actMax ? actMax : v;
        }
      }
    }
  }
}

function conv2dFloat(p: Conv2DFloatParams, input: Float32Array, filter: Float32Array, bias: Float32Array | undefined, output: Float32Array): void {
  const { inputHeight: inH, inputWidth: inW, inputDepth: inC, filterHeight: fH, filterWidth: fW, filterInputDepth: fIC } = p;
  const filtersPerGroup = p.outputDepth / p.groups;
  const fr = Math.fround;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const iy0 = oy * p.strideHeight - p.padHeight;
      for (let ox = 0; ox < p.outputWidth; ox++) {
        const ix0 = ox * p.strideWidth - p.padWidth;
        for (let oc = 0; oc < p.outputDepth; oc++) {
          const icBase = Math.floor(oc / filtersPerGroup) * fIC;
          let acc = 0;
          for (let fy = 0; fy < fH; fy++) {
            const iy = iy0 + p.dilationHeight * fy;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < fW; fx++) {
              const ix = ix0 + p.dilationWidth * fx;
              if (ix < 0 || ix >= inW) continue;
              const ip = ((b * inH + iy) * inW + ix) * inC + icBase;
              const fp = ((oc * fH + fy) * fW + fx) * fIC;
              for (let ic = 0; ic < fIC; ic++) acc = fr(acc + fr(input[ip + ic] * filter[fp + ic]));
            }
          }
          const v = fr(acc + (bias ? bias[oc] : 0));
          output[o++] = Math.min(Math.max(v, p.activationMin), p.activationMax);
        }
      }
    }
  }
}

/** The designated initializer fields shared by the conv-like params structs. */
export function quantCommonFields(p: {
  inputOffset: number;
  outputOffset: number;
  activationMin: number;
  activationMax: number;
  perChannel: boolean;
}, prefix: string): Record<string, string | number> {
  return {
    input_offset: p.inputOffset,
    output_offset: p.outputOffset,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
    per_channel: p.perChannel ? 1 : 0,
    output_multiplier: `${prefix}_mult`,
    output_shift: `${prefix}_shift`,
  };
}

/** The C function for a quantized kind and accumulator: <base>_s8, <base>_s16, <base>_s16_b32. */
export function kernelFunction(base: string, kind: QuantKind, accumulator: Accumulator): string {
  if (kind === 'int8') return `${base}_s8`;
  return accumulator === 'int64' ? `${base}_s16` : `${base}_s16_b32`;
}

function conv2dEmitC(p: Conv2DParams, names: EmitNames, ctx: EmitContext): CEmission {
  if (p.kind === 'float32') floatKernelUnsupported(ctx, 'CONV_2D');
  const fields: Record<string, string | number> = {
    batches: p.batches,
    input_height: p.inputHeight,
    input_width: p.inputWidth,
    input_depth: p.inputDepth,
    filter_height: p.filterHeight,
    filter_width: p.filterWidth,
    filter_input_depth: p.filterInputDepth,
    output_height: p.outputHeight,
    output_width: p.outputWidth,
    output_depth: p.outputDepth,
    groups: p.groups,
    stride_height: p.strideHeight,
    stride_width: p.strideWidth,
    dilation_height: p.dilationHeight,
    dilation_width: p.dilationWidth,
    pad_height: p.padHeight,
    pad_width: p.padWidth,
    pad_height_offset: p.padHeightOffset,
    pad_width_offset: p.padWidthOffset,
    ...quantCommonFields(p, ctx.prefix),
  };
  const decls = [
    cInt32Array(`${ctx.prefix}_mult`, p.outputMultiplier),
    cInt32Array(`${ctx.prefix}_shift`, p.outputShift),
    cStructInit('tinyml_conv2d_params', `${ctx.prefix}_params`, fields),
  ].join('\n');
  const fn = kernelFunction('tinyml_conv2d', p.kind, p.accumulator);
  const args = [`&${ctx.prefix}_params`, names.inputs[0], names.inputs[1], cPointer(p.hasBias ? names.inputs[2] : undefined), names.outputs[0]];
  return { kernels: ['conv2d.c'], includes: ['conv2d.h'], decls, call: `  ${fn}(${args.join(', ')});` };
}

export const conv2d: OpDef<'CONV_2D', Conv2DParams> = {
  type: 'CONV_2D',
  inferShapes(ctx) {
    const g = conv2dGeometry(ctx);
    return [[g.batches, g.outputHeight, g.outputWidth, g.outputDepth]];
  },
  macs(ctx) {
    const g = conv2dGeometry(ctx);
    return g.batches * g.outputHeight * g.outputWidth * g.outputDepth * g.filterHeight * g.filterWidth * g.filterInputDepth;
  },
  prepare: (ctx) => normalizeParams(conv2dPrepare(ctx)),
  evaluate: conv2dEvaluate,
  emitC: conv2dEmitC,
};

