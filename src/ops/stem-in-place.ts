/**
 * A strided stem written over its own input with no scratch at all (issue #20): VWW's first layer
 * (96x96x3 -> 48x48x8, 3x3 stride 2) reads the model's largest tensor, so the row stage and the
 * stem kernel's columns beside it (550 bytes) set the whole arena. Here
 * (tinyml_conv2d_s8_stem_dsp_in_place_tight, conv2d_dsp_in_place.c) every byte the layer writes,
 * its output and its kernel's columns, lands on input bytes no later read needs:
 *
 * - "kernel" rows run the stem kernel, written straight to their place: each row's output must end
 *   before the first input row it reads (output rows of a stride-2 stem trail their input, so from
 *   a few rows on they do). When the kernel's columns fit the driver's stack frame
 *   (STEM_TIGHT_FRAME_BYTES: VWW's 166) all of them run in one call with the columns there; else
 *   each row is one call with its columns just after its output (rounded up to 8 bytes), which must
 *   then end before that input row too;
 * - a "pixel" row before that is computed two pixels at a time on the frame (the kernel's pairs
 *   routine, its columns on the frame, where the kernel's shape takes it), each pixel stored
 *   straight to its place once both are computed, which must then hold only input bytes already
 *   read;
 * - a "scatter" row (VWW's first: its place holds input its own later pixels read) stores each
 *   pixel's first `split` bytes into the first input row it reads and the rest into the second,
 *   on the columns those rows' earlier pixels read, then gathers the row into its place. (When
 *   the kernel's columns fit the frame and the row is at most 384 bytes, VWW's, the driver instead
 *   computes the row whole on its frame and copies it into place: the same last writes, none
 *   before them, so the rules checked here still cover it.)
 *
 * Rows go scatter*, pixel*, kernel*; the rules below are checked byte by byte for the layer's
 * shape, never assumed, and results are the stem kernel's (the pixel path sums the same products
 * and requantizes as the kernel does).
 */
import type { Conv2DQuantParams } from './conv2d.js';
import { rowsRead } from './conv-rows-in-place.js';

/** Most output channels the pixel path takes (TINYML_CONV2D_STEM_PIXEL_MAX_CHANNELS). */
export const STEM_PIXEL_MAX_CHANNELS = 32;

/** Kernel scratch the tight driver keeps on its stack frame (TINYML_CONV2D_STEM_TIGHT_FRAME_BYTES). */
export const STEM_TIGHT_FRAME_BYTES = 168;

/** The tight driver's arguments: rows [0, scatterRows) scattered, [scatterRows, pixelRows) by pixel, the rest on the kernel. */
export interface StemTightSchedule {
  scatterRows: number;
  pixelRows: number;
  split: number;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * The schedule for a stem of this shape whose kernel takes `kernelScratch` bytes of columns, or
 * undefined when some row cannot be placed (see the file comment).
 */
export function stemTightSchedule(p: Conv2DQuantParams, kernelScratch: number): StemTightSchedule | undefined {
  if (p.batches !== 1 || p.dilationHeight !== 1 || p.dilationWidth !== 1 || p.outputDepth > STEM_PIXEL_MAX_CHANNELS) return undefined;
  const n = p.outputDepth;
  const inRow = p.inputWidth * p.inputDepth;
  const outRow = p.outputWidth * n;
  // The lowest input byte pixel (r, c) reads (Infinity when its window holds only padding).
  const lowestRead = (r: number, c: number): number => {
    const y0 = r * p.strideHeight - p.padHeight;
    const x0 = c * p.strideWidth - p.padWidth;
    const y = Math.max(0, y0);
    const x = Math.max(0, x0);
    if (y >= Math.min(y0 + p.filterHeight, p.inputHeight) || x >= Math.min(x0 + p.filterWidth, p.inputWidth)) return Infinity;
    return y * inRow + x * p.inputDepth;
  };
  // Input columns of a row no pixel after pixel c reads (the next pixel's first column, clipped).
  const deadCols = (c: number): number => Math.min(p.inputWidth, Math.max(0, (c + 1) * p.strideWidth - p.padWidth));
  // First input row a later output row reads (the image's end for the last).
  const nextLo = (r: number): number => (r + 1 < p.outputHeight ? rowsRead(p, r + 1).lo : p.inputHeight);
  const onFrame = kernelScratch <= STEM_TIGHT_FRAME_BYTES;
  // Columns on the frame: rows r.. in one call, its pairs in order across rows, each pixel stored
  // once its pair is read; every byte it stores must lie below the lowest byte any later pixel reads.
  const kernelFrom = (r: number): boolean => {
    const w = p.outputWidth;
    const first = r * w;
    const total = p.outputHeight * w;
    const lowest = new Array<number>(total - first + 1).fill(Infinity);
    for (let j = total - 1; j >= first; j--) lowest[j - first] = Math.min(lowest[j + 1 - first], lowestRead(Math.floor(j / w), j % w));
    for (let j = first; j < total; j += 2) {
      const end = Math.min(j + 2, total);
      if (end * n > lowest[end - first]) return false;
    }
    return true;
  };
  const kernelRow = (r: number): boolean =>
    onFrame ? kernelFrom(r) : align8((r + 1) * outRow) + kernelScratch <= rowsRead(p, r).lo * inRow;
  const pixelRow = (r: number): boolean => {
    const { lo } = rowsRead(p, r);
    // Row lo's read columns are dead as the row goes only when no later row reads row lo.
    const loDies = nextLo(r) > lo;
    for (let c = 0; c < p.outputWidth; c++) {
      if (r * outRow + (c + 1) * n > lo * inRow + (loDies ? deadCols(c) * p.inputDepth : 0)) return false;
    }
    return true;
  };
  const scatterSplit = (r: number): number | undefined => {
    const { lo, hi } = rowsRead(p, r);
    // Both rows read by this row alone, and after the output rows before it.
    if (hi < lo + 2 || nextLo(r) < lo + 2 || r * outRow > lo * inRow) return undefined;
    let most = Infinity; // bytes per pixel each of the two rows can take
    for (let c = 0; c < p.outputWidth; c++) most = Math.min(most, Math.floor((deadCols(c) * p.inputDepth) / (c + 1)));
    const split = Math.min(n, most);
    const nb = n - split;
    if (nb > most) return undefined;
    const w = p.outputWidth;
    const a = lo * inRow;
    const b = (lo + 1) * inRow;
    const f = (r + 1) * outRow;
    // The second row's parts move to f: dead after the row, past the first row's parts, copied forward.
    if (f < a + split * w || f + nb * w > nextLo(r) * inRow || (f > b && f < b + nb * w)) return undefined;
    // Pixels gathered from the last down: pixel c's place must not reach the first-row parts of pixels before it.
    for (let c = 1; c < w; c++) if (r * outRow + n * c < a + split * c) return undefined;
    return split;
  };
  let r = 0;
  let split = 0;
  // Scattered rows only where neither faster path may run (a gather costs a second pass).
  for (; r < p.outputHeight && !kernelRow(r) && !pixelRow(r); r++) {
    const s = scatterSplit(r);
    if (s === undefined) break;
    if (r > 0 && s !== split) break;
    split = s;
  }
  const scatterRows = r;
  while (r < p.outputHeight && !kernelRow(r) && pixelRow(r)) r++;
  const pixelRows = r;
  if (onFrame) {
    if (r < p.outputHeight && !kernelFrom(r)) return undefined;
  } else {
    for (; r < p.outputHeight; r++) if (!kernelRow(r)) return undefined;
  }
  return { scatterRows, pixelRows, split: scatterRows > 0 ? split : 0 };
}
