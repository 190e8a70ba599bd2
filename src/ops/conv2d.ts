/**
 * CONV_2D, plus the helpers every convolution-like op shares (window geometry, SAME/VALID
 * padding, per-channel requantization constants, fused-activation clamp ranges, dtype checks,
 * C literal emission). DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV import them from here.
 *
 * Reference: TFLite Micro's conv kernel (reference_integer_ops::ConvPerChannel for int8 and 16x8,
 * reference_ops::Conv for float), with grouped convolution (input depth = filter depth x groups).
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { FusedActivation, Padding } from '../ir/attrs.js';
import type { DType, Quantization, Tensor, TensorData } from '../ir/types.js';
import { describeOp, elementCount } from '../ir/types.js';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
  quantizeMultiplier,
  roundHalfAwayFromZero,
} from '../fixedpoint.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { checkRequant64Limits, maxAbsAccumulators } from './requant64-limits.js';
import { isHybridLayer, noPortableHybridKernel } from './hybrid/common.js';
import { evaluateHybridConv2d, prepareHybridConv2d, type HybridConv2DParams } from './hybrid/conv2d.js';

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

// ---------------------------------------------------------------------------------------------
// Fast evaluation kernels shared by CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
//
// Every kind accumulates in doubles: int8 x int8 and int16 x int8 products and their sums are
// integers far below 2^53, so the double sum is the exact integer sum (wrapped to int32 once at
// the end where the kernel's accumulator is int32, which equals wrapping after every step);
// float32 x float32 products are exact in a double and only the summation rounds (more finely
// than TFLite's float32 accumulator). Doubles keep the hot loops in V8's unboxed float
// registers, which measured faster than int32 Math.imul loops on typed arrays. Inputs are copied
// once per op into zero-padded scratch buffers of doubles with the input offset applied, so
// the inner loops need neither bounds checks nor per-tap offset adds; the requantization of
// finished accumulators (finalize*) then runs per output kind on monomorphic arrays.
// ---------------------------------------------------------------------------------------------

/**
 * Scratch buffers are plain arrays of doubles (V8's PACKED_DOUBLE_ELEMENTS: unboxed, like a
 * Float64Array) rather than typed arrays: once any ArrayBuffer in the process has been detached
 * (a transfer through a MessagePort, as test runners and module loaders do), V8 guards typed
 * array accesses against detachment, which measured 1.3-1.5x slower in the inner loops.
 */
export type F64Buffer = number[];

function newF64Buffer(n: number): F64Buffer {
  const a: number[] = [];
  // A non-integer first element makes the array's elements unboxed doubles from the start.
  for (let i = 0; i < n; i++) a.push(0.5);
  return a;
}

const scratchSlots: F64Buffer[] = [newF64Buffer(256), newF64Buffer(256), newF64Buffer(256), newF64Buffer(256)];
/** Scratch slots: the padded/converted input, im2col rows, converted weights, accumulators. */
export const SCRATCH_INPUT = 0;
export const SCRATCH_COLUMNS = 1;
export const SCRATCH_WEIGHTS = 2;
export const SCRATCH_ACC = 3;

/** A reusable buffer of at least n doubles (contents unspecified). */
export function f64Scratch(slot: number, n: number): F64Buffer {
  let s = scratchSlots[slot];
  if (s.length < n) {
    s = newF64Buffer(Math.max(n, s.length * 2));
    scratchSlots[slot] = s;
  }
  return s;
}

/** Accumulator elements processed per chunk (bounds scratch memory on large feature maps). */
export const ACC_CHUNK = 1 << 15;

/** Copies n elements of `src` from `srcOff` into dst as doubles plus `offset`. */
export function toF64(src: Int8Array | Int16Array | Float32Array, srcOff: number, n: number, offset: number, dst: F64Buffer): F64Buffer {
  srcOff |= 0;
  n |= 0;
  if (offset === 0) {
    for (let i = 0; i < n; i++) dst[i] = src[srcOff + i];
  } else {
    for (let i = 0; i < n; i++) dst[i] = src[srcOff + i] + offset;
  }
  return dst;
}

/**
 * One batch of an NHWC input as doubles (+ offset) inside a zero border: dst is [hp][wp][depth],
 * with input pixel (0, 0) at (top, left). Input rows/columns beyond hp/wp are not needed.
 */
