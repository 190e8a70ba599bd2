/**
 * depthwise_conv2d_s8_dsp against DEPTHWISE_CONV_2D's evaluate, bit for bit, on random shapes,
 * strides, dilations, padding, zero points, scales and every requantization mode: host build
 * with the portable DSP fallbacks, and an emulated Cortex-M4 (the 3x3 assembly paths).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { depthwiseConv2d, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_REF, planOptions } from '../../src/ops/optimized/common.js';
import { depthwiseConv2dDspVariant } from '../../src/ops/optimized/depthwise-conv2d.js';
import {
  HOST_DSP_TARGET,
  compileVariantForArm,
  evaluateCases,
  runVariantCasesInC,
  runVariantCasesOnQemu,
  values,
  type VariantCase,
} from './harness.js';
import { randomDwCase, type DwShape } from './random-cases.js';
import { dspScratchBytes } from '../../src/ops/optimized/index.js';
import { depthwiseConv2dStemDspVariant } from '../../src/ops/optimized/conv2d-stem.js';

function modeOf(c: VariantCase): number {
  const em = depthwiseConv2dDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
  const conv = /\.mode = (\d+)/.exec(em.decls);
  if (conv) return Number(conv[1]) & 3;
  const fn = /conv2d_s8_dsp_([a-z]+)/.exec(em.call)![1];
  return fn === 'fast' ? RQ_FAST : fn === 'folded' ? RQ_FAST_FOLDED : RQ_REF;
}

function label(c: VariantCase, i: number): string {
  const p = c.params as DepthwiseConv2DQuantParams;
  return `case ${i}: ${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} d${p.dilationHeight} p${p.padHeight},${p.padWidth} mode ${modeOf(c)}`;
}

describe('depthwise_conv2d_s8_dsp vs DEPTHWISE_CONV_2D evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 60; i++) cases.push(randomDwCase(1000 + i, 'fast'));
  for (let i = 0; i < 30; i++) cases.push(randomDwCase(2000 + i, 'k3'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(5000 + i, 'tiny-scale'));
  for (let i = 0; i < 12; i++) cases.push(randomDwCase(6000 + i, 'dead'));
  // Input depth 1 with a multiplier (micro_speech's first layer): a plain convolution.
  for (let i = 0; i < 12; i++) cases.push(randomDwCase(7000 + i, 'depth1', 1 + (i % 8)));
  // Legacy uint8 models: weights with a zero point, stored minus it as int16 (both paths).
  for (let i = 0; i < 16; i++) cases.push(randomDwCase(8000 + i, 'weights-zp'));
  for (let i = 0; i < 6; i++) cases.push(randomDwCase(9000 + i, 'depth1-zp', 1 + (i % 4)));
  const unfolded = [...cases.slice(0, 20), ...cases.slice(60, 90)];
  afterAll(() => {
    planOptions.fold = true;
  });

  it('covers every requantization mode', async () => {
    expect([...new Set(cases.map(modeOf))].sort()).toEqual([RQ_FAST_FOLDED, RQ_REF].sort());
    planOptions.fold = false;
    expect(new Set(unfolded.map(modeOf)).has(RQ_FAST)).toBe(true);
    planOptions.fold = true;
  });

  it('accepts int8 with depth multiplier 1 on DSP targets only', async () => {
    expect(depthwiseConv2dDspVariant.accepts(cases[0].params, HOST_DSP_TARGET)).toBe(true);
    expect(depthwiseConv2dDspVariant.accepts(cases[0].params, { core: 'host', dsp: false, mve: false })).toBe(false);
    expect(depthwiseConv2dDspVariant.accepts(randomDwCase(7, 'fast', 2).params, HOST_DSP_TARGET)).toBe(false);
    expect(depthwiseConv2dDspVariant.accepts(randomDwCase(7, 'depth1', 8).params, HOST_DSP_TARGET)).toBe(true);
    // Weights with a zero point: int16 weights, so the conv path (input depth 1) not when optimizing for size.
    const zpChannels = cases.find((c) => (c.params as DepthwiseConv2DQuantParams).weightsOffset !== 0 && (c.params as DepthwiseConv2DQuantParams).inputDepth > 1)!;
    expect(depthwiseConv2dDspVariant.accepts(zpChannels.params, HOST_DSP_TARGET, 'size')).toBe(true);
    expect(depthwiseConv2dDspVariant.accepts(randomDwCase(9000, 'depth1-zp', 2).params, HOST_DSP_TARGET)).toBe(true);
    expect(depthwiseConv2dDspVariant.accepts(randomDwCase(9000, 'depth1-zp', 2).params, HOST_DSP_TARGET, 'size')).toBe(false);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks)', async () => {
    const want = evaluateCases(depthwiseConv2d, cases);
    const got = await runVariantCasesInC(depthwiseConv2dDspVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
  });

  it('runs in a planned scratch buffer of exactly dspScratchBytes bytes (host, AddressSanitizer)', { timeout: 180_000 }, async () => {
    // Layers the stem kernel takes plan its scratch (test/optimized/conv2d-stem.test.ts).
    const some = cases.filter((c, i) => i % 3 === 0 && !depthwiseConv2dStemDspVariant.accepts(c.params, HOST_DSP_TARGET));
    const planned = (c: VariantCase) => dspScratchBytes('DEPTHWISE_CONV_2D', c.params, HOST_DSP_TARGET);
    const em = depthwiseConv2dDspVariant.emitC(some[0].params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: some[0].inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' } as never);
    expect(em.decls + em.call).not.toMatch(/TINYML_DSP_SCRATCH/);
    expect(em.call).toContain('(void *)(buf)');
    const want = evaluateCases(depthwiseConv2d, some);
    const got = await runVariantCasesInC(depthwiseConv2dDspVariant, some, planned);
    some.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('bit-exact on random cases on an emulated Cortex-M4 (real instructions)', { timeout: 120_000 }, async () => {
    const want = evaluateCases(depthwiseConv2d, cases);
    const got = await runVariantCasesOnQemu(depthwiseConv2dDspVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    planOptions.fold = false;
    const wantU = evaluateCases(depthwiseConv2d, unfolded);
    const gotU = await runVariantCasesOnQemu(depthwiseConv2dDspVariant, unfolded, '-Os');
    planOptions.fold = true;
    unfolded.forEach((c, i) => expect(values(gotU[i][0]), `unfolded -Os ${label(c, i)}`).toEqual(values(wantU[i][0])));
  });

  it('compiles for Cortex-M4 without warnings', async () => {
    await compileVariantForArm(depthwiseConv2dDspVariant, cases.slice(0, 3));
  });
});

/**
 * The row kernel's whole-row assembly loop (3x3, depth a multiple of 4, no fused clamp, FAST or
 * FOLDED): every pixel of an output row, its channel groups and the step to the next pixel in
 * one loop; one pixel a row, one group a pixel, strides 1 and 2, padding, two batches, and the
 * per-pixel calls it keeps in a row-streamed pair.
 */
