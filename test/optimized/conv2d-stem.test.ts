/**
 * The stem kernel (firmware/kernels/arm/conv2d_stem_dsp.c, issue #20): CONV_2D with 1-3 input
 * channels and DEPTHWISE_CONV_2D with input depth 1, against the ops' `evaluate` bit for bit on
 * random cases (strides 1-3, "same" and "valid" padding, tall and wide filters, odd pixel counts
 * and channel counts that are not multiples of four, every requantization mode, weights with a
 * zero point), on the host (portable DSP fallbacks, AddressSanitizer, the announced scratch
 * exactly), on an emulated Cortex-M4 (the unrolled assembly), and in place through the row
 * window / stage driver; and its sub-byte twin (ops/subbyte/stem.ts) the same way on weights of
 * every width.
 */
import { describe, expect, it } from 'vitest';
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { TensorData } from '../../src/ir/types.js';
import { conv2d, type Conv2DAttrs, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { depthwiseConv2d, type DepthwiseConv2DAttrs, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_FAST_MIXED, RQ_REF, planOptions } from '../../src/ops/optimized/common.js';
import { STEM_SB_STACK_BYTES, conv2dStemDspVariant, lutStemFrameOnly, depthwiseConv2dStemDspVariant, stemColumnOrder, stemDecodedBytes, stemOk, stemScratchBytes } from '../../src/ops/optimized/conv2d-stem.js';
import { flashBits } from '../../src/ir/weight-packing.js';
import { dwAsConv } from '../../src/ops/optimized/depthwise-conv2d.js';
import { rowInPlaceMode } from '../../src/ops/conv-rows-in-place.js';
import { findKernelVariant, type KernelVariant } from '../../src/ops/kernel-variants.js';
import { dspScratchBytes } from '../../src/ops/optimized/index.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';
import { inPlaceVariant } from './in-place-variant.js';
import { SUBBYTE_STEM_VARIANTS } from '../../src/ops/subbyte/stem.js';
import '../../src/ops/subbyte/index.js';
import { SUB_BYTE_KINDS, asSubByteCase } from '../subbyte/cases.js';
import type { LutEncoding, SubByteKind } from '../../src/ir/weight-encoding.js';
import { emitLutLayer, lutScratchBytes, lutStemConv } from '../../src/codegen/lut-layer.js';
import type { AnyOpDef, OptimizeGoal, TargetInfo } from '../../src/ops/op-def.js';
import { HOST_DSP_TARGET, compileVariantForArm, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'NONE'];
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

type StemKind = 'fast' | 'big-bias' | 'big-scale' | 'tiny-scale' | 'weights-zp';

function quantSpecs(r: () => number, kind: StemKind, outC: number, perChannel: boolean) {
  const scales = Array.from({ length: perChannel ? outC : 1 }, () => (kind === 'tiny-scale' ? 2 ** -int(r, 20, 30) : kind === 'big-scale' ? 0.5 + r() * 3 : 0.002 + r() * 0.02));
  const bias = r() < 0.9 ? randomInt32(outC, r, kind === 'big-bias' ? -(2 ** 31 - 1) : -3000, kind === 'big-bias' ? 2 ** 31 - 1 : 3000) : undefined;
  return { scales, bias };
}

const count = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

/** The case of one op with random int8 input, weights of `wShape` (channels on `qDim`), bias and output quantization. */
function windowCase(op: 'CONV_2D' | 'DEPTHWISE_CONV_2D', a: Conv2DAttrs | DepthwiseConv2DAttrs, r: () => number, kind: StemKind, inShape: number[], wShape: number[], qDim: number, outZeroPoint?: number): VariantCase {
  const perChannel = kind !== 'weights-zp' && r() < 0.7;
  const { scales, bias } = quantSpecs(r, kind, wShape[qDim], perChannel);
  const weights = randomInt8(count(wShape), r);
  const specs = [
    { shape: inShape, dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(r, -128, 127) } },
    { shape: wShape, dtype: 'int8' as const, quant: { scale: scales, zeroPoint: kind === 'weights-zp' ? [int(r, -128, 127)] : scales.map(() => 0), quantizedDimension: qDim }, data: weights },
    bias ? { shape: [wShape[qDim]], dtype: 'int32' as const, data: bias } : undefined,
  ];
  const def = (op === 'CONV_2D' ? conv2d : depthwiseConv2d) as unknown as typeof conv2d;
  const [shape] = def.inferShapes(singleOpContext(op as 'CONV_2D', a as Conv2DAttrs, specs, [{ shape: [], dtype: 'int8' }]));
  const ctx = singleOpContext(op as 'CONV_2D', a as Conv2DAttrs, specs, [{ shape, dtype: 'int8', quant: { scale: 0.1 + r() * 0.2, zeroPoint: outZeroPoint ?? int(r, -128, 127) } }]);
  return { ctx, params: def.prepare(ctx), inputs: [randomInt8(count(inShape), r), weights, bias] };
}

