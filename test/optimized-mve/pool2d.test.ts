/**
 * average_pool2d_s8_mve / max_pool2d_s8_mve (firmware/kernels/mve/pool2d_mve.c) against
 * AVERAGE_POOL_2D / MAX_POOL_2D evaluate, bit for bit, on an emulated Cortex-M55: random shapes
 * (depths with and without a tail of channels), filters up to global pooling, strides, SAME
 * padding (windows clipped at the edges: every tap count), fused activations, and inputs at the
 * extremes (sums of -128s and 127s over the largest windows).
 */
import { describe, expect, it } from 'vitest';
import type { FusedActivation, Padding, Pool2DAttrs } from '../../src/ir/attrs.js';
import { averagePool2d, maxPool2d, type Pool2DParams } from '../../src/ops/pool2d.js';
import { POOL_MVE_MAX_TAPS, averagePool2dMveVariant, maxPool2dMveVariant } from '../../src/ops/optimized-mve/pool2d.js';
import { findKernelVariant } from '../../src/ops/kernel-variants.js';
import '../../src/ops/optimized/index.js';
import '../../src/ops/optimized-mve/index.js';
import { evaluateCases, values, type VariantCase } from '../optimized/harness.js';
import { randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';
import { M55_TARGET, runVariantCasesOnM55 } from './harness.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'NONE'];

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

function poolCase(type: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', seed: number, extreme = false): VariantCase {
  const r = rng(seed);
  const def = type === 'AVERAGE_POOL_2D' ? averagePool2d : maxPool2d;
  const h = int(r, 1, 16);
  const w = int(r, 1, 16);
  const d = r() < 0.5 ? 8 * int(r, 1, 6) : int(r, 1, 40);
  const global = r() < 0.3;
  const fh = global ? h : int(r, 1, Math.min(h, 5));
  const fw = global ? w : int(r, 1, Math.min(w, 5));
  const padding: Padding = global || r() < 0.4 ? 'VALID' : 'SAME';
  const a: Pool2DAttrs = { padding, filterH: fh, filterW: fw, strideH: int(r, 1, 3), strideW: int(r, 1, 3), activation: ACTIVATIONS[int(r, 0, 3)] };
  const shape = [r() < 0.15 ? 2 : 1, h, w, d];
  const q = { scale: 0.02 + r() * 0.1, zeroPoint: int(r, -128, 127) };
  const probe = singleOpContext(type, a, [{ shape, dtype: 'int8' }], [{ shape: [], dtype: 'int8' }]);
  const outShape = def.inferShapes(probe as never)[0];
  const ctx = singleOpContext(type, a, [{ shape, dtype: 'int8', quant: q }], [{ shape: outShape, dtype: 'int8', quant: q }]);
  const n = shape.reduce((x, y) => x * y, 1);
  const input = extreme ? Int8Array.from({ length: n }, () => (r() < 0.5 ? -128 : 127)) : randomInt8(n, r);
  return { ctx, params: def.prepare(ctx as never), inputs: [input] };
}

for (const type of ['AVERAGE_POOL_2D', 'MAX_POOL_2D'] as const) {
  const variant = type === 'AVERAGE_POOL_2D' ? averagePool2dMveVariant : maxPool2dMveVariant;
  const def = type === 'AVERAGE_POOL_2D' ? averagePool2d : maxPool2d;
  describe(`${variant.name} vs ${type} evaluate`, () => {
    const cases = Array.from({ length: 60 }, (_, i) => poolCase(type, 300 + i));
    for (let i = 0; i < 10; i++) cases.push(poolCase(type, 400 + i, true));
    // The largest window the average kernel takes, all -128 and all 127 (its int16 sums' limits).
    const full = (v: number) => {
      const a: Pool2DAttrs = { padding: 'VALID', filterH: 16, filterW: 16, strideH: 1, strideW: 1, activation: 'NONE' };
      const shape = [1, 16, 16, 9];
      const q = { scale: 0.05, zeroPoint: 3 };
      const ctx = singleOpContext(type, a, [{ shape, dtype: 'int8', quant: q }], [{ shape: [1, 1, 1, 9], dtype: 'int8', quant: q }]);
      return { ctx, params: def.prepare(ctx as never), inputs: [new Int8Array(16 * 16 * 9).fill(v)] };
    };
    cases.push(full(-128), full(127));

    it('is the variant chosen for int8 pooling on MVE cores only', () => {
      cases.forEach((c) => expect(findKernelVariant(type, c.params, M55_TARGET)).toBe(variant));
      expect(findKernelVariant(type, cases[0].params, { core: 'cortex-m4', dsp: true, mve: false })).not.toBe(variant);
      const huge = { ...(cases[0].params as Pool2DParams), filterH: 17, filterW: 16 };
      expect(variant.accepts(huge, M55_TARGET)).toBe(type === 'MAX_POOL_2D');
      expect(16 * 16).toBe(POOL_MVE_MAX_TAPS);
    });

    it('covers channel tails, clipped windows and global pooling', () => {
      const ps = cases.map((c) => c.params as Pool2DParams);
      expect(ps.filter((p) => p.depth % 8 !== 0).length).toBeGreaterThanOrEqual(20);
      expect(ps.filter((p) => p.padH > 0 || p.padW > 0).length).toBeGreaterThanOrEqual(10);
      expect(ps.filter((p) => p.outputHeight === 1 && p.outputWidth === 1 && p.filterH > 1).length).toBeGreaterThanOrEqual(10);
    });

    it('bit-exact on random cases on an emulated Cortex-M55 (-O2 and -Os)', { timeout: 240_000 }, async () => {
      const want = evaluateCases(def, cases);
      const got = await runVariantCasesOnM55(variant, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
      const gotOs = await runVariantCasesOnM55(variant, cases.slice(0, 12), '-Os');
      gotOs.forEach((g, i) => expect(values(g[0]), `-Os case ${i}`).toEqual(values(want[i][0])));
    });
  });
}
