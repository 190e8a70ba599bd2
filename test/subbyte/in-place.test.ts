/**
 * The DSP sub-byte kernels written over their own input, as the planner now runs them when that
 * shrinks the arena (issue #15: sub-byte weights take no more RAM than int8): depthwise layers in
 * place (the rows the window reads are filled before the output rows over them are written, as
 * in the int8 kernel), pointwise layers no wider out than in as they are, wider ones in runs of
 * pixels from the last down, and other convolutions through the row window or stage (the band-function driver calling the sub-byte kernel on each
 * output row). Random cases of every width the rules accept, one buffer as input and output,
 * equal the reference on the decoded weights bit for bit: on the host under AddressSanitizer (the
 * buffer exactly max(input, output) bytes, the scratch exactly the announced bytes) and on an
 * emulated Cortex-M4 (the assembly loops).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { depthwiseConv2d, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { pointwiseExpandInPlaceOk, pointwiseInPlaceOk } from '../../src/ops/pointwise-in-place.js';
import { rowInPlaceMode } from '../../src/ops/conv-rows-in-place.js';
import { convSubByteDspVariant, dwSubByteDspVariant } from '../../src/ops/subbyte/dsp.js';
import type { KernelVariant } from '../../src/ops/kernel-variants.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { inPlaceVariant } from '../optimized/in-place-variant.js';
import { HOST_DSP_TARGET, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from '../optimized/harness.js';
import { randomConvCase, randomDwCase, type DwShape } from '../optimized/random-cases.js';
import { dwPlane, dwPlaneOptions } from '../../src/ops/optimized/depthwise-conv2d.js';
import { SUB_BYTE_KINDS, asSubByteCase } from './cases.js';

/** The first `n` cases per width from `make` that `variant` takes and can run in place. */
function inPlaceCases(def: AnyOpDef, variant: KernelVariant, make: (seed: number) => VariantCase, seed: number, n: number, keep: (c: VariantCase) => boolean = () => true): VariantCase[] {
  return SUB_BYTE_KINDS.flatMap((kind, k) => {
    const out: VariantCase[] = [];
    for (let s = seed + 1000 * k; out.length < n && s < seed + 1000 * k + 900; s++) {
      const c = asSubByteCase(def, make(s), kind, s + 5);
      if (variant.accepts(c.params, HOST_DSP_TARGET) && variant.inPlaceScratchBytes!(c.params, c.inputs as never) !== undefined && keep(c)) out.push(c);
    }
    return out;
  });
}

const label = (c: VariantCase, i: number) => `case ${i} (${(c.params as { weightEncoding: string }).weightEncoding}) ${JSON.stringify({ ...(c.params as object), outputMultiplier: undefined, outputShift: undefined })}`;

/** `host`: also on the host under AddressSanitizer (the plane cases, large and all on the C path there, only on the M4). */
function bitExactInPlace(name: string, def: AnyOpDef, variant: KernelVariant, cases: () => VariantCase[], host = true): void {
  const wrap = (list: VariantCase[]) =>
    inPlaceVariant(def.type, name, (p, n, ctx) => variant.emitC(p, n, { ...ctx, target: HOST_DSP_TARGET }), (p, k) => variant.inPlaceScratchBytes!(p, k as never), list);
  if (host) it('bit-exact in place at every width (host, AddressSanitizer, exact buffers)', { timeout: 180_000 }, async () => {
    const all = cases();
    const want = evaluateCases(def, all);
    const got = await runVariantCasesInC(wrap(all), all);
    all.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
  });
  it('bit-exact in place at every width on an emulated Cortex-M4', { timeout: 240_000 }, async () => {
    const some = host ? cases().filter((_, i) => i % 2 === 0) : cases();
    const want = evaluateCases(def, some);
    const got = await runVariantCasesOnQemu(wrap(some), some);
    some.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
  });
}

describe('DSP sub-byte depthwise convolution in place', () => {
  let memo: VariantCase[] | undefined;
  const cases = () => (memo ??= [
    ...inPlaceCases(depthwiseConv2d, dwSubByteDspVariant, (s) => randomDwCase(s, 'k3'), 61000, 4),
    ...inPlaceCases(depthwiseConv2d, dwSubByteDspVariant, (s) => randomDwCase(s, 'fast'), 62000, 3),
  ]);
  it('takes every width and strides 1 and 2 (the row kernel)', () => {
    const ps = cases().map((c) => c.params as DepthwiseConv2DQuantParams);
    expect(new Set(ps.map((p) => p.weightEncoding))).toEqual(new Set(SUB_BYTE_KINDS));
    expect(new Set(ps.map((p) => p.strideHeight))).toEqual(new Set([1, 2]));
  });
  bitExactInPlace('depthwise_conv2d_s8_dsp_subbyte in place', depthwiseConv2d, dwSubByteDspVariant, cases);
});