/** A random few-input-channel convolution: filters 1x2 to 10x8, strides 1-3, odd pixel and channel counts. */
function stemConvCase(seed: number, kind: StemKind = 'fast'): VariantCase {
  const r = rng(seed);
  const tall = r() < 0.3;
  const fh = tall ? int(r, 6, 10) : int(r, 1, 5);
  const fw = tall ? int(r, 3, 8) : int(r, 2, 5);
  const stride = int(r, 1, 3);
  const inC = int(r, 1, 3);
  const outC = pick(r, [1, 3, 4, 5, 8, 9, 16, 17]);
  const batches = r() < 0.15 ? 2 : 1;
  const a: Conv2DAttrs = { padding: pick(r, ['SAME', 'VALID'] as const), strideH: stride, strideW: int(r, 1, 3), dilationH: 1, dilationW: 1, activation: pick(r, ACTIVATIONS) };
  return windowCase('CONV_2D', a, r, kind, [batches, int(r, fh, fh + 9), int(r, fw, fw + 9), inC], [outC, fh, fw, inC], 0);
}

/** A stem of a given shape (NHWC input, OHWI weights), stride `stride` both ways, 'same' padding, no activation. */
function fixedStemCase(seed: number, inShape: number[], wShape: number[], stride: number): VariantCase {
  const a: Conv2DAttrs = { padding: 'SAME', strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, activation: 'NONE' };
  return windowCase('CONV_2D', a, rng(seed), 'fast', inShape, wShape, 0);
}

/** A random depthwise layer with input depth 1 (micro_speech's first layer is 10x8 stride 2, multiplier 8). */
function stemDwCase(seed: number, kind: StemKind = 'fast'): VariantCase {
  const r = rng(seed);
  const fh = int(r, 2, 10);
  const fw = int(r, 1, 8);
  const outC = pick(r, [1, 2, 4, 6, 8, 8, 12]);
  const a: DepthwiseConv2DAttrs = { padding: pick(r, ['SAME', 'VALID'] as const), strideH: int(r, 1, 2), strideW: int(r, 1, 2), dilationH: 1, dilationW: 1, depthMultiplier: outC, activation: pick(r, ACTIVATIONS) };
  return windowCase('DEPTHWISE_CONV_2D', a, r, kind, [1, int(r, fh, fh + 12), int(r, fw, fw + 12), 1], [1, fh, fw, outC], 3);
}

function emitted(c: VariantCase) {
  const v = c.ctx.op.type === 'CONV_2D' ? conv2dStemDspVariant : depthwiseConv2dStemDspVariant;
  return v.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
}
// The mode without TINYML_RQ_NOFIX (the flag of layers whose sign correction is dead).
const modeOf = (c: VariantCase) => Number(/\.mode = (\d+)/.exec(emitted(c).decls)![1]) & 3;
function label(c: VariantCase, i: number): string {
  const p = c.params as Conv2DQuantParams;
  return `case ${i}: ${p.batches}x${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} -> ${p.outputHeight}x${p.outputWidth}x${p.outputDepth} mode ${modeOf(c)}`;
}

/** `conv` on the CONV_2D cases and `dw` on the depthwise ones, run by `run` (host or QEMU), equal to `evaluate`. */
async function expectStemCases(
  run: (v: KernelVariant, cases: VariantCase[]) => Promise<TensorData[][]>,
  conv: KernelVariant,
  dw: KernelVariant,
  convs: VariantCase[],
  dws: VariantCase[],
  what: (c: VariantCase, i: number) => string,
) {
  for (const [v, def, cases, prefix] of [[conv, conv2d, convs, ''], [dw, depthwiseConv2d, dws, 'depthwise ']] as const) {
    const want = evaluateCases(def as unknown as typeof conv2d, cases);
    const got = await run(v, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), `${prefix}${what(c, i)}`).toEqual(values(want[i][0])));
  }
}

/**
 * `cases` run in place through the row window or stage driver (both covered), bit-exact on the
 * host (AddressSanitizer, exact buffers) and on an emulated Cortex-M4.
 */
function inPlaceTests(name: string, cases: VariantCase[], stem: KernelVariant, scratch: (p: unknown, k?: unknown[]) => number | undefined, what: (c: VariantCase, i: number) => string) {
  const variant = inPlaceVariant('CONV_2D', name, (p, n, ctx) => stem.emitC(p, n, { ...ctx, target: HOST_DSP_TARGET }), scratch, cases);
  it('covers both drivers', () => {
    expect(new Set(cases.map((c) => rowInPlaceMode(c.params as Conv2DQuantParams)))).toEqual(new Set(['stage', 'window']));
  });
  it('bit-exact in place (host, AddressSanitizer, exact buffers)', { timeout: 180_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesInC(variant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), what(c, i)).toEqual(values(want[i][0])));
  });
  it('bit-exact in place on an emulated Cortex-M4', { timeout: 180_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesOnQemu(variant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), what(c, i)).toEqual(values(want[i][0])));
  });
}

const kinds: StemKind[] = ['fast', 'fast', 'big-scale', 'big-bias', 'tiny-scale', 'weights-zp'];
const convCases = Array.from({ length: 48 }, (_, i) => stemConvCase(31000 + i, kinds[i % kinds.length])).filter((c) => stemOk(c.params as Conv2DQuantParams));
const dwCases = Array.from({ length: 24 }, (_, i) => stemDwCase(32000 + i, kinds[i % kinds.length]));