export function padInputNHWC(
  src: Int8Array | Int16Array | Float32Array,
  srcBase: number,
  inH: number,
  inW: number,
  depth: number,
  offset: number,
  dst: F64Buffer,
  hp: number,
  wp: number,
  top: number,
  left: number,
): void {
  srcBase |= 0;
  inH |= 0;
  inW |= 0;
  depth |= 0;
  hp |= 0;
  wp |= 0;
  top |= 0;
  left |= 0;
  // Only the border is zeroed (filling the whole buffer first measured slower).
  const rows = Math.max(0, Math.min(inH, hp - top));
  const cols = Math.max(0, Math.min(inW, wp - left));
  const rowLen = wp * depth;
  const run = cols * depth;
  const head = Math.min(left, wp) * depth;
  for (let i = 0, n = Math.min(top, hp) * rowLen; i < n; i++) dst[i] = 0;
  for (let y = 0; y < rows; y++) {
    const s = srcBase + y * inW * depth;
    const d = (y + top) * rowLen;
    for (let i = 0; i < head; i++) dst[d + i] = 0;
    for (let i = 0; i < run; i++) dst[d + head + i] = src[s + i] + offset;
    for (let i = head + run; i < rowLen; i++) dst[d + i] = 0;
  }
  for (let i = (top + rows) * rowLen, n = hp * rowLen; i < n; i++) dst[i] = 0;
}

/** Like padInputNHWC but channel-planar: dst is [depth][hp][wp]. */
export function padInputPlanar(
  src: Int8Array | Int16Array | Float32Array,
  srcBase: number,
  inH: number,
  inW: number,
  depth: number,
  offset: number,
  dst: F64Buffer,
  hp: number,
  wp: number,
  top: number,
  left: number,
): void {
  srcBase |= 0;
  inH |= 0;
  inW |= 0;
  depth |= 0;
  hp |= 0;
  wp |= 0;
  top |= 0;
  left |= 0;
  const plane = hp * wp;
  const rows = Math.max(0, Math.min(inH, hp - top));
  const cols = Math.max(0, Math.min(inW, wp - left));
  // Channel by channel, so that writes are sequential; only the border is zeroed.
  for (let c = 0; c < depth; c++) {
    const base = c * plane;
    for (let i = 0, n = Math.min(top, hp) * wp; i < n; i++) dst[base + i] = 0;
    for (let y = 0; y < rows; y++) {
      const d = base + (y + top) * wp;
      for (let x = 0, n = Math.min(left, wp); x < n; x++) dst[d + x] = 0;
      for (let x = 0, s = srcBase + y * inW * depth + c; x < cols; x++, s += depth) dst[d + left + x] = src[s] + offset;
      for (let x = left + cols; x < wp; x++) dst[d + x] = 0;
    }
    for (let i = (top + rows) * wp; i < plane; i++) dst[base + i] = 0;
  }
}

/**
 * acc[accOff + r*accStride + c] = sum over t < depth of A[aOff + r*aStride + t] * W[wOff + c*depth + t]
 * for r < rows, c < cols: a matrix product blocked 2 rows x 4 columns so that each load feeds
 * several multiply-adds.
 */
export function gemmF64(
  A: F64Buffer,
  aOff: number,
  aStride: number,
  rows: number,
  W: F64Buffer,
  wOff: number,
  depth: number,
  cols: number,
  acc: F64Buffer,
  accOff: number,
  accStride: number,
): void {
  // Integer arguments may arrive as heap doubles (e.g. read from params objects whose fields V8
  // stores as doubles); `| 0` keeps the index arithmetic in int32 whatever the caller passes.
  aOff |= 0;
  aStride |= 0;
  rows |= 0;
  wOff |= 0;
  depth |= 0;
  cols |= 0;
  accOff |= 0;
  accStride |= 0;
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const a0 = aOff + r * aStride;
    const a1 = a0 + aStride;
    const o0 = accOff + r * accStride;
    const o1 = o0 + accStride;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const w0 = wOff + c * depth;
      const w1 = w0 + depth;
      const w2 = w1 + depth;
      const w3 = w2 + depth;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let t = 0; t < depth; t++) {
        const x0 = A[a0 + t];
        const x1 = A[a1 + t];
        const k0 = W[w0 + t];
        s00 += x0 * k0;
        s10 += x1 * k0;
        const k1 = W[w1 + t];
        s01 += x0 * k1;
        s11 += x1 * k1;
        const k2 = W[w2 + t];
        s02 += x0 * k2;
        s12 += x1 * k2;
        const k3 = W[w3 + t];
        s03 += x0 * k3;
        s13 += x1 * k3;
      }
      acc[o0 + c] = s00;
      acc[o0 + c + 1] = s01;
      acc[o0 + c + 2] = s02;
      acc[o0 + c + 3] = s03;
      acc[o1 + c] = s10;
      acc[o1 + c + 1] = s11;
      acc[o1 + c + 2] = s12;
      acc[o1 + c + 3] = s13;
    }
    for (; c < cols; c++) {
      const w0 = wOff + c * depth;
      let s0 = 0;
      let s1 = 0;
      for (let t = 0; t < depth; t++) {
        const k = W[w0 + t];
        s0 += A[a0 + t] * k;
        s1 += A[a1 + t] * k;
      }
      acc[o0 + c] = s0;
      acc[o1 + c] = s1;
    }
  }
  if (r < rows) {
    const a0 = aOff + r * aStride;
    const o0 = accOff + r * accStride;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const w0 = wOff + c * depth;
      const w1 = w0 + depth;
      const w2 = w1 + depth;
      const w3 = w2 + depth;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < depth; t++) {
        const x = A[a0 + t];
        s0 += x * W[w0 + t];
        s1 += x * W[w1 + t];
        s2 += x * W[w2 + t];
        s3 += x * W[w3 + t];
      }
      acc[o0 + c] = s0;
      acc[o0 + c + 1] = s1;
      acc[o0 + c + 2] = s2;
      acc[o0 + c + 3] = s3;
    }
    for (; c < cols; c++) {
      const w0 = wOff + c * depth;
      let s = 0;
      for (let t = 0; t < depth; t++) s += A[a0 + t] * W[w0 + t];
      acc[o0 + c] = s;
    }
  }
}

