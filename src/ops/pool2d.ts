/**
 * AVERAGE_POOL_2D and MAX_POOL_2D (NHWC) as TFLite Micro computes them. Windows are clipped to
 * the input, so SAME padding never reads padded values: the average divides by the number of
 * valid taps, rounding half away from zero (C's truncating division after adding or subtracting
 * half the count). Input and output must share their quantization, as TFLM requires.
 */
import type { Padding } from '../ir/attrs.js';
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import {
  FLT_MAX,
  activationRangeFloat,
  activationRangeQuantized,
  checkArity,
  cFloat,
  cInt,
  cStructDecl,
  f32,
  input,
  intRange,
  normalizeParams,
  perTensorQuant,
  unsupportedDtypes,
} from './elementwise-util.js';
import type { FusedActivation } from '../ir/attrs.js';
import { versionByInput, type TfliteMapping } from './tflite-options.js';

export interface Pool2DParams {
  kind: 'int8' | 'int16' | 'float32';
  batches: number;
  inputHeight: number;
  inputWidth: number;
  depth: number;
  outputHeight: number;
  outputWidth: number;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  /** Rows/columns of padding before the input (TFLite's padding_values; the rest goes after). */
  padH: number;
  padW: number;
  /** Clamp range of the fused activation: quantized integers, or floats for 'float32'. */
  activationMin: number;
  activationMax: number;
}

type PoolType = 'AVERAGE_POOL_2D' | 'MAX_POOL_2D';

/** TFLite's windowed output size (ComputeOutSize) for one spatial dimension. */
function outSize(padding: Padding, inSize: number, filter: number, stride: number): number {
  return padding === 'SAME' ? Math.ceil(inSize / stride) : Math.trunc((inSize + stride - filter) / stride);
}

/** TFLite's ComputePadding: the padding before the input (the odd extra row goes after). */
function padBefore(inSize: number, filter: number, stride: number, out: number): number {
  return Math.floor(Math.max(0, (out - 1) * stride + filter - inSize) / 2);
}