describe('conv2d_s8_stem_dsp vs CONV_2D and DEPTHWISE_CONV_2D evaluate', () => {
  it('covers cin 1-3, strides 1-3, odd pixel counts, channel tails and every requantization mode', () => {
    expect(convCases.length).toBeGreaterThanOrEqual(40);
    const ps = convCases.map((c) => c.params as Conv2DQuantParams);
    expect(new Set(ps.map((p) => p.inputDepth))).toEqual(new Set([1, 2, 3]));
    expect(new Set(ps.map((p) => p.strideHeight))).toEqual(new Set([1, 2, 3]));
    expect(ps.some((p) => (p.batches * p.outputHeight * p.outputWidth) % 2 === 1)).toBe(true);
    expect(ps.some((p) => p.outputDepth % 4 !== 0)).toBe(true);
    expect(ps.some((p) => p.padHeight > 0 && p.padWidth > 0)).toBe(true);
    expect(ps.some((p) => p.batches === 2)).toBe(true);
    expect(new Set([...convCases, ...dwCases].map(modeOf))).toEqual(new Set([RQ_FAST_FOLDED, RQ_REF]));
    planOptions.fold = false;
    expect(convCases.some((c) => modeOf(c) === RQ_FAST)).toBe(true);
    planOptions.fold = true;
  });

  it('is the kernel the DSP targets pick for few-channel convolutions and depth-1 depthwise layers (not with --optimize size)', () => {
    const c = convCases[0];
    expect(findKernelVariant('CONV_2D', c.params, HOST_DSP_TARGET)?.name).toBe('conv2d_s8_stem_dsp');
    expect(findKernelVariant('CONV_2D', c.params, HOST_DSP_TARGET, 'size')?.name).toBe('conv2d_s8_dsp');
    expect(findKernelVariant('DEPTHWISE_CONV_2D', dwCases[0].params, HOST_DSP_TARGET, 'size')?.name).not.toBe('depthwise_conv2d_s8_stem_dsp');
    expect(findKernelVariant('DEPTHWISE_CONV_2D', dwCases[0].params, HOST_DSP_TARGET)?.name).toBe('depthwise_conv2d_s8_stem_dsp');
    expect(conv2dStemDspVariant.accepts({ ...(c.params as Conv2DQuantParams), inputDepth: 4, filterInputDepth: 4 }, HOST_DSP_TARGET)).toBe(false);
    expect(conv2dStemDspVariant.accepts(c.params, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
    // The planner's scratch for these layers is the stem kernel's (the runs below get exactly that).
    for (const x of dwCases) expect(dspScratchBytes('DEPTHWISE_CONV_2D', x.params, HOST_DSP_TARGET)).toBe(stemScratchBytes(dwAsConv(x.params as DepthwiseConv2DQuantParams)));
  });

  it('orders each filter row as SXTB16 expands its words, then the rows\' last bytes, padded to even', () => {
    expect(stemColumnOrder(1, 3, 3)).toEqual([0, 2, 1, 3, 4, 6, 5, 7, 8, -1]);
    expect(stemColumnOrder(2, 2, 1)).toEqual([0, 1, 2, 3]);
    expect(stemColumnOrder(2, 4, 1)).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    expect(stemColumnOrder(3, 3, 3).length).toBe(28); // VWW, ResNet: 27 K indices, one padding
  });

  it('bit-exact on random cases (host, portable DSP fallbacks, AddressSanitizer, exact scratch)', async () => {
    await expectStemCases(runVariantCasesInC, conv2dStemDspVariant, depthwiseConv2dStemDspVariant, convCases, dwCases, label);
  });

  it('bit-exact on random cases on an emulated Cortex-M4 (unrolled assembly)', { timeout: 180_000 }, async () => {
    await expectStemCases(runVariantCasesOnQemu, conv2dStemDspVariant, depthwiseConv2dStemDspVariant, convCases, dwCases, label);
    // FAST without the folded offset, and -Os.
    const unfolded = convCases.slice(0, 16);
    const want = evaluateCases(conv2d, unfolded);
    planOptions.fold = false;
    try {
      const got2 = await runVariantCasesOnQemu(conv2dStemDspVariant, unfolded, '-Os');
      unfolded.forEach((c, i) => expect(values(got2[i][0]), `unfolded -Os ${label(c, i)}`).toEqual(values(want[i][0])));
    } finally {
      planOptions.fold = true;
    }
  });

  describe('in place through the row window or stage', () => {
    const inPlace = Array.from({ length: 200 }, (_, i) => stemConvCase(33000 + i))
      .filter((c) => {
        const p = c.params as Conv2DQuantParams;
        return stemOk(p) && conv2dStemDspVariant.inPlaceScratchBytes!(p) !== undefined;
      })
      .slice(0, 16);
    inPlaceTests('stem in place', inPlace, conv2dStemDspVariant, (p, k) => conv2dStemDspVariant.inPlaceScratchBytes!(p, k as never), label);
  });

  it('compiles for Cortex-M4 without warnings', async () => {
    await compileVariantForArm(conv2dStemDspVariant, convCases.slice(0, 3));
  });
});

/**
 * The sub-byte twin (ops/subbyte/stem.ts): the same random shapes with weights of each width,
 * stored packed and decoded into the stem layout once per call, against `evaluate` on the decoded
 * weights. Every kind covers one and three input channels, strides 1 and 2, padding, odd pixel
 * counts and channel counts that are not multiples of four.
 */
describe('conv2d_s8_stem_dsp on sub-byte weights (decoded once per call)', () => {
  const [dwStemSb, convStemSb] = SUBBYTE_STEM_VARIANTS;
  const sbKinds: StemKind[] = ['fast', 'big-scale', 'tiny-scale', 'big-bias'];
  const sbConv = (kind: SubByteKind) =>
    Array.from({ length: 40 }, (_, i) => 34000 + 100 * SUB_BYTE_KINDS.indexOf(kind) + i)
      .map((seed) => asSubByteCase(conv2d, stemConvCase(seed, sbKinds[seed % sbKinds.length]), kind, seed + 7))
      .filter((c) => convStemSb.accepts(c.params, HOST_DSP_TARGET))
      .slice(0, 12);
  const convSb = SUB_BYTE_KINDS.flatMap(sbConv);
  // Layouts over the frame, decoded into the scratch: KWS's first layer (10x4 on one channel, 64
  // outputs), a 17-channel one and a binary 3x3x3 one.
  const bigSb = [
    asSubByteCase(conv2d, fixedStemCase(34900, [1, 20, 8, 1], [64, 10, 4, 1], 2), 'int2', 34901),
    asSubByteCase(conv2d, fixedStemCase(34902, [1, 12, 9, 1], [17, 10, 4, 1], 1), 'int4', 34903),
    asSubByteCase(conv2d, fixedStemCase(34904, [1, 9, 9, 3], [24, 3, 3, 3], 1), 'binary', 34905),
  ];
  const dwSb = SUB_BYTE_KINDS.flatMap((kind, k) => Array.from({ length: 4 }, (_, i) => asSubByteCase(depthwiseConv2d, stemDwCase(35000 + 10 * k + i), kind, 35500 + 10 * k + i)));
  const sbLabel = (c: VariantCase, i: number) => `${(c.params as { weightEncoding: string }).weightEncoding} ${label(c, i)}`;

  it('covers every kind with cin 1 and 3, strides 1 and 2, padding, odd pixel counts and channel tails', () => {
    for (const kind of SUB_BYTE_KINDS) {
      const ps = convSb.filter((c) => (c.params as { weightEncoding: string }).weightEncoding === kind).map((c) => c.params as Conv2DQuantParams);
      expect(ps.length, kind).toBe(12);
      expect(ps.some((p) => p.inputDepth === 1) && ps.some((p) => p.inputDepth === 3), kind).toBe(true);
      expect(ps.some((p) => p.strideHeight === 1) && ps.some((p) => p.strideHeight === 2), kind).toBe(true);
      expect(ps.some((p) => p.padHeight > 0 || p.padWidth > 0), kind).toBe(true);
      expect(ps.some((p) => (p.batches * p.outputHeight * p.outputWidth) % 2 === 1), kind).toBe(true);
      expect(ps.some((p) => p.outputDepth % 4 !== 0), kind).toBe(true);
    }
    // Sub-byte weights often give shifts of both signs: FAST_MIXED, besides FOLDED and REF.
    const sbMode = (c: VariantCase) => {
      const v = c.ctx.op.type === 'CONV_2D' ? convStemSb : dwStemSb;
      const e = v.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
      return Number(/\.mode = (\d+)/.exec(e.decls)![1]) & 3;
    };
    const modes = new Set([...convSb, ...dwSb].map(sbMode));
    expect(modes.has(RQ_FAST_FOLDED) && modes.has(RQ_FAST_MIXED)).toBe(true);
  });

  it('is what the DSP targets pick for sub-byte stems (not with --optimize size, not on the M3); its scratch holds the decoded weights', () => {
    const c = convSb[0];
    expect(findKernelVariant('CONV_2D', c.params, HOST_DSP_TARGET)?.name).toBe('conv2d_s8_stem_dsp_subbyte');
    expect(findKernelVariant('DEPTHWISE_CONV_2D', dwSb[0].params, HOST_DSP_TARGET)?.name).toBe('depthwise_conv2d_s8_stem_dsp_subbyte');
    expect(findKernelVariant('CONV_2D', c.params, HOST_DSP_TARGET, 'size')?.name).toBe('conv2d_s8_dsp_subbyte');
    expect(convStemSb.accepts(c.params, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
    // Offers the planner its in-place form (below), with the same scratch after the row window.
    expect(convStemSb.inPlaceScratchBytes).toBeDefined();
    // The weights stay packed in flash: no int16 copy of them in the emitted C.
    const e = convStemSb.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
    expect(e.decls).toMatch(/static const uint32_t x_w4\[/);
    expect(e.decls).not.toMatch(/int16_t x_w\[/);
    // Small decoded layouts live on the kernel's stack frame, larger ones at the start of the scratch: both run below.
    const all = [...convSb, ...bigSb];
    const decoded = all.map((x) => stemDecodedBytes(x.params as Conv2DQuantParams, flashBits((x.params as { weightEncoding: SubByteKind }).weightEncoding)));
    expect(decoded.some((b) => b <= STEM_SB_STACK_BYTES) && decoded.some((b) => b > STEM_SB_STACK_BYTES)).toBe(true);
    all.forEach((x, i) => expect(convStemSb.scratchBytes!(x.params)).toBe(stemScratchBytes(x.params as Conv2DQuantParams) + (decoded[i] > STEM_SB_STACK_BYTES ? decoded[i] : 0)));
  });

  it('bit-exact on random cases of every kind (host, portable DSP fallbacks, AddressSanitizer, exact scratch)', { timeout: 180_000 }, async () => {
    await expectStemCases(runVariantCasesInC, convStemSb, dwStemSb, [...convSb, ...bigSb], dwSb, sbLabel);
  });

  it('bit-exact on random cases of every kind on an emulated Cortex-M4 (unrolled assembly)', { timeout: 180_000 }, async () => {
    await expectStemCases(runVariantCasesOnQemu, convStemSb, dwStemSb, [...convSb, ...bigSb], dwSb, sbLabel);
  });

  describe('in place through the row window or stage', () => {
    const takesInPlace = (c: VariantCase) => convStemSb.accepts(c.params, HOST_DSP_TARGET) && convStemSb.inPlaceScratchBytes!(c.params, c.inputs as never) !== undefined;
    const decodedOf = (c: VariantCase) => stemDecodedBytes(c.params as Conv2DQuantParams, flashBits((c.params as { weightEncoding: SubByteKind }).weightEncoding));
    const inPlace = [
      ...SUB_BYTE_KINDS.flatMap((kind, k) =>
        Array.from({ length: 120 }, (_, i) => 36000 + 200 * k + i)
          .map((seed) => asSubByteCase(conv2d, stemConvCase(seed), kind, seed + 3))
          .filter(takesInPlace)
          .slice(0, 4),
      ),
      // Layouts over the frame: through the band driver, decoded at the start of the kernel's scratch.
      ...bigSb.filter(takesInPlace),
    ];
    const emitIn = (c: VariantCase) =>
      convStemSb.emitC(c.params, { inputs: ['x', 'w', 'b'], outputs: ['x'] }, { prefix: 'l', target: HOST_DSP_TARGET, constants: c.inputs as never, scratch: 's', inPlace: true });
    it('covers every kind, and layouts on the frame and over it', () => {
      expect(new Set(inPlace.map((c) => (c.params as { weightEncoding: string }).weightEncoding))).toEqual(new Set(SUB_BYTE_KINDS));
      expect(inPlace.some((c) => decodedOf(c) <= STEM_SB_STACK_BYTES) && inPlace.some((c) => decodedOf(c) > STEM_SB_STACK_BYTES)).toBe(true);
    });
    it('decodes a layout that fits the frame once per layer, not once per output row (issue #15: VWW int4 within 1.05x int8)', () => {
      for (const c of inPlace) {
        const e = emitIn(c);
        if (decodedOf(c) <= STEM_SB_STACK_BYTES) {
          // The layer's own function decodes onto its frame, then the int8 stem kernel runs on every row (weights kind 2).
          expect(e.call).toMatch(/^l_in_place\(x, /);
          expect(e.decls).toMatch(/static __attribute__\(\(noinline\)\) void l_in_place\(int8_t \*data, void \*scratch\) \{\n  uint32_t layout\[(\d+)\];[^\n]*\n  tinyml_conv2d_stem_dsp_decode\(l_w\d, \d+, \d, [12], \(int16_t \*\)\(void \*\)layout\);\n  tinyml_conv2d_s8_dsp_in_place(_staged)?\(&l_params, data, layout, 2, scratch\);\n\}/);
          expect(Number(/uint32_t layout\[(\d+)\]/.exec(e.decls)![1]) * 4).toBe(decodedOf(c));
          expect(e.decls).not.toMatch(/_band|stem_dsp_sb\d/);
        } else {
          expect(e.call).toMatch(/^tinyml_conv2d_s8_dsp_in_place(_staged)?_band\(&l_params, x, l_band, /);
          expect(e.decls).toMatch(/static void l_band\([^)]*\) \{\n\s+tinyml_conv2d_s8_stem_dsp_sb\d\(p, input, l_w\d, /);
        }
      }
    });
    inPlaceTests('sub-byte stem in place', inPlace, convStemSb, (p, k) => convStemSb.inPlaceScratchBytes!(p, k as never), sbLabel);
  });

  it('compiles for Cortex-M4 without warnings', async () => {
    await compileVariantForArm(convStemSb, convSb.slice(0, 3));
  });
});

/** The case with its weights clustered: a random 16-entry table, random 4-bit indices, weights = table[index]. */
function asLutCase(c: VariantCase, seed: number): VariantCase & { enc: LutEncoding } {
  const r = rng(seed);
  const table = Int8Array.from({ length: 16 }, () => int(r, -127, 127));
  const n = (c.inputs[1] as Int8Array).length;
  const indices = Uint8Array.from({ length: n }, () => int(r, 0, 15));
  const data = Int8Array.from(indices, (i) => table[i]);
  const enc: LutEncoding = { kind: 'lut', bits: 4, entries: 16, scope: 'tensor', table, indices };
  const inputs = [...c.inputs];
  inputs[1] = data;
  const ctxInputs = [...c.ctx.inputs];
  ctxInputs[1] = { ...ctxInputs[1]!, data, weightEncoding: enc };
  return { ...c, inputs, ctx: { ...c.ctx, inputs: ctxInputs }, enc };
}

/**
 * The LUT twin (codegen/lut-layer.ts's lutStemConv, tinyml_conv2d_s8_stem_dsp_lut4): clustered
 * first layers (4-bit indices into one table) decoded through the table once per call into the
 * int8 stem's layout, against `evaluate` on the decoded weights, through the code generator's own
 * LUT entry points (emitLutLayer, lutScratchBytes).
 */
describe('conv2d_s8_stem_dsp on clustered weights (lut16, decoded once per call)', () => {
  type LutStemCase = VariantCase & { enc: LutEncoding };
  const lutKinds: StemKind[] = ['fast', 'big-scale', 'tiny-scale', 'big-bias'];
  const stepOf = (c: VariantCase) => ({ op: c.ctx.op, def: (c.ctx.op.type === 'CONV_2D' ? conv2d : depthwiseConv2d) as unknown as AnyOpDef, params: c.params });
  const convLut = Array.from({ length: 40 }, (_, i) => 37000 + i)
    .map((seed) => asLutCase(stemConvCase(seed, lutKinds[seed % lutKinds.length]), seed + 11))
    .filter((c) => lutStemConv(stepOf(c), c.enc, HOST_DSP_TARGET) !== undefined)
    .slice(0, 16);
  const dwLut = Array.from({ length: 6 }, (_, i) => asLutCase(stemDwCase(37500 + i, lutKinds[i % lutKinds.length]), 37600 + i));
  /** The cases' LUT emissions as a kernel variant, for the optimized-kernel harness (host and QEMU). */
  function lutStemVariant(op: 'CONV_2D' | 'DEPTHWISE_CONV_2D', cases: LutStemCase[]): KernelVariant {
    const byParams = new Map(cases.map((c) => [c.params, c]));
    const of = (params: unknown) => byParams.get(params)!;
    return {
      name: `${op} lut16 stem`,
      op,
      accepts: () => true,
      emitC: (params, names, ctx) => emitLutLayer(stepOf(of(params)), of(params).enc, names, ctx),
      scratchBytes: (params) => lutScratchBytes(stepOf(of(params)), of(params).enc, HOST_DSP_TARGET),
    };
  }
  const convV = lutStemVariant('CONV_2D', convLut);
  const dwV = lutStemVariant('DEPTHWISE_CONV_2D', dwLut);
  const emit = (c: LutStemCase, target: TargetInfo, optimize?: OptimizeGoal) =>
    emitLutLayer(stepOf(c), c.enc, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target, optimize, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });

  it('covers cin 1 and 3, strides 1 and 2, padding, odd pixel counts, channel tails, and decoded layouts on the stack and in the scratch', () => {
    const ps = convLut.map((c) => c.params as Conv2DQuantParams);
    expect(ps.length).toBe(16);
    expect(ps.some((p) => p.inputDepth === 1) && ps.some((p) => p.inputDepth === 3)).toBe(true);
    expect(ps.some((p) => p.strideHeight === 1) && ps.some((p) => p.strideHeight === 2)).toBe(true);
    expect(ps.some((p) => p.padHeight > 0 || p.padWidth > 0)).toBe(true);
    expect(ps.some((p) => (p.batches * p.outputHeight * p.outputWidth) % 2 === 1)).toBe(true);
    expect(ps.some((p) => p.outputDepth % 4 !== 0)).toBe(true);
    const decoded = ps.map((p) => stemDecodedBytes(p, 4));
    expect(decoded.some((b) => b <= STEM_SB_STACK_BYTES) && decoded.some((b) => b > STEM_SB_STACK_BYTES)).toBe(true);
    const modes = new Set([...convLut, ...dwLut].map((c) => Number(/\.mode = (\d+)/.exec(emit(c, HOST_DSP_TARGET).decls)![1]) & 3));
    expect(modes.has(RQ_FAST_FOLDED)).toBe(true);
  });

  it('is what the code generator emits for clustered stems on DSP cores (not with --optimize size, not on the M3); indices stay packed in flash', () => {
    const c = convLut[0];
    expect(emit(c, HOST_DSP_TARGET).call).toMatch(/^tinyml_conv2d_s8_stem_dsp_lut4\(/);
    expect(emit(dwLut[0], HOST_DSP_TARGET).call).toMatch(/^tinyml_conv2d_s8_stem_dsp_lut4\(/);
    expect(emit(c, HOST_DSP_TARGET, 'size').call).not.toMatch(/stem/);
    expect(lutStemConv(stepOf(c), c.enc, { core: 'cortex-m3', dsp: false, mve: false })).toBeUndefined();
    expect(lutStemConv(stepOf(c), { ...c.enc, bits: 2, entries: 4 }, HOST_DSP_TARGET)).toBeUndefined();
    const e = emit(c, HOST_DSP_TARGET);
    expect(e.decls).toMatch(/static const uint32_t x_w4\[/);
    expect(e.decls).not.toMatch(/int16_t x_w\[/);
    // Decoded weights take scratch only when they do not fit the kernel's stack frame; when the
    // kernel's own scratch fits there after them too, the layer takes none.
    for (const x of convLut) {
      const p = x.params as Conv2DQuantParams;
      const d = stemDecodedBytes(p, 4);
      const want = lutStemFrameOnly(p) ? 0 : stemScratchBytes(p) + (d > STEM_SB_STACK_BYTES ? d : 0);
      expect(lutStemFrameOnly(p)).toBe(d + stemScratchBytes(p) <= STEM_SB_STACK_BYTES);
      expect(lutScratchBytes(stepOf(x), x.enc, HOST_DSP_TARGET)).toBe(want);
    }
    const frameOnly = convLut.map((x) => lutStemFrameOnly(x.params as Conv2DQuantParams));
    expect(frameOnly.some((f) => f) && frameOnly.some((f) => !f)).toBe(true);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks, AddressSanitizer, exact scratch)', { timeout: 180_000 }, async () => {
    await expectStemCases(runVariantCasesInC, convV, dwV, convLut, dwLut, label);
  });

  it('bit-exact on random cases on an emulated Cortex-M4 (unrolled assembly)', { timeout: 180_000 }, async () => {
    await expectStemCases(runVariantCasesOnQemu, convV, dwV, convLut, dwLut, label);
  });
});

/**
 * The first layers of the shared models, which the kernel runs on fast paths (issue #20): 3x3
 * filters on three channels (VWW stride 2, ResNet stride 1; the pairs routine expands each run of
 * interior pairs on an output row itself) and 10x4 on one channel (KWS; columns unrolled). Small
 * images of those shapes with every edge: padding on every side and on the right and bottom only,
 * odd output widths (pairs that straddle rows), odd pixel counts, batches, output depths of one
 * block, several, and blocks plus a partial one, FOLDED, REF and (sub-byte weights) FAST_MIXED.
 */
describe('conv2d_s8_stem_dsp on the shared models\' first-layer shapes (3x3x3, 10x4x1)', () => {
  const at = (seed: number, inShape: number[], wShape: number[], stride: number, padding: 'SAME' | 'VALID', kind: StemKind = 'fast') =>
    windowCase('CONV_2D', { padding, strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, activation: 'NONE' }, rng(seed), kind, inShape, wShape, 0);
  const shapes = (seed: number, kind: StemKind = 'fast') => [
    at(seed, [1, 20, 22, 3], [8, 3, 3, 3], 2, 'SAME', kind), // VWW: padding right and bottom only
    at(seed + 1, [1, 11, 13, 3], [8, 3, 3, 3], 2, 'SAME', kind), // 6x7 outputs: pairs straddle rows
    at(seed + 2, [1, 12, 10, 3], [16, 3, 3, 3], 1, 'SAME', kind), // ResNet: padding on every side
    at(seed + 3, [2, 9, 7, 3], [4, 3, 3, 3], 1, 'VALID', kind), // batches, one block, 7x5 outputs (odd)
    at(seed + 4, [1, 10, 14, 3], [12, 3, 3, 3], 2, 'VALID', kind),
    at(seed + 5, [1, 10, 14, 3], [5, 3, 3, 3], 2, 'SAME', kind), // a block and a partial one
    at(seed + 6, [1, 20, 8, 1], [64, 10, 4, 1], 2, 'SAME', kind), // KWS
    at(seed + 7, [1, 15, 9, 1], [8, 10, 4, 1], 1, 'VALID', kind),
  ];
  const int8Cases = [...shapes(38000), ...shapes(38100, 'big-scale'), ...shapes(38200, 'weights-zp')];
  const [, convStemSb] = SUBBYTE_STEM_VARIANTS;
  const sbCases = SUB_BYTE_KINDS.flatMap((kind, k) =>
    shapes(38300 + 20 * k, k % 2 ? 'big-scale' : 'tiny-scale').map((c, i) => asSubByteCase(conv2d, c, kind, 38400 + 20 * k + i)),
  );
  const sbMode = (c: VariantCase) =>
    Number(/\.mode = (\d+)/.exec(convStemSb.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }).decls)![1]) & 3;

  it('are stem layers of those shapes, in FOLDED, REF and FAST_MIXED', () => {
    for (const c of int8Cases) expect(stemOk(c.params as Conv2DQuantParams), label(c, 0)).toBe(true);
    for (const c of sbCases) expect(convStemSb.accepts(c.params, HOST_DSP_TARGET), label(c, 0)).toBe(true);
    const modes = new Set([...int8Cases.map(modeOf), ...sbCases.map(sbMode)]);
    expect(modes).toEqual(new Set([RQ_FAST_FOLDED, RQ_REF, RQ_FAST_MIXED]));
    const threes = int8Cases.map((c) => c.params as Conv2DQuantParams).filter((p) => p.filterHeight === 3);
    expect(threes.some((p) => p.padHeight > 0 && p.padWidth > 0) && threes.some((p) => p.outputWidth % 2 === 1)).toBe(true);
  });

  it('bit-exact on the host (portable DSP fallbacks, AddressSanitizer)', { timeout: 120_000 }, async () => {
    await expectStemCases(runVariantCasesInC, conv2dStemDspVariant, depthwiseConv2dStemDspVariant, int8Cases, [], label);
  });

  it('bit-exact on an emulated Cortex-M4 (the pairs routines), int8 and sub-byte weights, -O2 and -Os', { timeout: 180_000 }, async () => {
    await expectStemCases(runVariantCasesOnQemu, conv2dStemDspVariant, depthwiseConv2dStemDspVariant, int8Cases, [], label);
    // -Os with every kernel function section linked at 2 mod 4 where it may be: the routines' ADR stays right.
    const want8 = evaluateCases(conv2d, int8Cases);
    const gotOs = await runVariantCasesOnQemu(conv2dStemDspVariant, int8Cases, '-Os', { misaligned: true });
    int8Cases.forEach((c, i) => expect(values(gotOs[i][0]), `-Os ${label(c, i)}`).toEqual(values(want8[i][0])));
    const want = evaluateCases(conv2d, sbCases);
    const got = await runVariantCasesOnQemu(convStemSb, sbCases);
    sbCases.forEach((c, i) => expect(values(got[i][0]), `${(c.params as { weightEncoding: string }).weightEncoding} ${label(c, i)}`).toEqual(values(want[i][0])));
  });

  // VWW's own case (eight channels, an even output width, output zero point -128 and no clamp: FOLDED
  // without the sign correction), which takes stem8_run: the right-edge pair expanded in place
  // (stride 2 and 1), pairs gathered on the left, top and bottom, VALID, batches.
  const vwwAt = (seed: number, inShape: number[], stride: number, padding: 'SAME' | 'VALID', kind: StemKind = 'fast', strideH = stride) =>
    windowCase('CONV_2D', { padding, strideH, strideW: stride, dilationH: 1, dilationW: 1, activation: 'NONE' }, rng(seed), kind, inShape, [8, 3, 3, 3], 0, -128);
  const vwwCases = [38500, 38510, 38520].flatMap((seed, k) => {
    const kind = (['fast', 'fast', 'weights-zp'] as const)[k];
    return [
      vwwAt(seed, [1, 20, 24, 3], 2, 'SAME', kind), // VWW: padding right and bottom, the right-edge pair
      vwwAt(seed + 1, [1, 13, 23, 3], 2, 'SAME', kind), // padding on every side, 12 outputs a row
      vwwAt(seed + 2, [1, 9, 12, 3], 1, 'SAME', kind), // stride 1: the right-edge pair, left pairs gathered
      vwwAt(seed + 3, [2, 11, 13, 3], 2, 'VALID', kind), // batches, no padding
      vwwAt(seed + 4, [1, 7, 6, 3], 1, 'SAME', kind),
      // Rows of 28 pairs (more than the row buffer's 24: runs in parts, each seeded), the bottom row gathered.
      vwwAt(seed + 5, [1, 6, 112, 3], 2, 'SAME', kind),
      // Stride 1 down, 2 across: no row's first filter row is the last one of the row before.
      vwwAt(seed + 6, [1, 9, 24, 3], 2, 'SAME', kind, 1),
    ];
  });

  it('VWW\'s case: eight channels, even output widths, FOLDED without the sign correction', () => {
    for (const c of vwwCases) {
      const p = c.params as Conv2DQuantParams;
      expect(p.outputWidth % 2, label(c, 0)).toBe(0);
      expect(Number(/\.mode = (\d+)/.exec(emitted(c).decls)![1]), label(c, 0)).toBe(RQ_FAST_FOLDED | 4);
      // Its routine's file is linked for it, stride 2 across (conv2d_stem8_dsp.c), and for no other shape of the shared models.
      expect(emitted(c).kernels.includes('arm/conv2d_stem8_dsp.c'), label(c, 0)).toBe(p.strideWidth === 2);
    }
    expect(vwwCases.filter((c) => (c.params as Conv2DQuantParams).strideWidth === 2).length).toBeGreaterThanOrEqual(9);
    for (const c of int8Cases) {
      const p = c.params as Conv2DQuantParams;
      const vwwShape = p.outputDepth === 8 && p.filterHeight === 3 && p.inputDepth === 3 && p.strideWidth === 2 && p.outputWidth % 2 === 0;
      expect(emitted(c).kernels.includes('arm/conv2d_stem8_dsp.c'), label(c, 0)).toBe(vwwShape);
    }
  });

  it('VWW\'s case bit-exact on an emulated Cortex-M4, -O2 and -Os, and in place', { timeout: 180_000 }, async () => {
    const want = evaluateCases(conv2d, vwwCases);
    const got = await runVariantCasesOnQemu(conv2dStemDspVariant, vwwCases);
    vwwCases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    const gotOs = await runVariantCasesOnQemu(conv2dStemDspVariant, vwwCases, '-Os', { misaligned: true });
    vwwCases.forEach((c, i) => expect(values(gotOs[i][0]), `-Os ${label(c, i)}`).toEqual(values(want[i][0])));
    const cases = vwwCases.filter((c) => conv2dStemDspVariant.inPlaceScratchBytes!(c.params) !== undefined);
    expect(cases.length).toBeGreaterThanOrEqual(3);
    const variant = inPlaceVariant('CONV_2D', 'stem in place', (p, n, ctx) => conv2dStemDspVariant.emitC(p, n, { ...ctx, target: HOST_DSP_TARGET }), (p, k) => conv2dStemDspVariant.inPlaceScratchBytes!(p, k as never), cases);
    const wantIn = evaluateCases(conv2d, cases);
    const gotIn = await runVariantCasesOnQemu(variant, cases);
    cases.forEach((c, i) => expect(values(gotIn[i][0]), `in place ${label(c, i)}`).toEqual(values(wantIn[i][0])));
  });

  it('bit-exact in place on an emulated Cortex-M4 (one output row per call, as VWW runs)', { timeout: 180_000 }, async () => {
    const cases = int8Cases.filter((c) => conv2dStemDspVariant.inPlaceScratchBytes!(c.params) !== undefined);
    expect(cases.filter((c) => (c.params as Conv2DQuantParams).filterHeight === 3).length).toBeGreaterThanOrEqual(3);
    const variant = inPlaceVariant('CONV_2D', 'stem in place', (p, n, ctx) => conv2dStemDspVariant.emitC(p, n, { ...ctx, target: HOST_DSP_TARGET }), (p, k) => conv2dStemDspVariant.inPlaceScratchBytes!(p, k as never), cases);
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesOnQemu(variant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
  });
});
