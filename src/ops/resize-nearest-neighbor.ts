/**
 * RESIZE_NEAREST_NEIGHBOR of NHWC tensors, as TFLite's reference kernel: for each output row
 * and column the source index is computed in float32 (scale = in/out, or (in-1)/(out-1) with
 * align_corners; +0.5 with half_pixel_centers; floor, or round-half-away with align_corners;
 * clamped to the input). That float math is reproduced here once, at prepare time, into index
 * tables, so the kernels (TypeScript and C) only copy depth-long pixels.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import type { Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import { versionByInput } from './tflite-options.js';

export type ResizeNearestNeighborKind = 'int8' | 'int16' | 'float32';

export interface ResizeNearestNeighborParams {
  kind: ResizeNearestNeighborKind;
  elementBytes: number;
  batches: number;
  inHeight: number;
  inWidth: number;
  depth: number;
  outHeight: number;
  outWidth: number;
  /** Source row for each output row, and source column for each output column. */
  ys: number[];
  xs: number[];
}

/** TFLite's GetNearestNeighbor, in float32 arithmetic. */
export function nearestSourceIndex(v: number, inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const scale = alignCorners && outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : Math.fround(inSize / outSize);
  const offset = halfPixelCenters ? 0.5 : 0;
  const pos = Math.fround(Math.fround(v + offset) * scale);
  let idx = Math.min(alignCorners ? roundHalfAwayFromZero(pos) : Math.floor(pos), inSize - 1);
  if (halfPixelCenters) idx = Math.max(0, idx);
  return idx;
}

function readSize(ctx: OpContext<'RESIZE_NEAREST_NEIGHBOR'>): { input: Tensor; height: number; width: number } {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  if (ctx.inputs.length !== 2 || !ctx.inputs[0] || !ctx.inputs[1]) {
    throw new GraphError(`${where}: RESIZE_NEAREST_NEIGHBOR takes an input and a size tensor, got ${ctx.inputs.length} inputs`);
  }
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: RESIZE_NEAREST_NEIGHBOR has one output, got ${ctx.outputs.length}`);
  const [input, size] = ctx.inputs as Tensor[];
  if (input.shape.length !== 4) throw new GraphError(`${where}: input must be 4-D NHWC, got [${input.shape.join(', ')}]`);
  if (size.shape.length !== 1 || size.shape[0] !== 2 || size.dtype !== 'int32') {
    throw new GraphError(`${where}: size must be an int32 tensor of shape [2], got ${size.dtype} [${size.shape.join(', ')}]`);
  }
  if (!(size.data instanceof Int32Array)) {
    throw new UnsupportedOpError(`${where}: the size tensor '${size.name}' is computed at run time; tinyml (like TFLite Micro) needs a constant size`);
  }
  const [height, width] = size.data;
  if (height < 1 || width < 1) throw new GraphError(`${where}: output size ${height}x${width} must be positive`);
  return { input, height, width };
}

export interface ResizeNearestNeighborAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    RESIZE_NEAREST_NEIGHBOR: ResizeNearestNeighborAttrs;
  }
}

export const resizeNearestNeighbor: OpDef<'RESIZE_NEAREST_NEIGHBOR', ResizeNearestNeighborParams> = {
  type: 'RESIZE_NEAREST_NEIGHBOR',
  // ResizeNearestNeighborOptions: 0 align_corners, 1 half_pixel_centers.
  tflite: {
    options: {
      table: 'ResizeNearestNeighborOptions',
      unionType: 74,
      fields: [
        { id: 0, name: 'align_corners', kind: 'bool' },
        { id: 1, name: 'half_pixel_centers', kind: 'bool' },
      ],
      read: (v) => ({ alignCorners: v.bool('align_corners'), halfPixelCenters: v.bool('half_pixel_centers') }),
      write: (a) => ({ align_corners: a.alignCorners, half_pixel_centers: a.halfPixelCenters }),
    },
    version: versionByInput(4, 2),
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes(ctx) {
    const { input, height, width } = readSize(ctx);
    return [[input.shape[0], height, width, input.shape[3]]];
  },
  macs: () => 0,
  prepare(ctx) {
    const { graph, op } = ctx;
    const where = describeOp(graph, op);
    const { input, height, width } = readSize(ctx);
    const output = ctx.outputs[0];
    const kinds: string[] = ['int8', 'int16', 'float32'];
    if (input.dtype !== output.dtype || !kinds.includes(input.dtype)) {
      throw new UnsupportedOpError(`${where}: RESIZE_NEAREST_NEIGHBOR with input ${input.dtype} and output ${output.dtype} is not supported (supported: int8, int16, float32, same on both sides)`);
    }
    const [batches, inHeight, inWidth, depth] = input.shape;
    const expected = [batches, height, width, depth];
    if (output.shape.length !== 4 || output.shape.some((d, i) => d !== expected[i])) {
      throw new GraphError(`${where}: output is [${output.shape.join(', ')}] but resizing gives [${expected.join(', ')}]`);
    }
    const { alignCorners, halfPixelCenters } = op.attrs;
    const kind = input.dtype as ResizeNearestNeighborKind;
    return {
      kind,
      elementBytes: DTYPE_BYTES[kind],
      batches,
      inHeight,
      inWidth,
      depth,
      outHeight: height,
      outWidth: width,
      ys: Array.from({ length: height }, (_, y) => nearestSourceIndex(y, inHeight, height, alignCorners, halfPixelCenters)),
      xs: Array.from({ length: width }, (_, x) => nearestSourceIndex(x, inWidth, width, alignCorners, halfPixelCenters)),
    };
  },
  evaluate(params, inputs, outputs) {
    const src = inputs[0] as Int8Array;
    const dst = outputs[0] as Int8Array;
    const { depth, inHeight, inWidth, ys, xs } = params;
    const rowStride = inWidth * depth;
    const batchStride = inHeight * rowStride;
    let o = 0;
    for (let b = 0; b < params.batches; b++) {
      for (let y = 0; y < params.outHeight; y++) {
        const row = b * batchStride + ys[y] * rowStride;
        for (let x = 0; x < params.outWidth; x++) {
          const s = row + xs[x] * depth;
          dst.set(src.subarray(s, s + depth), o);
          o += depth;
        }
      }
    }
  },
  emitC(params, names, ctx) {
    const p = ctx.prefix;
    return {
      kernels: ['resize_nearest_neighbor.c'],
      includes: ['resize_nearest_neighbor.h'],
      decls:
        `/* RESIZE_NEAREST_NEIGHBOR ${params.kind}: ${params.inHeight}x${params.inWidth} -> ${params.outHeight}x${params.outWidth}, source indices precomputed in float as TFLite */\n` +
        `static const int32_t ${p}_ys[${params.outHeight}] = { ${params.ys.join(', ')} };\n` +
        `static const int32_t ${p}_xs[${params.outWidth}] = { ${params.xs.join(', ')} };\n` +
        `static const tinyml_resize_nearest_neighbor_params ${p}_params = {\n` +
        `  ${params.batches}u, ${params.inHeight}u, ${params.inWidth}u, ${params.depth}u, ${params.outHeight}u, ${params.outWidth}u, ${params.elementBytes}u,\n` +
        `  ${p}_ys, ${p}_xs\n};`,
      call: `  tinyml_resize_nearest_neighbor(&${p}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};
