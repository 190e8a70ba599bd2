/**
 * In-place depthwise convolution: the portable kernel (depthwise_conv2d_s8_in_place) and the DSP
 * kernel called with one buffer as input and output, against DEPTHWISE_CONV_2D's reference, bit
 * for bit, on random shapes the in-place rule accepts. The buffer holds exactly max(input,
 * output) bytes and the scratch exactly the announced bytes (AddressSanitizer on the host), and
 * the same programs run on an emulated Cortex-M4.
 */
import { describe, expect, it } from 'vitest';
import { depthwiseConv2d, type DepthwiseConv2DParams } from '../../src/ops/depthwise-conv2d.js';
import { depthwiseInPlaceOk } from '../../src/ops/depthwise-in-place.js';
import { depthwiseConv2dDspVariant } from '../../src/ops/optimized/depthwise-conv2d.js';
import { inPlaceVariant } from './in-place-variant.js';
import { HOST_DSP_TARGET, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';
import { randomDwCase } from './random-cases.js';

function inPlaceCases(seed: number, n: number, kind: 'fast' | 'k3', multiplier = 1): VariantCase[] {
  const out: VariantCase[] = [];
  for (let s = seed; out.length < n; s++) {
    const c = randomDwCase(s, kind, multiplier);
    if (depthwiseInPlaceOk(c.params as DepthwiseConv2DParams)) out.push(c);
  }
  return out;
}

describe('in-place depthwise convolution', () => {
  const cases = [...inPlaceCases(11000, 40, 'fast'), ...inPlaceCases(12000, 20, 'k3')];
  const withMultiplier = inPlaceCases(13000, 12, 'fast', 2);

  it('the in-place rule takes stride 1 and 2 (same and valid) and refuses what would overwrite unread rows', () => {
    const strides = new Set(cases.map((c) => (c.params as DepthwiseConv2DParams).strideHeight));
    expect([...strides].sort()).toEqual([1, 2]);
    const pads = new Set(cases.map((c) => (c.params as DepthwiseConv2DParams).padHeight > 0));
    expect(pads.size).toBe(2);
    const base = cases.find((c) => (c.params as DepthwiseConv2DParams).strideHeight === 1)!.params as DepthwiseConv2DParams;
    expect(depthwiseInPlaceOk({ ...base, batches: 2 })).toBe(false);
    expect(depthwiseInPlaceOk({ ...base, dilationHeight: 2 })).toBe(false);
    // Output rows four times the input rows: row 0 overwrites input rows not yet read.
    expect(depthwiseInPlaceOk({ ...base, depthMultiplier: 4, outputDepth: base.inputDepth * 4, outputHeight: base.inputHeight, outputWidth: base.inputWidth, padHeight: 0, filterHeight: 1, strideHeight: 1 })).toBe(false);
  });

  it('portable kernel: bit-exact in place on random cases (host, AddressSanitizer, exact buffers)', async () => {
    const all = [...cases, ...withMultiplier];
    const v = inPlaceVariant('DEPTHWISE_CONV_2D', 'portable in place', (p, n, ctx) => depthwiseConv2d.emitC!(p as never, n, ctx), (p) => depthwiseConv2d.inPlaceScratchBytes!(p as never), all);
    const want = evaluateCases(depthwiseConv2d, all);
    const got = await runVariantCasesInC(v, all);
    all.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('DSP kernel: bit-exact in place on random cases (host, AddressSanitizer, exact buffers)', async () => {
    const dsp = cases.filter((c) => depthwiseConv2dDspVariant.accepts(c.params, HOST_DSP_TARGET) && (c.params as DepthwiseConv2DParams).inputDepth > 1);
    expect(dsp.length).toBeGreaterThan(30);
    const v = inPlaceVariant('DEPTHWISE_CONV_2D', 'dsp in place', (p, n, ctx) => depthwiseConv2dDspVariant.emitC(p, n, { ...ctx, target: HOST_DSP_TARGET }), (p, k) => depthwiseConv2dDspVariant.inPlaceScratchBytes!(p, k as never), dsp);
    const want = evaluateCases(depthwiseConv2d, dsp);
    const got = await runVariantCasesInC(v, dsp);
    dsp.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('both kernels: bit-exact in place on an emulated Cortex-M4', { timeout: 180_000 }, async () => {
    const dsp = cases.filter((c) => depthwiseConv2dDspVariant.accepts(c.params, HOST_DSP_TARGET) && (c.params as DepthwiseConv2DParams).inputDepth > 1);
    const vd = inPlaceVariant('DEPTHWISE_CONV_2D', 'dsp in place', (p, n, ctx) => depthwiseConv2dDspVariant.emitC(p, n, ctx), (p, k) => depthwiseConv2dDspVariant.inPlaceScratchBytes!(p, k as never), dsp);
    const wantD = evaluateCases(depthwiseConv2d, dsp);
    const gotD = await runVariantCasesOnQemu(vd, dsp);
    dsp.forEach((c, i) => expect(values(gotD[i][0]), `dsp case ${i}`).toEqual(values(wantD[i][0])));
    const some = [...cases.slice(0, 20), ...withMultiplier.slice(0, 6)];
    const vp = inPlaceVariant('DEPTHWISE_CONV_2D', 'portable in place', (p, n, ctx) => depthwiseConv2d.emitC!(p as never, n, ctx), (p) => depthwiseConv2d.inPlaceScratchBytes!(p as never), some);
    const wantP = evaluateCases(depthwiseConv2d, some);
    const gotP = await runVariantCasesOnQemu(vp, some);
    some.forEach((c, i) => expect(values(gotP[i][0]), `portable case ${i}`).toEqual(values(wantP[i][0])));
  });
});
