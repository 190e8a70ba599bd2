/**
 * The last block of a layer in conv2d_dsp.c, bit for bit against CONV_2D's evaluate on an
 * emulated Cortex-M4 (-O2, the assembly): blocks of 1, 2 and 3 pixels after whole blocks of four,
 * with output depths that leave 1, 2 or 3 channels past the last four (the 4x1 loops repeat the
 * last row), at every weight width. int8 rows (int8 and int16 streams) take the assembly 4x1 dot
 * product for 1 or 2 pixels and the unrolled rows for 3 (their fourth output stored over pixel
 * 0's); sub-byte rows take the unrolled rows for 3 pixels and for 1 or 2 the 4x1 loop (partial
 * words in C, whole words of four channels in assembly; depth 16 and 36: whole words alone, a
 * partial word before them, binary's partial word alone). FOLDED and FAST requantization.
 */
import { afterAll, describe } from 'vitest';
import { conv2d, type Conv2DAttrs, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { planOptions } from '../../src/ops/optimized/common.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import type { VariantCase } from './harness.js';
import { itBitExactFoldedAndFast } from './pointwise-cases.js';
import { convCaseOfShape } from './random-cases.js';
import { asSubByteCase } from '../subbyte/cases.js';
import { conv } from '../quantize/helpers.js';

const attrs: Conv2DAttrs = conv(1, 'VALID', 'NONE');
/** A pointwise layer of input depth inC over a row of `pixels` pixels. */
const pointwise = (seed: number, inC: number, outC: number, pixels: number): VariantCase =>
  convCaseOfShape(seed, { batches: 1, inH: 1, inW: pixels, inC, outC, fh: 1, fw: 1, perChannel: true }, attrs);

/** Pixels 9, 10, 11 (last block 1, 2, 3) with 5, 6, 7 channels; int16 streams from 96 pixels. */
const TAILS: [number, number][] = [
  [9, 5],
  [10, 6],
  [11, 7],
  [97, 7],
  [98, 5],
  [99, 6],
];
const int8Cases = TAILS.flatMap(([px, outC], i) => [pointwise(71_000 + i, 24, outC, px), pointwise(71_100 + i, 68, outC, px)]);
const KINDS: SubByteKind[] = ['int4', 'int2', 'ternary', 'binary'];
const sbCases = KINDS.flatMap((kind, k) =>
  TAILS.slice(0, 3).flatMap(([px, outC], i) => [16, 36].map((inC, j) => asSubByteCase(conv2d, pointwise(72_000 + 100 * k + 10 * i + j, inC, outC, px), kind, 73_000 + 100 * k + 10 * i + j))),
);

function label(c: VariantCase, i: number): string {
  const p = c.params as Conv2DQuantParams & { weightEncoding?: string };
  return `case ${i} (${p.weightEncoding ?? 'int8'}): depth ${p.inputDepth}, ${p.outputWidth} pixels, ${p.outputDepth} channels`;
}

describe('conv2d_dsp.c last blocks of 1, 2 and 3 pixels vs CONV_2D evaluate', () => {
  afterAll(() => {
    planOptions.fold = true;
  });

  itBitExactFoldedAndFast(int8Cases, sbCases, label);
});
