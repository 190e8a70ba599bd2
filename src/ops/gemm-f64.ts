/**
 * The fast host evaluation of the layers with weights: inputs copied once into zero-padded
 * scratch buffers of doubles and a blocked float64 GEMM (plane convolutions: plane-conv.ts). The plain
 * reference loops each op file keeps are the oracle these are tested equal to.
 */
import { monomorphicCopy } from './monomorphic.js';

// ---------------------------------------------------------------------------------------------
// Fast evaluation kernels shared by CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
//
// Every kind accumulates in doubles: int8 x int8 and int16 x int8 products and their sums are
// integers far below 2^53, so the double sum is the exact integer sum (wrapped to int32 once at
// the end where the kernel's accumulator is int32, which equals wrapping after every step);
// float32 x float32 products are exact in a double and only the summation rounds (more finely
// than TFLite's float32 accumulator). Doubles keep the hot loops in V8's unboxed float
// registers, which measured faster than int32 Math.imul loops on typed arrays. Inputs are copied
// once per op into zero-padded scratch buffers of doubles with the input offset applied, so
// the inner loops need neither bounds checks nor per-tap offset adds; the requantization of
// finished accumulators (finalize*) then runs per output kind on monomorphic arrays.
// ---------------------------------------------------------------------------------------------

/**
 * Scratch buffers are plain arrays of doubles (V8's PACKED_DOUBLE_ELEMENTS: unboxed, like a
 * Float64Array) rather than typed arrays: once any ArrayBuffer in the process has been detached
 * (a transfer through a MessagePort, as test runners and module loaders do), V8 guards typed
 * array accesses against detachment, which measured 1.3-1.5x slower in the inner loops.
 */
export type F64Buffer = number[];

/** The element types a row product reads its weights from. */
export type WeightRow = F64Buffer | Int8Array | Float32Array;

function newF64Buffer(n: number): F64Buffer {
  const a: number[] = [];
  // A non-integer first element makes the array's elements unboxed doubles from the start.
  for (let i = 0; i < n; i++) a.push(0.5);
  return a;
}

const scratchSlots: F64Buffer[] = [newF64Buffer(256), newF64Buffer(256), newF64Buffer(256), newF64Buffer(256)];
/** Scratch slots: the padded/converted input, im2col rows, converted weights, accumulators. */
export const SCRATCH_INPUT = 0;
export const SCRATCH_COLUMNS = 1;
export const SCRATCH_WEIGHTS = 2;
export const SCRATCH_ACC = 3;

/** A reusable buffer of at least n doubles (contents unspecified). */
export function f64Scratch(slot: number, n: number): F64Buffer {
  let s = scratchSlots[slot];
  if (s.length < n) {
    s = newF64Buffer(Math.max(n, s.length * 2));
    scratchSlots[slot] = s;
  }
  return s;
}

/** Accumulator elements processed per chunk (bounds scratch memory on large feature maps). */
export const ACC_CHUNK = 1 << 15;

/** Rows (or columns) of zero-padded input, from -pad, that the windows of outSize outputs reach. */
export function windowReach(outSize: number, stride: number, filterSize: number, dilation: number): number {
  return ((outSize - 1) * stride + (filterSize - 1) * dilation + 1) | 0;
}

/** Copies n elements of `src` from `srcOff` into dst as doubles plus `offset`. */
export function toF64(src: Int8Array | Int16Array | Float32Array, srcOff: number, n: number, offset: number, dst: F64Buffer): F64Buffer {
  srcOff |= 0;
  n |= 0;
  if (offset === 0) {
    for (let i = 0; i < n; i++) dst[i] = src[srcOff + i];
  } else {
    for (let i = 0; i < n; i++) dst[i] = src[srcOff + i] + offset;
  }
  return dst;
}

/**
 * One batch of an NHWC input as doubles (+ offset) inside a zero border, with input pixel (0, 0)
 * at (top, left): laid out NHWC, dst [hp][wp][depth], or channel-planar, dst [depth][hp][wp].
 * Input rows/columns beyond hp/wp are not needed. Only the border is zeroed (filling the whole
 * buffer first measured slower).
 */
export function padInput(
  layout: 'nhwc' | 'planar',
  src: Int8Array | Int16Array | Float32Array,
  srcBase: number,
  inH: number,
  inW: number,
  depth: number,
  offset: number,
  dst: F64Buffer,
  hp: number,
  wp: number,
  top: number,
  left: number,
): void {
  srcBase |= 0;
  inH |= 0;
  inW |= 0;
  depth |= 0;
  hp |= 0;
  wp |= 0;
  top |= 0;
  left |= 0;
  const rows = Math.max(0, Math.min(inH, hp - top));
  const cols = Math.max(0, Math.min(inW, wp - left));
  if (layout === 'nhwc') {
    const rowLen = wp * depth;
    const run = cols * depth;
    const head = Math.min(left, wp) * depth;
    for (let i = 0, n = Math.min(top, hp) * rowLen; i < n; i++) dst[i] = 0;
    for (let y = 0; y < rows; y++) {
      const s = srcBase + y * inW * depth;
      const d = (y + top) * rowLen;
      for (let i = 0; i < head; i++) dst[d + i] = 0;
      for (let i = 0; i < run; i++) dst[d + head + i] = src[s + i] + offset;
      for (let i = head + run; i < rowLen; i++) dst[d + i] = 0;
    }
    for (let i = (top + rows) * rowLen, n = hp * rowLen; i < n; i++) dst[i] = 0;
    return;
  }
  const plane = hp * wp;
  // Channel by channel, so that writes are sequential.
  for (let c = 0; c < depth; c++) {
    const base = c * plane;
    for (let i = 0, n = Math.min(top, hp) * wp; i < n; i++) dst[base + i] = 0;
    for (let y = 0; y < rows; y++) {
      const d = base + (y + top) * wp;
      for (let x = 0, n = Math.min(left, wp); x < n; x++) dst[d + x] = 0;
      for (let x = 0, s = srcBase + y * inW * depth + c; x < cols; x++, s += depth) dst[d + left + x] = src[s] + offset;
      for (let x = left + cols; x < wp; x++) dst[d + x] = 0;
    }
    for (let i = (top + rows) * wp; i < plane; i++) dst[base + i] = 0;
  }
}

