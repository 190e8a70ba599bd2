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
import { conv } from '../quantize/helpers.js';
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
  // 1x1 layers three pixels at a time (pixel_triple_channels, the layers the pointwise path below
  // leaves: K > 32, or fewer than 8 pixels): K whole vectors and with a tail (the two assembly
  // halves), channel counts with a partial last group, pixel counts that leave a pair or a single
  // pixel after the triples.
  const triples: [number, number, number, number][] = [
    [16, 4, 9, 1],
    [32, 6, 7, 2],
    [64, 13, 10, 3],
    [48, 8, 3, 1],
    [40, 5, 8, 2],
    [8, 7, 5, 1],
  ];
  triples.forEach(([inC, outC, inW, inH], i) =>
    cases.push(convCaseOfShape(7500 + i, { batches: 1, inH, inW, inC, outC, fh: 1, fw: 1, perChannel: i % 2 === 0 }, conv(1, 'VALID', 'NONE'))),
  );

  it('is the variant chosen for int8 convolutions on MVE cores only', () => {
    expect(findKernelVariant('CONV_2D', cases[0].params, M55_TARGET)).toBe(conv2dMveVariant);
    expect(findKernelVariant('CONV_2D', cases[0].params, { core: 'cortex-m4', dsp: true, mve: false })?.name).toBe('conv2d_s8_dsp');
    expect(conv2dMveVariant.accepts({ ...(cases[0].params as Conv2DQuantParams), groups: 2 }, M55_TARGET)).toBe(false);
  });

  it('covers direct 1x1 layers (no scratch) and windowed ones', () => {
    const direct = cases.filter((c) => convMveScratchBytes(c.params as Conv2DQuantParams) === 0);
    expect(direct.length).toBeGreaterThanOrEqual(15);
    // Triples with whole-vector K (the assembly halves) and with a K tail, several pixel counts.
    const pk = (c: VariantCase) => c.params as Conv2DQuantParams;
    // The layers the kernel runs three pixels at a time: not the pointwise path (K <= 32, 8 pixels
    // or more, stride 1), at least three pixels.
    const pixels = (c: VariantCase) => pk(c).batches * pk(c).outputHeight * pk(c).outputWidth;
    const pointwisePath = (c: VariantCase) => pk(c).inputDepth <= 32 && pixels(c) >= 8 && pk(c).strideHeight === 1 && pk(c).strideWidth === 1;
    const tripled = direct.filter((c) => !pointwisePath(c) && pixels(c) >= 3);
    expect(tripled.filter((c) => pk(c).inputDepth % 16 === 0 && pk(c).inputDepth >= 32).length).toBeGreaterThanOrEqual(2);
    expect(tripled.filter((c) => pk(c).inputDepth % 16 !== 0).length).toBeGreaterThanOrEqual(2);
    expect(new Set(tripled.map((c) => pixels(c) % 3))).toEqual(new Set([0, 1, 2]));
    expect(cases.length - direct.length).toBeGreaterThanOrEqual(60);
    // K <= 16: the short path (each pixel's inputs one vector, loaded once for every group).
    const short = cases.filter((c) => {
      const p = c.params as Conv2DQuantParams;
      return p.filterHeight * p.filterWidth * p.inputDepth <= 16;
    });
    expect(short.length).toBeGreaterThanOrEqual(10);
    expect(short.filter((c) => (c.params as Conv2DQuantParams).outputDepth % 4 !== 0).length).toBeGreaterThanOrEqual(3);
    // Unpadded 1x1 stride-1 layers with K <= 32 or 64 and 8 pixels or more: the channel-at-a-time
    // path (pointwise_short), K = 8, 16, 32, 64 (immediate load offsets) and other K up to 16 and
    // up to 32, the last pixels' vectors loaded predicated.
    const pointwiseShort = cases.filter((c) => {
      const p = c.params as Conv2DQuantParams;
      const pixels = p.batches * p.outputHeight * p.outputWidth;
      return convMveScratchBytes(p) === 0 && p.strideHeight === 1 && p.strideWidth === 1 && (p.inputDepth <= 32 || p.inputDepth === 64) && pixels >= 8;
    });
    const depths = pointwiseShort.map((c) => (c.params as Conv2DQuantParams).inputDepth);
    for (const k of [8, 16, 32, 64]) expect(depths.filter((d) => d === k).length, depths.join(' ')).toBeGreaterThanOrEqual(3);
    expect(depths.filter((k) => k < 16 && k !== 8).length, depths.join(' ')).toBeGreaterThanOrEqual(4);
    expect(depths.filter((k) => k > 16 && k !== 32).length, depths.join(' ')).toBeGreaterThanOrEqual(2);
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