/**
 * One output channel of a 3x3 window slid over one input plane (a channel of a planar padded
 * input, or a single-channel NHWC one) for output rows [oy0, oy1), into acc[accOff + k*accStep]
 * for the k-th output pixel: the nine weights stay in locals. Used by DEPTHWISE_CONV_2D and by
 * CONV_2D with one input channel.
 */
export function planeConv3x3(
  X: F64Buffer,
  plane: number,
  wp: number,
  sH: number,
  sW: number,
  dH: number,
  dW: number,
  W: F64Buffer,
  w: number,
  oy0: number,
  oy1: number,
  outW: number,
  acc: F64Buffer,
  accOff: number,
  accStep: number,
): void {
  plane |= 0;
  wp |= 0;
  sH |= 0;
  sW |= 0;
  dH |= 0;
  dW |= 0;
  w |= 0;
  oy0 |= 0;
  oy1 |= 0;
  outW |= 0;
  accOff |= 0;
  accStep |= 0;
  const k0 = W[w];
  const k1 = W[w + 1];
  const k2 = W[w + 2];
  const k3 = W[w + 3];
  const k4 = W[w + 4];
  const k5 = W[w + 5];
  const k6 = W[w + 6];
  const k7 = W[w + 7];
  const k8 = W[w + 8];
  const d2 = 2 * dW;
  let o = accOff;
  for (let oy = oy0; oy < oy1; oy++) {
    const r0 = plane + oy * sH * wp;
    const r1 = r0 + dH * wp;
    const r2 = r1 + dH * wp;
    for (let ox = 0, x = 0; ox < outW; ox++, x += sW, o += accStep) {
      acc[o] =
        k0 * X[r0 + x] + k1 * X[r0 + x + dW] + k2 * X[r0 + x + d2] +
        k3 * X[r1 + x] + k4 * X[r1 + x + dW] + k5 * X[r1 + x + d2] +
        k6 * X[r2 + x] + k7 * X[r2 + x + dW] + k8 * X[r2 + x + d2];
    }
  }
}

/** planeConv3x3 for any window: taps at plane + tapOffsets[t] from the window's corner. */
export function planeConvAny(
  X: F64Buffer,
  plane: number,
  wp: number,
  sH: number,
  sW: number,
  tapOffsets: readonly number[],
  W: F64Buffer,
  w: number,
  oy0: number,
  oy1: number,
  outW: number,
  acc: F64Buffer,
  accOff: number,
  accStep: number,
): void {
  plane |= 0;
  wp |= 0;
  sH |= 0;
  sW |= 0;
  w |= 0;
  oy0 |= 0;
  oy1 |= 0;
  outW |= 0;
  accOff |= 0;
  accStep |= 0;
  const taps = tapOffsets.length;
  let o = accOff;
  for (let oy = oy0; oy < oy1; oy++) {
    const row = plane + oy * sH * wp;
    for (let ox = 0; ox < outW; ox++, o += accStep) {
      const corner = row + ox * sW;
      let s = 0;
      for (let t = 0; t < taps; t++) s += W[w + t] * X[corner + tapOffsets[t]];
      acc[o] = s;
    }
  }
}

/** Offsets of a window's taps within one padded plane of width wp, in (fy, fx) order. */
export function windowTapOffsets(fH: number, fW: number, dH: number, dW: number, wp: number): number[] {
  const offsets: number[] = [];
  for (let fy = 0; fy < fH; fy++) for (let fx = 0; fx < fW; fx++) offsets.push(fy * dH * wp + fx * dW);
  return offsets;
}

const TWO_53 = 9007199254740992;
const INT32_MAX_VALUE = 2147483647;
const TWO_NEG_31 = 1 / 2147483648;

/**
 * Per-channel constants for an exact fast MultiplyByQuantizedMultiplier (fixedpoint.ts) of an
 * int32 total t: while |t| <= lim (lim keeps t * 2^leftShift within int32, so the reference's
 * wrapping left shift is a plain product, and t * M * 2^leftShift below 2^53, so it is exact):
 * - SaturatingRoundingDoublingHighMul = floor((t * M * 2^leftShift + 2^30) / 2^31): C's
 *   truncating (ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31 rounds both signs' ties up (the
 *   saturating case needs M = INT32_MIN, outside 0 <= M < 2^31);
 * - RoundingDivideByPOT(h, rs) = (h + round - (h < 0 ? negAdjust : 0)) >> rs with round =
 *   2^(rs-1) and negAdjust = 1 (both 0 for rs = 0): ties away from zero. |h| < 2^23 here, so
 *   the sum stays within int32.
 * Channels whose constants fall outside this (M outside [0, 2^31), left shift > 30, right
 * shift > 31) get lim = -1 and always use the reference function.
 */
