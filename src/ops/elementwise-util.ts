/**
 * Helpers shared by the pooling, elementwise, activation and (de)quantize ops: TFLite's
 * activation clamp ranges, per-tensor quantization lookup, numpy-style broadcasting laid out for
 * the C kernels, and small C emission utilities.
 */
import type { FusedActivation, OpType } from '../ir/attrs.js';
import type { DType, Tensor } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import type { TfliteField } from './tflite-options.js';

export const f32 = Math.fround;

/** ADD, SUB and MUL: a fused activation and nothing else. */
export interface ElementwiseAttrs {
  activation: FusedActivation;
}

/** AddOptions, SubOptions and MulOptions all start with 0 fused_activation_function. */
export function activationOnlyFields(): TfliteField[] {
  return [{ id: 0, name: 'fused_activation_function', kind: 'i8' }];
}

/** float's numeric_limits max/lowest: TFLite's "no clamp" bounds for float activations. */
export const FLT_MAX = 3.4028234663852886e38;

export const INT_RANGE: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

export function intRange(dtype: DType): readonly [number, number] {
  const r = INT_RANGE[dtype];
  if (!r) throw new Error(`no integer range for ${dtype}`);
  return r;
}

/** Throws GraphError unless the op has exactly `nIn` inputs (all present) and `nOut` outputs. */
export function checkArity(ctx: OpContext, nIn: number, nOut: number): void {
  const present = ctx.inputs.filter((t) => t !== undefined).length;
  if (ctx.inputs.length !== nIn || present !== nIn || ctx.outputs.length !== nOut) {
    throw new GraphError(
      `${describeOp(ctx.graph, ctx.op)}: expected ${nIn} input(s) and ${nOut} output(s), got ${present} input(s) and ${ctx.outputs.length} output(s)`,
    );
  }
}

export function input(ctx: OpContext, i: number): Tensor {
  const t = ctx.inputs[i];
  if (!t) throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: input ${i} is missing`);
  return t;
}

export function dtypeList(ctx: OpContext): string {
  const ins = ctx.inputs.map((t) => (t ? t.dtype : 'none')).join(', ');
  const outs = ctx.outputs.map((t) => t.dtype).join(', ');
  return `inputs (${ins}) -> outputs (${outs})`;
}

export function unsupportedDtypes(ctx: OpContext, what = ''): UnsupportedOpError {
  return new UnsupportedOpError(
    `${describeOp(ctx.graph, ctx.op)}: unsupported data types ${dtypeList(ctx)}${what ? `; ${what}` : ''}`,
  );
}

/** The per-tensor scale and zero point of a quantized tensor (GraphError if absent). */
export function perTensorQuant(ctx: OpContext, t: Tensor): { scale: number; zeroPoint: number } {
  const q = t.quant;
  if (!q || q.scale.length === 0) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: ${t.dtype} tensor '${t.name}' has no quantization parameters`);
  }
  if (q.scale.length !== 1) {
    throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: tensor '${t.name}' is quantized per channel; this op needs per-tensor quantization`);
  }
  // Scales are float32 in TFLite; everything downstream computes from the float32 value.
  return { scale: f32(q.scale[0]), zeroPoint: q.zeroPoint[0] ?? 0 };
}

/** TFLite's Quantize() used for activation bounds: zp + round(f / scale) in float32. */
export function quantizeBound(ctx: OpContext, scale: number, zeroPoint: number, f: number): number {
  const tmp = roundHalfAwayFromZero(f32(f32(f) / scale));
  if (!(tmp >= -2147483648 && tmp <= 2147483647)) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: activation bound ${f} overflows int32 at output scale ${scale}`);
  }
  return zeroPoint + tmp;
}

/** TFLite CalculateActivationRangeQuantized: clamp bounds of a fused activation on the output. */
export function activationRangeQuantized(
  ctx: OpContext,
  activation: FusedActivation,
  dtype: DType,
  scale: number,
  zeroPoint: number,
): [number, number] {
  const [qmin, qmax] = intRange(dtype);
  switch (activation) {
    case 'RELU':
      return [Math.max(qmin, quantizeBound(ctx, scale, zeroPoint, 0)), qmax];
    case 'RELU6':
      return [Math.max(qmin, quantizeBound(ctx, scale, zeroPoint, 0)), Math.min(qmax, quantizeBound(ctx, scale, zeroPoint, 6))];
    case 'RELU_N1_TO_1':
      return [Math.max(qmin, quantizeBound(ctx, scale, zeroPoint, -1)), Math.min(qmax, quantizeBound(ctx, scale, zeroPoint, 1))];
    default:
      // TFLite treats the remaining fused activations (TANH, SIGN_BIT) as no clamp here.
      return [qmin, qmax];
  }
}

