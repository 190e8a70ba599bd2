/**
 * depthwise_conv2d_s8_mve (firmware/kernels/mve/depthwise_taps_mve.c, depthwise_conv2d_mve.c, and
 * conv2d_mve.c for input depth 1) against DEPTHWISE_CONV_2D's evaluate, bit for bit, on an emulated Cortex-M55: random shapes (depths
 * that are and are not multiples of 4, rows wide enough for the four-pixel blocks and narrow
 * ones), strides, dilations, padding, zero points and every kind of scale and bias.
 */
import { describe, expect, it } from 'vitest';
import { depthwiseConv2d, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { DW_MVE_MIN_OUTPUT_WIDTH, depthwiseConv2dMveVariant, dwMveTaps, dwTapsCell } from '../../src/ops/optimized-mve/depthwise-conv2d.js';
import { findKernelVariant } from '../../src/ops/kernel-variants.js';
import '../../src/ops/optimized/index.js';
import '../../src/ops/optimized-mve/index.js';
import { evaluateCases, values, type VariantCase } from '../optimized/harness.js';
import { randomDwCase, type DwShape } from '../optimized/random-cases.js';
import { M55_TARGET, runVariantCasesOnM55 } from './harness.js';

function label(c: VariantCase, i: number): string {
  const p = c.params as DepthwiseConv2DQuantParams;
  return `case ${i}: ${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} d${p.dilationHeight} pad ${p.padHeight},${p.padWidth}`;
}

describe('depthwise_conv2d_s8_mve vs DEPTHWISE_CONV_2D evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 60; i++) cases.push(randomDwCase(1000 + i, 'fast'));
  for (let i = 0; i < 20; i++) cases.push(randomDwCase(2000 + i, 'k3'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(5000 + i, 'tiny-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(6000 + i, 'dead'));
  // The kernel handles any row width (blocks of four pixels, then a narrower tail); the variant
  // only takes rows of DW_MVE_MIN_OUTPUT_WIDTH or more, so the kernel is run here on every case
  // of its shape class, narrow rows included.
  // More than 16 taps or a horizontal dilation: depthwise_conv2d_mve.c rather than the taps kernel.
  const groupedWide = (c: VariantCase) => !dwMveTaps(c.params as DepthwiseConv2DQuantParams) && (c.params as DepthwiseConv2DQuantParams).outputWidth >= DW_MVE_MIN_OUTPUT_WIDTH;
  for (let seed = 10_000; cases.filter(groupedWide).length < 8; seed++) {
    const c = randomDwCase(seed, 'fast');
    if (groupedWide(c)) cases.push(c);
  }
  // The taps kernel's paths on fixed shapes: KWS's 25x5x64 rows (sixteen-channel fill steps,
  // every group full), eight channels (the two-columns-per-step fill) with odd and even widths,
  // padding rows and strides, and depths with a partial last group of four and a fill tail of
  // 1..15 channels after whole sixteen-channel steps.
  const tapsShapes: Partial<DwShape>[] = [
    { inH: 25, inW: 5, inC: 64, strideH: 1, strideW: 1, padding: 'SAME' },
    { inH: 9, inW: 7, inC: 8, strideH: 1, strideW: 1, padding: 'SAME' },
    { inH: 8, inW: 10, inC: 8, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 7, inW: 9, inC: 8, strideH: 1, strideW: 2, padding: 'VALID' },
    { inH: 6, inW: 6, inC: 37, strideH: 1, strideW: 1, padding: 'SAME' },
    { inH: 5, inW: 3, inC: 22, strideH: 2, strideW: 1, padding: 'SAME', batches: 2 },
    { inH: 3, inW: 3, inC: 35, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 4, inW: 40, inC: 16, strideH: 1, strideW: 1, padding: 'VALID' },
  ];
  tapsShapes.forEach((shape, i) => cases.push(randomDwCase(8000 + i, 'k3', 1, { k3: true, batches: 1, ...shape })));
  const taken = cases.filter((c) => {
    const p = c.params as DepthwiseConv2DQuantParams;
    return p.depthMultiplier === 1 && p.inputDepth > 1;
  });

  const taps = taken.filter((c) => dwMveTaps(c.params as DepthwiseConv2DQuantParams));
  const grouped = taken.filter((c) => !dwMveTaps(c.params as DepthwiseConv2DQuantParams));

  it('takes depth multiplier 1 with input depth > 1 on MVE cores: up to 16 taps on the taps kernel, else rows of 8 pixels or more; the rest falls through to the DSP variant', () => {
    expect(taken.length).toBeGreaterThanOrEqual(100);
    const emitted = (c: VariantCase) =>
      depthwiseConv2dMveVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: M55_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }).call;
    expect(taps.length).toBeGreaterThanOrEqual(60);
    expect(taps.filter((c) => (c.params as DepthwiseConv2DQuantParams).outputWidth < 4).length).toBeGreaterThanOrEqual(10);
    // Two output rows per transposed band (odd heights end on a single row), and one.
    const two = taps.filter((c) => dwTapsCell(c.params as DepthwiseConv2DQuantParams)?.rows === 2);
    expect(two.length).toBeGreaterThanOrEqual(20);
    expect(two.filter((c) => (c.params as DepthwiseConv2DQuantParams).outputHeight % 2 === 1).length).toBeGreaterThanOrEqual(5);
    expect(taps.length - two.length).toBeGreaterThanOrEqual(10);
    taps.forEach((c) => expect(findKernelVariant('DEPTHWISE_CONV_2D', c.params, M55_TARGET)).toBe(depthwiseConv2dMveVariant));
    taps.forEach((c) => expect(emitted(c)).toMatch(/^tinyml_depthwise_conv2d_s8_mve_taps\(/));
    const wide = grouped.filter((c) => (c.params as DepthwiseConv2DQuantParams).outputWidth >= DW_MVE_MIN_OUTPUT_WIDTH);
    const narrow = grouped.filter((c) => (c.params as DepthwiseConv2DQuantParams).outputWidth < DW_MVE_MIN_OUTPUT_WIDTH);
    expect(wide.length).toBeGreaterThanOrEqual(5);
    expect(narrow.length).toBeGreaterThanOrEqual(5);
    wide.forEach((c) => expect(emitted(c)).toMatch(/^tinyml_depthwise_conv2d_s8_mve\(/));
    narrow.forEach((c) => expect(findKernelVariant('DEPTHWISE_CONV_2D', c.params, M55_TARGET)?.name).toBe('depthwise_conv2d_s8_dsp'));
    expect(findKernelVariant('DEPTHWISE_CONV_2D', taken[0].params, { core: 'cortex-m4', dsp: true, mve: false })?.name).not.toBe(depthwiseConv2dMveVariant.name);
  });

  it('bit-exact on random cases on an emulated Cortex-M55 (-O2 and -Os)', { timeout: 240_000 }, async () => {
    const want = evaluateCases(depthwiseConv2d, taken);
    const got = await runVariantCasesOnM55(depthwiseConv2dMveVariant, taken);
    taken.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    const some = taken.filter((_, i) => i % 4 === 0);
    const gotOs = await runVariantCasesOnM55(depthwiseConv2dMveVariant, some, '-Os');
    some.forEach((c, i) => expect(values(gotOs[i][0]), `-Os ${label(c, i)}`).toEqual(values(want[i * 4][0])));
  });

  // Input depth 1 (any multiplier) runs as a CONV_2D with one input channel on conv2d_mve.c.
  const depth1: VariantCase[] = [];
  for (let i = 0; i < 24; i++) depth1.push(randomDwCase(7000 + i, 'depth1', [1, 3, 8, 13][i % 4]));
  for (let i = 0; i < 4; i++) depth1.push(randomDwCase(7100 + i, 'depth1', 5));

  it('takes input depth 1 with any depth multiplier, as a convolution, on MVE cores only', () => {
    depth1.forEach((c) => expect(findKernelVariant('DEPTHWISE_CONV_2D', c.params, M55_TARGET)).toBe(depthwiseConv2dMveVariant));
    depth1.forEach((c) => expect(depthwiseConv2dMveVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: M55_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }).call).toMatch(/^tinyml_conv2d_s8_mve\(/));
    expect(findKernelVariant('DEPTHWISE_CONV_2D', depth1[0].params, { core: 'cortex-m4', dsp: true, mve: false })?.name).not.toBe(depthwiseConv2dMveVariant.name);
    expect(depthwiseConv2dMveVariant.accepts(randomDwCase(7200, 'depth1-zp', 3).params, M55_TARGET)).toBe(false);
  });

  it('input depth 1: bit-exact on random cases on an emulated Cortex-M55', { timeout: 240_000 }, async () => {
    const want = evaluateCases(depthwiseConv2d, depth1);
    const got = await runVariantCasesOnM55(depthwiseConv2dMveVariant, depth1);
    depth1.forEach((c, i) => expect(values(got[i][0]), `depth1 ${label(c, i)} x${(c.params as DepthwiseConv2DQuantParams).depthMultiplier}`).toEqual(values(want[i][0])));
  });
});
