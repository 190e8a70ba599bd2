/**
 * BATCH_MATMUL of int8 and float32 tensors, as TFLite Micro's batch_matmul.cc: for every batch (the leading
 * dimensions, up to three, broadcast numpy-style where one side has 1),
 * out[m][n] = requantize(sum_k (x[m][k] - x_zero_point) * (y[k][n] - y_zero_point)), x read
 * transposed with adj_x and y with adj_y. The requantization is per tensor:
 * MultiplyByQuantizedMultiplier by x_scale * y_scale / out_scale (from doubles), plus the output
 * zero point, clamped to int8. Either operand may be an activation or a constant. float32: the
 * same loops with a float32 sum, k ascending, as TFLite's float reference.
 *
 * TFLite Micro transposes operands into scratch buffers and may merge batch dimensions before
 * its loops; both only change the memory order it reads in, so here the kernels read the
 * operands in place through strides (int32 sums of products are exact in any order).
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../fixedpoint.js';
import type { Tensor } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { cInt32Array } from './c-emit.js';
import { cStructDecl, f32 } from './elementwise-util.js';
import type { OpContext, OpDef } from './op-def.js';

export interface BatchMatmulAttrs {
  adjX: boolean;
  adjY: boolean;
  /** Hybrid (float x, int8 y) option; kept for the round trip, refused by prepare. */
  asymmetricQuantizeInputs: boolean;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    BATCH_MATMUL: BatchMatmulAttrs;
  }
}

/** Batch dimensions TFLite Micro supports (ranks up to 5). */
const BATCH_DIMS = 3;

export interface BatchMatmulParams {
  kind: 'int8' | 'float32';
  /** Output batch extents, outermost first (padded with 1s to three). */
  batch: number[];
  /** Element strides of x and y per batch dimension; 0 where that side is broadcast. */
  xBatchStride: number[];
  yBatchStride: number[];
  rows: number;
  cols: number;
  depth: number;
  /** x[m][k] is at m * xRowStride + k * xDepthStride within a batch (adj_x swaps them). */
  xRowStride: number;
  xDepthStride: number;
  /** y[k][n] is at k * yDepthStride + n * yColStride within a batch (adj_y swaps them). */
  yDepthStride: number;
  yColStride: number;
  /** Negated zero points of x and y; the output zero point (all 0 for float32, as the requantization fields). */
  xOffset: number;
  yOffset: number;
  outputOffset: number;
  multiplier: number;
  shift: number;
  activationMin: number;
  activationMax: number;
}

interface Geometry {
  x: Tensor;
  y: Tensor;
  outShape: number[];
  batch: number[];
  xBatch: number[];
  yBatch: number[];
  rows: number;
  cols: number;
  depth: number;
}

function geometry(ctx: OpContext<'BATCH_MATMUL'>): Geometry {
  const where = describeOp(ctx.graph, ctx.op);
  if (ctx.inputs.length !== 2 || !ctx.inputs[0] || !ctx.inputs[1]) throw new GraphError(`${where}: BATCH_MATMUL takes two inputs, got ${ctx.inputs.length}`);
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: BATCH_MATMUL has one output, got ${ctx.outputs.length}`);
  const [x, y] = ctx.inputs as Tensor[];
  for (const t of [x, y]) {
    if (t.shape.length < 2 || t.shape.length > 2 + BATCH_DIMS) throw new GraphError(`${where}: '${t.name}' has rank ${t.shape.length}; BATCH_MATMUL takes ranks 2 to 5`);
  }
  const { adjX, adjY } = ctx.op.attrs;
  const xs = x.shape;
  const ys = y.shape;
  const rows = adjX ? xs[xs.length - 1] : xs[xs.length - 2];
  const depth = adjX ? xs[xs.length - 2] : xs[xs.length - 1];
  const yDepth = adjY ? ys[ys.length - 1] : ys[ys.length - 2];
  const cols = adjY ? ys[ys.length - 2] : ys[ys.length - 1];
  if (depth !== yDepth) {
    throw new GraphError(`${where}: x [${xs.join(', ')}]${adjX ? ' (adj_x)' : ''} and y [${ys.join(', ')}]${adjY ? ' (adj_y)' : ''} do not agree on the summed dimension (${depth} vs ${yDepth})`);
  }
  const pad = (s: readonly number[]) => [...Array(BATCH_DIMS - (s.length - 2)).fill(1), ...s.slice(0, -2)];
  const xBatch = pad(xs);
  const yBatch = pad(ys);
  const batch = xBatch.map((d, i) => {
    const e = yBatch[i];
    if (d !== e && d !== 1 && e !== 1) throw new GraphError(`${where}: batch dimensions of x [${xs.join(', ')}] and y [${ys.join(', ')}] do not broadcast`);
    return d === 1 ? e : d;
  });
  const rank = Math.max(xs.length, ys.length);
  const outShape = [...batch.slice(BATCH_DIMS - (rank - 2)), rows, cols];
  return { x, y, outShape, batch, xBatch, yBatch, rows, cols, depth };
}

/** Element strides of the batch dimensions of a [..batch, r, c] tensor; 0 where its extent is 1 (broadcast). */
function batchStrides(dims: number[], matrix: number): number[] {
  const strides = new Array<number>(BATCH_DIMS).fill(0);
  let s = matrix;
  for (let i = BATCH_DIMS - 1; i >= 0; i--) {
    strides[i] = dims[i] === 1 ? 0 : s;
    s *= dims[i];
  }
  return strides;
}

function perTensor(where: string, t: Tensor): { scale: number; zeroPoint: number } {
  const q = t.quant;
  if (!q || q.scale.length === 0) throw new UnsupportedOpError(`${where}: int8 tensor '${t.name}' has no quantization parameters`);
  if (q.scale.length !== 1) throw new UnsupportedOpError(`${where}: '${t.name}' is quantized per channel (${q.scale.length} scales); TFLite Micro's BATCH_MATMUL takes one scale per tensor`);
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
}

