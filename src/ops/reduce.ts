/**
 * MEAN and SUM over constant axes, with TFLite Micro's semantics (reduce_common.cc and
 * reference reduce.h):
 *
 * - int8/int16 (both MEAN and SUM) always take QuantizedMeanOrSum: an int32 sum (wrapping on
 *   overflow) of the raw values per output, minus input_zero_point * count, then one
 *   MultiplyByQuantizedMultiplier by input_scale / output_scale, plus the output zero point,
 *   saturated. For MEAN the 1/count factor is folded into that multiplier with TFLite's integer
 *   division and shift clamping. (Older TFLite Micro releases had a separate 4-D H/W path for
 *   int8 MEAN with equal quantization; it was removed to match TFLite, so it is not reproduced.)
 * - float32: float sums in input order; MEAN divides by the float count. TFLite's dedicated
 *   4-D H/W float mean accumulates in the same order and divides the same way, so one loop
 *   covers both paths bit-exactly.
 *
 * Each output is computed by walking its reduced inputs, so no accumulator array is needed and
 * the C kernel has no scratch buffer.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../fixedpoint.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { describeOp, elementCount } from '../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { versionByInput, type TfliteMapping } from './tflite-options.js';

type ReduceType = 'MEAN' | 'SUM';

/** Most dims the C kernel walks per group (kept or reduced) after merging adjacent dims. */
export const REDUCE_MAX_GROUP_DIMS = 4;

