/**
 * fully_connected_s8_mve (a FULLY_CONNECTED layer on firmware/kernels/mve/conv2d_mve.c's direct
 * 1x1 path) against FULLY_CONNECTED's evaluate, bit for bit, on an emulated Cortex-M55: random
 * depths (row tails under 16), unit counts (group tails under 4), batches, zero points,
 * per-tensor and per-channel scales, huge biases, scales >= 1, tiny scales, dead units and rows
 * longer than the DSP kernel expands at once.
 */
import { describe, expect, it } from 'vitest';
import { fullyConnected, type FullyConnectedQuantParams } from '../../src/ops/fully-connected.js';
import { fullyConnectedMveVariant } from '../../src/ops/optimized-mve/fully-connected.js';
import { findKernelVariant } from '../../src/ops/kernel-variants.js';
import '../../src/ops/optimized/index.js';
import '../../src/ops/optimized-mve/index.js';
import { evaluateCases, values, type VariantCase } from '../optimized/harness.js';
import { randomFcCase } from '../optimized/random-cases.js';
import { M55_TARGET, runVariantCasesOnM55 } from './harness.js';

function label(c: VariantCase, i: number): string {
  const p = c.params as FullyConnectedQuantParams;
  return `case ${i}: ${p.batches}x${p.inputDepth} -> ${p.outputDepth}${p.perChannel ? ' per-channel' : ''}`;
}

describe('fully_connected_s8_mve vs FULLY_CONNECTED evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 40; i++) cases.push(randomFcCase(1000 + i, 'fast'));
  for (let i = 0; i < 8; i++) cases.push(randomFcCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 8; i++) cases.push(randomFcCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 6; i++) cases.push(randomFcCase(4500 + i, 'huge-scale'));
  for (let i = 0; i < 8; i++) cases.push(randomFcCase(5000 + i, 'tiny-scale'));
  for (let i = 0; i < 8; i++) cases.push(randomFcCase(6000 + i, 'dead'));
  for (let i = 0; i < 4; i++) cases.push(randomFcCase(8000 + i, 'long'));

  it('is the variant chosen for int8 layers without a weights zero point on MVE cores only', () => {
    cases.forEach((c) => expect(findKernelVariant('FULLY_CONNECTED', c.params, M55_TARGET)).toBe(fullyConnectedMveVariant));
    expect(findKernelVariant('FULLY_CONNECTED', cases[0].params, { core: 'cortex-m4', dsp: true, mve: false })?.name).toBe('fully_connected_s8_dsp');
    const zp = randomFcCase(9, 'fast', 3).params;
    expect(fullyConnectedMveVariant.accepts(zp, M55_TARGET)).toBe(false);
  });

  it('covers row and unit tails, batches and both scale kinds', () => {
    const ps = cases.map((c) => c.params as FullyConnectedQuantParams);
    expect(ps.filter((p) => p.inputDepth % 16 !== 0).length).toBeGreaterThanOrEqual(20);
    expect(ps.filter((p) => p.outputDepth % 4 !== 0).length).toBeGreaterThanOrEqual(20);
    expect(ps.filter((p) => p.batches > 1).length).toBeGreaterThanOrEqual(5);
    expect(ps.filter((p) => p.perChannel).length).toBeGreaterThanOrEqual(20);
    expect(ps.filter((p) => !p.perChannel).length).toBeGreaterThanOrEqual(20);
    // Short rows (K <= 32): with 8 rows or more the convolution's pointwise path (one output unit
    // at a time over all rows), with fewer its four units x two rows per step.
    expect(ps.filter((p) => p.inputDepth <= 32).length, ps.map((p) => p.inputDepth).join(' ')).toBeGreaterThanOrEqual(5);
  });

  it('bit-exact on random cases on an emulated Cortex-M55 (-O2 and -Os)', { timeout: 240_000 }, async () => {
    const want = evaluateCases(fullyConnected, cases);
    const got = await runVariantCasesOnM55(fullyConnectedMveVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    const some = cases.filter((_, i) => i % 4 === 0);
    const gotOs = await runVariantCasesOnM55(fullyConnectedMveVariant, some, '-Os');
    some.forEach((c, i) => expect(values(gotOs[i][0]), `-Os ${label(c, i)}`).toEqual(values(want[i * 4][0])));
  });
});
