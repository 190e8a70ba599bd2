/**
 * Convolutions written over their own input through a window of input rows (issue #20): the
 * kernel computes one output row at a time from a copy of the input rows that row reads (the
 * window, planned scratch), then stores the row at its final place in the shared buffer. The
 * window slides: rows the previous output row read too are kept from the window (the buffer may
 * hold output bytes there already), only the rows below them are fetched from the buffer. So the
 * layer may run in place when, before each output row, every row still to be fetched lies at or
 * after the output bytes written so far. A 3x3 stride-1 "same" convolution with no more output
 * than input channels qualifies (ResNet's second conv of a block), and so does a stride-2 stem
 * whose output rows are narrower than two input rows (VWW's 96x96x3 -> 48x48x8).
 *
 * Results are those of the plain kernel: each output row is the same kernel run on a band of the
 * input with the band's own top padding, so every output value sums the same taps in the same order.
 */
import type { Conv2DParams } from './conv2d.js';
import { pointwiseExpandInPlaceOk, pointwiseInPlaceOk } from './pointwise-in-place.js';

/**
 * Whether a layer's in-place kernel is the row-window one: a convolution other than a stride-1
 * pointwise one (which runs in place with no window, ops/pointwise-in-place.ts, widening or not).
 */
export function isRowWindowStep(step: { op: { type: string }; params: unknown }): boolean {
  const p = step.params as Conv2DParams;
  return step.op.type === 'CONV_2D' && !pointwiseInPlaceOk(p) && !pointwiseExpandInPlaceOk(p);
}

/** The geometry this rule reads (CONV_2D and DEPTHWISE_CONV_2D params both have it). */
export interface RowWindowGeometry {
  batches: number;
  inputHeight: number;
  inputWidth: number;
  inputDepth: number;
  filterHeight: number;
  dilationHeight: number;
  strideHeight: number;
  padHeight: number;
  outputHeight: number;
  outputWidth: number;
  outputDepth: number;
}

/** Input rows [lo, hi) output row `oy` reads (clipped to the image). */
export function rowsRead(p: RowWindowGeometry, oy: number): { lo: number; hi: number } {
  const top = oy * p.strideHeight - p.padHeight;
  return { lo: Math.max(0, top), hi: Math.min(p.inputHeight, top + p.filterHeight) };
}

/** Whether the row-window kernel may write the output over the input (see the file comment). */
export function rowWindowInPlaceOk(p: RowWindowGeometry): boolean {
  if (p.batches !== 1 || p.dilationHeight !== 1) return false;
  const inRow = p.inputWidth * p.inputDepth;
  const outRow = p.outputWidth * p.outputDepth;
  let heldHi = 0;
  for (let oy = 0; oy < p.outputHeight; oy++) {
    const { lo, hi } = rowsRead(p, oy);
    const fetchLo = Math.max(lo, heldHi);
    if (fetchLo < hi && oy * outRow > fetchLo * inRow) return false;
    heldHi = hi;
  }
  return true;
}

/** Bytes of the window (filter_height input rows, rounded up to 16 so the kernel's scratch after it stays aligned). */
export function rowWindowBytes(p: RowWindowGeometry): number {
  return Math.ceil((p.filterHeight * p.inputWidth * p.inputDepth) / 16) * 16;
}

/**
 * The staged variant, for outputs that trail their input (a strided stem): the kernel reads the
 * input rows in the buffer itself and writes an output row straight to its place when that row
 * ends before the rows it reads, else to a one-row stage copied there after the row is done. It
 * may run when, before each output row, the output bytes written so far end at or before the
 * first row that output row reads.
 */
export function rowStageInPlaceOk(p: RowWindowGeometry): boolean {
  if (p.batches !== 1 || p.dilationHeight !== 1) return false;
  const inRow = p.inputWidth * p.inputDepth;
  const outRow = p.outputWidth * p.outputDepth;
  for (let oy = 0; oy < p.outputHeight; oy++) if (oy * outRow > rowsRead(p, oy).lo * inRow) return false;
  return true;
}

/** Bytes of the stage: one output row, rounded up to 16. */
export function rowStageBytes(p: RowWindowGeometry): number {
  return Math.ceil((p.outputWidth * p.outputDepth) / 16) * 16;
}

/** Which row-by-row in-place kernel a convolution takes: the one needing fewer bytes, or none. */
export function rowInPlaceMode(p: RowWindowGeometry): 'stage' | 'window' | undefined {
  if (rowStageInPlaceOk(p) && (!rowWindowInPlaceOk(p) || rowStageBytes(p) < rowWindowBytes(p))) return 'stage';
  return rowWindowInPlaceOk(p) ? 'window' : undefined;
}

/** Bytes the row-by-row in-place kernel takes before the convolution's own scratch (undefined: none runs). */
export function rowInPlaceBytes(p: RowWindowGeometry): number | undefined {
  const mode = rowInPlaceMode(p);
  return mode === 'stage' ? rowStageBytes(p) : mode === 'window' ? rowWindowBytes(p) : undefined;
}