export interface ReduceParams {
  kind: 'int8' | 'int16' | 'float32';
  op: 'mean' | 'sum';
  /** Kept (output) dims of the input, adjacent ones merged, outermost first; with input strides. */
  outerDims: number[];
  outerStrides: number[];
  /** Reduced dims of the input, adjacent ones merged, outermost first; with input strides. */
  reducedDims: number[];
  reducedStrides: number[];
  numOutputs: number;
  /** Input elements folded into each output (TFLite's num_elements_in_axis). */
  numReduced: number;
  /** The input has a zero-sized dim: TFLite leaves every output at 0. */
  zeroFill: boolean;
  inputZeroPoint: number;
  /** input_zero_point * numReduced, wrapped to int32 as TFLite's int32 cast does. */
  zeroPointSum: number;
  outputZeroPoint: number;
  /** Requantization (MEAN: with the 1/numReduced factor folded in). */
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

function constIntValues(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

/** Validated, deduplicated, non-negative axes in first-seen order (TFLite's ResolveAxis). */
function resolveAxes(ctx: OpContext<ReduceType>): { input: Tensor; axes: number[] } {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  if (ctx.inputs.length !== 2 || !ctx.inputs[0] || !ctx.inputs[1]) {
    throw new GraphError(`${where}: ${op.type} takes an input and an axis tensor, got ${ctx.inputs.length} inputs`);
  }
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: ${op.type} has one output, got ${ctx.outputs.length}`);
  const input = ctx.inputs[0];
  const axisTensor = ctx.inputs[1];
  if (axisTensor.dtype !== 'int32' && axisTensor.dtype !== 'int64') {
    throw new UnsupportedOpError(`${where}: the axis tensor must be int32, got ${axisTensor.dtype}`);
  }
  const raw = constIntValues(axisTensor);
  if (!raw) throw new UnsupportedOpError(`${where}: the axis tensor '${axisTensor.name}' is computed at run time; tinyml needs constant axes`);
  const rank = input.shape.length;
  const axes: number[] = [];
  // A scalar input has nothing to reduce; TFLite ignores the axes then.
  if (rank === 0) return { input, axes };
  for (const a of raw) {
    const axis = a < 0 ? a + rank : a;
    if (!(axis >= 0 && axis < rank)) throw new GraphError(`${where}: axis ${a} is out of range for a ${rank}-D input`);
    if (!axes.includes(axis)) axes.push(axis);
  }
  return { input, axes };
}

function inferReduce(ctx: OpContext<ReduceType>): number[] {
  const { input, axes } = resolveAxes(ctx);
  if (ctx.op.attrs.keepDims) return input.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return input.shape.filter((_, i) => !axes.includes(i));
}

/** Splits the input dims into kept and reduced groups, dropping size-1 dims and merging neighbours. */
function groupDims(shape: number[], axes: number[]) {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const outer: { dims: number[]; strides: number[] } = { dims: [], strides: [] };
  const reduced: { dims: number[]; strides: number[] } = { dims: [], strides: [] };
  let last: 'outer' | 'reduced' | undefined;
  shape.forEach((d, i) => {
    if (d === 1) return;
    const which = axes.includes(i) ? 'reduced' : 'outer';
    const g = which === 'reduced' ? reduced : outer;
    if (last === which) {
      // Row-major contiguity: the previous dim of the group spans exactly this one.
      g.dims[g.dims.length - 1] *= d;
      g.strides[g.strides.length - 1] = strides[i];
    } else {
      g.dims.push(d);
      g.strides.push(strides[i]);
    }
    last = which;
  });
  return { outer, reduced };
}

function bitLength(n: number): number {
  return n.toString(2).length;
}

function prepareReduce(ctx: OpContext<ReduceType>): ReduceParams {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  const { input, axes } = resolveAxes(ctx);
  const output = ctx.outputs[0];
  const shape = inferReduce(ctx);
  if (input.dtype !== output.dtype || !['int8', 'int16', 'float32'].includes(input.dtype)) {
    throw new UnsupportedOpError(`${where}: ${op.type} with input ${input.dtype} and output ${output.dtype} is not supported (supported: int8, int16, float32, same on both sides)`);
  }
  if (output.shape.length !== shape.length || output.shape.some((d, i) => d !== shape[i])) {
    throw new GraphError(`${where}: output is [${output.shape.join(', ')}] but reducing [${input.shape.join(', ')}] gives [${shape.join(', ')}]`);
  }
  if (input.shape.length > 2 * REDUCE_MAX_GROUP_DIMS) {
    throw new UnsupportedOpError(`${where}: ${op.type} supports inputs of up to ${2 * REDUCE_MAX_GROUP_DIMS} dimensions, got ${input.shape.length}`);
  }
  const kind = input.dtype as ReduceParams['kind'];
  const { outer, reduced } = groupDims(input.shape, axes);
  const numReduced = axes.reduce((n, a) => n * input.shape[a], 1);
  const zeroFill = input.shape.some((d) => d === 0);
  const isMean = op.type === 'MEAN';
  let multiplier = 0;
  let shift = 0;
  let inputZeroPoint = 0;
  let outputZeroPoint = 0;
  let actMin = 0;
  let actMax = 0;
  if (kind !== 'float32') {
    const inScale = Math.fround(input.quant?.scale[0] ?? 0);
    const outScale = Math.fround(output.quant?.scale[0] ?? 0);
    if (!(inScale > 0 && outScale > 0)) throw new UnsupportedOpError(`${where}: ${kind} ${op.type} needs quantized input and output (positive scales)`);
    ({ multiplier, shift } = quantizeMultiplier(inScale / outScale));
    inputZeroPoint = input.quant?.zeroPoint[0] ?? 0;
    outputZeroPoint = output.quant?.zeroPoint[0] ?? 0;
    if (isMean && numReduced > 0) {
      // Fold 1/count into the multiplier: scale it up by 2^s (s = floor(log2(count)), at most 32
      // and at most 31 + shift so the final right shift stays <= 31), divide by count in integers.
      let s = bitLength(numReduced) - 1;
      s = Math.min(s, 32, 31 + shift);
      s = Math.max(s, 0);
      multiplier = Number((BigInt(multiplier) << BigInt(s)) / BigInt(numReduced));
      shift -= s;
    }
    [actMin, actMax] = kind === 'int8' ? [-128, 127] : [-32768, 32767];
  }
  const groups = Math.max(outer.dims.length, reduced.dims.length);
  if (groups > REDUCE_MAX_GROUP_DIMS) {
    throw new UnsupportedOpError(`${where}: the kept and reduced axes of [${input.shape.join(', ')}] interleave too often for the kernel (${groups} groups, at most ${REDUCE_MAX_GROUP_DIMS})`);
  }
  return {
    kind,
    op: isMean ? 'mean' : 'sum',
    outerDims: outer.dims,
    outerStrides: outer.strides,
    reducedDims: reduced.dims,
    reducedStrides: reduced.strides,
    numOutputs: elementCount(shape),
    numReduced,
    zeroFill,
    inputZeroPoint,
    zeroPointSum: (inputZeroPoint * numReduced) | 0,
    outputZeroPoint,
    multiplier,
    shift,
    actMin,
    actMax,
  };
}

/** Input offsets of every combination of `dims` (row-major), e.g. the reduced elements of output 0. */
function offsets(dims: number[], strides: number[]): Int32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Int32Array(n);
  const idx = new Array<number>(dims.length).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    out[k] = off;
    for (let d = dims.length - 1; d >= 0; d--) {
      off += strides[d];
      if (++idx[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
  return out;
}

function evaluateReduce(params: ReduceParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const src = inputs[0] as Int8Array | Int16Array | Float32Array;
  const dst = outputs[0] as Int8Array | Int16Array | Float32Array;
  if (params.zeroFill) {
    dst.fill(0);
    return;
  }
  const outerOff = offsets(params.outerDims, params.outerStrides);
  const redOff = offsets(params.reducedDims, params.reducedStrides);
  const nr = redOff.length;
  if (params.kind === 'float32') {
    const count = Math.fround(params.numReduced);
    for (let o = 0; o < outerOff.length; o++) {
      const base = outerOff[o];
      let acc = 0;
      for (let r = 0; r < nr; r++) acc = Math.fround(acc + src[base + redOff[r]]);
      dst[o] = params.op === 'mean' && params.numReduced > 0 ? Math.fround(acc / count) : acc;
    }
    return;
  }
  const { multiplier, shift, zeroPointSum, outputZeroPoint, actMin, actMax } = params;
  for (let o = 0; o < outerOff.length; o++) {
    const base = outerOff[o];
    let acc = 0;
    // int32 accumulation that wraps on overflow, as TFLite's AddTensorValuesWithExpectedOverflow.
    for (let r = 0; r < nr; r++) acc = (acc + src[base + redOff[r]]) | 0;
    const shifted = (acc - zeroPointSum) | 0;
    const v = multiplyByQuantizedMultiplier(shifted, multiplier, shift) + outputZeroPoint;
    dst[o] = v < actMin ? actMin : v > actMax ? actMax : v;
  }
}

function emitReduce(params: ReduceParams, names: EmitNames, ctx: EmitContext): CEmission {
  const p = `${ctx.prefix}_params`;
  const pad4 = (a: number[]) => `{ ${[...a, ...new Array<number>(REDUCE_MAX_GROUP_DIMS - a.length).fill(0)].map((x) => `${x}u`).join(', ')} }`;
  const i32 = (x: number) => (x === -2147483648 ? '(-2147483647 - 1)' : String(x));
  const float = params.kind === 'float32';
  const fn = float ? `tinyml_${params.op}_f32` : params.kind === 'int8' ? 'tinyml_reduce_s8' : 'tinyml_reduce_s16';
  return {
    // The float kernels take reduce.h's params struct and ignore its quantization fields.
    kernels: [float ? 'reduce_f32.c' : 'reduce.c'],
    includes: [float ? 'reduce_f32.h' : 'reduce.h'],
    decls:
      `/* ${params.op.toUpperCase()} ${params.kind}: ${params.numOutputs} outputs of ${params.numReduced} elements each */\n` +
      `static const tinyml_reduce_params ${p} = {\n` +
      `  ${params.outerDims.length}u, ${pad4(params.outerDims)}, ${pad4(params.outerStrides)},\n` +
      `  ${params.reducedDims.length}u, ${pad4(params.reducedDims)}, ${pad4(params.reducedStrides)},\n` +
      `  ${params.numOutputs}u, ${params.numReduced}u, ${params.zeroFill ? 1 : 0}u,\n` +
      `  ${params.inputZeroPoint}, ${i32(params.zeroPointSum)}, ${params.multiplier}, ${params.shift},\n` +
      `  ${params.outputZeroPoint}, ${params.actMin}, ${params.actMax}\n};`,
    call: `  ${fn}(&${p}, ${names.inputs[0]}, ${names.outputs[0]});`,
  };
}

/** MEAN and SUM; the axes come from the second input tensor. */
export interface ReduceAttrs {
  keepDims: boolean;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    MEAN: ReduceAttrs;
    SUM: ReduceAttrs;
  }
}

/** ReducerOptions: 0 keep_dims. */
function reduceTflite(type: ReduceType): TfliteMapping<ReduceAttrs> {
  return {
    options: {
      table: 'ReducerOptions',
      unionType: 27,
      fields: [{ id: 0, name: 'keep_dims', kind: 'bool' }],
      read: (v) => ({ keepDims: v.bool('keep_dims') }),
      write: (a) => ({ keep_dims: a.keepDims }),
    },
    version: type === 'MEAN' ? versionByInput(3, 2) : versionByInput(4, 2),
  };
}

function makeReduce<T extends ReduceType>(type: T): OpDef<T, ReduceParams> {
  return {
    type,
    tflite: reduceTflite(type),
    inferShapes: (ctx) => [inferReduce(ctx as unknown as OpContext<ReduceType>)],
    macs: () => 0,
    prepare: (ctx) => prepareReduce(ctx as unknown as OpContext<ReduceType>),
    evaluate: evaluateReduce,
    emitC: emitReduce,
  };
}

export const mean: OpDef<'MEAN', ReduceParams> = makeReduce('MEAN');
export const sum: OpDef<'SUM', ReduceParams> = makeReduce('SUM');
