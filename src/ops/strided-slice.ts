/**
 * STRIDED_SLICE with constant begin/end/strides, following TFLite's kernel
 * (tensorflow/lite/kernels/strided_slice.cc and strided_slice_logic.h):
 *
 * - ellipsis_mask and new_axis_mask are first rewritten into an "effective" input of at most 5
 *   dims (new axes become size-1 dims sliced 0:1; the ellipsis becomes full-range dims; specs
 *   missing at the end become full-range dims);
 * - per effective axis, start/stop come from StridedSliceStartForAxis/EndForAxis: negative
 *   indices wrap once, then clamp to [0, size] (stride > 0) or [-1, size - 1] (stride < 0), and
 *   begin/end masks override; shrink_axis takes the single element at start; with `offset`,
 *   end is relative to begin;
 * - the output shape is ceil((stop - start) / stride) per non-shrunk axis, in float as TFLite.
 *
 * TFLite Micro's port resets ellipsis_mask, new_axis_mask and offset to 0 and then rejects the
 * model when the converter's output shape disagrees, so models using them only run under full
 * TFLite; for every model TFLite Micro accepts, the two agree.
 *
 * Everything is resolved at prepare time into a 5-D (start, stride, count) walk, so the kernel is
 * a plain strided copy for any element size.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { DType, Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp, elementCount } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import { versionByInput } from './tflite-options.js';

const MAX_DIMS = 5;
export type StridedSliceKind = 'int8' | 'int16' | 'int32' | 'float32' | 'bool';
const KINDS: readonly DType[] = ['int8', 'int16', 'int32', 'float32', 'bool'];

export interface StridedSliceParams {
  kind: StridedSliceKind;
  elementBytes: number;
  /** Per axis of the 5-D extended effective input: first index, step and number of steps. */
  start: number[];
  stride: number[];
  count: number[];
  /** Row-major element strides of the 5-D extended effective input. */
  inStrides: number[];
}

/** TFLite's StridedSliceParams after the ellipsis/new-axis rewrite. */
interface Effective {
  shape: number[];
  start: number[];
  stop: number[];
  stride: number[];
  beginMask: number;
  endMask: number;
  shrinkMask: number;
  offset: boolean;
}

