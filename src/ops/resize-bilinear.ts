/**
 * RESIZE_BILINEAR of NHWC tensors, as TFLite Micro's resize_bilinear.cc.
 *
 * int8 runs TFLite's ResizeBilinearInteger: the source position of each output row and column
 * is a fixed-point number with 10 fractional bits (scale = round(1024 * in / out), or the
 * (in-1)/(out-1) grid with align_corners; half_pixel_centers adds scale/2 - 512), the four
 * neighbours are weighted by products of 10-bit fractions and the 20-bit sum is rounded half
 * away from zero. float32 runs TFLite's float ResizeBilinear: the position in float32, the
 * four products and their sum in float32, in the reference's order.
 *
 * All the position math depends only on the sizes, so prepare computes it once into per-row and
 * per-column tables (lower and upper source index, and the fraction); the kernels only blend.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { cFloatArray, cInt32Array } from './c-emit.js';
import { cStructDecl, f32 } from './elementwise-util.js';
import type { OpContext, OpDef } from './op-def.js';
import { inferResizeShape, readResizeAttrs, resizeGeometry, resizeOperands, writeResizeAttrs, type ResizeAttrs, type ResizeGeometry } from './resize-geometry.js';

/** Source rows (or columns) of each output row (or column). */
export interface BilinearAxis {
  /** Lower and upper source index. */
  lo: number[];
  hi: number[];
  /**
   * int8: the source position times 1024 (TFLite's `scaled_value`); float32: the float32
   * fraction `position - lo`.
   */
  frac: number[];
}

export interface ResizeBilinearParams extends ResizeGeometry {
  kind: 'int8' | 'float32';
  ys: BilinearAxis;
  xs: BilinearAxis;
}

export type ResizeBilinearAttrs = ResizeAttrs;

declare module '../ir/attrs.js' {
  interface OpAttrs {
    RESIZE_BILINEAR: ResizeBilinearAttrs;
  }
}

/** TFLite's ComputeInterpolationValuesInteger for every output index along one axis. */
export function bilinearAxisInteger(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): BilinearAxis {
  // C integer division of non-negative values: Math.floor.
  const scale10 = alignCorners && outSize > 1 ? Math.floor((1024 * (inSize - 1) + Math.floor((outSize - 1) / 2)) / (outSize - 1)) : Math.floor((1024 * inSize + Math.floor(outSize / 2)) / outSize);
  const axis: BilinearAxis = { lo: [], hi: [], frac: [] };
  for (let v = 0; v < outSize; v++) {
    const scaled = halfPixelCenters ? v * scale10 + Math.trunc(scale10 / 2) - 512 : v * scale10;
    // scaled / 1024 truncates toward zero in C (scaled >= -512, so that is 0 for negatives).
    axis.lo.push(Math.max(Math.trunc(scaled / 1024), 0));
    axis.hi.push(Math.min(Math.trunc((scaled + 1023) / 1024), inSize - 1));
    axis.frac.push(scaled);
  }
  return axis;
}

/** TFLite's float ComputeInterpolationValues (in float32) for every output index along one axis. */
export function bilinearAxisFloat(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): BilinearAxis {
  // A quotient of small integers rounded once to float32 equals the float32 division.
  const scale = alignCorners && outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : f32(inSize / outSize);
  const axis: BilinearAxis = { lo: [], hi: [], frac: [] };
  for (let v = 0; v < outSize; v++) {
    const pos = halfPixelCenters ? f32(f32(f32(v + 0.5) * scale) - 0.5) : f32(v * scale);
    const lo = Math.max(Math.floor(pos), 0);
    axis.lo.push(lo);
    axis.hi.push(Math.min(Math.ceil(pos), inSize - 1));
    axis.frac.push(f32(pos - lo));
  }
  return axis;
}

