/**
 * Forward and backward passes of the trainable IR ops over a batch, NHWC Float32Arrays, with the
 * geometry (strides, padding, dilation) the op's own `prepare` computes, so a layer trains with
 * exactly the windows the deployed kernel uses. Backward functions accumulate (+=) into the
 * gradients they are given.
 */
import { gemmAB, gemmAtB, transpose } from './gemm.js';

export interface ConvGeom {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fH: number;
  fW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padH: number;
  padW: number;
}

/** True when the convolution reads each input pixel once (1x1, stride 1, no padding): cols = input. */
export function isPointwise(g: ConvGeom): boolean {
  return g.fH === 1 && g.fW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
}

/**
 * Where each tap of each window of one image reads: for every output pixel (im2col's row order)
 * and every (ky, kx) of its window, the offset in the image (HWC) of the pixel the tap reads, or
 * -1 where it falls in the padding. Tap t of image b fills columns [t * inC, (t + 1) * inC) of
 * that image's block of im2col rows.
 */
function windowTaps(g: Omit<ConvGeom, 'batch'>): Int32Array {
  const taps = new Int32Array(g.outH * g.outW * g.fH * g.fW);
  let t = 0;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let ky = 0; ky < g.fH; ky++) {
        const iy = oy * g.strideH - g.padH + ky * g.dilH;
        for (let kx = 0; kx < g.fW; kx++, t++) {
          const ix = ox * g.strideW - g.padW + kx * g.dilW;
          taps[t] = iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW ? -1 : (iy * g.inW + ix) * g.inC;
        }
      }
    }
  }
  return taps;
}

/** im2col: one row per output pixel, (ky, kx, c) along the row, as the weights [outC, fH, fW, inC] are laid out. */
export function im2col(x: Float32Array, g: ConvGeom, cols: Float32Array): void {
  const taps = windowTaps(g);
  const inC = g.inC;
  let dst = 0;
  for (let b = 0, image = 0; b < g.batch; b++, image += g.inH * g.inW * inC) {
    for (let t = 0; t < taps.length; t++, dst += inC) {
      if (taps[t] < 0) {
        cols.fill(0, dst, dst + inC);
        continue;
      }
      const src = image + taps[t];
      for (let c = 0; c < inC; c++) cols[dst + c] = x[src + c];
    }
  }
}

/** The adjoint of im2col: scatter-adds column gradients back onto the input gradient. */
export function col2im(dcols: Float32Array, g: ConvGeom, dx: Float32Array): void {
  const taps = windowTaps(g);
  const inC = g.inC;
  let src = 0;
  for (let b = 0, image = 0; b < g.batch; b++, image += g.inH * g.inW * inC) {
    for (let t = 0; t < taps.length; t++, src += inC) {
      if (taps[t] < 0) continue;
      const dst = image + taps[t];
      for (let c = 0; c < inC; c++) dx[dst + c] += dcols[src + c];
    }
  }
}

/** Adds a per-channel bias to every row of a [rows, channels] matrix. */
function addBias(y: Float32Array, bias: Float32Array | undefined, channels: number): void {
  if (!bias) return;
  for (let i = 0; i < y.length; i += channels) for (let c = 0; c < channels; c++) y[i + c] += bias[c];
}

/** Column sums of a [rows, channels] matrix, added to `out` (the bias gradient). */
function addColumnSums(dy: Float32Array, channels: number, out: Float32Array): void {
  for (let i = 0; i < dy.length; i += channels) for (let c = 0; c < channels; c++) out[c] += dy[i + c];
}

/**
 * Dense product with bias: y[rows, outC] = x[rows, k] · wᵀ + bias, w [outC, k] (CONV_2D after im2col,
 * FULLY_CONNECTED directly).
 */
export function denseForward(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, rows: number, k: number, outC: number): Float32Array {
  const y = new Float32Array(rows * outC);
  gemmAB(x, transpose(w, outC, k), y, rows, k, outC);
  addBias(y, bias, outC);
  return y;
}

