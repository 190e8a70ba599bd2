/**
 * The input statistics of a weight layer on the calibration data, H = Σ x xᵀ over every input
 * vector one output channel's weights meet (an im2col patch of a convolution, one channel's
 * window of a depthwise convolution, one row of a fully connected layer), and the layer's
 * weights seen as rows (one per output channel) over those vectors' columns.
 *
 * Layouts (TFLite's): CONV_2D weights [O, KH, KW, I] (a row is contiguous, columns ky, kx, ic;
 * grouped convolutions have one H per group), DEPTHWISE_CONV_2D [1, KH, KW, C·M] (a row is
 * strided by C·M; one H per input channel), FULLY_CONNECTED [O, I] (one H).
 */
import type { Conv2DGeometry } from '../ops/conv2d.js';
import type { DepthwiseConv2DGeometry } from '../ops/depthwise-conv2d.js';
import type { Op } from '../ir/types.js';

export interface LayerRows {
  op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED';
  /** Output channels. */
  rows: number;
  /** Weights per output channel. */
  cols: number;
  /** Number of distinct input statistics (groups, depthwise input channels). */
  hessians: number;
  /** Which statistics row r's weights meet. */
  hessianOf(r: number): number;
  /** Position in the weight tensor's data of row r, column k. */
  at(r: number, k: number): number;
}

/** Ops whose weights the error-minimizing rounding handles. */
export function hasRows(type: string): type is LayerRows['op'] {
  return type === 'CONV_2D' || type === 'DEPTHWISE_CONV_2D' || type === 'FULLY_CONNECTED';
}

/** The rows of `op`'s weights (shape `wShape`), from its prepared (float) parameters. */
export function layerRows(op: Op, wShape: readonly number[], params: unknown): LayerRows {
  if (op.type === 'CONV_2D') {
    const g = params as Conv2DGeometry;
    const cols = wShape[1] * wShape[2] * wShape[3];
    const perGroup = g.outputDepth / g.groups;
    return { op: op.type, rows: wShape[0], cols, hessians: g.groups, hessianOf: (r) => Math.floor(r / perGroup), at: (r, k) => r * cols + k };
  }
  if (op.type === 'DEPTHWISE_CONV_2D') {
    const g = params as DepthwiseConv2DGeometry;
    const channels = wShape[3];
    return {
      op: op.type,
      rows: channels,
      cols: wShape[1] * wShape[2],
      hessians: channels / g.depthMultiplier,
      hessianOf: (r) => Math.floor(r / g.depthMultiplier),
      at: (r, k) => k * channels + r,
    };
  }
  if (op.type === 'FULLY_CONNECTED') {
    const cols = wShape[1];
    return { op: op.type, rows: wShape[0], cols, hessians: 1, hessianOf: () => 0, at: (r, k) => r * cols + k };
  }
  throw new Error(`layerRows: ${op.type} has no weight rows`);
}

/**
 * Calls `visit(group, patch)` for every input vector of `x` (one sample's float input: NHWC for
 * convolutions, [rows, I] for fully connected), in a fixed order; `patch` is reused.
 */
export function forEachPatch(rows: LayerRows, params: unknown, x: Float32Array, patch: Float64Array, visit: (group: number) => void): void {
  const p = patch;
  const { op } = rows;
  if (op === 'FULLY_CONNECTED') {
    const n = rows.cols;
    for (let r = 0; r + n <= x.length; r += n) {
      for (let k = 0; k < n; k++) p[k] = x[r + k];
      visit(0);
    }
    return;
  }
  const g = params as Conv2DGeometry & DepthwiseConv2DGeometry;
  const fH = g.filterHeight;
  const fW = g.filterWidth;
  const inC = g.inputDepth;
  for (let b = 0; b < g.batches; b++) {
    for (let oy = 0; oy < g.outputHeight; oy++) {
      for (let ox = 0; ox < g.outputWidth; ox++) {
        const y0 = oy * g.strideHeight - g.padHeight;
        const x0 = ox * g.strideWidth - g.padWidth;
        // A convolution's patch is every tap of one group's channels; a depthwise one, every tap of one channel.
        const [units, width] = op === 'CONV_2D' ? [g.groups, g.filterInputDepth] : [inC, 1];
        for (let u = 0; u < units; u++) {
          let k = 0;
          for (let ky = 0; ky < fH; ky++) {
            const iy = y0 + ky * g.dilationHeight;
            for (let kx = 0; kx < fW; kx++) {
              const ix = x0 + kx * g.dilationWidth;
              const inside = iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth;
              const base = ((b * g.inputHeight + iy) * g.inputWidth + ix) * inC + u * width;
              for (let c = 0; c < width; c++) p[k++] = inside ? x[base + c] : 0;
            }
          }
          visit(u);
        }
      }
    }
  }
}

