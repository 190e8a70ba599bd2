/**
 * fully_connected_s8_dsp against FULLY_CONNECTED's evaluate, bit for bit: random depths (tails
 * of rows and inputs), batches, zero points, per-tensor and per-channel scales, every
 * requantization mode, nibble-packed weights; host build with the portable DSP fallbacks, an
 * emulated Cortex-M4 (real instructions and the assembly loops), and an ARM compile check.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fullyConnected, type FullyConnectedQuantParams } from '../../src/ops/fully-connected.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_REF, planOptions } from '../../src/ops/optimized/common.js';
import { FC_MAX_ROW_SCRATCH, fullyConnectedDspVariant } from '../../src/ops/optimized/fully-connected.js';
import {
  HOST_DSP_TARGET,
  compileVariantForArm,
  evaluateCases,
  runVariantCasesInC,
  runVariantCasesOnQemu,
  values,
  type VariantCase,
} from './harness.js';
import { randomFcCase } from './random-cases.js';
import { dspScratchBytes } from '../../src/ops/optimized/index.js';
import type { KernelVariant } from '../../src/ops/kernel-variants.js';

/** The variant as `--optimize size` emits it (the compact layouts: nibbles when they pay). */
const sizeVariant: KernelVariant = {
  ...fullyConnectedDspVariant,
  name: 'fully_connected_s8_dsp_size',
  emitC: (params, names, ctx) => fullyConnectedDspVariant.emitC(params, names, { ...ctx, optimize: 'size' }),
  scratchBytes: (params, constants) => fullyConnectedDspVariant.scratchBytes!(params, constants, 'size'),
};

function modeOf(c: VariantCase): number {
  const em = fullyConnectedDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
  const sliced = /tinyml_fully_connected_s8_dsp_sliced\(.*, (\d)\);/.exec(em.call);
  if (sliced) return Number(sliced[1]);
  const fn = /tinyml_fully_connected_s8_dsp_(?:nib_|pair_)?([a-z]+)/.exec(em.call)![1];
  return fn === 'fast' ? RQ_FAST : fn === 'folded' ? RQ_FAST_FOLDED : RQ_REF;
}