export interface Requant32 {
  /** The reference's Q31 multiplier and shift (for the fallback). */
  mult: Float64Array;
  shift: Int32Array;
  /** M * 2^leftShift, exact in a double. */
  multScaled: Float64Array;
  rightShift: Int32Array;
  round: Int32Array;
  negAdjust: Int32Array;
  lim: Float64Array;
}

export function requant32Constants(mults: readonly number[], shifts: readonly number[], perChannel: boolean, channels: number): Requant32 {
  const r: Requant32 = {
    mult: new Float64Array(channels),
    shift: new Int32Array(channels),
    multScaled: new Float64Array(channels),
    rightShift: new Int32Array(channels),
    round: new Int32Array(channels),
    negAdjust: new Int32Array(channels),
    lim: new Float64Array(channels),
  };
  for (let c = 0; c < channels; c++) {
    const ch = perChannel ? c : 0;
    const m = mults[ch];
    const s = shifts[ch];
    r.mult[c] = m;
    r.shift[c] = s;
    const ls = s > 0 ? s : 0;
    const rs = s > 0 ? 0 : -s;
    const ok = Number.isInteger(m) && m >= 0 && m < 2147483648 && Number.isInteger(s) && ls <= 30 && rs <= 31;
    if (!ok) {
      r.lim[c] = -1;
      continue;
    }
    const scaled = m * 2 ** ls;
    r.multScaled[c] = scaled;
    r.rightShift[c] = rs;
    r.round[c] = rs > 0 ? 2 ** (rs - 1) : 0;
    r.negAdjust[c] = rs > 0 ? 1 : 0;
    const noWrap = Math.floor(INT32_MAX_VALUE / 2 ** ls);
    r.lim[c] = scaled === 0 ? noWrap : Math.min(noWrap, Math.floor((TWO_53 - 2147483648) / scaled));
  }
  return r;
}

interface Requant32Entry {
  mults: number[];
  shifts: number[];
  perChannel: boolean;
  channels: number;
  rq: Requant32;
}
const requant32Cache = new WeakMap<object, Requant32Entry>();

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * requant32Constants, remembered per params object (and recomputed if its multipliers or
 * shifts changed), so an op's evaluate does not allocate them on every call.
 */
export function requant32For(key: object, mults: readonly number[], shifts: readonly number[], perChannel: boolean, channels: number): Requant32 {
  const hit = requant32Cache.get(key);
  if (hit && hit.perChannel === perChannel && hit.channels === channels && sameNumbers(hit.mults, mults) && sameNumbers(hit.shifts, shifts)) {
    return hit.rq;
  }
  const rq = requant32Constants(mults, shifts, perChannel, channels);
  requant32Cache.set(key, { mults: mults.slice(), shifts: shifts.slice(), perChannel, channels, rq });
  return rq;
}

/**
 * Per-channel constants of the 16x8 kernels' int64 MultiplyByQuantizedMultiplier: the Q15
 * multiplier, the rounding term and the shift, plus the bias as a double. While
 * |acc + bias| <= lim the product and rounding stay below 2^53 and the arithmetic shift is an
 * exact floor of a power-of-two scaling; otherwise (lim = -1 for unusual constants or a bias
 * beyond 2^52) the BigInt reference runs.
 */
export interface Requant64 {
  mult: Float64Array;
  shift: Int32Array;
  reduced: Float64Array;
  round: Float64Array;
  scale: Float64Array;
  bias: Float64Array;
  lim: Float64Array;
}

export function requant64Constants(
  mults: readonly number[],
  shifts: readonly number[],
  perChannel: boolean,
  channels: number,
  bias: BigInt64Array | undefined,
): Requant64 {
  const r: Requant64 = {
    mult: new Float64Array(channels),
    shift: new Int32Array(channels),
    reduced: new Float64Array(channels),
    round: new Float64Array(channels),
    scale: new Float64Array(channels),
    bias: new Float64Array(channels),
    lim: new Float64Array(channels),
  };
  for (let c = 0; c < channels; c++) {
    const ch = perChannel ? c : 0;
    const m = mults[ch];
    const s = shifts[ch];
    r.mult[c] = m;
    r.shift[c] = s;
    const b = bias ? bias[c] : 0n;
    const biasOk = b >= -(2n ** 52n) && b <= 2n ** 52n;
    r.bias[c] = biasOk ? Number(b) : 0;
    const totalShift = 15 - s;
    const ok = biasOk && Number.isInteger(m) && m >= 0 && m < 2147483648 && Number.isInteger(s) && totalShift >= 1 && totalShift <= 52;
    if (!ok) {
      r.lim[c] = -1;
      continue;
    }
    const reduced = m < 0x7fff0000 ? (m + (1 << 15)) >> 16 : 0x7fff;
    r.reduced[c] = reduced;
    r.round[c] = 2 ** (totalShift - 1);
    r.scale[c] = 2 ** -totalShift;
    r.lim[c] = reduced === 0 ? TWO_53 / 2 : Math.floor((TWO_53 - r.round[c]) / reduced);
  }
  return r;
}