/** Gradients of denseForward: dw += dyᵀ·x, db += Σ dy, and dx (when wanted) += dy·w. */
export function denseBackward(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  rows: number,
  k: number,
  outC: number,
  dw: Float32Array,
  db: Float32Array | undefined,
  dx: Float32Array | undefined,
): void {
  gemmAtB(dy, x, dw, rows, outC, k);
  if (db) addColumnSums(dy, outC, db);
  if (dx) gemmAB(dy, w, dx, rows, outC, k);
}

export interface ConvCache {
  cols: Float32Array;
}

export function convForward(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, g: ConvGeom): { y: Float32Array; cache: ConvCache } {
  const k = g.fH * g.fW * g.inC;
  const rows = g.batch * g.outH * g.outW;
  let cols = x;
  if (!isPointwise(g)) {
    cols = new Float32Array(rows * k);
    im2col(x, g, cols);
  }
  return { y: denseForward(cols, w, bias, rows, k, g.outC), cache: { cols } };
}

export function convBackward(cache: ConvCache, w: Float32Array, dy: Float32Array, g: ConvGeom, dw: Float32Array, db: Float32Array | undefined, dx: Float32Array | undefined): void {
  const k = g.fH * g.fW * g.inC;
  const rows = g.batch * g.outH * g.outW;
  if (isPointwise(g)) {
    denseBackward(cache.cols, w, dy, rows, k, g.outC, dw, db, dx);
    return;
  }
  const dcols = dx ? new Float32Array(rows * k) : undefined;
  denseBackward(cache.cols, w, dy, rows, k, g.outC, dw, db, dcols);
  if (dx && dcols) col2im(dcols, g, dx);
}

/** Depthwise convolution, weights [1, fH, fW, outC] with outC = inC * multiplier. */
export function depthwiseForward(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, g: ConvGeom): Float32Array {
  const mult = g.outC / g.inC;
  const y = new Float32Array(g.batch * g.outH * g.outW * g.outC);
  const taps = windowTaps(g);
  const window = g.fH * g.fW;
  for (let b = 0, image = 0, o = 0; b < g.batch; b++, image += g.inH * g.inW * g.inC) {
    for (let t = 0; t < taps.length; t += window, o += g.outC) {
      if (bias) for (let c = 0; c < g.outC; c++) y[o + c] = bias[c];
      for (let tap = 0; tap < window; tap++) {
        if (taps[t + tap] < 0) continue;
        const i = image + taps[t + tap];
        const wk = tap * g.outC;
        if (mult === 1) for (let c = 0; c < g.outC; c++) y[o + c] += x[i + c] * w[wk + c];
        else for (let c = 0; c < g.outC; c++) y[o + c] += x[i + Math.floor(c / mult)] * w[wk + c];
      }
    }
  }
  return y;
}

export function depthwiseBackward(x: Float32Array, w: Float32Array, dy: Float32Array, g: ConvGeom, dw: Float32Array, db: Float32Array | undefined, dx: Float32Array | undefined): void {
  const mult = g.outC / g.inC;
  if (db) addColumnSums(dy, g.outC, db);
  const taps = windowTaps(g);
  const window = g.fH * g.fW;
  for (let b = 0, image = 0, o = 0; b < g.batch; b++, image += g.inH * g.inW * g.inC) {
    for (let t = 0; t < taps.length; t += window, o += g.outC) {
      for (let tap = 0; tap < window; tap++) {
        if (taps[t + tap] < 0) continue;
        const i = image + taps[t + tap];
        const wk = tap * g.outC;
        if (mult === 1) {
          for (let c = 0; c < g.outC; c++) {
            const d = dy[o + c];
            dw[wk + c] += d * x[i + c];
            if (dx) dx[i + c] += d * w[wk + c];
          }
        } else {
          for (let c = 0; c < g.outC; c++) {
            const ic = i + Math.floor(c / mult);
            const d = dy[o + c];
            dw[wk + c] += d * x[ic];
            if (dx) dx[ic] += d * w[wk + c];
          }
        }
      }
    }
  }
}