describe('DSP sub-byte depthwise convolution in place on the plane kernel (one band, and several that carry a row)', () => {
  // KWS's depthwise shape (one transposed band), and a plane too large for one band.
  const shapes: Partial<DwShape>[] = [
    { inH: 25, inW: 5, inC: 64, strideH: 1, strideW: 1, padding: 'SAME' },
    { inH: 30, inW: 30, inC: 8, strideH: 1, strideW: 1, padding: 'SAME' },
  ];
  let memo: VariantCase[] | undefined;
  const cases = () => (memo ??= SUB_BYTE_KINDS.flatMap((kind, k) =>
    shapes.map((shape, i) => asSubByteCase(depthwiseConv2d, randomDwCase(65000 + 10 * k + i, 'k3', 1, { ...shape, k3: true, batches: 1, activation: 'NONE' }), kind, 7 + i)),
  ).filter((c) => dwSubByteDspVariant.inPlaceScratchBytes!(c.params, c.inputs as never) !== undefined));
  beforeAll(() => {
    dwPlaneOptions.force = true;
  });
  afterAll(() => {
    dwPlaneOptions.force = false;
  });
  it('every width on the plane kernel in place, some over several bands', () => {
    const ps = cases().map((c) => c.params as DepthwiseConv2DQuantParams);
    expect(new Set(ps.map((p) => p.weightEncoding))).toEqual(new Set(SUB_BYTE_KINDS));
    const plans = ps.map((p) => dwPlane(p, true));
    expect(plans.every((x) => x !== undefined)).toBe(true);
    expect(plans.some((x, i) => x!.band < (x!.transposed ? ps[i].outputWidth : ps[i].outputHeight))).toBe(true);
  });
  bitExactInPlace('depthwise_conv2d_s8_dsp_subbyte plane in place', depthwiseConv2d, dwSubByteDspVariant, cases, false);
});

describe('DSP sub-byte convolution in place: pointwise as it is or in runs, other shapes through the row window or stage', () => {
  let memo: VariantCase[] | undefined;
  const cases = () => (memo ??= [
    ...inPlaceCases(conv2d, convSubByteDspVariant, (s) => randomConvCase(s, 'pointwise'), 63000, 2, (c) => pointwiseInPlaceOk(c.params as Conv2DQuantParams)),
    ...inPlaceCases(conv2d, convSubByteDspVariant, (s) => randomConvCase(s, 'pointwise'), 66000, 1, (c) => pointwiseExpandInPlaceOk(c.params as Conv2DQuantParams)),
    ...inPlaceCases(conv2d, convSubByteDspVariant, (s) => randomConvCase(s), 64000, 3, (c) => rowDriven(c.params as Conv2DQuantParams)),
  ]);
  const rowDriven = (p: Conv2DQuantParams) => !pointwiseInPlaceOk(p) && !pointwiseExpandInPlaceOk(p);
  it('covers every width, pointwise layers and both row drivers', () => {
    const ps = cases().map((c) => c.params as Conv2DQuantParams);
    expect(new Set(ps.map((p) => p.weightEncoding))).toEqual(new Set(SUB_BYTE_KINDS));
    expect(ps.some((p) => pointwiseInPlaceOk(p))).toBe(true);
    expect(new Set(ps.filter((p) => pointwiseExpandInPlaceOk(p)).map((p) => p.weightEncoding))).toEqual(new Set(SUB_BYTE_KINDS));
    expect(new Set(ps.filter(rowDriven).map((p) => rowInPlaceMode(p)))).toEqual(new Set(['window', 'stage']));
  });
  it('the row drivers run the sub-byte kernel on its packed weights (no int8 copy)', () => {
    for (const c of cases().filter((x) => !pointwiseInPlaceOk(x.params as Conv2DQuantParams))) {
      const em = convSubByteDspVariant.emitC(c.params, { inputs: ['x', 'w', 'b'], outputs: ['x'] }, { prefix: 'l', target: HOST_DSP_TARGET, constants: c.inputs as never, scratch: 's', inPlace: true });
      expect(em.call).toMatch(/^tinyml_conv2d_s8_dsp_in_place(_staged|_expand)?_band\(&l_params, x, l_band, /);
      expect(em.decls).toMatch(/static void l_band\([^)]*\) \{\n\s+tinyml_conv2d_s8_dsp_sb\w+\(p, input, l_w\d, output, /);
    }
  });
  bitExactInPlace('conv2d_s8_dsp_subbyte in place', conv2d, convSubByteDspVariant, cases);
});
