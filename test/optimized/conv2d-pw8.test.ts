/**
 * Pointwise layers of 8 input and 16 output channels on int16 rows (conv2d_dsp.c pw8_ok: the
 * row-streamed pair's 48x48 8 -> 16): pixel after pixel, the 16 channels straight against the
 * pixel's four column words, FOLDED without a fused clamp, with the sign correction (the plain
 * entry) and without (_nf). Bit for bit against CONV_2D's evaluate on an emulated Cortex-M4
 * (-O2, the assembly): 96 to 130 pixels (int16 rows from 96), one and several rows; FAST and a
 * clamped layer keep the blocks of four pixels. Sub-byte layers reach the same loop through the
 * int16 rows decoded on the frame (test/subbyte/dsp-kernels.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { conv2d } from '../../src/ops/conv2d.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { planOptions } from '../../src/ops/optimized/common.js';
import { convCaseOfShape } from './random-cases.js';
import { conv } from '../quantize/helpers.js';
import { expectBitExactOnQemu, type VariantCase } from './harness.js';
import { emittedC } from './pointwise-cases.js';

/** [rows, width, activation] */
const SHAPES: [number, number, 'NONE' | 'RELU' | 'RELU6'][] = [
  [2, 48, 'NONE'],
  [1, 97, 'RELU'],
  [10, 13, 'NONE'],
  [3, 33, 'RELU'],
  [8, 12, 'RELU6'],
];
const cases: VariantCase[] = SHAPES.map(([h, w, act], i) =>
  convCaseOfShape(83_000 + i, { batches: 1, inH: h, inW: w, inC: 8, outC: 16, fh: 1, fw: 1, perChannel: i % 2 === 0 }, conv(1, 'VALID', act)),
);
const label = (c: VariantCase, i: number) => `case ${i}: ${JSON.stringify({ ...(c.params as object), outputMultiplier: undefined, outputShift: undefined })}`;

describe('conv2d_dsp.c pointwise 8 -> 16 pixel after pixel vs CONV_2D evaluate', () => {
  afterAll(() => {
    planOptions.fold = true;
  });

  it('the cases take the int16 rows, with and without the sign correction', () => {
    planOptions.fold = true;
    const calls = cases.map((c) => emittedC(conv2dDspVariant, c).call);
    calls.forEach((call) => expect(call).toMatch(/tinyml_conv2d_s8_dsp_w16(_nf)?\(/));
    expect(calls.some((call) => call.includes('_w16_nf('))).toBe(true);
    expect(calls.some((call) => call.includes('_w16('))).toBe(true);
  });

  for (const fold of [true, false]) {
    it(`bit-exact on an emulated Cortex-M4, ${fold ? 'FOLDED' : 'FAST'}`, { timeout: 300_000 }, async () => {
      planOptions.fold = fold;
      await expectBitExactOnQemu(conv2dDspVariant, conv2d, cases, label);
      planOptions.fold = true;
    });
  }
});
