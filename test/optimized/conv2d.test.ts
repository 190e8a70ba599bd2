/**
 * conv2d_s8_dsp (firmware/kernels/arm/conv2d_dsp.c) against CONV_2D's evaluate, bit for bit, on
 * random shapes, strides, dilations, padding, zero points, per-tensor and per-channel scales and
 * every requantization mode: compiled for the host with the portable DSP fallbacks, and run on
 * an emulated Cortex-M4 with the real instructions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_REF, planOptions } from '../../src/ops/optimized/common.js';
import { CONV_W16_MIN_PIXELS, conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import {
  HOST_DSP_TARGET,
  compileVariantForArm,
  evaluateCases,
  runVariantCasesInC,
  runVariantCasesOnQemu,
  values,
  type VariantCase,
} from './harness.js';
import { randomConvCase } from './random-cases.js';
import { dspScratchBytes } from '../../src/ops/optimized/index.js';
import { conv2dStemDspVariant } from '../../src/ops/optimized/conv2d-stem.js';

function emitted(c: VariantCase) {
  return conv2dDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
}

function modeOf(c: VariantCase): number {
  // Without TINYML_RQ_NOFIX (4), the flag of layers whose sign correction is dead.
  return Number(/\.mode = (\d+)/.exec(emitted(c).decls)![1]) & 3;
}

/** Each channel's {m, t, e} from the weight stream (each row followed by its record {m, t, e, bias'}). */
function records(c: VariantCase): [number, number, number][] {
  const em = emitted(c);
  const words = /x_w\[\d+\][^=]*= \{([^}]*)\}/.exec(em.decls)![1].split(',').map((v) => Number(v.trim().replace(/u$/, '')) | 0);
  const n = (c.params as Conv2DQuantParams).outputDepth;
  const stride = words.length / n;
  return Array.from({ length: n }, (_, ch) => {
    const r = (ch + 1) * stride - 4;
    return [words[r], words[r + 1], words[r + 2]];
  });
}

function label(c: VariantCase, i: number): string {
  const p = c.params as Conv2DQuantParams;
  return `case ${i}: ${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} d${p.dilationHeight} -> ${p.outputHeight}x${p.outputWidth}x${p.outputDepth} mode ${modeOf(c)}`;
}

describe('conv2d_s8_dsp vs CONV_2D evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 60; i++) cases.push(randomConvCase(1000 + i, 'fast'));
  for (let i = 0; i < 20; i++) cases.push(randomConvCase(2000 + i, 'pointwise'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(5000 + i, 'tiny-scale'));
  for (let i = 0; i < 12; i++) cases.push(randomConvCase(6000 + i, 'dead'));
  // Legacy uint8 models: weights with a zero point, stored minus it as int16.
  for (let i = 0; i < 16; i++) cases.push(randomConvCase(7000 + i, 'weights-zp'));
  // The same cases again with the FOLDED mode off: FAST's own path (offset added after the shift).
  const unfolded: VariantCase[] = cases.slice(0, 40);
  afterAll(() => {
    planOptions.fold = true;
  });

  it('covers every requantization mode', async () => {
    expect([...new Set(cases.map(modeOf))].sort()).toEqual([RQ_FAST_FOLDED, RQ_REF].sort());
    planOptions.fold = false;
    expect(new Set(unfolded.map(modeOf)).has(RQ_FAST)).toBe(true);
    planOptions.fold = true;
  });

  it('uses int16 weights for layers with many output pixels or weights with a zero point, int8 otherwise', async () => {
    const w16 = cases.filter((c) => /tinyml_conv2d_s8_dsp_w16(_nf)?\(/.test(emitted(c).call));
    expect(w16.length).toBeGreaterThanOrEqual(5);
    expect(w16.length).toBeLessThan(cases.length - 20);
    w16.forEach((c) => {
      const p = c.params as Conv2DQuantParams;
      if (p.weightsOffset === 0) expect(p.batches * p.outputHeight * p.outputWidth).toBeGreaterThanOrEqual(CONV_W16_MIN_PIXELS);
    });
    const zp = cases.filter((c) => (c.params as Conv2DQuantParams).weightsOffset !== 0);
    expect(zp.length).toBeGreaterThan(10);
    zp.forEach((c) => expect(w16).toContain(c));
  });

  it('requantizes channels with a constant output as constants, keeping the FAST path', async () => {
    const dead = cases.filter((c) => records(c).some(([m, , e]) => m === 0 && e === 1) && modeOf(c) !== RQ_REF);
    expect(dead.length).toBeGreaterThanOrEqual(6);
  });

  it('accepts int8, groups 1, on DSP targets only', async () => {
    expect(conv2dDspVariant.accepts(cases[0].params, HOST_DSP_TARGET)).toBe(true);
    expect(conv2dDspVariant.accepts(cases[0].params, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
    expect(conv2dDspVariant.accepts({ ...(cases[0].params as Conv2DQuantParams), groups: 2 }, HOST_DSP_TARGET)).toBe(false);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks)', async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesInC(conv2dDspVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    planOptions.fold = false;
    const got2 = await runVariantCasesInC(conv2dDspVariant, unfolded);
    planOptions.fold = true;
    unfolded.forEach((c, i) => expect(values(got2[i][0]), `unfolded ${label(c, i)}`).toEqual(values(want[i][0])));
  });

  it('runs in a planned scratch buffer of exactly dspScratchBytes bytes (host, AddressSanitizer)', async () => {
    // Layers the stem kernel takes plan its scratch (test/optimized/conv2d-stem.test.ts).
    const some = cases.filter((c, i) => i % 3 === 0 && !conv2dStemDspVariant.accepts(c.params, HOST_DSP_TARGET));
    const planned = (c: VariantCase) => dspScratchBytes('CONV_2D', c.params, HOST_DSP_TARGET);
    const em = conv2dDspVariant.emitC(some[0].params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: some[0].inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' } as never);
    expect(em.decls + em.call).not.toMatch(/TINYML_DSP_SCRATCH/);
    expect(em.call).toContain('(void *)(buf)');
    const want = evaluateCases(conv2d, some);
    const got = await runVariantCasesInC(conv2dDspVariant, some, planned);
    some.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('bit-exact on random cases on an emulated Cortex-M4 (real instructions)', { timeout: 120_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesOnQemu(conv2dDspVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    planOptions.fold = false;
    const got2 = await runVariantCasesOnQemu(conv2dDspVariant, unfolded, '-Os');
    planOptions.fold = true;
    unfolded.forEach((c, i) => expect(values(got2[i][0]), `unfolded -Os ${label(c, i)}`).toEqual(values(want[i][0])));
  });

  it('compiles for Cortex-M4 without warnings', async () => {
    await compileVariantForArm(conv2dDspVariant, cases.slice(0, 3));
  });
});
