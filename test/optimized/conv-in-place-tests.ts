/**
 * The two bit-exactness tests every in-place mode of the DSP convolution gets: random cases run
 * with one buffer as input and output equal CONV_2D's reference, on the host under
 * AddressSanitizer (exact buffers and scratch) and on an emulated Cortex-M4.
 */
import { expect, it } from 'vitest';
import { conv2d } from '../../src/ops/conv2d.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { inPlaceVariant } from './in-place-variant.js';
import { HOST_DSP_TARGET, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';

export function convDspInPlaceBitExact(name: string, all: VariantCase[]): void {
  const variant = (list: VariantCase[]) =>
    inPlaceVariant('CONV_2D', name, (p, n, ctx) => conv2dDspVariant.emitC(p, n, { ...ctx, target: HOST_DSP_TARGET }), (p, k) => conv2dDspVariant.inPlaceScratchBytes!(p, k as never), list);

  it('bit-exact in place on random cases (host, AddressSanitizer, exact buffers)', async () => {
    const want = evaluateCases(conv2d, all);
    const got = await runVariantCasesInC(variant(all), all);
    all.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('bit-exact in place on an emulated Cortex-M4', { timeout: 180_000 }, async () => {
    const some = all.slice(0, 16);
    const want = evaluateCases(conv2d, some);
    const got = await runVariantCasesOnQemu(variant(some), some);
    some.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });
}
