/**
 * add_s8_dsp / sub_s8_dsp against ADD/SUB evaluate, bit for bit: random scales (including
 * ones that need the REF requantization), zero points, fused activations and sizes; host build
 * with the portable DSP fallbacks, an emulated Cortex-M4, and an ARM compile check.
 */
import { describe, expect, it } from 'vitest';
import { add, sub, type AddSubQuantParams } from '../../src/ops/add-sub.js';
import { addDspVariant, subDspVariant } from '../../src/ops/optimized/add-sub.js';
import { everyBytePairCase, randomAddSubCase } from './random-cases.js';
import {
  HOST_DSP_TARGET,
  compileVariantForArm,
  evaluateCases,
  runVariantCasesInC,
  runVariantCasesOnQemu,
  values,
  type VariantCase,
} from './harness.js';

for (const type of ['ADD', 'SUB'] as const) {
  const variant = type === 'ADD' ? addDspVariant : subDspVariant;
  const def = type === 'ADD' ? add : sub;
  describe(`${variant.name} vs ${type} evaluate`, () => {
    const cases = Array.from({ length: 60 }, (_, i) => randomAddSubCase(type, 100 * (type === 'ADD' ? 1 : 2) + i));
    cases.push(everyBytePairCase(type, 7));

    it('accepts int8 without broadcasting on DSP targets only', async () => {
      expect(variant.accepts(cases[0].params, HOST_DSP_TARGET)).toBe(true);
      expect(variant.accepts(cases[0].params, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
      expect(variant.accepts({ ...(cases[0].params as AddSubQuantParams), broadcast: true }, HOST_DSP_TARGET)).toBe(false);
    });

    it('bit-exact on random cases (host, portable DSP fallbacks)', async () => {
      const modes = new Set(cases.map((c) => /_dsp_([a-z]+)/.exec(variant.emitC(c.params, { inputs: ['x', 'y'], outputs: ['o'] }, { prefix: 'p', target: HOST_DSP_TARGET }).call)![1]));
      expect(modes.has('folded')).toBe(true);
      const got = await runVariantCasesInC(variant, cases);
      const want = evaluateCases(def, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
    });

    it('bit-exact on an emulated Cortex-M4 (real instructions)', { timeout: 120_000 }, async () => {
      const got = await runVariantCasesOnQemu(variant, cases);
      const want = evaluateCases(def, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
    });

    it('compiles for Cortex-M4 without warnings', async () => {
      await compileVariantForArm(variant, cases.slice(0, 2));
    });
  });
}