export const batchMatmul: OpDef<'BATCH_MATMUL', BatchMatmulParams> = {
  type: 'BATCH_MATMUL',
  // BatchMatMulOptions: 0 adj_x, 1 adj_y, 2 asymmetric_quantize_inputs.
  tflite: {
    options: {
      table: 'BatchMatMulOptions',
      unionType: 101,
      fields: [
        { id: 0, name: 'adj_x', kind: 'bool' },
        { id: 1, name: 'adj_y', kind: 'bool' },
        { id: 2, name: 'asymmetric_quantize_inputs', kind: 'bool' },
      ],
      read: (v) => ({ adjX: v.bool('adj_x'), adjY: v.bool('adj_y'), asymmetricQuantizeInputs: v.bool('asymmetric_quantize_inputs') }),
      write: (a) => ({ adj_x: a.adjX, adj_y: a.adjY, asymmetric_quantize_inputs: a.asymmetricQuantizeInputs }),
    },
    // op_version.cc: int16 3; int8 2; a hybrid op with asymmetric_quantize_inputs 4; else 1.
    version: (graph, op) => {
      const d = graph.tensors[op.inputs[0]]?.dtype;
      if (d === 'int16') return 3;
      if (d === 'int8') return 2;
      return (op.attrs as BatchMatmulAttrs).asymmetricQuantizeInputs ? 4 : 1;
    },
  },
  inferShapes: (ctx) => [geometry(ctx).outShape],
  macs(ctx) {
    const g = geometry(ctx);
    return g.batch.reduce((p, d) => p * d, 1) * g.rows * g.cols * g.depth;
  },
  prepare(ctx) {
    const where = describeOp(ctx.graph, ctx.op);
    const g = geometry(ctx);
    const out = ctx.outputs[0];
    if (out.shape.length !== g.outShape.length || out.shape.some((d, i) => d !== g.outShape[i])) {
      throw new GraphError(`${where}: output is [${out.shape.join(', ')}] but BATCH_MATMUL gives [${g.outShape.join(', ')}]`);
    }
    const kind = g.x.dtype;
    if ((kind !== 'int8' && kind !== 'float32') || g.y.dtype !== kind || out.dtype !== kind) {
      throw new UnsupportedOpError(`${where}: BATCH_MATMUL with x ${g.x.dtype}, y ${g.y.dtype} and output ${out.dtype} is not supported (tinyml runs int8 and float32 BATCH_MATMUL, the same type on all three)`);
    }
    let quant = { xOffset: 0, yOffset: 0, outputOffset: 0, multiplier: 0, shift: 0 };
    if (kind === 'int8') {
      const qx = perTensor(where, g.x);
      const qy = perTensor(where, g.y);
      const qo = perTensor(where, out);
      // TFLite's GetQuantizedConvolutionMultipler: the product of the input scales, in doubles.
      const { multiplier, shift } = quantizeMultiplier((qx.scale * qy.scale) / qo.scale);
      quant = { xOffset: -qx.zeroPoint, yOffset: -qy.zeroPoint, outputOffset: qo.zeroPoint, multiplier, shift };
    }
    const { adjX, adjY } = ctx.op.attrs;
    const xMatrix = g.rows * g.depth;
    const yMatrix = g.depth * g.cols;
    return {
      kind,
      batch: g.batch,
      xBatchStride: batchStrides(g.xBatch, xMatrix),
      yBatchStride: batchStrides(g.yBatch, yMatrix),
      rows: g.rows,
      cols: g.cols,
      depth: g.depth,
      // x is stored [rows, depth], or [depth, rows] with adj_x.
      xRowStride: adjX ? 1 : g.depth,
      xDepthStride: adjX ? g.rows : 1,
      // y is stored [depth, cols], or [cols, depth] with adj_y.
      yDepthStride: adjY ? 1 : g.cols,
      yColStride: adjY ? g.depth : 1,
      ...quant,
      activationMin: -128,
      activationMax: 127,
    };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array | Float32Array;
    const y = inputs[1] as Int8Array | Float32Array;
    const o = outputs[0] as Int8Array | Float32Array;
    const float = p.kind === 'float32';
    let i = 0;
    for (let b0 = 0; b0 < p.batch[0]; b0++) {
      for (let b1 = 0; b1 < p.batch[1]; b1++) {
        for (let b2 = 0; b2 < p.batch[2]; b2++) {
          const xb = b0 * p.xBatchStride[0] + b1 * p.xBatchStride[1] + b2 * p.xBatchStride[2];
          const yb = b0 * p.yBatchStride[0] + b1 * p.yBatchStride[1] + b2 * p.yBatchStride[2];
          for (let m = 0; m < p.rows; m++) {
            for (let n = 0; n < p.cols; n++) {
              let acc = 0;
              if (float) {
                for (let k = 0; k < p.depth; k++) acc = f32(acc + f32(x[xb + m * p.xRowStride + k * p.xDepthStride] * y[yb + k * p.yDepthStride + n * p.yColStride]));
                o[i++] = acc;
                continue;
              }
              for (let k = 0; k < p.depth; k++) {
                acc += (x[xb + m * p.xRowStride + k * p.xDepthStride] + p.xOffset) * (y[yb + k * p.yDepthStride + n * p.yColStride] + p.yOffset);
              }
              const r = multiplyByQuantizedMultiplier(acc | 0, p.multiplier, p.shift) + p.outputOffset;
              o[i++] = r < p.activationMin ? p.activationMin : r > p.activationMax ? p.activationMax : r;
            }
          }
        }
      }
    }
  },
  emitC(p, names, ctx) {
    const px = ctx.prefix;
    return {
      kernels: ['batch_matmul.c'],
      includes: ['batch_matmul.h'],
      decls: [
        cInt32Array(`${px}_batch`, p.batch),
        cInt32Array(`${px}_x_batch_stride`, p.xBatchStride),
        cInt32Array(`${px}_y_batch_stride`, p.yBatchStride),
        cStructDecl('tinyml_batch_matmul_params', `${px}_params`, [
          `.batch = ${px}_batch`,
          `.x_batch_stride = ${px}_x_batch_stride`,
          `.y_batch_stride = ${px}_y_batch_stride`,
          `.rows = ${p.rows}`,
          `.cols = ${p.cols}`,
          `.depth = ${p.depth}`,
          `.x_row_stride = ${p.xRowStride}`,
          `.x_depth_stride = ${p.xDepthStride}`,
          `.y_depth_stride = ${p.yDepthStride}`,
          `.y_col_stride = ${p.yColStride}`,
          `.x_offset = ${p.xOffset}`,
          `.y_offset = ${p.yOffset}`,
          `.output_offset = ${p.outputOffset}`,
          `.multiplier = ${p.multiplier}`,
          `.shift = ${p.shift}`,
          `.activation_min = ${p.activationMin}`,
          `.activation_max = ${p.activationMax}`,
        ]),
      ].join('\n'),
      call: `  tinyml_batch_matmul_${p.kind === 'int8' ? 's8' : 'f32'}(&${px}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
    };
  },
};