function geometry(ctx: OpContext<PoolType>) {
  checkArity(ctx, 1, 1);
  const a = ctx.op.attrs;
  const x = input(ctx, 0);
  const where = describeOp(ctx.graph, ctx.op);
  if (x.shape.length !== 4) throw new GraphError(`${where}: input must be 4-D NHWC, got shape [${x.shape.join(', ')}]`);
  for (const [k, v] of [['strideH', a.strideH], ['strideW', a.strideW], ['filterH', a.filterH], ['filterW', a.filterW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new GraphError(`${where}: ${k} must be a positive integer, got ${v}`);
  }
  const [batches, inputHeight, inputWidth, depth] = x.shape;
  const outputHeight = outSize(a.padding, inputHeight, a.filterH, a.strideH);
  const outputWidth = outSize(a.padding, inputWidth, a.filterW, a.strideW);
  if (outputHeight < 1 || outputWidth < 1) {
    throw new GraphError(`${where}: a ${a.filterH}x${a.filterW} ${a.padding} window does not fit the ${inputHeight}x${inputWidth} input`);
  }
  return {
    batches,
    inputHeight,
    inputWidth,
    depth,
    outputHeight,
    outputWidth,
    strideH: a.strideH,
    strideW: a.strideW,
    filterH: a.filterH,
    filterW: a.filterW,
    padH: padBefore(inputHeight, a.filterH, a.strideH, outputHeight),
    padW: padBefore(inputWidth, a.filterW, a.strideW, outputWidth),
  };
}

function preparePool(ctx: OpContext<PoolType>): Pool2DParams {
  const g = geometry(ctx);
  const x = input(ctx, 0);
  const out = ctx.outputs[0];
  const expected = [g.batches, g.outputHeight, g.outputWidth, g.depth];
  if (out.shape.length !== 4 || out.shape.some((d, i) => d !== expected[i])) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: output shape [${out.shape.join(', ')}] should be [${expected.join(', ')}]`);
  }
  if (x.dtype !== out.dtype) throw unsupportedDtypes(ctx, 'input and output must share one data type');
  const activation = ctx.op.attrs.activation;
  if (x.dtype === 'float32') {
    const [activationMin, activationMax] = activationRangeFloat(activation);
    return { kind: 'float32', ...g, activationMin, activationMax };
  }
  if (x.dtype !== 'int8' && x.dtype !== 'int16') throw unsupportedDtypes(ctx);
  const qi = perTensorQuant(ctx, x);
  const qo = perTensorQuant(ctx, out);
  if (Math.abs(qi.scale - qo.scale) > 1e-6 || qi.zeroPoint !== qo.zeroPoint) {
    throw new UnsupportedOpError(
      `${describeOp(ctx.graph, ctx.op)}: input and output quantization differ (scale ${qi.scale} vs ${qo.scale}, zero point ${qi.zeroPoint} vs ${qo.zeroPoint}); TFLite Micro pooling requires them equal`,
    );
  }
  const [activationMin, activationMax] = activationRangeQuantized(ctx, activation, out.dtype, qo.scale, qo.zeroPoint);
  return { kind: x.dtype, ...g, activationMin, activationMax };
}

/**
 * Every output pixel's window clipped to the input, in NHWC output order: three entries per
 * pixel, the flat input index of the window's first valid tap (channel 0) and the tap counts
 * along y and x (either can be 0 or less when the window misses the input). Remembered per
 * params object, so that evaluate walks them without recomputing the clipping.
 */
const windowCache = new WeakMap<Pool2DParams, Int32Array>();

function poolWindows(p: Pool2DParams): Int32Array {
  const hit = windowCache.get(p);
  if (hit) return hit;
  const C = p.depth;
  const rowStride = p.inputWidth * C;
  const w = new Int32Array(p.batches * p.outputHeight * p.outputWidth * 3);
  let k = 0;
  for (let b = 0; b < p.batches; b++) {
    const batchBase = b * p.inputHeight * rowStride;
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const inY0 = oy * p.strideH - p.padH;
      const yStart = Math.max(0, -inY0);
      const yEnd = Math.min(p.filterH, p.inputHeight - inY0);
      for (let ox = 0; ox < p.outputWidth; ox++) {
        const inX0 = ox * p.strideW - p.padW;
        const xStart = Math.max(0, -inX0);
        const xEnd = Math.min(p.filterW, p.inputWidth - inX0);
        w[k++] = batchBase + (inY0 + yStart) * rowStride + (inX0 + xStart) * C;
        w[k++] = yEnd - yStart;
        w[k++] = xEnd - xStart;
      }
    }
  }
  windowCache.set(p, w);
  return w;
}

/**
 * Visits output elements in NHWC order with their window clipped to the input: `visit` gets the
 * output index, the flat input index of the window's first valid tap, the tap counts along y
 * and x, and the row stride (W * C); channels advance by one inside.
 */
function poolLoop(p: Pool2DParams, visit: (o: number, first: number, ny: number, nx: number, rowStride: number) => void): void {
  const C = p.depth;
  const rowStride = p.inputWidth * C;
  const w = poolWindows(p);
  let o = 0;
  for (let k = 0; k < w.length; k += 3) {
    for (let c = 0; c < C; c++) visit(o++, w[k] + c, w[k + 1], w[k + 2], rowStride);
  }
}

function evaluateAverage(p: Pool2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const C = p.depth;
  const lo = p.activationMin;
  const hi = p.activationMax;
  if (p.kind === 'float32') {
    const x = inputs[0] as Float32Array;
    const out = outputs[0] as Float32Array;
    poolLoop(p, (o, first, ny, nx, rowStride) => {
      let acc = 0;
      for (let fy = 0; fy < ny; fy++) for (let fx = 0, i = first + fy * rowStride; fx < nx; fx++, i += C) acc = f32(acc + x[i]);
      out[o] = Math.min(Math.max(f32(acc / (ny * nx)), lo), hi);
    });
    return;
  }
  const x = inputs[0] as Int8Array | Int16Array;
  const out = outputs[0] as Int8Array | Int16Array;
  poolLoop(p, (o, first, ny, nx, rowStride) => {
    let acc = 0;
    for (let fy = 0; fy < ny; fy++) for (let fx = 0, i = first + fy * rowStride; fx < nx; fx++, i += C) acc += x[i];
    // Divide by the valid taps only, rounding half away from zero (C's truncating division).
    const count = ny * nx;
    const half = count >> 1;
    const v = Math.trunc(acc > 0 ? (acc + half) / count : (acc - half) / count);
    out[o] = v < lo ? lo : v > hi ? hi : v;
  });
}
/**
 * The plain reference (the oracle): TFLite Micro's reference_ops::MaxPool loops, one output at a
 * time. `evaluateMax` is the direct-loop host path, tested equal to this.
 */
export function maxPoolReference(p: Pool2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const x = inputs[0] as TensorData;
  const out = outputs[0];
  const lowest = p.kind === 'float32' ? -FLT_MAX : p.kind === 'int8' ? -128 : -32768;
  const C = p.depth;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      for (let ox = 0; ox < p.outputWidth; ox++) {
        for (let c = 0; c < C; c++) {
          let m = lowest;
          for (let fy = 0; fy < p.filterH; fy++) {
            const iy = oy * p.strideH - p.padH + fy;
            if (iy < 0 || iy >= p.inputHeight) continue;
            for (let fx = 0; fx < p.filterW; fx++) {
              const ix = ox * p.strideW - p.padW + fx;
              if (ix < 0 || ix >= p.inputWidth) continue;
              const v = (x as Float32Array)[((b * p.inputHeight + iy) * p.inputWidth + ix) * C + c];
              if (v > m) m = v;
            }
          }
          out[o++] = Math.min(Math.max(m, p.activationMin), p.activationMax);
        }
      }
    }
  }
}


/**
 * Direct loops (no per-output callback): per output pixel, its window clipped to the input once
 * (poolWindows), each channel takes the maximum over the valid taps with TFLite's `>` (NaN inputs
 * are skipped, as the reference's comparison does).
 */
function evaluateMax(p: Pool2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const C = p.depth | 0;
  const rowStride = (p.inputWidth * C) | 0;
  const w = poolWindows(p);
  if (p.kind === 'float32') {
    const x = inputs[0] as Float32Array;
    const out = outputs[0] as Float32Array;
    for (let k = 0, o = 0; k < w.length; k += 3, o += C) maxWindowFloat(x, w[k], w[k + 1], w[k + 2], rowStride, C, p.activationMin, p.activationMax, out, o);
    return;
  }
  const x = inputs[0] as Int8Array | Int16Array;
  const out = outputs[0] as Int8Array | Int16Array;
  const lowest = intRange(p.kind)[0];
  if (maxScratch.length < C) maxScratch = Array.from({ length: C }, () => 0);
  for (let k = 0, o = 0; k < w.length; k += 3, o += C) maxWindowInt(x, w[k], w[k + 1], w[k + 2], rowStride, C, lowest, p.activationMin | 0, p.activationMax | 0, out, o);
}

/** Running maxima of one output pixel's channels (a plain array: no typed-array access guards). */
let maxScratch: number[] = [];

/** The C int outputs at out[o...] of one window of ny x nx taps from x[first...]. */
function maxWindowInt(x: Int8Array | Int16Array, first: number, ny: number, nx: number, rowStride: number, C: number, lowest: number, lo: number, hi: number, out: Int8Array | Int16Array, o: number): void {
  if (ny <= 0 || nx <= 0) {
    for (let c = 0; c < C; c++) out[o++] = lowest < lo ? lo : lowest > hi ? hi : lowest;
    return;
  }
  if (ny === 2 && nx === 2) {
    // The common 2x2 window, with no scratch round trips.
    for (let c = 0, i = first; c < C; c++, i++) {
      const a0 = x[i];
      const a1 = x[i + C];
      const a2 = x[i + rowStride];
      const a3 = x[i + rowStride + C];
      const m01 = a1 > a0 ? a1 : a0;
      const m23 = a3 > a2 ? a3 : a2;
      const v = m23 > m01 ? m23 : m01;
      out[o++] = v < lo ? lo : v > hi ? hi : v;
    }
    return;
  }
  // Every integer is >= the type's lowest value, so the first tap can seed the maxima.
  const m = maxScratch;
  for (let c = 0; c < C; c++) m[c] = x[first + c];
  for (let fy = 0; fy < ny; fy++) {
    for (let fx = fy === 0 ? 1 : 0; fx < nx; fx++) {
      const t = first + fy * rowStride + fx * C;
      for (let c = 0; c < C; c++) {
        const v = x[t + c];
        const cur = m[c];
        m[c] = v > cur ? v : cur;
      }
    }
  }
  for (let c = 0; c < C; c++) {
    const v = m[c];
    out[o++] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** maxWindowInt for float32: no seeding from a tap (a NaN tap never wins a `>`). */
function maxWindowFloat(x: Float32Array, first: number, ny: number, nx: number, rowStride: number, C: number, lo: number, hi: number, out: Float32Array, o: number): void {
  if (ny === 2 && nx === 2) {
    // The common 2x2 window, in the reference's tap order.
    for (let c = 0, i = first; c < C; c++, i++) {
      let m = -FLT_MAX;
      const a0 = x[i];
      m = a0 > m ? a0 : m;
      const a1 = x[i + C];
      m = a1 > m ? a1 : m;
      const a2 = x[i + rowStride];
      m = a2 > m ? a2 : m;
      const a3 = x[i + rowStride + C];
      m = a3 > m ? a3 : m;
      out[o++] = Math.min(Math.max(m, lo), hi);
    }
    return;
  }
  for (let c = 0; c < C; c++) {
    let m = -FLT_MAX;
    for (let fy = 0; fy < ny; fy++) {
      for (let fx = 0, i = first + fy * rowStride + c; fx < nx; fx++, i += C) {
        const v = x[i];
        if (v > m) m = v;
      }
    }
    out[o++] = Math.min(Math.max(m, lo), hi);
  }
}

function emitPool(type: PoolType, p: Pool2DParams, names: EmitNames, ctx: EmitContext): CEmission {
  const float = p.kind === 'float32';
  // tinyml_pool2d_geometry, shared by the int8/int16 and float params structs.
  const geo = [
    `.batches = ${p.batches}`,
    `.input_height = ${p.inputHeight}`,
    `.input_width = ${p.inputWidth}`,
    `.depth = ${p.depth}`,
    `.output_height = ${p.outputHeight}`,
    `.output_width = ${p.outputWidth}`,
    `.stride_height = ${p.strideH}`,
    `.stride_width = ${p.strideW}`,
    `.filter_height = ${p.filterH}`,
    `.filter_width = ${p.filterW}`,
    `.pad_height = ${p.padH}`,
    `.pad_width = ${p.padW}`,
  ];
  const fields = [
    `.geo = { ${geo.join(', ')} }`,
    `.activation_min = ${float ? cFloat(p.activationMin) : cInt(p.activationMin)}`,
    `.activation_max = ${float ? cFloat(p.activationMax) : cInt(p.activationMax)}`,
  ];
  const fn = type === 'AVERAGE_POOL_2D' ? 'average_pool2d' : 'max_pool2d';
  const file = float ? 'pool2d_f32' : 'pool2d';
  return {
    kernels: [`${file}.c`],
    includes: [`${file}.h`],
    decls: cStructDecl(float ? 'tinyml_pool2d_f32_params' : 'tinyml_pool2d_params', `${ctx.prefix}_params`, fields),
    call: `  tinyml_${fn}_${float ? 'f32' : p.kind === 'int8' ? 's8' : 's16'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
  };
}

function inferPoolShape(ctx: OpContext<PoolType>): number[][] {
  const g = geometry(ctx);
  return [[g.batches, g.outputHeight, g.outputWidth, g.depth]];
}

export interface Pool2DAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: FusedActivation;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    AVERAGE_POOL_2D: Pool2DAttrs;
    MAX_POOL_2D: Pool2DAttrs;
  }
}