/** TFLite CalculateActivationRange<float>. */
export function activationRangeFloat(activation: FusedActivation): [number, number] {
  switch (activation) {
    case 'RELU':
      return [0, FLT_MAX];
    case 'RELU6':
      return [0, 6];
    case 'RELU_N1_TO_1':
      return [-1, 1];
    default:
      return [-FLT_MAX, FLT_MAX];
  }
}

// --- broadcasting ---

/** Dimensions the broadcasting kernels handle (shapes are right-aligned and padded with 1s). */
export const MAX_BROADCAST_DIMS = 6;

export interface BroadcastLayout {
  /** Output element count. */
  size: number;
  /** False when both inputs have the output's element layout (a flat loop suffices). */
  broadcast: boolean;
  /** Output dims, padded on the left with 1s to MAX_BROADCAST_DIMS. */
  outDims: number[];
  /** Element strides of input 1/2 per output dim; 0 where that input is broadcast. */
  in1Strides: number[];
  in2Strides: number[];
}

/** numpy broadcast of two shapes, or undefined when they are incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function paddedStrides(shape: readonly number[], outDims: readonly number[]): number[] {
  const dims = [...Array(MAX_BROADCAST_DIMS - shape.length).fill(1), ...shape];
  const strides = new Array<number>(MAX_BROADCAST_DIMS).fill(0);
  let acc = 1;
  for (let d = MAX_BROADCAST_DIMS - 1; d >= 0; d--) {
    strides[d] = dims[d] === 1 && outDims[d] !== 1 ? 0 : acc;
    acc *= dims[d];
  }
  return strides;
}

/** Shape rule of the broadcasting binary ops (GraphError naming the op when incompatible). */
export function inferBroadcastShape(ctx: OpContext): number[] {
  checkArity(ctx, 2, 1);
  const a = input(ctx, 0).shape;
  const b = input(ctx, 1).shape;
  const out = broadcastShape(a, b);
  if (!out) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: input shapes [${a.join(', ')}] and [${b.join(', ')}] are not broadcast-compatible`);
  }
  return out;
}

export function broadcastLayout(ctx: OpContext): BroadcastLayout {
  const a = input(ctx, 0).shape;
  const b = input(ctx, 1).shape;
  const out = inferBroadcastShape(ctx);
  if (out.length > MAX_BROADCAST_DIMS) {
    throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: broadcasting is supported up to ${MAX_BROADCAST_DIMS} dimensions, got ${out.length}`);
  }
  const outDims = [...Array(MAX_BROADCAST_DIMS - out.length).fill(1), ...out];
  const size = out.reduce((p, d) => p * d, 1);
  const broadcast = !(sameShape(a, out) && sameShape(b, out));
  return { size, broadcast, outDims, in1Strides: paddedStrides(a, outDims), in2Strides: paddedStrides(b, outDims) };
}

/**
 * Calls `fn(outIndex, in1Index, in2Index)` for every output element in row-major order; the
 * odometer walks input offsets with the layout's strides (0 on broadcast dims).
 */
export function forEachBroadcast(layout: BroadcastLayout, fn: (o: number, i1: number, i2: number) => void): void {
  const { outDims, in1Strides, in2Strides, size } = layout;
  if (!layout.broadcast) {
    for (let i = 0; i < size; i++) fn(i, i, i);
    return;
  }
  const idx = new Array<number>(MAX_BROADCAST_DIMS).fill(0);
  let off1 = 0;
  let off2 = 0;
  for (let o = 0; o < size; o++) {
    fn(o, off1, off2);
    for (let d = MAX_BROADCAST_DIMS - 1; d >= 0; d--) {
      off1 += in1Strides[d];
      off2 += in2Strides[d];
      if (++idx[d] < outDims[d]) break;
      off1 -= in1Strides[d] * outDims[d];
      off2 -= in2Strides[d] * outDims[d];
      idx[d] = 0;
    }
  }
}