/**
 * min(max(v, lo), hi) for integers v and lo <= hi within int16 range, without branches on v
 * (a clamp to a ReLU's zero point is taken about half the time, so a branch mispredicts).
 */
function clampInt(v: number, lo: number, hi: number): number {
  // Rare (a huge accumulator with a left shift): bring v within reach of int32 differences.
  if (v < -65536 || v > 65535) v = v < 0 ? -65536 : 65535;
  const d = v - lo;
  const a = v - (d & (d >> 31));
  const e = hi - a;
  return a + (e & (e >> 31));
}

/**
 * int8 outputs from finished accumulators: acc[p*channels + c] is requantized as
 * MultiplyByQuantizedMultiplier((acc + bias[c]) | 0, M[c], shift[c]) + outOff (see Requant32), clamped to
 * [lo, hi], and stored at out[outBase + p*channels + c]. Channel-outer so that the channel's
 * constants stay in registers.
 */
export function finalizeInt8(
  acc: F64Buffer,
  pixels: number,
  channels: number,
  bias: Int32Array | undefined,
  rq: Requant32,
  outOff: number,
  lo: number,
  hi: number,
  out: Int8Array,
  outBase: number,
  channelMajor = false,
): void {
  pixels |= 0;
  channels |= 0;
  outOff |= 0;
  lo |= 0;
  hi |= 0;
  outBase |= 0;
  // acc is [pixel][channel], or [channel][pixel] when channelMajor.
  const step = channelMajor ? 1 : channels;
  for (let c = 0; c < channels; c++) {
    const m = rq.multScaled[c];
    const rs = rq.rightShift[c];
    const round = rq.round[c];
    const negAdjust = rq.negAdjust[c];
    const l = rq.lim[c];
    const b = bias !== undefined ? bias[c] : 0;
    for (let p = 0, i = channelMajor ? c * pixels : c, j = outBase + c; p < pixels; p++, i += step, j += channels) {
      const t = acc[i] + b;
      let v: number;
      if (t <= l && t >= -l) {
        const h = Math.floor((t * m + 1073741824) * TWO_NEG_31) | 0;
        v = ((h + round - ((h >>> 31) & negAdjust)) >> rs) + outOff;
      } else {
        // The reference, on C's int32 total.
        v = multiplyByQuantizedMultiplier(t | 0, rq.mult[c], rq.shift[c]) + outOff;
      }
      out[j] = clampInt(v, lo, hi);
    }
  }
}

/** 16x8 outputs with an int64 accumulator (BigInt64Array bias). */
export function finalizeInt16Wide(
  acc: F64Buffer,
  pixels: number,
  channels: number,
  bias: BigInt64Array | undefined,
  rq: Requant64,
  outOff: number,
  lo: number,
  hi: number,
  out: Int16Array,
  outBase: number,
  channelMajor = false,
): void {
  pixels |= 0;
  channels |= 0;
  outOff |= 0;
  lo |= 0;
  hi |= 0;
  outBase |= 0;
  // acc is [pixel][channel], or [channel][pixel] when channelMajor.
  const step = channelMajor ? 1 : channels;
  for (let c = 0; c < channels; c++) {
    const reduced = rq.reduced[c];
    const round = rq.round[c];
    const scale = rq.scale[c];
    const l = rq.lim[c];
    const b = rq.bias[c];
    for (let p = 0, i = channelMajor ? c * pixels : c, j = outBase + c; p < pixels; p++, i += step, j += channels) {
      const x = acc[i] + b;
      let v: number;
      if (x <= l && x >= -l) v = (Math.floor((x * reduced + round) * scale) | 0) + outOff;
      else v = requantize16(acc[i], bias, c, 'int64', rq.mult[c], rq.shift[c]) + outOff;
      out[j] = clampInt(v, lo, hi);
    }
  }
}