/**
 * acc[accOff + r*accStride + c] = sum over t < depth of A[aOff + r*aStride + t] * W[wOff + c*depth + t]
 * for r < rows, c < cols: a matrix product blocked 2 rows x 4 columns so that each load feeds
 * several multiply-adds.
 */
export function gemmF64(
  A: F64Buffer,
  aOff: number,
  aStride: number,
  rows: number,
  W: F64Buffer,
  wOff: number,
  depth: number,
  cols: number,
  acc: F64Buffer,
  accOff: number,
  accStride: number,
): void {
  // Integer arguments may arrive as heap doubles (e.g. read from params objects whose fields V8
  // stores as doubles); `| 0` keeps the index arithmetic in int32 whatever the caller passes.
  aOff |= 0;
  aStride |= 0;
  rows |= 0;
  wOff |= 0;
  depth |= 0;
  cols |= 0;
  accOff |= 0;
  accStride |= 0;
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const a0 = aOff + r * aStride;
    const a1 = a0 + aStride;
    const o0 = accOff + r * accStride;
    const o1 = o0 + accStride;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const w0 = wOff + c * depth;
      const w1 = w0 + depth;
      const w2 = w1 + depth;
      const w3 = w2 + depth;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let t = 0; t < depth; t++) {
        const x0 = A[a0 + t];
        const x1 = A[a1 + t];
        const k0 = W[w0 + t];
        s00 += x0 * k0;
        s10 += x1 * k0;
        const k1 = W[w1 + t];
        s01 += x0 * k1;
        s11 += x1 * k1;
        const k2 = W[w2 + t];
        s02 += x0 * k2;
        s12 += x1 * k2;
        const k3 = W[w3 + t];
        s03 += x0 * k3;
        s13 += x1 * k3;
      }
      acc[o0 + c] = s00;
      acc[o0 + c + 1] = s01;
      acc[o0 + c + 2] = s02;
      acc[o0 + c + 3] = s03;
      acc[o1 + c] = s10;
      acc[o1 + c + 1] = s11;
      acc[o1 + c + 2] = s12;
      acc[o1 + c + 3] = s13;
    }
    for (; c < cols; c++) {
      const w0 = wOff + c * depth;
      let s0 = 0;
      let s1 = 0;
      for (let t = 0; t < depth; t++) {
        const k = W[w0 + t];
        s0 += A[a0 + t] * k;
        s1 += A[a1 + t] * k;
      }
      acc[o0 + c] = s0;
      acc[o1 + c] = s1;
    }
  }
  if (r < rows) dotRowsF64(A, aOff + r * aStride, depth, W, wOff, cols, acc, accOff + r * accStride);
}

/**
 * One row of a matrix product: acc[accOff + o] = sum over d < depth of x[xOff + d] *
 * w[wOff + o*depth + d] for o < units, four units at a time. Self-contained, for
 * monomorphicCopy: callers use the copy for their weights' element type.
 */
function dotRows(x: F64Buffer, xOff: number, depth: number, w: WeightRow, wOff: number, units: number, acc: F64Buffer, accOff: number): void {
  xOff |= 0;
  depth |= 0;
  wOff |= 0;
  units |= 0;
  accOff |= 0;
  let o = 0;
  for (; o + 4 <= units; o += 4) {
    const w0 = wOff + o * depth;
    const w1 = w0 + depth;
    const w2 = w1 + depth;
    const w3 = w2 + depth;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let d = 0; d < depth; d++) {
      const v = x[xOff + d];
      s0 += v * w[w0 + d];
      s1 += v * w[w1 + d];
      s2 += v * w[w2 + d];
      s3 += v * w[w3 + d];
    }
    acc[accOff + o] = s0;
    acc[accOff + o + 1] = s1;
    acc[accOff + o + 2] = s2;
    acc[accOff + o + 3] = s3;
  }
  for (; o < units; o++) {
    const w0 = wOff + o * depth;
    let s = 0;
    for (let d = 0; d < depth; d++) s += x[xOff + d] * w[w0 + d];
    acc[accOff + o] = s;
  }
}

type DotRows<W extends WeightRow> = (x: F64Buffer, xOff: number, depth: number, w: W, wOff: number, units: number, acc: F64Buffer, accOff: number) => void;

/** dotRows on weights converted to doubles (gemmF64's odd last row). */
export const dotRowsF64: DotRows<F64Buffer> = monomorphicCopy(dotRows, 'dotRowsF64');
/** dotRows reading int8 weights in place. */
export const dotRowsInt8: DotRows<Int8Array> = monomorphicCopy(dotRows, 'dotRowsInt8');
/** dotRows reading float32 weights in place. */
export const dotRowsFloat: DotRows<Float32Array> = monomorphicCopy(dotRows, 'dotRowsFloat');