/**
 * Accumulates, per statistics group, H = mean x xᵀ and, when given the float model's input beside
 * the input of the model with the earlier layers already quantized, C = mean x_f x_qᵀ (what the
 * layer must reproduce from the inputs it will really see; see src/quantize/subbyte.ts).
 */
export class HessianAccumulator {
  private readonly sums: Float64Array[];
  private readonly cross: Float64Array[];
  private readonly patch: Float64Array;
  private readonly floatPatch: Float64Array;
  private floatPatches = new Float64Array(0);
  /** Input vectors added per group. */
  private readonly counts: Float64Array;

  constructor(
    readonly rows: LayerRows,
    private readonly params: unknown,
  ) {
    const n = rows.cols;
    this.sums = Array.from({ length: rows.hessians }, () => new Float64Array(n * n));
    this.cross = Array.from({ length: rows.hessians }, () => new Float64Array(n * n));
    this.patch = new Float64Array(n);
    this.floatPatch = new Float64Array(n);
    this.counts = new Float64Array(rows.hessians);
  }

  /** Adds one sample's input (the float model's, or the partly quantized model's with `float` beside). */
  add(x: Float32Array, float?: Float32Array): void {
    const n = this.rows.cols;
    const p = this.patch;
    let floatPatches: Float64Array | undefined;
    if (float) {
      // The float input's patches, in the same order as x's.
      let count = 0;
      forEachPatch(this.rows, this.params, float, this.floatPatch, () => count++);
      if (this.floatPatches.length < count * n) this.floatPatches = new Float64Array(count * n);
      floatPatches = this.floatPatches;
      let at = 0;
      forEachPatch(this.rows, this.params, float, this.floatPatch, () => {
        floatPatches!.set(this.floatPatch, at);
        at += n;
      });
    }
    let at = 0;
    forEachPatch(this.rows, this.params, x, p, (group) => {
      this.counts[group]++;
      const h = this.sums[group];
      for (let i = 0; i < n; i++) {
        const pi = p[i];
        if (pi === 0) continue;
        const row = i * n;
        for (let j = i; j < n; j++) h[row + j] += pi * p[j];
      }
      if (floatPatches) {
        const c = this.cross[group];
        for (let i = 0; i < n; i++) {
          const fi = floatPatches[at + i];
          if (fi === 0) continue;
          const row = i * n;
          for (let j = 0; j < n; j++) c[row + j] += fi * p[j];
        }
        at += n;
      }
    });
  }

  /** The mean x xᵀ of each statistics group, full symmetric matrices. */
  matrices(): Float64Array[] {
    const n = this.rows.cols;
    return this.sums.map((s, g) => {
      const scale = 1 / Math.max(1, this.counts[g]);
      const h = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) {
          const v = s[i * n + j] * scale;
          h[i * n + j] = v;
          h[j * n + i] = v;
        }
      }
      return h;
    });
  }

  /** The mean x_f x_qᵀ of each group (row i: float input i; only after `add` with the float input). */
  crossMatrices(): Float64Array[] {
    return this.cross.map((c, g) => c.map((v) => v / Math.max(1, this.counts[g])));
  }
}
