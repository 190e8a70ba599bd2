/**
 * RESIZE_NEAREST_NEIGHBOR of NHWC tensors, as TFLite's reference kernel: for each output row
 * and column the source index is computed in float32 (scale = in/out, or (in-1)/(out-1) with
 * align_corners; +0.5 with half_pixel_centers; floor, or round-half-away with align_corners;
 * clamped to the input). That float math is reproduced here once, at prepare time, into index
 * tables, so the kernels (TypeScript and C) only copy depth-long pixels.
 */
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import { DTYPE_BYTES } from '../ir/types.js';
import type { OpDef } from './op-def.js';
import { inferResizeShape, readResizeAttrs, resizeGeometry, resizeOperands, writeResizeAttrs, type ResizeAttrs, type ResizeGeometry } from './resize-geometry.js';
import { versionByInput } from './tflite-options.js';

export type ResizeNearestNeighborKind = 'int8' | 'int16' | 'float32';

export interface ResizeNearestNeighborParams extends ResizeGeometry {
  kind: ResizeNearestNeighborKind;
  elementBytes: number;
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

export type ResizeNearestNeighborAttrs = ResizeAttrs;

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
      read: readResizeAttrs,
      write: writeResizeAttrs,
    },
    version: versionByInput(4, 2),
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes: inferResizeShape,
  macs: () => 0,
  prepare(ctx) {
    const { input, height, width } = resizeOperands(ctx);
    const g = resizeGeometry(ctx, input, height, width, ['int8', 'int16', 'float32'] as const, 'supported: int8, int16, float32, same on both sides');
    const { inHeight, inWidth } = g;
    const { alignCorners, halfPixelCenters } = ctx.op.attrs;
    return {
      ...g,
      elementBytes: DTYPE_BYTES[g.kind],
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