/** Pool2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 filter_width, 4 filter_height, 5 fused_activation_function. */
const poolTflite: TfliteMapping<Pool2DAttrs> = {
  options: {
    table: 'Pool2DOptions',
    unionType: 5,
    fields: [
      { id: 0, name: 'padding', kind: 'i8' },
      { id: 1, name: 'stride_w', kind: 'i32' },
      { id: 2, name: 'stride_h', kind: 'i32' },
      { id: 3, name: 'filter_width', kind: 'i32' },
      { id: 4, name: 'filter_height', kind: 'i32' },
      { id: 5, name: 'fused_activation_function', kind: 'i8' },
    ],
    read: (v, c) => ({
      padding: c.padding(v.num('padding')),
      strideH: c.positive(v.num('stride_h'), 'stride_h'),
      strideW: c.positive(v.num('stride_w'), 'stride_w'),
      filterH: c.positive(v.num('filter_height'), 'filter_height'),
      filterW: c.positive(v.num('filter_width'), 'filter_width'),
      activation: c.activation(v.num('fused_activation_function')),
    }),
    write: (a, c) => ({
      padding: c.padding(a.padding),
      stride_w: c.int('strideW', a.strideW),
      stride_h: c.int('strideH', a.strideH),
      filter_width: c.int('filterW', a.filterW),
      filter_height: c.int('filterH', a.filterH),
      fused_activation_function: c.activation(a.activation),
    }),
  },
  version: versionByInput(3, 2),
};

export const averagePool2d: OpDef<'AVERAGE_POOL_2D', Pool2DParams> = {
  type: 'AVERAGE_POOL_2D',
  tflite: poolTflite,
  quant: { sameQParams: 'first' },
  inferShapes: inferPoolShape,
  macs: () => 0,
  prepare: (ctx) => normalizeParams(preparePool(ctx)),
  evaluate: evaluateAverage,
  emitC: (p, names, ctx) => emitPool('AVERAGE_POOL_2D', p, names, ctx),
};

export const maxPool2d: OpDef<'MAX_POOL_2D', Pool2DParams> = {
  type: 'MAX_POOL_2D',
  tflite: poolTflite,
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes: inferPoolShape,
  macs: () => 0,
  prepare: (ctx) => normalizeParams(preparePool(ctx)),
  evaluate: evaluateMax,
  reference: maxPoolReference,
  emitC: (p, names, ctx) => emitPool('MAX_POOL_2D', p, names, ctx),
};

