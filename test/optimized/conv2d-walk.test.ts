/**
 * The block walk of conv2d_dsp.c (TINYML_ROWS_NEXT, conv_run_pointwise): the straight channel
 * loops of int8 and int16 rows and of signed sub-byte rows run every whole block of four pixels of a
 * pointwise layer in one call, writing the next block's columns themselves, then the C code runs
 * the last partial block. Bit for bit against CONV_2D's evaluate on an emulated Cortex-M4 (-O2,
 * the assembly), FOLDED and FAST requantization: input depths 8, 16, 32, 64 and 128 (the straight
 * loops of 2, 4, 8, 16 and 32 groups; VWW's pointwise layers), whole blocks alone and with a last
 * block of 1, 2 or 3 pixels. int8 layers of 96 pixels and more take int16 rows, fewer the int8
 * rows (their columns doubled, TINYML_ROWS_NEXT_DBL; the straight loops are 16 and 32 groups,
 * depths 64 and 128, the others one block a call); sub-byte layers walk at every size
 * with signed fields (int4, int2, ternary) and not with binary's offset fields (column sums per
 * block). The walk from the last pixel down (in-place widening layers) is
 * test/optimized/pointwise-in-place.test.ts's; FAST_MIXED rows, test/subbyte/stream-pair.test.ts's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { planOptions } from '../../src/ops/optimized/common.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import type { VariantCase } from './harness.js';
import { emittedC, pointwiseCase as pointwise, pointwiseLabel, subBytePointwiseCases, subByteConvVariant as sbVariant, itBitExactFoldedAndFast } from './pointwise-cases.js';

const DEPTHS = [8, 16, 32, 64, 128];
/** [rows, width]: 96 pixels (whole blocks), 97, 98, 99 (a last block of 1, 2, 3), 8 and 13. */
const SHAPES: [number, number][] = [
  [2, 48],
  [1, 97],
  [7, 14],
  [3, 33],
  [2, 4],
  [1, 13],
];
const int8Cases = DEPTHS.flatMap((inC, d) => SHAPES.map(([h, w], i) => pointwise(81_000 + 10 * d + i, inC, 4 + ((d + i) % 5), h, w)));
const KINDS: SubByteKind[] = ['int4', 'int2', 'ternary', 'binary'];
// 18 to 20 channels out: more int16 stream than the small layers' frame takes (conv2d_dsp.c
// sb_w16_ok; test/subbyte/dsp-kernels.test.ts), so the sub-byte loops walk here.
const sb = subBytePointwiseCases(KINDS, DEPTHS, SHAPES, (i, d) => (i + d) % 2 === 0, 82_000, (i) => 18 + (i % 3));
const sbCases = sb.cases;
const sbKinds = sb.kinds;
const label = pointwiseLabel(sb);

function entry(variant: typeof sbVariant, c: VariantCase): string {
  const call = emittedC(variant, c).call;
  return /tinyml_conv2d_s8_(dsp\w*)\(/.exec(call)?.[1] ?? '';
}

describe('conv2d_dsp.c block walk of pointwise layers vs CONV_2D evaluate', () => {
  afterAll(() => {
    planOptions.fold = true;
  });

  it('the cases take the kernels they are meant for (int16 rows from 96 pixels, signed sub-byte fields but binary)', () => {
    const w16 = int8Cases.map((c) => entry(conv2dDspVariant, c).includes('_w16'));
    expect(w16).toEqual(int8Cases.map((c) => (c.params as Conv2DQuantParams).outputWidth * (c.params as Conv2DQuantParams).outputHeight >= 96));
    expect(w16.filter(Boolean).length).toBe(4 * DEPTHS.length);
    const signed = sbCases.map((c) => /_sb\ds/.test(entry(sbVariant, c)));
    expect(signed).toEqual(sbKinds.map((kind) => kind !== 'binary'));
  });

  itBitExactFoldedAndFast(int8Cases, sbCases, label);
});
