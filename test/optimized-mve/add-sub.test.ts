/**
 * add_s8_mve / sub_s8_mve (firmware/kernels/mve/add_sub_mve.c) against ADD/SUB evaluate, bit for
 * bit, on an emulated Cortex-M55: random shapes (sizes with and without a tail of 1..3
 * elements), scales (output shifts below zero and zero), zero points and fused activations, and
 * every byte pair once.
 */
import { describe, expect, it } from 'vitest';
import { add, sub, type AddSubQuantParams } from '../../src/ops/add-sub.js';
import { addMveVariant, subMveVariant } from '../../src/ops/optimized-mve/add-sub.js';
import { findKernelVariant } from '../../src/ops/kernel-variants.js';
import '../../src/ops/optimized/index.js';
import '../../src/ops/optimized-mve/index.js';
import { evaluateCases, values } from '../optimized/harness.js';
import { everyBytePairCase, randomAddSubCase } from '../optimized/random-cases.js';
import { M55_TARGET, runVariantCasesOnM55 } from './harness.js';
import { singleOpContext } from '../helpers/op-graph.js';

for (const type of ['ADD', 'SUB'] as const) {
  const variant = type === 'ADD' ? addMveVariant : subMveVariant;
  const def = type === 'ADD' ? add : sub;
  describe(`${variant.name} vs ${type} evaluate`, () => {
    const cases = Array.from({ length: 50 }, (_, i) => randomAddSubCase(type, 500 * (type === 'ADD' ? 1 : 2) + i));
    cases.push(everyBytePairCase(type, 11));
    // Output rescale factors in [0.5, 1): multipliers that need no right shift (shift 0). Such
    // outputs are clamped unless the sum is tiny: input 1's scale 2^-19 of input 2's makes its
    // table entries a few units, and input 2 at its zero point adds nothing, so negative sums of
    // a few units reach the output (where a right shift's rounding fix-up would show).
    for (let i = 0; i < 4; i++) cases.push(randomAddSubCase(type, 900 + i, [5, 7], 0.55 + 0.1 * i));
    for (let i = 0; i < 3; i++) {
      const dims = [3, 21];
      const zp2 = -20 + 17 * i;
      const ctx = singleOpContext(type, { activation: 'NONE' }, [
        { shape: dims, dtype: 'int8', quant: { scale: 0.4 * 2 ** -19, zeroPoint: 3 * i } },
        { shape: dims, dtype: 'int8', quant: { scale: 0.4, zeroPoint: zp2 } },
      ], [{ shape: dims, dtype: 'int8', quant: { scale: (2 * 0.4) / (2 ** 20 * (0.6 + 0.15 * i)), zeroPoint: -5 + 40 * i } }]);
      const a = Int8Array.from({ length: 63 }, (_, k) => ((k * 37) % 256) - 128);
      cases.push({ ctx, params: def.prepare(ctx as never), inputs: [a, new Int8Array(63).fill(zp2)] });
    }

    it('is the variant chosen for int8 without broadcasting on MVE cores only (not for size)', () => {
      cases.forEach((c) => expect(findKernelVariant(type, c.params, M55_TARGET)).toBe(variant));
      expect(findKernelVariant(type, cases[0].params, { core: 'cortex-m4', dsp: true, mve: false })?.name).toBe(`${type.toLowerCase()}_s8_dsp`);
      expect(variant.accepts({ ...(cases[0].params as AddSubQuantParams), broadcast: true }, M55_TARGET)).toBe(false);
      expect(variant.accepts(cases[0].params, M55_TARGET, 'size')).toBe(false);
    });

    it('covers tails, both output shift kinds and clamps', () => {
      const ps = cases.map((c) => c.params as AddSubQuantParams);
      expect(ps.filter((p) => p.size % 4 !== 0).length).toBeGreaterThanOrEqual(20);
      expect(ps.filter((p) => p.outputShift < 0).length).toBeGreaterThanOrEqual(20);
      expect(ps.filter((p) => p.outputShift === 0).length).toBeGreaterThanOrEqual(7);
      expect(ps.filter((p) => p.activationMin > -128).length).toBeGreaterThanOrEqual(10);
    });

    it('bit-exact on random cases on an emulated Cortex-M55 (-O2 and -Os)', { timeout: 240_000 }, async () => {
      const want = evaluateCases(def, cases);
      const got = await runVariantCasesOnM55(variant, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
      const gotOs = await runVariantCasesOnM55(variant, cases.slice(0, 10), '-Os');
      gotOs.forEach((g, i) => expect(values(g[0]), `-Os case ${i}`).toEqual(values(want[i][0])));
    });
  });
}