/** The broadcast part of a params struct initializer in C. */
export function cBroadcastFields(layout: BroadcastLayout): string[] {
  return [
    `.size = ${layout.size}`,
    `.broadcast = ${layout.broadcast ? 1 : 0}`,
    `.bcast = { .out_dims = ${cIntList(layout.outDims)}, .in1_strides = ${cIntList(layout.in1Strides)}, .in2_strides = ${cIntList(layout.in2Strides)} }`,
  ];
}

// --- C emission ---

/** An int32 literal valid in C even for INT32_MIN. */
export function cInt(n: number): string {
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${n}`);
  return n === -2147483648 ? '(-2147483647 - 1)' : String(n);
}

export function cIntList(xs: readonly number[]): string {
  return `{${xs.map(cInt).join(', ')}}`;
}

/** A float literal that reads back as exactly the float32 value `x`. */
export function cFloat(x: number): string {
  const v = f32(x);
  if (!Number.isFinite(v)) throw new Error(`not a finite float: ${x}`);
  if (Object.is(v, -0)) return '-0.0f';
  const s = v.toPrecision(9);
  return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`;
}

/** `static const <type> <name> = { .a = 1, ... };` */
export function cStructDecl(type: string, name: string, fields: readonly string[]): string {
  return `static const ${type} ${name} = {\n  ${fields.join(',\n  ')}\n};`;
}

/** A C array initializer body for int16 tables, wrapped for readability. */
export function cInt16Table(name: string, data: Int16Array): string {
  const rows: string[] = [];
  for (let i = 0; i < data.length; i += 16) rows.push(`  ${Array.from(data.subarray(i, i + 16)).join(', ')}`);
  return `static const int16_t ${name}[${data.length}] = {\n${rows.join(',\n')}\n};`;
}

