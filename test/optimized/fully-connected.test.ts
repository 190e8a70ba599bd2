/**
 * fully_connected_s8_dsp against FULLY_CONNECTED's evaluate, bit for bit: random depths (tails
 * of rows and inputs), batches, zero points, per-tensor and per-channel scales, every
 * requantization mode; host build with the portable DSP fallbacks, and an ARM compile check.
 */
import { describe, expect, it } from 'vitest';
import type { FusedActivation } from '../../src/ir/attrs.js';
import { fullyConnected, type FullyConnectedQuantParams } from '../../src/ops/fully-connected.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_REF } from '../../src/ops/optimized/common.js';
import { fullyConnectedDspVariant } from '../../src/ops/optimized/fully-connected.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';
import { HOST_DSP_TARGET, armToolchainAvailable, compileVariantForArm, evaluateCases, runVariantCasesInC, type VariantCase } from './harness.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'NONE'];

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

type Kind = 'fast' | 'big-bias' | 'big-scale' | 'tiny-scale' | 'nibble';

export function randomFcCase(seed: number, kind: Kind = 'fast', weightsZeroPoint = 0): VariantCase {
  const r = rng(seed);
  const nibble = kind === 'nibble';
  const k = nibble ? int(r, 64, 200) : r() < 0.5 ? 4 * int(r, 1, 40) : int(r, 1, 150);
  const n = nibble ? int(r, 16, 41) : int(r, 1, 23);
  const batches = r() < 0.2 ? int(r, 2, 3) : 1;
  const perChannel = weightsZeroPoint === 0 && r() < 0.5;
  const scales = Array.from({ length: perChannel ? n : 1 }, () =>
    kind === 'big-scale' ? 0.5 + r() * 3 : kind === 'tiny-scale' ? 2 ** -int(r, 20, 30) : 0.001 + r() * 0.01,
  );
  // Nibble cases: mostly small weights (they pack into 4 bits), a few outliers anywhere.
  const weights = nibble ? Int8Array.from(randomInt8(n * k, r), (w, i) => (i % 61 === 3 || r() < 0.01 ? w : w >> 4)) : randomInt8(n * k, r);
  const biasRange = kind === 'big-bias' ? 2 ** 31 - 1 : 5000;
  const bias = r() < 0.85 ? randomInt32(n, r, -biasRange, biasRange) : undefined;
  const inSpec = { shape: [batches, k], dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(r, -128, 127) } };
  const wSpec = {
    shape: [n, k],
    dtype: 'int8' as const,
    quant: { scale: scales, zeroPoint: scales.map(() => weightsZeroPoint), quantizedDimension: 0 },
    data: weights,
  };
  const bSpec = bias ? { shape: [n], dtype: 'int32' as const, data: bias } : undefined;
  const attrs = { activation: ACTIVATIONS[int(r, 0, ACTIVATIONS.length - 1)], keepNumDims: false };
  const ctx = singleOpContext('FULLY_CONNECTED', attrs, [inSpec, wSpec, bSpec], [
    { shape: [batches, n], dtype: 'int8', quant: { scale: 0.05 + r() * 0.2, zeroPoint: int(r, -128, 127) } },
  ]);
  const params = fullyConnected.prepare(ctx);
  return { ctx, params, inputs: [randomInt8(batches * k, r), weights, bias] };
}

function modeOf(c: VariantCase): number {
  const em = fullyConnectedDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)) });
  const fn = /tinyml_fully_connected_s8_dsp_(?:nib_)?([a-z]+)/.exec(em.call)![1];
  return fn === 'fast' ? RQ_FAST : fn === 'folded' ? RQ_FAST_FOLDED : RQ_REF;
}

describe('fully_connected_s8_dsp vs FULLY_CONNECTED evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 60; i++) cases.push(randomFcCase(1000 + i, 'fast'));
  for (let i = 0; i < 10; i++) cases.push(randomFcCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomFcCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomFcCase(5000 + i, 'tiny-scale'));
  for (let i = 0; i < 12; i++) cases.push(randomFcCase(6000 + i, 'nibble'));
  const emitted = (c: VariantCase) =>
    fullyConnectedDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)) });

  it('packs low-entropy weights into nibbles when that saves a quarter of their bytes', () => {
    const nib = cases.filter((c) => emitted(c).call.includes('_nib_'));
    expect(nib.length).toBeGreaterThanOrEqual(8);
    expect(nib.every((c) => (c.params as FullyConnectedQuantParams).inputDepth >= 64)).toBe(true);
  });

  it('covers every requantization mode', () => {
    expect([...new Set(cases.map(modeOf))].sort()).toEqual([RQ_FAST, RQ_FAST_FOLDED, RQ_REF].sort());
  });

  it('accepts int8 without a weights zero point, on DSP targets only', () => {
    expect(fullyConnectedDspVariant.accepts(cases[0].params, HOST_DSP_TARGET)).toBe(true);
    expect(fullyConnectedDspVariant.accepts(cases[0].params, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
    const zp = randomFcCase(9, 'fast', 3).params as FullyConnectedQuantParams;
    expect(zp.weightsOffset).toBe(-3);
    expect(fullyConnectedDspVariant.accepts(zp, HOST_DSP_TARGET)).toBe(false);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks)', () => {
    const got = runVariantCasesInC(fullyConnectedDspVariant, cases);
    const want = evaluateCases(fullyConnected, cases);
    cases.forEach((c, i) => {
      const p = c.params as FullyConnectedQuantParams;
      expect(Array.from(got[i][0]), `case ${i}: ${p.batches}x${p.inputDepth} -> ${p.outputDepth} mode ${modeOf(c)}`).toEqual(Array.from(want[i][0]));
    });
  });

  it.skipIf(!armToolchainAvailable())('compiles for Cortex-M4 without warnings', () => {
    compileVariantForArm(fullyConnectedDspVariant, [...cases.slice(0, 3), cases[cases.length - 1]]);
  });
});