describe('depthwise_conv2d_s8_dsp row kernel: a whole output row in one assembly loop', () => {
  const shapes: Partial<DwShape>[] = [
    { inH: 12, inW: 12, inC: 32, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 6, inW: 6, inC: 64, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 3, inW: 3, inC: 64, strideH: 1, strideW: 1, padding: 'SAME' },
    { inH: 5, inW: 1, inC: 4, strideH: 1, strideW: 1, padding: 'SAME' },
    { inH: 4, inW: 3, inC: 8, strideH: 1, strideW: 1, padding: 'VALID' },
    { inH: 9, inW: 7, inC: 12, strideH: 2, strideW: 1, padding: 'SAME', batches: 2 },
    { inH: 7, inW: 10, inC: 16, strideH: 1, strideW: 2, padding: 'VALID' },
  ];
  const rowCases = shapes.map((s, i) => randomDwCase(31000 + i, 'k3', 1, { batches: 1, ...s, activation: 'NONE' }));
  const emit = (c: VariantCase, rowBands = false) =>
    depthwiseConv2dDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf', rowBands });

  it('the cases run the row kernel in a FAST mode with no fused clamp, a row-streamed pair too (its whole-row loop)', () => {
    for (const c of rowCases) {
      const em = emit(c);
      expect(em.decls).toMatch(/\.band_rows = 0,/);
      expect(em.decls).toMatch(/\.pixel_calls = 0,/);
      expect(em.call).toMatch(/_(fast|folded)_full\(/);
      expect(emit(c, true).decls).toMatch(/\.pixel_calls = 0,/);
    }
  });

  it('bit-exact on an emulated Cortex-M4, -O2 and -Os', { timeout: 120_000 }, async () => {
    const want = evaluateCases(depthwiseConv2d, rowCases);
    for (const opt of ['-O2', '-Os'] as const) {
      const got = await runVariantCasesOnQemu(depthwiseConv2dDspVariant, rowCases, opt);
      rowCases.forEach((c, i) => expect(values(got[i][0]), `${opt} ${label(c, i)}`).toEqual(values(want[i][0])));
    }
  });
});
