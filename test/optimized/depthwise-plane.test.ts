/**
 * The plane kernel of depthwise_conv2d_s8_dsp (3x3, per-channel int16 planes, SMLAD pairs; issue
 * #20) against DEPTHWISE_CONV_2D's evaluate, bit for bit, on an emulated Cortex-M4 (the
 * assembly block loops) and on the host (the C path): stride 1 and 2 on either axis, same and
 * valid padding, odd widths (partial last blocks, rows shorter than a block), channel counts
 * that are not a multiple of 4, tall images (transposed planes), several bands, two batches,
 * clamped activations, and in place (output over input).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depthwiseConv2d, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { depthwiseInPlaceOk } from '../../src/ops/depthwise-in-place.js';
import { depthwiseConv2dDspVariant, dwPlane, dwPlaneOptions, dwPlaneScratchBytes, emitDepthwisePlaneLut4 } from '../../src/ops/optimized/depthwise-conv2d.js';
import { HOST_DSP_TARGET, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';
import { inPlaceVariant } from './in-place-variant.js';
import { SUBBYTE_DSP_VARIANTS } from '../../src/ops/subbyte/dsp.js';
import { SUB_BYTE_KINDS, asSubByteCase } from '../subbyte/cases.js';
import { randomDwCase, type DwShape } from './random-cases.js';

const SHAPES: Partial<DwShape>[] = [
  // KWS's depthwise layers: 25x5x64, stride 1, same (transposed: 25-long plane rows).
  { inH: 25, inW: 5, inC: 64, strideH: 1, strideW: 1, padding: 'SAME' },
  // VWW-like: square, stride 1 and 2, a few channels.
  { inH: 12, inW: 12, inC: 8, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 13, inW: 13, inC: 6, strideH: 2, strideW: 2, padding: 'SAME' },
  { inH: 6, inW: 6, inC: 12, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 3, inW: 3, inC: 9, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 7, inW: 7, inC: 5, strideH: 2, strideW: 2, padding: 'VALID' },
  // Odd widths, mixed strides, valid padding, channels not a multiple of 4.
  { inH: 9, inW: 11, inC: 7, strideH: 1, strideW: 2, padding: 'SAME' },
  { inH: 10, inW: 9, inC: 3, strideH: 2, strideW: 1, padding: 'VALID' },
  { inH: 5, inW: 14, inC: 2, strideH: 1, strideW: 1, padding: 'VALID' },
  { inH: 17, inW: 3, inC: 6, strideH: 1, strideW: 2, padding: 'SAME' },
  { inH: 15, inW: 4, inC: 10, strideH: 2, strideW: 1, padding: 'SAME' },
  // Several bands (the plane of a whole channel does not fit the row kernel's scratch).
  { inH: 30, inW: 30, inC: 8, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 29, inW: 27, inC: 5, strideH: 2, strideW: 2, padding: 'SAME' },
  // Many channels: the whole plane fits, so these run in place too.
  { inH: 8, inW: 8, inC: 32, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 9, inW: 9, inC: 24, strideH: 2, strideW: 2, padding: 'SAME' },
  { inH: 7, inW: 10, inC: 20, strideH: 1, strideW: 1, padding: 'VALID' },
  // Two batches.
  { inH: 8, inW: 6, inC: 4, strideH: 1, strideW: 1, padding: 'SAME', batches: 2 },
  // The plane fill's pieces (a lone first value where the padding leaves the row unaligned, runs
  // of eight, pairs, a last value): plane rows of 5, 17 and 18 values; small images at stride 2.
  { inH: 5, inW: 5, inC: 6, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 17, inW: 17, inC: 3, strideH: 1, strideW: 1, padding: 'VALID' },
  { inH: 6, inW: 18, inC: 5, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 6, inW: 6, inC: 7, strideH: 2, strideW: 2, padding: 'SAME' },
  { inH: 25, inW: 5, inC: 9, strideH: 2, strideW: 2, padding: 'SAME' },
  // Stride-1 rows of 1 to 12 whole blocks run unrolled (entered through a jump table), with no,
  // one, two or three outputs left; longer rows (13 blocks) keep the block loop.
  { inH: 4, inW: 48, inC: 3, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 3, inW: 49, inC: 2, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 5, inW: 50, inC: 2, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 3, inW: 51, inC: 3, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 4, inW: 53, inC: 2, strideH: 1, strideW: 1, padding: 'SAME' },
  // Plane rows of more than six blocks of eight values: the fill's row loop (up to six: its
  // unrolled blocks, entered through a jump table, every rest 0 to 7 across the shapes above).
  { inH: 3, inW: 61, inC: 2, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 5, inW: 58, inC: 3, strideH: 2, strideW: 1, padding: 'VALID' },
  { inH: 4, inW: 15, inC: 3, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 6, inW: 7, inC: 5, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 7, inW: 4, inC: 4, strideH: 2, strideW: 1, padding: 'SAME' },
  // Stride-1 rows of exactly six outputs (VWW's 6x6 layers): one six-output block a row from plane
  // rows of pitch 8, filled six values at a time after the padding column (SAME), or eight (VALID:
  // the general fill); rows fewer than, as many as and more than the columns; odd channel counts.
  { inH: 6, inW: 6, inC: 13, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 8, inW: 8, inC: 6, strideH: 1, strideW: 1, padding: 'VALID' },
  { inH: 3, inW: 6, inC: 5, strideH: 1, strideW: 1, padding: 'SAME' },
  { inH: 6, inW: 6, inC: 3, strideH: 2, strideW: 1, padding: 'SAME' },
];

function planeCases(seed: number, activation: DwShape['activation']): VariantCase[] {
  return SHAPES.map((s, i) => randomDwCase(seed + i, 'k3', 1, { batches: 1, ...s, activation }));
}

const params = (c: VariantCase) => c.params as DepthwiseConv2DQuantParams;

describe('depthwise_conv2d_s8_dsp plane kernel vs DEPTHWISE_CONV_2D evaluate', () => {
  // No fused clamp (the assembly loops), and RELU6 (the C path with its clamp).
  const full = planeCases(21000, 'NONE');
  const clamped = planeCases(22000, 'RELU6');
  const all = [...full, ...clamped];
  // Every case on the plane kernel, also those it is estimated to run slower than the row kernel.
  beforeAll(() => {
    dwPlaneOptions.force = true;
  });
  afterAll(() => {
    dwPlaneOptions.force = false;
  });

  it('takes the plane kernel where it is estimated cheaper: KWS and VWW 24x24, not VWW 3x3x256', () => {
    dwPlaneOptions.force = false;
    const kws = params(full[0]);
    expect(dwPlane(kws)?.transposed).toBe(true);
    expect(dwPlane(params(randomDwCase(1, 'k3', 1, { inH: 24, inW: 24, inC: 32, strideH: 1, strideW: 1, padding: 'SAME', batches: 1 })))).toBeDefined();
    expect(dwPlane(params(randomDwCase(1, 'k3', 1, { inH: 3, inW: 3, inC: 256, strideH: 1, strideW: 1, padding: 'SAME', batches: 1 })))).toBeUndefined();
    dwPlaneOptions.force = true;
  });

  it('takes the six-wide plane loop (pitch 8) for VWW 6x6x128 and 6x6x64 at stride 1, not transposed', () => {
    dwPlaneOptions.force = false;
    for (const inC of [64, 128]) {
      const plan = dwPlane(params(randomDwCase(2, 'k3', 1, { inH: 6, inW: 6, inC, strideH: 1, strideW: 1, padding: 'SAME', batches: 1 })));
      expect(plan).toEqual({ band: 6, pitch: 8, transposed: false });
    }
    dwPlaneOptions.force = true;
    const six = all.filter((c) => params(c).outputWidth === 6 && params(c).strideWidth === 1 && dwPlane(params(c))?.pitch === 8);
    expect(six.length).toBeGreaterThanOrEqual(8);
  });

  it("clustered 6x6x128 weights take the six-wide plane loop within the LUT kernel's scratch (what the plane touches: 128 bytes)", () => {
    dwPlaneOptions.force = false;
    const c = randomDwCase(4, 'k3', 1, { inH: 6, inW: 6, inC: 128, strideH: 1, strideW: 1, padding: 'SAME', batches: 1, activation: 'NONE' });
    const p = params(c);
    const table = Int8Array.from({ length: 16 }, (_, i) => 8 * i - 60);
    const indices = Uint8Array.from({ length: 9 * 128 }, (_, k) => (k * 7 + (k >> 3)) % 16);
    const decoded = Int8Array.from(indices, (i) => table[i]);
    const ctx = { prefix: 'x', target: HOST_DSP_TARGET, constants: [undefined, decoded, c.inputs[2]], scratch: 'buf' };
    const names = { inputs: ['in', 'w', 'b'], outputs: ['out'] };
    expect(dwPlaneScratchBytes(p, dwPlane(p)!, false)).toBe(128);
    const em = emitDepthwisePlaneLut4(p, decoded, indices, table, c.inputs[2], names, ctx, 1024);
    expect(em?.decls).toMatch(/\.plane_pitch = 8,/);
    expect(emitDepthwisePlaneLut4(p, decoded, indices, table, c.inputs[2], names, ctx, 127)).toBeUndefined();
    dwPlaneOptions.force = true;
  });

  it('the cases run the plane kernel, transposed or not, in one band or several', () => {
    const plans = all.map((c) => dwPlane(params(c)));
    expect(plans.every((p) => p !== undefined)).toBe(true);
    expect(new Set(plans.map((p) => p!.transposed))).toEqual(new Set([true, false]));
    expect(plans.some((p, i) => p!.band < (p!.transposed ? params(all[i]).outputWidth : params(all[i]).outputHeight))).toBe(true);
    const em = depthwiseConv2dDspVariant.emitC(full[0].params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: full[0].inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
    expect(em.decls).toMatch(/\.band_rows = [1-9]/);
    expect(em.decls).toMatch(/\.transposed = 1/);
  });

  it('bit-exact on an emulated Cortex-M4 (assembly block loops) and on the host (C path)', { timeout: 240_000 }, async () => {
    const want = evaluateCases(depthwiseConv2d, all);
    const got = await runVariantCasesOnQemu(depthwiseConv2dDspVariant, all);
    all.forEach((c, i) => expect(values(got[i][0]), `qemu ${JSON.stringify(SHAPES[i % SHAPES.length])} ${i < full.length ? 'full' : 'relu6'}`).toEqual(values(want[i][0])));
    const host = await runVariantCasesInC(depthwiseConv2dDspVariant, full);
    full.forEach((c, i) => expect(values(host[i][0]), `host ${JSON.stringify(SHAPES[i])}`).toEqual(values(want[i][0])));
  });

  it('bit-exact in place (output over input, in one band or several) on an emulated Cortex-M4', { timeout: 240_000 }, async () => {
    const inPlace = full.filter((c) => depthwiseInPlaceOk(params(c)) && dwPlane(params(c), true) !== undefined);
    expect(inPlace.length).toBeGreaterThanOrEqual(5);
    // Some over several bands (the kernel keeps each band's last input row for the next).
    expect(inPlace.some((c) => dwPlane(params(c), true)!.band < params(c).outputHeight)).toBe(true);
    const v = inPlaceVariant('DEPTHWISE_CONV_2D', 'dsp plane in place', (p, n, ctx) => depthwiseConv2dDspVariant.emitC(p, n, ctx), (p, k) => depthwiseConv2dDspVariant.inPlaceScratchBytes!(p, k as never), inPlace);
    const want = evaluateCases(depthwiseConv2d, inPlace);
    const got = await runVariantCasesOnQemu(v, inPlace);
    inPlace.forEach((c, i) => expect(values(got[i][0]), `in place case ${i}`).toEqual(values(want[i][0])));
  });

  it('sub-byte weights, decoded per channel (int4, int2, ternary, binary; FAST, FOLDED, FAST_MIXED): bit-exact on an emulated Cortex-M4', { timeout: 240_000 }, async () => {
    const variant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === 'depthwise_conv2d_s8_dsp_subbyte')!;
    const shapes: Partial<DwShape>[] = [
      { inH: 25, inW: 5, inC: 8, strideH: 1, strideW: 1, padding: 'SAME' },
      { inH: 13, inW: 11, inC: 8, strideH: 2, strideW: 2, padding: 'SAME' },
      { inH: 9, inW: 10, inC: 4, strideH: 1, strideW: 1, padding: 'VALID' },
      { inH: 6, inW: 6, inC: 8, strideH: 1, strideW: 1, padding: 'SAME' },
      // Six-wide rows, whole channels in assembly (dw_band6c_*) a group of four a call: four rows
      // (the fill's row loop, not its six rows written out), three groups.
      { inH: 4, inW: 6, inC: 12, strideH: 1, strideW: 1, padding: 'SAME' },
    ];
    const sb = SUB_BYTE_KINDS.flatMap((kind, k) =>
      shapes.flatMap((shape, i) =>
        // Multipliers near 1 ('big-scale') take FAST_MIXED: left-shift channels in the assembly, and in C with a clamp.
        ([['k3', 'NONE'], ['big-scale', 'NONE'], ['big-scale', 'RELU']] as const).map(([dk, act], j) =>
          asSubByteCase(depthwiseConv2d, randomDwCase(23000 + 100 * k + 10 * i + j, dk, 1, { ...shape, k3: true, batches: 1, activation: act }), kind, 31 + i),
        ),
      ),
    ).filter((c) => variant.accepts(c.params, HOST_DSP_TARGET));
    expect(sb.length).toBeGreaterThanOrEqual(40);
    const calls = sb.map((c) => variant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }));
    calls.forEach((em) => expect(em.decls).toMatch(/\.band_rows = [1-9]/));
    expect(calls.some((em) => /_mixed\(/.test(em.call))).toBe(true);
    expect(calls.some((em) => /_sb4\(/.test(em.call)) && calls.some((em) => /_sb2\(/.test(em.call))).toBe(true);
    const want = evaluateCases(depthwiseConv2d, sb);
    const got = await runVariantCasesOnQemu(variant, sb);
    sb.forEach((c, i) => expect(values(got[i][0]), `sub-byte case ${i} ${(c.params as { weightEncoding: string }).weightEncoding}`).toEqual(values(want[i][0])));
  });
});