describe('fully_connected_s8_dsp vs FULLY_CONNECTED evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 60; i++) cases.push(randomFcCase(1000 + i, 'fast'));
  for (let i = 0; i < 10; i++) cases.push(randomFcCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomFcCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomFcCase(5000 + i, 'tiny-scale'));
  for (let i = 0; i < 12; i++) cases.push(randomFcCase(6000 + i, 'nibble'));
  for (let i = 0; i < 12; i++) cases.push(randomFcCase(7000 + i, 'dead'));
  // Rows longer than FC_MAX_ROW_SCRATCH allows expanded at once: sliced, accumulators in scratch.
  for (let i = 0; i < 8; i++) cases.push(randomFcCase(8000 + i, 'long'));
  // Paired rows: row counts and inputs not multiples of four, expanded input and in place.
  for (let i = 0; i < 24; i++) cases.push(randomFcCase(9100 + i, 'pair'));
  for (let i = 0; i < 4; i++) cases.push(randomFcCase(9200 + i, 'pair-fallback'));
  // Paired rows whose proof holds over chunks of the row only.
  for (let i = 0; i < 6; i++) cases.push(randomFcCase(9300 + i, 'pair-long'));
  const PAIR_FROM = cases.length - 34;
  const emitted = (c: VariantCase) =>
    fullyConnectedDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
  const emittedSize = (c: VariantCase) => sizeVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });

  it('expands long rows in slices, or reads them in place when they pair', () => {
    const long = cases.filter((c) => (c.params as FullyConnectedQuantParams).inputDepth > FC_MAX_ROW_SCRATCH / 2);
    const sliced = cases.filter((c) => emitted(c).call.includes('tinyml_fully_connected_s8_dsp_sliced('));
    expect(sliced.length).toBeGreaterThanOrEqual(5);
    const consts = (c: VariantCase) => c.inputs.map((d, i) => (i > 0 ? d : undefined));
    long.forEach((c) => expect(emitted(c).call.includes('_sliced(') || (emitted(c).call.includes('_pair_') && fullyConnectedDspVariant.scratchBytes!(c.params, consts(c)) === 0)).toBe(true));
    sliced.forEach((c) => expect((c.params as FullyConnectedQuantParams).inputDepth).toBeGreaterThan(FC_MAX_ROW_SCRATCH / 2));
  });

  it('packs low-entropy weights into nibbles with --optimize size when that saves a quarter of their bytes', async () => {
    const nib = cases.filter((c) => emittedSize(c).call.includes('_nib_'));
    expect(nib.length).toBeGreaterThanOrEqual(8);
    expect(nib.every((c) => (c.params as FullyConnectedQuantParams).inputDepth >= 64)).toBe(true);
    expect(cases.filter((c) => emitted(c).call.includes('_nib_'))).toEqual([]);
  });

  it('pairs rows whenever that is exact, expanding the input for 16 rows or more', () => {
    const pairs = cases.filter((c) => emitted(c).call.includes('_pair_'));
    // Every symmetric-weight case pairs; each forced fallback does not.
    for (let i = 0; i < 24; i++) expect(pairs).toContain(cases[PAIR_FROM + i]);
    for (let i = 0; i < 4; i++) expect(pairs).not.toContain(cases[PAIR_FROM + 24 + i]);
    const chunked = cases.slice(PAIR_FROM + 28).map((c) => /\.pair_chunk_k4 = (\d+),/.exec(emitted(c).decls)![1]);
    cases.slice(PAIR_FROM + 28).forEach((c, i) => expect(Number(chunked[i])).toBeLessThan(Math.ceil((c.params as FullyConnectedQuantParams).inputDepth / 4)));
    const expanded = pairs.filter((c) => (fullyConnectedDspVariant.scratchBytes!(c.params, c.inputs.map((d, i) => (i > 0 ? d : undefined))) ?? 0) > 0);
    expect(expanded.every((c) => Math.ceil((c.params as FullyConnectedQuantParams).outputDepth / 4) >= 4)).toBe(true);
    expect(expanded.length).toBeGreaterThan(4);
    expect(pairs.length - expanded.length).toBeGreaterThan(4);
    expect(pairs.some((c) => (c.params as FullyConnectedQuantParams).outputDepth % 4 !== 0)).toBe(true);
    expect(pairs.some((c) => (c.params as FullyConnectedQuantParams).inputDepth % 4 !== 0)).toBe(true);
  });

  const unfolded = [...cases.slice(0, 30), ...cases.slice(90, 102)];
  afterAll(() => {
    planOptions.fold = true;
  });

  it('covers every requantization mode', async () => {
    expect([...new Set(cases.map(modeOf))].sort()).toEqual([RQ_FAST_FOLDED, RQ_REF].sort());
    planOptions.fold = false;
    expect(new Set(unfolded.map(modeOf)).has(RQ_FAST)).toBe(true);
    planOptions.fold = true;
  });

  it('accepts int8 without a weights zero point, on DSP targets only', async () => {
    expect(fullyConnectedDspVariant.accepts(cases[0].params, HOST_DSP_TARGET)).toBe(true);
    expect(fullyConnectedDspVariant.accepts(cases[0].params, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
    const zp = randomFcCase(9, 'fast', 3).params as FullyConnectedQuantParams;
    expect(zp.weightsOffset).toBe(-3);
    expect(fullyConnectedDspVariant.accepts(zp, HOST_DSP_TARGET)).toBe(false);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks)', async () => {
    const got = await runVariantCasesInC(fullyConnectedDspVariant, cases);
    const want = evaluateCases(fullyConnected, cases);
    cases.forEach((c, i) => {
      const p = c.params as FullyConnectedQuantParams;
      expect(values(got[i][0]), `case ${i}: ${p.batches}x${p.inputDepth} -> ${p.outputDepth} mode ${modeOf(c)}`).toEqual(values(want[i][0]));
    });
  });

  it('runs in a planned scratch buffer of exactly dspScratchBytes bytes (host, AddressSanitizer)', async () => {
    const some = cases.filter((_, i) => i % 3 === 0);
    const planned = (c: VariantCase) => dspScratchBytes('FULLY_CONNECTED', c.params, HOST_DSP_TARGET);
    const em = fullyConnectedDspVariant.emitC(some[0].params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: some[0].inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' } as never);
    expect(em.decls + em.call).not.toMatch(/TINYML_DSP_SCRATCH/);
    expect(em.call).toContain('(void *)(buf)');
    const want = evaluateCases(fullyConnected, some);
    const got = await runVariantCasesInC(fullyConnectedDspVariant, some, planned);
    some.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('bit-exact on random cases on an emulated Cortex-M4 (real instructions)', { timeout: 120_000 }, async () => {
    const want = evaluateCases(fullyConnected, cases);
    const got = await runVariantCasesOnQemu(fullyConnectedDspVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
    planOptions.fold = false;
    const wantU = evaluateCases(fullyConnected, unfolded);
    const gotU = await runVariantCasesOnQemu(fullyConnectedDspVariant, unfolded, '-Os');
    planOptions.fold = true;
    unfolded.forEach((c, i) => expect(values(gotU[i][0]), `unfolded -Os case ${i}`).toEqual(values(wantU[i][0])));
  });

  it('--optimize size layouts (nibbles, four-row int8) bit-exact on the host and an emulated Cortex-M4', { timeout: 120_000 }, async () => {
    const some = cases.filter((c, i) => i % 4 === 0 || emittedSize(c).call.includes('_nib_'));
    const want = evaluateCases(fullyConnected, some);
    const [host, m4] = await Promise.all([runVariantCasesInC(sizeVariant, some), runVariantCasesOnQemu(sizeVariant, some)]);
    some.forEach((c, i) => {
      expect(values(host[i][0]), `host case ${i}`).toEqual(values(want[i][0]));
      expect(values(m4[i][0]), `qemu case ${i}`).toEqual(values(want[i][0]));
    });
  });

  it('compiles for Cortex-M4 without warnings', async () => {
    await compileVariantForArm(fullyConnectedDspVariant, [...cases.slice(0, 3), cases[cases.length - 1]]);
  });
});