/** ADD, SUB or MUL on float32: one call into elementwise_f32.c with the broadcast layout and clamp. */
export function emitBinaryFloat(
  type: 'ADD' | 'SUB' | 'MUL' | 'DIV',
  p: BroadcastLayout & { activationMin: number; activationMax: number },
  names: EmitNames,
  ctx: EmitContext,
): CEmission {
  const fields = [...cBroadcastFields(p), `.activation_min = ${cFloat(p.activationMin)}`, `.activation_max = ${cFloat(p.activationMax)}`];
  return {
    kernels: ['elementwise_f32.c'],
    includes: ['elementwise_f32.h'],
    decls: cStructDecl('tinyml_binary_f32_params', `${ctx.prefix}_params`, fields),
    call: `  tinyml_${type.toLowerCase()}_f32(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
  };
}

/**
 * An int8/int16 broadcasting binary op in C: `static const tinyml_<kernel>_params` (the broadcast
 * layout, then `fields` as C ints, in the header's order) and `tinyml_<fn>_<s8|s16>(&params,
 * input1, input2, output)` from <kernel>.c.
 */
export function emitBinaryQuant(
  kernel: string,
  fn: string,
  p: BroadcastLayout & { kind: 'int8' | 'int16' },
  fields: Record<string, number>,
  names: EmitNames,
  ctx: EmitContext,
): CEmission {
  const members = [...cBroadcastFields(p), ...Object.entries(fields).map(([field, v]) => `.${field} = ${cInt(v)}`)];
  return {
    kernels: [`${kernel}.c`],
    includes: [`${kernel}.h`],
    decls: cStructDecl(`tinyml_${kernel}_params`, `${ctx.prefix}_params`, members),
    call: `  tinyml_${fn}_${p.kind === 'int8' ? 's8' : 's16'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
  };
}

/** The broadcast layout of a binary op whose output has the broadcast shape (GraphError otherwise). */
export function checkedBroadcast(ctx: OpContext): { layout: BroadcastLayout; a: Tensor; b: Tensor; out: Tensor } {
  const layout = broadcastLayout(ctx);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  const out = ctx.outputs[0];
  if (out.shape.reduce((p, d) => p * d, 1) !== layout.size) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: output shape [${out.shape.join(', ')}] does not match the broadcast shape [${inferBroadcastShape(ctx).join(', ')}]`);
  }
  return { layout, a, b, out };
}

/**
 * A float32 unary op: `tinyml_<fn>_f32(size, [extra args,] input, output)` from
 * elementwise_f32.c (no params struct: the size and any constant are the arguments).
 */
export function emitUnaryFloat(fn: string, size: number, names: EmitNames, extra: string[] = []): CEmission {
  return {
    kernels: ['elementwise_f32.c'],
    includes: ['elementwise_f32.h'],
    decls: '',
    call: `  tinyml_${fn}_f32(${[String(size), ...extra, names.inputs[0], names.outputs[0]].join(', ')});`,
  };
}

/** Element count of an activation tensor. */
export function elementCountOf(t: Tensor): number {
  return t.shape.reduce((p, d) => p * d, 1);
}

/** Shape rule of the elementwise unary ops: the output has the input's shape. */
export function inferSameShape(ctx: OpContext): number[][] {
  checkArity(ctx, 1, 1);
  return [[...input(ctx, 0).shape]];
}

/**
 * Evaluates `fn` once per possible 8-bit input value (int8 when `signed`, else uint8); element
 * loops then index the table with `x + offset`. Kernels whose output depends on one input byte
 * use this in `evaluate` to stay fast on large tensors; the results are identical by definition.
 */
export function byteTable(signed: boolean, fn: (x: number) => number): { table: Int32Array; offset: number } {
  const table = new Int32Array(256);
  const offset = signed ? 128 : 0;
  for (let i = 0; i < 256; i++) table[i] = fn(i - offset);
  return { table, offset };
}

/**
 * Returns params with every integral number in int32 range as a small integer (which also turns
 * -0 into 0): zero points read from a model arrive as doubles and -zeroPoint can be -0, and
 * params of one op type should share one shape so the evaluate loops stay optimized. Arrays of
 * numbers are normalized element-wise; other values are kept. JSON round trips are lossless.
 */
export function normalizeParams<T extends object>(p: T): T {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff ? v | 0 : v;
    if (Array.isArray(v)) return v.map(norm);
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[k] = norm(v);
  return out as T;
}

/** The same OpDef with `prepare` returning normalized params (see normalizeParams). */
export function withNormalizedParams<T extends OpType, P extends object>(def: OpDef<T, P>): OpDef<T, P> {
  const prepare = def.prepare.bind(def);
  return { ...def, prepare: (ctx) => normalizeParams(prepare(ctx)) };
}

/**
 * The start of ADD's, SUB's and MUL's prepare: the broadcast layout, the output shape checked
 * against it, one dtype for both inputs and the output; then either the float32 params (layout
 * and activation clamp) or, for int8/int16, the per-tensor quantization of the three tensors.
 */
export function prepareBinaryArithmetic(
  ctx: OpContext,
):
  | { float: BroadcastLayout & { kind: 'float32'; activationMin: number; activationMax: number } }
  | {
      float?: undefined;
      layout: BroadcastLayout;
      out: Tensor & { dtype: 'int8' | 'int16' };
      attrs: ElementwiseAttrs;
      q1: { scale: number; zeroPoint: number };
      q2: { scale: number; zeroPoint: number };
      qo: { scale: number; zeroPoint: number };
    } {
  const { layout, a, b, out } = checkedBroadcast(ctx);
  if (a.dtype !== b.dtype || a.dtype !== out.dtype) throw unsupportedDtypes(ctx, 'inputs and output must share one data type');
  const attrs = ctx.op.attrs as ElementwiseAttrs;
  if (out.dtype === 'float32') {
    const [activationMin, activationMax] = activationRangeFloat(attrs.activation);
    return { float: { kind: 'float32', ...layout, activationMin, activationMax } };
  }
  if (out.dtype !== 'int8' && out.dtype !== 'int16') throw unsupportedDtypes(ctx);
  const q1 = perTensorQuant(ctx, a);
  const q2 = perTensorQuant(ctx, b);
  const qo = perTensorQuant(ctx, out);
  return { layout, out: out as Tensor & { dtype: 'int8' | 'int16' }, attrs, q1, q2, qo };
}
