/**
 * conv2d_s8_mve (firmware/kernels/mve/conv2d_mve.c) against CONV_2D's evaluate, bit for bit, on
 * an emulated Cortex-M55 (MVE): random shapes, strides, dilations, padding, zero points,
 * per-tensor and per-channel scales, huge biases (wrapping accumulators), scales >= 1 (left
 * shifts), tiny scales and dead channels.
 */
import { describe, expect, it } from 'vitest';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2dMveVariant, convMveScratchBytes } from '../../src/ops/optimized-mve/conv2d.js';
import { findKernelVariant } from '../../src/ops/kernel-variants.js';
import '../../src/ops/optimized/index.js';
import '../../src/ops/optimized-mve/index.js';
import { evaluateCases, values, type VariantCase } from '../optimized/harness.js';
import { convCaseOfShape, randomConvCase } from '../optimized/random-cases.js';
import { M55_TARGET, runVariantCasesOnM55 } from './harness.js';

function label(c: VariantCase, i: number): string {
  const p = c.params as Conv2DQuantParams;
  return `case ${i}: ${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} d${p.dilationHeight} -> ${p.outputHeight}x${p.outputWidth}x${p.outputDepth}`;
}

describe('conv2d_s8_mve vs CONV_2D evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 60; i++) cases.push(randomConvCase(1000 + i, 'fast'));
  for (let i = 0; i < 20; i++) cases.push(randomConvCase(2000 + i, 'pointwise'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(5000 + i, 'tiny-scale'));
  for (let i = 0; i < 12; i++) cases.push(randomConvCase(6000 + i, 'dead'));
  // The pointwise path's constant depths (8, 16, 32, 64; the random cases stop at 24 channels):
  // pixel counts not a multiple of 4, two batches, right shifts and left shifts ('big-scale',
  // 'huge-scale').
  const pw = { padding: 'VALID' as const, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
  [8, 16, 32, 64].forEach((inC, j) => {
    cases.push(convCaseOfShape(7000 + 10 * j, { batches: 1, inH: 3, inW: 5, inC, outC: 5, fh: 1, fw: 1, perChannel: true }, { ...pw, activation: 'RELU' }));
    cases.push(convCaseOfShape(7001 + 10 * j, { batches: 2, inH: 4, inW: 3, inC, outC: 12, fh: 1, fw: 1, perChannel: false }, { ...pw, activation: 'NONE' }));
    cases.push(convCaseOfShape(7002 + 10 * j, { batches: 1, inH: 7, inW: 9, inC, outC: 19, fh: 1, fw: 1, perChannel: true }, { ...pw, activation: 'RELU6' }, 'big-scale'));
    cases.push(convCaseOfShape(7003 + 10 * j, { batches: 1, inH: 2, inW: 5, inC, outC: 7, fh: 1, fw: 1, perChannel: true }, { ...pw, activation: 'NONE' }, 'huge-scale'));
  });
  // K in whole vectors read in place (the asm loop over K, with and without a partial last group
  // of four channels), and gathered windows whose K is padded to whole vectors (KWS's 10x4 stem,
  // a 3x3x3 stem with stride 2, 3x3x5 with dilation).
  const attrs = (stride: number, padding: 'SAME' | 'VALID', dilation = 1, activation: 'RELU' | 'NONE' = 'RELU') =>
    ({ padding, strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation, activation }) as const;
  cases.push(convCaseOfShape(9000, { batches: 1, inH: 5, inW: 3, inC: 64, outC: 64, fh: 1, fw: 1, perChannel: true }, attrs(1, 'VALID')));
  cases.push(convCaseOfShape(9001, { batches: 2, inH: 3, inW: 3, inC: 32, outC: 14, fh: 1, fw: 1, perChannel: true }, attrs(1, 'VALID')));
  cases.push(convCaseOfShape(9002, { batches: 1, inH: 4, inW: 5, inC: 48, outC: 7, fh: 1, fw: 1, perChannel: false }, attrs(1, 'VALID')));
  // Channels without a right shift or with a left one (scales near and above 1): the general
  // requantization on the same paths, without an activation that would hide its negative side.
  cases.push(convCaseOfShape(9006, { batches: 1, inH: 3, inW: 5, inC: 32, outC: 10, fh: 1, fw: 1, perChannel: true }, attrs(1, 'VALID', 1, 'NONE'), 'big-scale'));
  cases.push(convCaseOfShape(9007, { batches: 1, inH: 7, inW: 7, inC: 3, outC: 8, fh: 3, fw: 3, perChannel: true }, attrs(2, 'SAME', 1, 'NONE'), 'big-scale'));
  cases.push(convCaseOfShape(9008, { batches: 1, inH: 2, inW: 3, inC: 16, outC: 9, fh: 1, fw: 1, perChannel: true }, attrs(1, 'VALID', 1, 'NONE'), 'huge-scale'));
  cases.push(convCaseOfShape(9009, { batches: 1, inH: 5, inW: 2, inC: 64, outC: 4, fh: 1, fw: 1, perChannel: true }, attrs(1, 'VALID', 1, 'NONE'), 'huge-scale'));
  cases.push(convCaseOfShape(9003, { batches: 1, inH: 13, inW: 10, inC: 1, outC: 12, fh: 10, fw: 4, perChannel: true }, attrs(2, 'SAME')));
  cases.push(convCaseOfShape(9004, { batches: 1, inH: 11, inW: 9, inC: 3, outC: 8, fh: 3, fw: 3, perChannel: true }, attrs(2, 'SAME')));
  cases.push(convCaseOfShape(9005, { batches: 1, inH: 9, inW: 8, inC: 5, outC: 6, fh: 3, fw: 3, perChannel: true }, attrs(1, 'SAME', 2)));

  it('is the variant chosen for int8 convolutions on MVE cores only', () => {
    expect(findKernelVariant('CONV_2D', cases[0].params, M55_TARGET)).toBe(conv2dMveVariant);
    expect(findKernelVariant('CONV_2D', cases[0].params, { core: 'cortex-m4', dsp: true, mve: false })?.name).toBe('conv2d_s8_dsp');
    expect(conv2dMveVariant.accepts({ ...(cases[0].params as Conv2DQuantParams), groups: 2 }, M55_TARGET)).toBe(false);
  });

  it('covers direct 1x1 layers (no scratch) and windowed ones', () => {
    const direct = cases.filter((c) => convMveScratchBytes(c.params as Conv2DQuantParams) === 0);
    expect(direct.length).toBeGreaterThanOrEqual(15);
    expect(cases.length - direct.length).toBeGreaterThanOrEqual(60);
    // K <= 16: the short path (each pixel's inputs one vector, loaded once for every group).
    const short = cases.filter((c) => {
      const p = c.params as Conv2DQuantParams;
      return p.filterHeight * p.filterWidth * p.inputDepth <= 16;
    });
    expect(short.length).toBeGreaterThanOrEqual(10);
    expect(short.filter((c) => (c.params as Conv2DQuantParams).outputDepth % 4 !== 0).length).toBeGreaterThanOrEqual(3);
    // Unpadded 1x1 stride-1 layers with K <= 32 and 8 pixels or more: the channel-at-a-time
    // path (pointwise_short), K = 8, 16, 32 (immediate load offsets) and other K up to 16 and
    // up to 32, the last pixels' vectors loaded predicated.
    const pointwiseShort = cases.filter((c) => {
      const p = c.params as Conv2DQuantParams;
      const pixels = p.batches * p.outputHeight * p.outputWidth;
      return convMveScratchBytes(p) === 0 && p.strideHeight === 1 && p.strideWidth === 1 && p.inputDepth <= 32 && pixels >= 8;
    });
    const depths = pointwiseShort.map((c) => (c.params as Conv2DQuantParams).inputDepth);
    for (const k of [8, 16, 32]) expect(depths.filter((d) => d === k).length, depths.join(' ')).toBeGreaterThanOrEqual(3);
    expect(depths.filter((k) => k < 16 && k !== 8).length, depths.join(' ')).toBeGreaterThanOrEqual(4);
    expect(depths.filter((k) => k > 16 && k !== 32).length, depths.join(' ')).toBeGreaterThanOrEqual(2);
    // Read in place with K in whole vectors and with a tail; gathered with K not a multiple of 16.
    const k = (c: VariantCase) => (c.params as Conv2DQuantParams).filterHeight * (c.params as Conv2DQuantParams).filterWidth * (c.params as Conv2DQuantParams).inputDepth;
    expect(direct.filter((c) => k(c) % 16 === 0).length).toBeGreaterThanOrEqual(3);
    expect(direct.filter((c) => k(c) % 16 !== 0).length).toBeGreaterThanOrEqual(3);
    expect(cases.filter((c) => !direct.includes(c) && k(c) > 16 && k(c) % 16 !== 0).length).toBeGreaterThanOrEqual(10);
  });

  it('bit-exact on random cases on an emulated Cortex-M55 (-O2 and -Os)', { timeout: 240_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesOnM55(conv2dMveVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    const some = cases.filter((_, i) => i % 4 === 0);
    const gotOs = await runVariantCasesOnM55(conv2dMveVariant, some, '-Os');
    some.forEach((c, i) => expect(values(gotOs[i][0]), `-Os ${label(c, i)}`).toEqual(values(want[i * 4][0])));
  });
});
