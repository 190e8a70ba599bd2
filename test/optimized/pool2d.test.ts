/**
 * average_pool2d_s8_dsp against AVERAGE_POOL_2D's evaluate, bit for bit: depths with and without
 * a tail of channels, clipped windows, strides, fused activations, whole-input windows, a
 * window of the most taps the int16 sums allow filled with -128 and with 127; host build with
 * the portable DSP fallbacks, an emulated Cortex-M4, and an ARM compile check.
 */
import { describe, expect, it } from 'vitest';
import { averagePool2d, type Pool2DParams } from '../../src/ops/pool2d.js';
import { POOL_DSP_MAX_TAPS, averagePoolDspVariant } from '../../src/ops/optimized/pool2d.js';
import { randomAvgPoolCase } from './random-cases.js';
import { HOST_DSP_TARGET, compileVariantForArm, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values } from './harness.js';

describe('average_pool2d_s8_dsp vs AVERAGE_POOL_2D evaluate', () => {
  const cases = [
    ...Array.from({ length: 40 }, (_, i) => randomAvgPoolCase(500 + i)),
    ...Array.from({ length: 10 }, (_, i) => randomAvgPoolCase(600 + i, true)),
    // 16 x 16 taps of -128 and of 127: the extreme sums of the int16 halves.
    randomAvgPoolCase(700, true, { size: 16, depth: 8, value: -128 }),
    randomAvgPoolCase(701, true, { size: 16, depth: 8, value: 127 }),
  ];

  it('accepts int8 windows of at most 256 taps on DSP targets, not with --optimize size', () => {
    const p = cases[0].params as Pool2DParams;
    expect(averagePoolDspVariant.accepts(p, HOST_DSP_TARGET)).toBe(true);
    expect(averagePoolDspVariant.accepts(p, HOST_DSP_TARGET, 'size')).toBe(false);
    expect(averagePoolDspVariant.accepts(p, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
    expect(averagePoolDspVariant.accepts({ ...p, filterH: 16, filterW: POOL_DSP_MAX_TAPS / 16 + 1 }, HOST_DSP_TARGET)).toBe(false);
    expect(cases.some((c) => (c.params as Pool2DParams).depth % 4 !== 0)).toBe(true);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks)', async () => {
    const got = await runVariantCasesInC(averagePoolDspVariant, cases);
    const want = evaluateCases(averagePool2d, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('bit-exact on an emulated Cortex-M4 (real instructions)', { timeout: 120_000 }, async () => {
    const got = await runVariantCasesOnQemu(averagePoolDspVariant, cases);
    const want = evaluateCases(averagePool2d, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('compiles for Cortex-M4 without warnings', async () => {
    await compileVariantForArm(averagePoolDspVariant, cases.slice(0, 2));
  });
});