/** 16x8 outputs with an int32 accumulator (Int32Array bias): int8's requantization, int16 stores. */
export function finalizeInt16Narrow(
  acc: F64Buffer,
  pixels: number,
  channels: number,
  bias: Int32Array | undefined,
  rq: Requant32,
  outOff: number,
  lo: number,
  hi: number,
  out: Int16Array,
  outBase: number,
  channelMajor = false,
): void {
  pixels |= 0;
  channels |= 0;
  outOff |= 0;
  lo |= 0;
  hi |= 0;
  outBase |= 0;
  // acc is [pixel][channel], or [channel][pixel] when channelMajor.
  const step = channelMajor ? 1 : channels;
  for (let c = 0; c < channels; c++) {
    const m = rq.multScaled[c];
    const rs = rq.rightShift[c];
    const round = rq.round[c];
    const negAdjust = rq.negAdjust[c];
    const l = rq.lim[c];
    const b = bias !== undefined ? bias[c] : 0;
    for (let p = 0, i = channelMajor ? c * pixels : c, j = outBase + c; p < pixels; p++, i += step, j += channels) {
      const t = acc[i] + b;
      let v: number;
      if (t <= l && t >= -l) {
        const h = Math.floor((t * m + 1073741824) * TWO_NEG_31) | 0;
        v = ((h + round - ((h >>> 31) & negAdjust)) >> rs) + outOff;
      } else {
        // The reference, on C's int32 total.
        v = multiplyByQuantizedMultiplier(t | 0, rq.mult[c], rq.shift[c]) + outOff;
      }
      out[j] = clampInt(v, lo, hi);
    }
  }
}

/** float32 outputs: acc + bias clamped to [lo, hi] (as Math.min/max treat NaN and -0), rounded to float32 by the store. */
export function finalizeFloat(
  acc: F64Buffer,
  pixels: number,
  channels: number,
  bias: Float32Array | undefined,
  lo: number,
  hi: number,
  out: Float32Array,
  outBase: number,
  channelMajor = false,
): void {
  pixels |= 0;
  channels |= 0;
  outBase |= 0;
  // acc is [pixel][channel], or [channel][pixel] when channelMajor.
  const step = channelMajor ? 1 : channels;
  for (let c = 0; c < channels; c++) {
    const b = bias !== undefined ? bias[c] : 0;
    for (let p = 0, i = channelMajor ? c * pixels : c, j = outBase + c; p < pixels; p++, i += step, j += channels) {
      out[j] = Math.min(Math.max(acc[i] + b, lo), hi);
    }
  }
}

/** What turns accumulators into one op's outputs: built once per evaluate by outputStage. */
export interface OutputStage {
  kind: QuantKind | 'float32';
  wide: boolean;
  rq32: Requant32 | undefined;
  rq64: Requant64 | undefined;
  bias: TensorData | undefined;
  outOff: number;
  lo: number;
  hi: number;
  out: TensorData;
}

/** The quantized params fields outputStage reads (the conv-like ops' params all have them). */
export interface StageParams {
  kind: QuantKind | 'float32';
  activationMin: number;
  activationMax: number;
  accumulator?: Accumulator;
  outputMultiplier?: number[];
  outputShift?: number[];
  perChannel?: boolean;
}

export function outputStage(p: StageParams, channels: number, bias: TensorData | undefined, out: TensorData, outOff: number): OutputStage {
  const wide = p.kind === 'int16' && p.accumulator === 'int64';
  let rq32: Requant32 | undefined;
  let rq64: Requant64 | undefined;
  if (p.kind !== 'float32') {
    if (wide) rq64 = requant64Constants(p.outputMultiplier!, p.outputShift!, p.perChannel!, channels, bias as BigInt64Array | undefined);
    else rq32 = requant32For(p, p.outputMultiplier!, p.outputShift!, p.perChannel!, channels);
  }
  return { kind: p.kind, wide, rq32, rq64, bias, outOff, lo: p.activationMin, hi: p.activationMax, out };
}