function constIntValues(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

interface Spec {
  input: Tensor;
  begin: number[];
  end: number[];
  strides: number[];
}

function readSpec(ctx: OpContext<'STRIDED_SLICE'>): Spec {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  if (ctx.inputs.length !== 4 || ctx.inputs.some((t) => !t)) {
    throw new GraphError(`${where}: STRIDED_SLICE takes input, begin, end and strides, got ${ctx.inputs.filter((t) => t).length} inputs`);
  }
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: STRIDED_SLICE has one output, got ${ctx.outputs.length}`);
  const [input, ...idx] = ctx.inputs as Tensor[];
  const [begin, end, strides] = idx.map((t, i) => {
    const name = ['begin', 'end', 'strides'][i];
    if (t.shape.length !== 1) throw new GraphError(`${where}: ${name} must be 1-D, got [${t.shape.join(', ')}]`);
    if (t.dtype !== 'int32' && t.dtype !== 'int64') throw new UnsupportedOpError(`${where}: ${name} must be int32, got ${t.dtype}`);
    const v = constIntValues(t);
    if (!v) throw new UnsupportedOpError(`${where}: ${name} '${t.name}' is computed at run time; tinyml (like TFLite Micro) needs constant begin/end/strides`);
    return v;
  });
  if (begin.length !== end.length || strides.length !== begin.length) {
    throw new GraphError(`${where}: begin, end and strides have different lengths (${begin.length}, ${end.length}, ${strides.length})`);
  }
  if (input.shape.length > MAX_DIMS) throw new UnsupportedOpError(`${where}: STRIDED_SLICE supports inputs of up to ${MAX_DIMS} dimensions, got ${input.shape.length}`);
  return { input, begin, end, strides };
}

const bit = (mask: number, i: number): boolean => (mask & (1 << i)) !== 0;

/** TFLite's BuildStridedSliceParams: folds ellipsis and new axes into plain per-axis specs. */
function buildEffective(ctx: OpContext<'STRIDED_SLICE'>, spec: Spec): Effective {
  const where = describeOp(ctx.graph, ctx.op);
  const a = ctx.op.attrs;
  const inShape = spec.input.shape;
  const inputDims = inShape.length;
  const beginCount = spec.begin.length;
  let numAddAxis = 0;
  for (let i = 0; i < beginCount; i++) if (!bit(a.ellipsisMask, i) && bit(a.newAxisMask, i)) numAddAxis++;
  const dims = inputDims + numAddAxis;
  if (dims > MAX_DIMS) throw new UnsupportedOpError(`${where}: STRIDED_SLICE supports up to ${MAX_DIMS} dimensions including new axes, got ${dims}`);

  let ellipsisMask = 0;
  let newAxisMask = 0;
  let ellipsisStart = dims;
  let expandedEllipsis = 0;
  for (let i = 0; i < dims; ) {
    if (bit(a.ellipsisMask, i)) {
      ellipsisStart = i;
      const ellipsisEnd = Math.max(i + 1, Math.min(i + 1 + numAddAxis + inputDims - beginCount, dims));
      expandedEllipsis = ellipsisEnd - ellipsisStart - 1;
      for (; i < ellipsisEnd; i++) ellipsisMask |= 1 << i;
      continue;
    }
    if (bit(a.newAxisMask, i - expandedEllipsis)) newAxisMask |= 1 << i;
    i++;
  }

  const e: Effective = {
    shape: new Array<number>(dims).fill(1),
    start: new Array<number>(dims).fill(0),
    stop: new Array<number>(dims).fill(0),
    stride: new Array<number>(dims).fill(1),
    beginMask: 0,
    endMask: 0,
    shrinkMask: 0,
    offset: a.offset,
  };
  let addedEllipsis = 0;
  let addedAxes = 0;
  const inDim = (i: number): number => {
    const d = inShape[i - addedAxes];
    if (d === undefined) throw new GraphError(`${where}: the slice spec addresses more dimensions than the ${inputDims}-D input has`);
    return d;
  };
  for (let i = 0; i < dims; i++) {
    if (bit(ellipsisMask, i)) {
      addedEllipsis = Math.max(0, i - ellipsisStart);
      e.beginMask |= 1 << i;
      e.endMask |= 1 << i;
      e.shape[i] = inDim(i);
    } else if (bit(newAxisMask, i)) {
      e.stop[i] = 1;
      e.shape[i] = 1;
      addedAxes++;
    } else if (i >= beginCount + expandedEllipsis) {
      e.beginMask |= 1 << i;
      e.endMask |= 1 << i;
      e.shape[i] = inDim(i);
    } else {
      const orig = i - addedEllipsis;
      if (orig < 0 || orig >= beginCount) throw new GraphError(`${where}: malformed slice spec (ellipsis/new-axis masks do not fit begin/end)`);
      e.start[i] = spec.begin[orig];
      e.stop[i] = spec.end[orig];
      e.stride[i] = spec.strides[orig];
      if (bit(a.beginMask, orig)) e.beginMask |= 1 << i;
      if (bit(a.endMask, orig)) e.endMask |= 1 << i;
      if (bit(a.shrinkAxisMask, orig)) e.shrinkMask |= 1 << i;
      e.shape[i] = inDim(i);
    }
  }
  return e;
}

const clamp = (v: number, lo: number, hi: number): number => (hi < v ? hi : v < lo ? lo : v);

/** TFLite's StridedSliceStartForAxis. */
function startForAxis(e: Effective, axis: number): number {
  const size = e.shape[axis];
  const stride = e.stride[axis];
  let start = e.start[axis];
  if (start < 0) start += size;
  start = stride > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
  if (bit(e.beginMask, axis)) start = stride > 0 ? 0 : size - 1;
  return start;
}

/** TFLite's StridedSliceEndForAxis. */
function endForAxis(e: Effective, axis: number, start: number): number {
  const size = e.shape[axis];
  if (bit(e.shrinkMask, axis)) return start >= size ? start : start + 1;
  const stride = e.stride[axis];
  let end = e.stop[axis];
  if (e.offset) end += start;
  if (end < 0) end += size;
  end = stride > 0 ? clamp(end, 0, size) : clamp(end, -1, size - 1);
  if (bit(e.endMask, axis)) end = stride > 0 ? size : -1;
  return end;
}

function outputShape(ctx: OpContext<'STRIDED_SLICE'>, spec: Spec, e: Effective): number[] {
  const where = describeOp(ctx.graph, ctx.op);
  const shape: number[] = [];
  for (let i = 0; i < e.shape.length; i++) {
    const stride = e.stride[i];
    if (stride === 0) throw new GraphError(`${where}: stride ${i} is 0`);
    if (bit(e.shrinkMask, i)) continue;
    let extent: number;
    if (e.offset) {
      // TFLite sizes offset slices from the raw end value alone.
      if (i >= spec.end.length) throw new GraphError(`${where}: offset slice has no end value for axis ${i}`);
      extent = spec.end[i];
    } else {
      const start = startForAxis(e, i);
      extent = endForAxis(e, i, start) - start;
    }
    const d = Math.ceil(Math.fround(extent / stride));
    shape.push(d < 0 ? 0 : d);
  }
  return shape;
}

function inferStridedSlice(ctx: OpContext<'STRIDED_SLICE'>): number[] {
  const spec = readSpec(ctx);
  return outputShape(ctx, spec, buildEffective(ctx, spec));
}

export interface StridedSliceAttrs {
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
  /** TFLite `offset`: `end` is relative to `begin`. */
  offset: boolean;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    STRIDED_SLICE: StridedSliceAttrs;
  }
}

export const stridedSlice: OpDef<'STRIDED_SLICE', StridedSliceParams> = {
  type: 'STRIDED_SLICE',
  // StridedSliceOptions: 0 begin_mask, 1 end_mask, 2 ellipsis_mask, 3 new_axis_mask, 4 shrink_axis_mask, 5 offset.
  tflite: {
    options: {
      table: 'StridedSliceOptions',
      unionType: 32,
      fields: [
        { id: 0, name: 'begin_mask', kind: 'i32' },
        { id: 1, name: 'end_mask', kind: 'i32' },
        { id: 2, name: 'ellipsis_mask', kind: 'i32' },
        { id: 3, name: 'new_axis_mask', kind: 'i32' },
        { id: 4, name: 'shrink_axis_mask', kind: 'i32' },
        { id: 5, name: 'offset', kind: 'bool' },
      ],
      read: (v) => ({
        beginMask: v.num('begin_mask'),
        endMask: v.num('end_mask'),
        ellipsisMask: v.num('ellipsis_mask'),
        newAxisMask: v.num('new_axis_mask'),
        shrinkAxisMask: v.num('shrink_axis_mask'),
        offset: v.bool('offset'),
      }),
      write: (a, c) => ({
        begin_mask: c.int('beginMask', a.beginMask),
        end_mask: c.int('endMask', a.endMask),
        ellipsis_mask: c.int('ellipsisMask', a.ellipsisMask),
        new_axis_mask: c.int('newAxisMask', a.newAxisMask),
        shrink_axis_mask: c.int('shrinkAxisMask', a.shrinkAxisMask),
        offset: a.offset,
      }),
    },
    version: versionByInput(4, 2),
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes: (ctx) => [inferStridedSlice(ctx)],
  macs: () => 0,
  prepare(ctx) {
    const { graph, op } = ctx;
    const where = describeOp(graph, op);
    const spec = readSpec(ctx);
    const e = buildEffective(ctx, spec);
    const shape = outputShape(ctx, spec, e);
    const output = ctx.outputs[0];
    if (spec.input.dtype !== output.dtype || !KINDS.includes(output.dtype)) {
      throw new UnsupportedOpError(`${where}: STRIDED_SLICE with input ${spec.input.dtype} and output ${output.dtype} is not supported (supported: ${KINDS.join(', ')}, same on both sides)`);
    }
    if (output.shape.length !== shape.length || output.shape.some((d, i) => d !== shape[i])) {
      throw new GraphError(`${where}: output is [${output.shape.join(', ')}] but the slice gives [${shape.join(', ')}]`);
    }
    // Extend to 5-D in front with full size-1 axes, as the reference kernel does.
    const pad = MAX_DIMS - e.shape.length;
    const shape5 = [...new Array<number>(pad).fill(1), ...e.shape];
    const start: number[] = new Array<number>(pad).fill(0);
    const stride: number[] = new Array<number>(pad).fill(1);
    const count: number[] = new Array<number>(pad).fill(1);
    for (let i = 0; i < e.shape.length; i++) {
      const s = startForAxis(e, i);
      const t = endForAxis(e, i, s);
      const st = e.stride[i];
      const n = st > 0 ? (t > s ? Math.ceil((t - s) / st) : 0) : s > t ? Math.ceil((s - t) / -st) : 0;
      start.push(s);
      stride.push(st);
      count.push(n);
    }
    const written = count.reduce((x, y) => x * y, 1);
    if (written !== elementCount(shape)) {
      throw new GraphError(`${where}: the slice visits ${written} elements but its output shape [${shape.join(', ')}] holds ${elementCount(shape)}; TFLite would leave part of the output unwritten`);
    }
    const inStrides = new Array<number>(MAX_DIMS);
    let s = 1;
    for (let i = MAX_DIMS - 1; i >= 0; i--) {
      inStrides[i] = s;
      s *= shape5[i];
    }
    const kind = output.dtype as StridedSliceKind;
    return { kind, elementBytes: DTYPE_BYTES[kind], start, stride, count, inStrides };
  },
  evaluate(params, inputs, outputs) {
    const src = inputs[0] as Int8Array;
    const dst = outputs[0] as Int8Array;
    const { start, stride, count, inStrides } = params;
    let o = 0;
    for (let i0 = 0; i0 < count[0]; i0++) {
      const off0 = (start[0] + i0 * stride[0]) * inStrides[0];
      for (let i1 = 0; i1 < count[1]; i1++) {
        const off1 = off0 + (start[1] + i1 * stride[1]) * inStrides[1];
        for (let i2 = 0; i2 < count[2]; i2++) {
          const off2 = off1 + (start[2] + i2 * stride[2]) * inStrides[2];
          for (let i3 = 0; i3 < count[3]; i3++) {
            const off3 = off2 + (start[3] + i3 * stride[3]) * inStrides[3];
            for (let i4 = 0; i4 < count[4]; i4++) dst[o++] = src[off3 + start[4] + i4 * stride[4]];
          }
        }
      }
    }
  },
  emitC(params, names, ctx) {
    const p = `${ctx.prefix}_params`;
    const arr = (a: number[], suffix = '') => `{ ${a.map((x) => `${x}${suffix}`).join(', ')} }`;
    return {
      kernels: ['strided_slice.c'],
      includes: ['strided_slice.h'],
      decls:
        `/* STRIDED_SLICE ${params.kind}: output [${params.count.join('x')}] */\n` +
        `static const tinyml_strided_slice_params ${p} = {\n` +
        `  ${arr(params.start)},\n  ${arr(params.stride)},\n  ${arr(params.count, 'u')},\n  ${arr(params.inStrides, 'u')},\n  ${params.elementBytes}u\n};`,
      call: `  tinyml_strided_slice(&${p}, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};
