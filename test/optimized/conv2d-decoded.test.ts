/**
 * The decoded rows of conv2d_dsp.c (p->decoded_rows, convDecodedBlocks): pointwise layers of depth
 * 32, 64 or 128 from 16 pixels (int8 under 96 pixels; int4, int2 and ternary at any size) run
 * channel-outer, the columns of a chunk of blocks of four pixels written once and each channel's
 * row decoded once a chunk into an int16 row (int8: SXTB16; signed sub-byte fields: the AND's
 * pairs, shifted back after the row), the last pixels past the whole blocks by the usual loop.
 * Bit for bit against CONV_2D's evaluate on an emulated Cortex-M4 (-O2, the assembly): depths 32
 * (k4 = 8: one pass of 8 groups), 64 and 128; 16, 36 (VWW's 6x6), 37, 39 and 95 pixels (one chunk,
 * or several, the last shorter: depth 128 takes 9 blocks a chunk, 64 takes 18, 32 takes 36),
 * sub-byte 150 and 156 pixels too; FOLDED (the path) and FAST (which keeps the usual loops).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2dDspVariant, convDecodedBlocks } from '../../src/ops/optimized/conv2d.js';
import { planOptions } from '../../src/ops/optimized/common.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import { expectBitExactOnQemu, type VariantCase } from './harness.js';
import { emittedC, pointwiseCase as pointwise, pointwiseLabel, subBytePointwiseCases, subByteConvVariant as sbVariant } from './pointwise-cases.js';

const DEPTHS = [64, 128, 32];
/** [rows, width]: 16, 36, 37, 39 and 95 pixels. */
const SHAPES: [number, number][] = [
  [4, 4],
  [6, 6],
  [1, 37],
  [3, 13],
  [5, 19],
];
const int8Cases = DEPTHS.flatMap((inC, d) => SHAPES.map(([h, w], i) => pointwise(91_000 + 10 * d + i, inC, 3 + ((d + 2 * i) % 7), h, w)));
const KINDS: SubByteKind[] = ['int4', 'int2', 'ternary'];
const SB_SHAPES: [number, number][] = [...SHAPES, [10, 15], [12, 13]];
const sb = subBytePointwiseCases(KINDS, DEPTHS, SB_SHAPES, (i, d, k) => (i + d + k) % 2 === 0, 92_000, (i) => 4 + (i % 3));
const sbCases = sb.cases;
const label = pointwiseLabel(sb);

function decodedBlocks(variant: typeof sbVariant, c: VariantCase): number {
  const decls = emittedC(variant, c).decls;
  return Number(/\.decoded_rows = (\d+)/.exec(decls)?.[1] ?? -1);
}

describe('conv2d_dsp.c decoded rows of small pointwise layers vs CONV_2D evaluate', () => {
  afterAll(() => {
    planOptions.fold = true;
  });

  it('FOLDED cases take the decoded rows, in chunks of at most 9 (depth 128), 18 (64) or 36 (32) blocks; FAST ones do not', () => {
    planOptions.fold = true;
    const most = (p: Conv2DQuantParams) => ({ 128: 9, 64: 18, 32: 36 })[p.inputDepth]!;
    for (const [variant, cases] of [[conv2dDspVariant, int8Cases], [sbVariant, sbCases]] as const) {
      for (const c of cases) {
        const p = c.params as Conv2DQuantParams;
        const blocks = (p.outputHeight * p.outputWidth) >> 2;
        const chunk = decodedBlocks(variant, c);
        expect(chunk).toBe(convDecodedBlocks(p, undefined, variant === sbVariant));
        expect(chunk).toBeGreaterThan(0);
        expect(chunk).toBeLessThanOrEqual(most(p));
        expect(Math.ceil(blocks / chunk)).toBe(Math.ceil(blocks / most(p)));
      }
    }
    // The chunking: 23 blocks of depth 128 run as 8 + 8 + 7, of depth 64 as 12 + 11.
    expect(int8Cases.filter((c) => (c.params as Conv2DQuantParams).outputWidth === 19).map((c) => decodedBlocks(conv2dDspVariant, c))).toEqual([12, 8, 23]);
    planOptions.fold = false;
    expect(int8Cases.map((c) => decodedBlocks(conv2dDspVariant, c)).every((b) => b === 0)).toBe(true);
    planOptions.fold = true;
  });

  for (const fold of [true, false]) {
    it(`bit-exact on an emulated Cortex-M4, ${fold ? 'FOLDED' : 'FAST'} (int8 and sub-byte rows)`, { timeout: 600_000 }, async () => {
      planOptions.fold = fold;
      await expectBitExactOnQemu(conv2dDspVariant, conv2d, int8Cases, label);
      await expectBitExactOnQemu(sbVariant, conv2d, sbCases, label);
      planOptions.fold = true;
    });
  }
});