/** The operands, and TFLite's refusal of both flags at once. */
function readSize(ctx: OpContext<'RESIZE_BILINEAR'>): { input: Tensor; height: number; width: number } {
  const where = describeOp(ctx.graph, ctx.op);
  const { input, height, width } = resizeOperands(ctx);
  if (ctx.op.attrs.alignCorners && ctx.op.attrs.halfPixelCenters) {
    throw new GraphError(`${where}: align_corners and half_pixel_centers are both set; TFLite allows at most one`);
  }
  return { input, height, width };
}

/** Every lower index inside the input (TFLite does not clamp it; a size that overflowed would read outside). */
function checkAxis(where: string, axis: BilinearAxis, inSize: number, what: string): BilinearAxis {
  if (axis.lo.some((l) => l > inSize - 1)) throw new UnsupportedOpError(`${where}: resizing ${what} ${inSize} -> ${axis.lo.length} reads past the input in TFLite's position arithmetic`);
  return axis;
}

export const resizeBilinear: OpDef<'RESIZE_BILINEAR', ResizeBilinearParams> = {
  type: 'RESIZE_BILINEAR',
  // ResizeBilinearOptions: 0 new_height, 1 new_width (deprecated), 2 align_corners, 3 half_pixel_centers.
  tflite: {
    options: {
      table: 'ResizeBilinearOptions',
      unionType: 15,
      fields: [
        { id: 2, name: 'align_corners', kind: 'bool' },
        { id: 3, name: 'half_pixel_centers', kind: 'bool' },
      ],
      read: readResizeAttrs,
      write: writeResizeAttrs,
    },
    // op_version.cc: int16 4, half_pixel_centers 3, int8 2, else 1.
    version: (graph, op) => {
      const d = graph.tensors[op.inputs[0]]?.dtype;
      const attrs = op.attrs as ResizeBilinearAttrs;
      return d === 'int16' ? 4 : attrs.halfPixelCenters ? 3 : d === 'int8' ? 2 : 1;
    },
  },
  quant: { sameQParams: 'first' },
  inferShapes: (ctx) => {
    readSize(ctx);
    return inferResizeShape(ctx);
  },
  macs: () => 0,
  prepare(ctx) {
    const where = describeOp(ctx.graph, ctx.op);
    const { input, height, width } = readSize(ctx);
    const output = ctx.outputs[0];
    const g = resizeGeometry(ctx, input, height, width, ['int8', 'float32'] as const, 'TFLite Micro runs int8 and float32, same on both sides');
    const { inHeight, inWidth } = g;
    if (input.dtype === 'int8') {
      // TFLite Micro blends the int8 values without rescaling: the output must share the input's quantization.
      const qi = input.quant;
      const qo = output.quant;
      if (qi && qo && (qi.scale[0] !== qo.scale[0] || qi.zeroPoint[0] !== qo.zeroPoint[0])) {
        throw new UnsupportedOpError(`${where}: int8 RESIZE_BILINEAR needs the output quantized like the input (scale ${qi.scale[0]}, zero point ${qi.zeroPoint[0]}), got scale ${qo.scale[0]}, zero point ${qo.zeroPoint[0]}`);
      }
    }
    const { alignCorners, halfPixelCenters } = ctx.op.attrs;
    const axis = input.dtype === 'int8' ? bilinearAxisInteger : bilinearAxisFloat;
    return {
      ...g,
      ys: checkAxis(where, axis(inHeight, height, alignCorners, halfPixelCenters), inHeight, 'height'),
      xs: checkAxis(where, axis(inWidth, width, alignCorners, halfPixelCenters), inWidth, 'width'),
    };
  },
  evaluate(p, inputs, outputs) {
    const { depth, ys, xs } = p;
    const rowStride = p.inWidth * depth;
    const batchStride = p.inHeight * rowStride;
    let o = 0;
    if (p.kind === 'int8') {
      const src = inputs[0] as Int8Array;
      const dst = outputs[0] as Int8Array;
      for (let b = 0; b < p.batches; b++) {
        for (let y = 0; y < p.outHeight; y++) {
          const wy1 = ys.frac[y] - 1024 * ys.lo[y];
          const wy0 = 1024 - wy1;
          const r0 = b * batchStride + ys.lo[y] * rowStride;
          const r1 = b * batchStride + ys.hi[y] * rowStride;
          for (let x = 0; x < p.outWidth; x++) {
            const wx1 = xs.frac[x] - 1024 * xs.lo[x];
            const wx0 = 1024 - wx1;
            const c0 = xs.lo[x] * depth;
            const c1 = xs.hi[x] * depth;
            for (let c = 0; c < depth; c++) {
              // |sum| < 2^29: exact in doubles.
              const sum = src[r0 + c0 + c] * wy0 * wx0 + src[r1 + c0 + c] * wy1 * wx0 + src[r0 + c1 + c] * wy0 * wx1 + src[r1 + c1 + c] * wy1 * wx1;
              dst[o++] = Math.trunc((sum + (sum > 0 ? 1 << 19 : -(1 << 19))) / (1 << 20));
            }
          }
        }
      }
      return;
    }
    const src = inputs[0] as Float32Array;
    const dst = outputs[0] as Float32Array;
    for (let b = 0; b < p.batches; b++) {
      for (let y = 0; y < p.outHeight; y++) {
        const dy = ys.frac[y];
        const ey = f32(1 - dy);
        const r0 = b * batchStride + ys.lo[y] * rowStride;
        const r1 = b * batchStride + ys.hi[y] * rowStride;
        for (let x = 0; x < p.outWidth; x++) {
          const dx = xs.frac[x];
          const ex = f32(1 - dx);
          const c0 = xs.lo[x] * depth;
          const c1 = xs.hi[x] * depth;
          for (let c = 0; c < depth; c++) {
            const t00 = f32(f32(src[r0 + c0 + c] * ey) * ex);
            const t10 = f32(f32(src[r1 + c0 + c] * dy) * ex);
            const t01 = f32(f32(src[r0 + c1 + c] * ey) * dx);
            const t11 = f32(f32(src[r1 + c1 + c] * dy) * dx);
            dst[o++] = f32(f32(f32(t00 + t10) + t01) + t11);
          }
        }
      }
    }
  },
  emitC(p, names, ctx) {
    const px = ctx.prefix;
    const f32Kind = p.kind === 'float32';
    const fracArray = (name: string, v: number[]) => (f32Kind ? cFloatArray(name, v) : cInt32Array(name, v));
    const decls = [
      `/* RESIZE_BILINEAR ${p.kind}: ${p.inHeight}x${p.inWidth} -> ${p.outHeight}x${p.outWidth}; source indices and fractions precomputed as TFLite computes them */`,
      cInt32Array(`${px}_y_lo`, p.ys.lo),
      cInt32Array(`${px}_y_hi`, p.ys.hi),
      fracArray(`${px}_y_frac`, p.ys.frac),
      cInt32Array(`${px}_x_lo`, p.xs.lo),
      cInt32Array(`${px}_x_hi`, p.xs.hi),
      fracArray(`${px}_x_frac`, p.xs.frac),
      cStructDecl(`tinyml_resize_bilinear_${f32Kind ? 'f32_' : ''}params`, `${px}_params`, [
        `.batches = ${p.batches}`,
        `.in_height = ${p.inHeight}`,
        `.in_width = ${p.inWidth}`,
        `.depth = ${p.depth}`,
        `.out_height = ${p.outHeight}`,
        `.out_width = ${p.outWidth}`,
        `.y_lo = ${px}_y_lo`,
        `.y_hi = ${px}_y_hi`,
        `.y_frac = ${px}_y_frac`,
        `.x_lo = ${px}_x_lo`,
        `.x_hi = ${px}_x_hi`,
        `.x_frac = ${px}_x_frac`,
      ]),
    ].join('\n');
    return {
      kernels: ['resize_bilinear.c'],
      includes: ['resize_bilinear.h'],
      decls,
      call: `  tinyml_resize_bilinear_${f32Kind ? 'f32' : 's8'}(&${px}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};