/** Writes pixels x channels outputs from acc[0...] to the stage's output at outBase. */
export function finalizeOutputs(s: OutputStage, acc: F64Buffer, pixels: number, channels: number, outBase: number, channelMajor = false): void {
  if (s.kind === 'float32') {
    finalizeFloat(acc, pixels, channels, s.bias as Float32Array | undefined, s.lo, s.hi, s.out as Float32Array, outBase, channelMajor);
  } else if (s.kind === 'int8') {
    finalizeInt8(acc, pixels, channels, s.bias as Int32Array | undefined, s.rq32!, s.outOff, s.lo, s.hi, s.out as Int8Array, outBase, channelMajor);
  } else if (s.wide) {
    finalizeInt16Wide(acc, pixels, channels, s.bias as BigInt64Array | undefined, s.rq64!, s.outOff, s.lo, s.hi, s.out as Int16Array, outBase, channelMajor);
  } else {
    finalizeInt16Narrow(acc, pixels, channels, s.bias as Int32Array | undefined, s.rq32!, s.outOff, s.lo, s.hi, s.out as Int16Array, outBase, channelMajor);
  }
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

/** A C float literal that reads back as exactly the float32 value `x` (finite values only). */
export function cFloat32(x: number): string {
  const v = Math.fround(x);
  if (!Number.isFinite(v)) throw new Error(`not a finite float: ${x}`);
  if (Object.is(v, -0)) return '-0.0f';
  const s = v.toPrecision(9);
  return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`;
}

/**
 * The emission of a float32 conv-like layer: `static const <type>_f32_params` with the given
 * geometry fields plus the activation clamp, and one call `<base>_f32(&params, input, weights,
 * bias or NULL, output)` into `<file>_f32.c`.
 */
export function emitFloatConvLike(
  file: string,
  base: string,
  p: { activationMin: number; activationMax: number },
  fields: Record<string, string | number>,
  args: { input: string | undefined; weights: string | undefined; bias: string | undefined; output: string },
  ctx: EmitContext,
): CEmission {
  const decls = cStructInit(`${base}_f32_params`, `${ctx.prefix}_params`, {
    ...fields,
    activation_min: cFloat32(p.activationMin),
    activation_max: cFloat32(p.activationMax),
  });
  const call = `  ${base}_f32(&${ctx.prefix}_params, ${args.input}, ${args.weights}, ${cPointer(args.bias)}, ${args.output});`;
  return { kernels: [`${file}_f32.c`], includes: [`${file}_f32.h`], decls, call };
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
  if (kind === 'int16' && accumulator === 'int64') {
    // OHWI weights: each output channel's taps are contiguous. The 16x8 kernel has no input offset.
    const taps = g.filterHeight * g.filterWidth * g.filterInputDepth;
    const totals = maxAbsAccumulators({ weights: filter, bias, channels: g.outputDepth, taps, index: (c, k) => c * taps + k, inputOffset: 0, weightsOffset: 0 });
    checkRequant64Limits(ctx, m.multiplier, m.shift, scales.length > 1, totals);
  }
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

/**
 * CONV_2D evaluation: per batch, the input becomes a zero-padded buffer of doubles with the input
 * offset applied (padding taps then contribute 0, as the reference's skipped taps do); chunks of
 * output rows are unrolled into im2col rows (the padded input itself for a 1x1 stride-1
 * unpadded conv), multiplied with the weights per group, and requantized per output kind.
 */
function conv2dEvaluate(p: Conv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  const filter = inputs[1] as Int8Array | Float32Array;
  const bias = p.hasBias ? inputs[2] : undefined;
  // `| 0`: V8 may hold params fields as doubles; int32 locals keep all index arithmetic integral.
  const inH = p.inputHeight | 0;
  const inW = p.inputWidth | 0;
  const inC = p.inputDepth | 0;
  const fH = p.filterHeight | 0;
  const fW = p.filterWidth | 0;
  const fIC = p.filterInputDepth | 0;
  const outH = p.outputHeight | 0;
  const outW = p.outputWidth | 0;
  const outC = p.outputDepth | 0;
  const sH = p.strideHeight | 0;
  const sW = p.strideWidth | 0;
  const dH = p.dilationHeight | 0;
  const dW = p.dilationWidth | 0;
  const pH = p.padHeight | 0;
  const pW = p.padWidth | 0;
  const groups = p.groups | 0;
  const batches = p.batches | 0;
  const inOff = p.kind === 'float32' ? 0 : p.inputOffset | 0;
  // The 16x8 conv kernel ignores the output zero point.
  const outOff = p.kind === 'int8' ? p.outputOffset | 0 : 0;
  const stage = outputStage(p, outC, bias, outputs[0], outOff);
  const taps = fH * fW * fIC;
  // `| 0`: integers computed by division or Math.floor may be heap doubles, and a double index
  // argument would deoptimize gemmF64 into float index arithmetic.
  const filtersPerGroup = (outC / groups) | 0;
  const W = toF64(filter, 0, outC * taps, 0, f64Scratch(SCRATCH_WEIGHTS, outC * taps));
  // Rows and columns of (padded) input the windows reach, starting at -pad.
  const hp = (outH - 1) * sH + (fH - 1) * dH + 1;
  const wp = (outW - 1) * sW + (fW - 1) * dW + 1;
  const pointwise = fH === 1 && fW === 1 && sH === 1 && sW === 1 && pH === 0 && pW === 0;
  // One input channel: the padded input is a single plane, and each output channel slides its
  // window over it with the weights in locals (as a depthwise conv does).
  const singlePlane = inC === 1 && !pointwise;
  const tapOffsets = singlePlane ? windowTapOffsets(fH, fW, dH, dW, wp) : [];
  const X = f64Scratch(SCRATCH_INPUT, hp * wp * inC);
  const rowsPerChunk = Math.max(1, Math.floor(ACC_CHUNK / (outW * Math.max(outC, taps)))) | 0;
  const acc = f64Scratch(SCRATCH_ACC, Math.min(outH, rowsPerChunk) * outW * outC);
  const cols = pointwise || singlePlane ? X : f64Scratch(SCRATCH_COLUMNS, Math.min(outH, rowsPerChunk) * outW * taps);
  for (let b = 0; b < batches; b++) {
    padInputNHWC(input, b * inH * inW * inC, inH, inW, inC, inOff, X, hp, wp, pH, pW);
    for (let oy0 = 0; oy0 < outH; oy0 += rowsPerChunk) {
      const oy1 = Math.min(outH, oy0 + rowsPerChunk) | 0;
      const pixels = (oy1 - oy0) * outW;
      if (singlePlane) {
        // Channel-major accumulators: each channel's outputs contiguous.
        for (let oc = 0; oc < outC; oc++) {
          if (fH === 3 && fW === 3) planeConv3x3(X, 0, wp, sH, sW, dH, dW, W, oc * 9, oy0, oy1, outW, acc, oc * pixels, 1);
          else planeConvAny(X, 0, wp, sH, sW, tapOffsets, W, oc * taps, oy0, oy1, outW, acc, oc * pixels, 1);
        }
        finalizeOutputs(stage, acc, pixels, outC, ((b * outH + oy0) * outW) * outC, true);
        continue;
      }
      for (let g = 0; g < groups; g++) {
        if (pointwise) {
          gemmF64(X, oy0 * outW * inC + g * fIC, inC, pixels, W, g * filtersPerGroup * taps, taps, filtersPerGroup, acc, g * filtersPerGroup, outC);
        } else {
          im2col(X, wp, inC, g * fIC, fIC, fH, fW, dH, dW, sH, sW, oy0, oy1, outW, cols);
          gemmF64(cols, 0, taps, pixels, W, g * filtersPerGroup * taps, taps, filtersPerGroup, acc, g * filtersPerGroup, outC);
        }
      }
      finalizeOutputs(stage, acc, pixels, outC, ((b * outH + oy0) * outW) * outC);
    }
  }
}

/**
 * Output rows [oy0, oy1) of a padded NHWC input as im2col rows: one row of fH*fW*fIC values per
 * output pixel, in the weights' (fy, fx, ic) order, channels [icBase, icBase + fIC).
 */
function im2col(
  X: F64Buffer,
  wp: number,
  depth: number,
  icBase: number,
  fIC: number,
  fH: number,
  fW: number,
  dH: number,
  dW: number,
  sH: number,
  sW: number,
  oy0: number,
  oy1: number,
  outW: number,
  cols: F64Buffer,
): void {
  wp |= 0;
  depth |= 0;
  icBase |= 0;
  fIC |= 0;
  fH |= 0;
  fW |= 0;
  dH |= 0;
  dW |= 0;
  sH |= 0;
  sW |= 0;
  oy0 |= 0;
  oy1 |= 0;
  outW |= 0;
  let d = 0;
  if (dW === 1 && fIC === depth) {
    // Each filter row reads one contiguous run of fW*depth values.
    const run = fW * depth;
    for (let oy = oy0; oy < oy1; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let fy = 0; fy < fH; fy++) {
          const s = ((oy * sH + fy * dH) * wp + ox * sW) * depth;
          for (let k = 0; k < run; k++) cols[d++] = X[s + k];
        }
      }
    }
    return;
  }
  for (let oy = oy0; oy < oy1; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let fy = 0; fy < fH; fy++) {
        const row = ((oy * sH + fy * dH) * wp + ox * sW) * depth + icBase;
        for (let fx = 0; fx < fW; fx++) {
          const s = row + fx * dW * depth;
          for (let ic = 0; ic < fIC; ic++) cols[d++] = X[s + ic];
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
  const geometry: Record<string, string | number> = {
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
  };
  if (p.kind === 'float32') {
    const args = { input: names.inputs[0], weights: names.inputs[1], bias: p.hasBias ? names.inputs[2] : undefined, output: names.outputs[0] };
    return emitFloatConvLike('conv2d', 'tinyml_conv2d', p, geometry, args, ctx);
  }
  const fields: Record<string, string | number> = {
    ...geometry,
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

export const conv2d: OpDef<'CONV_2D', Conv2DParams | HybridConv2DParams> = {
  type: 'CONV_2D',
  inferShapes(ctx) {
    const g = conv2dGeometry(ctx);
    return [[g.batches, g.outputHeight, g.outputWidth, g.outputDepth]];
  },
  macs(ctx) {
    const g = conv2dGeometry(ctx);
    return g.batches * g.outputHeight * g.outputWidth * g.outputDepth * g.filterHeight * g.filterWidth * g.filterInputDepth;
  },
  // Hybrid layers (float activations, int8 weights) are ops/hybrid/'s; their C kernel is a
  // kernel variant registered there.
  prepare: (ctx) => (isHybridLayer(ctx) ? prepareHybridConv2d(ctx, conv2dGeometry(ctx)) : normalizeParams(conv2dPrepare(ctx))),
  evaluate: (p, inputs, outputs) => (p.kind === 'hybrid' ? evaluateHybridConv2d(p, inputs, outputs) : conv2dEvaluate(p, inputs, outputs)),
  emitC: (p, names, ctx) => (p.kind === 'hybrid' ? noPortableHybridKernel(ctx) : conv2dEmitC(p, names, ctx)),
};