export interface PoolGeom {
  batch: number;
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
  fH: number;
  fW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

/** Max pooling; `argmax` receives, per output, the input index it came from (for the backward pass). */
export function maxPoolForward(x: Float32Array, g: PoolGeom): { y: Float32Array; argmax: Int32Array } {
  const n = g.batch * g.outH * g.outW * g.c;
  const y = new Float32Array(n);
  const argmax = new Int32Array(n);
  const taps = windowTaps({ ...g, inC: g.c, outC: g.c, dilH: 1, dilW: 1 });
  const window = g.fH * g.fW;
  for (let b = 0, image = 0, o = 0; b < g.batch; b++, image += g.inH * g.inW * g.c) {
    for (let t = 0; t < taps.length; t += window, o += g.c) {
      for (let c = 0; c < g.c; c++) {
        let best = -Infinity;
        let at = -1;
        for (let tap = t; tap < t + window; tap++) {
          if (taps[tap] < 0) continue;
          const i = image + taps[tap] + c;
          if (x[i] > best) {
            best = x[i];
            at = i;
          }
        }
        y[o + c] = best;
        argmax[o + c] = at;
      }
    }
  }
  return { y, argmax };
}

export function maxPoolBackward(argmax: Int32Array, dy: Float32Array, dx: Float32Array): void {
  for (let o = 0; o < dy.length; o++) if (argmax[o] >= 0) dx[argmax[o]] += dy[o];
}

/** Mean over the spatial axes of an NHWC tensor: [B, H, W, C] → [B, C]. */
export function spatialMeanForward(x: Float32Array, batch: number, hw: number, c: number): Float32Array {
  const y = new Float32Array(batch * c);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < hw; p++) {
      const i = (b * hw + p) * c;
      for (let k = 0; k < c; k++) y[b * c + k] += x[i + k];
    }
    for (let k = 0; k < c; k++) y[b * c + k] /= hw;
  }
  return y;
}

export function spatialMeanBackward(dy: Float32Array, batch: number, hw: number, c: number, dx: Float32Array): void {
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < hw; p++) {
      const i = (b * hw + p) * c;
      for (let k = 0; k < c; k++) dx[i + k] += dy[b * c + k] / hw;
    }
  }
}

/** Zero padding of a 4-D NHWC tensor (per-axis before/after counts). */
export interface PadGeom {
  inShape: number[];
  outShape: number[];
  before: number[];
}

function padOffsets(g: PadGeom): Int32Array {
  // Output index of every input element, computed once per call (small tensors; simple over fast).
  const [n0, n1, n2, n3] = g.inShape;
  const [, o1, o2, o3] = g.outShape;
  const map = new Int32Array(n0 * n1 * n2 * n3);
  let i = 0;
  for (let a = 0; a < n0; a++)
    for (let b = 0; b < n1; b++)
      for (let c = 0; c < n2; c++)
        for (let d = 0; d < n3; d++) map[i++] = (((a + g.before[0]) * o1 + b + g.before[1]) * o2 + c + g.before[2]) * o3 + d + g.before[3];
  return map;
}

export function padForward(x: Float32Array, g: PadGeom, fill: number): Float32Array {
  const y = new Float32Array(g.outShape.reduce((a, b) => a * b, 1)).fill(fill);
  const map = padOffsets(g);
  for (let i = 0; i < x.length; i++) y[map[i]] = x[i];
  return y;
}

export function padBackward(dy: Float32Array, g: PadGeom, dx: Float32Array): void {
  const map = padOffsets(g);
  for (let i = 0; i < dx.length; i++) dx[i] += dy[map[i]];
}
