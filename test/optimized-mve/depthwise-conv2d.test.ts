/**
 * depthwise_conv2d_s8_mve (firmware/kernels/mve/depthwise_conv2d_mve.c) against
 * DEPTHWISE_CONV_2D's evaluate, bit for bit, on an emulated Cortex-M55: random shapes (depths
 * that are and are not multiples of 4, rows wide enough for the four-pixel blocks and narrow
 * ones), strides, dilations, padding, zero points and every kind of scale and bias.
 */
import { describe, expect, it } from 'vitest';
import { depthwiseConv2d, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { DW_MVE_MIN_OUTPUT_WIDTH, depthwiseConv2dMveVariant } from '../../src/ops/optimized-mve/depthwise-conv2d.js';
import { findKernelVariant } from '../../src/ops/kernel-variants.js';
import '../../src/ops/optimized/index.js';
import '../../src/ops/optimized-mve/index.js';
import { evaluateCases, values, type VariantCase } from '../optimized/harness.js';
import { randomDwCase } from '../optimized/random-cases.js';
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
  const taken = cases.filter((c) => {
    const p = c.params as DepthwiseConv2DQuantParams;
    return p.depthMultiplier === 1 && p.inputDepth > 1;
  });

  it('takes depth multiplier 1 with input depth > 1 and rows of 8 pixels or more on MVE cores; the rest falls through to the DSP variant', () => {
    expect(taken.length).toBeGreaterThanOrEqual(100);
    const wide = taken.filter((c) => (c.params as DepthwiseConv2DQuantParams).outputWidth >= DW_MVE_MIN_OUTPUT_WIDTH);
    const narrow = taken.filter((c) => (c.params as DepthwiseConv2DQuantParams).outputWidth < DW_MVE_MIN_OUTPUT_WIDTH);
    expect(wide.length).toBeGreaterThanOrEqual(10);
    expect(narrow.length).toBeGreaterThanOrEqual(10);
    wide.forEach((c) => expect(findKernelVariant('DEPTHWISE_CONV_2D', c.params, M55_TARGET)).toBe(depthwiseConv2dMveVariant));
    narrow.forEach((c) => expect(findKernelVariant('DEPTHWISE_CONV_2D', c.params, M55_TARGET)?.name).toBe('depthwise_conv2d_s8_dsp'));
    expect(findKernelVariant('DEPTHWISE_CONV_2D', taken[0].params, { core: 'cortex-m4', dsp: true, mve: false })?.name).not.toBe(depthwiseConv2dMveVariant.name);
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

  it('bit-exact on random cases on an emulated Cortex-M55 (-O2 and -Os)', { timeout: 240_000 }, async () => {
    const want = evaluateCases(depthwiseConv2d, taken);
    const got = await runVariantCasesOnM55(depthwiseConv2dMveVariant, taken);
    taken.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    const some = taken.filter((_, i) => i % 4 === 0);
    const gotOs = await runVariantCasesOnM55(depthwiseConv2dMveVariant, some, '-Os');
    some.forEach((c, i) => expect(values(gotOs[i][0]), `-Os ${label(c, i)}`).toEqual(values(want[i * 4][0])));
  });
});
