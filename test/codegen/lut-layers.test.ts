/**
 * Clustered-weight kernels (firmware/kernels/lut_layers.c) against the int8 reference on the
 * decoded weights: random conv / depthwise / fully connected shapes (strides, padding, dilation,
 * depth multipliers, batches, per-tensor and per-channel scales), every index width 1..8 and both
 * table scopes, compiled for the host with AddressSanitizer and UBSan. Byte for byte.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitLutLayer, lutDwPlaneWords, lutInPlaceScratchBytes, lutOptions, lutPwBalanced, lutPwBlocks, lutPwOptions, lutScratchBytes } from '../../src/codegen/lut-layer.js';
import { conv } from '../quantize/helpers.js';
import { inPlaceVariant } from '../optimized/in-place-variant.js';
import { rowInPlaceMode } from '../../src/ops/conv-rows-in-place.js';
import type { Conv2DQuantParams } from '../../src/ops/conv2d.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import type { TensorData } from '../../src/ir/types.js';
import type { LutEncoding } from '../../src/ir/weight-encoding.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { planOptions } from '../../src/ops/optimized/common.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import { HOST_PRELUDE, KERNELS_DIR, emitCasesProgram, runOpCasesInTs, splitOutputs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';
import type { DepthwiseConv2DAttrs } from '../../src/ops/depthwise-conv2d.js';
import { requireHostCompiler } from '../helpers/tools.js';
import { convCaseOfShape, randomConvCase, randomDwCase, randomFcCase, type ConvShape, type DwShape } from '../optimized/random-cases.js';
import { dwPlaneOptions, dwScratchBytes } from '../../src/ops/optimized/depthwise-conv2d.js';
import { HOST_ASAN_FLAGS, buildCProgram, runVariantCasesOnQemu } from '../optimized/harness.js';
import type { KernelVariant } from '../../src/codegen/select-kernel.js';

interface LutCase extends CKernelCase {
  enc: LutEncoding;
}

/** The case with its weights replaced by random clustered ones (random table(s), random indices). */
export function clusterCase(c: CKernelCase, seed: number, force?: { bits: number; scope: 'tensor' | 'channel' }): LutCase {
  const r = rng(seed);
  const w = c.ctx.inputs[1]!;
  const bits = force?.bits ?? 1 + Math.floor(r() * 8);
  const entries = Math.max(2, Math.min(1 << bits, (1 << (bits - 1)) + 1 + Math.floor(r() * (1 << (bits - 1)))));
  const axis = w.quant?.quantizedDimension ?? 0;
  const channels = w.shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < w.shape.length; d++) inner *= w.shape[d];
  const scope = force?.scope ?? (r() < 0.5 ? 'tensor' : 'channel');
  const tables = scope === 'channel' ? channels : 1;
  const table = Int8Array.from({ length: tables * entries }, () => Math.floor(r() * 255) - 127);
  const n = (c.inputs[1] as Int8Array).length;
  const indices = Uint8Array.from({ length: n }, () => Math.floor(r() * entries));
  const data = new Int8Array(n);
  for (let i = 0; i < n; i++) data[i] = table[(scope === 'channel' ? Math.floor(i / inner) % channels : 0) * entries + indices[i]];
  const inputs = [...c.inputs];
  inputs[1] = data;
  const enc: LutEncoding = { kind: 'lut', bits, entries, scope, table, indices };
  const wt = { ...w, data, weightEncoding: enc };
  const ctxInputs = [...c.ctx.inputs];
  ctxInputs[1] = wt;
  return { ...c, inputs, ctx: { ...c.ctx, inputs: ctxInputs }, enc };
}

const run = promisify(execFile);

/**
 * Compiles the cases with the host gcc under ASan/UBSan and runs them. Asynchronous on purpose: a
 * sanitizer build of the kernels takes tens of seconds, and a synchronous one would stall the test
 * worker's event loop long enough for vitest's worker messages to time out.
 */
async function runLutCasesInC(def: AnyOpDef, cases: LutCase[], target?: TargetInfo): Promise<TensorData[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-lut-'));
  try {
    const step = (c: CKernelCase) => ({ op: c.ctx.op, def, params: c.params });
    const prog = emitCasesProgram(cases, {
      emit: (c, names, ctx) => emitLutLayer(step(c), (c as LutCase).enc, names, { prefix: ctx.prefix, target, constants: ctx.constants, ...(ctx.scratch ? { scratch: ctx.scratch } : {}) }),
      scratchBytes: (c) => lutScratchBytes(step(c), (c as LutCase).enc, target),
      prelude: HOST_PRELUDE,
    });
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const exe = join(dir, 'a.out');
    const sources = [mainC, ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))];
    await buildCProgram(requireHostCompiler('gcc'), [...HOST_ASAN_FLAGS, '-I', KERNELS_DIR], sources, exe, { libs: ['-lm'] });
    return splitOutputs(cases, (await run(exe, [], { encoding: 'buffer', maxBuffer: 1 << 28 })).stdout);
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The case with every channel's shift moved into its multiplier (shift 0: the same scale at
 * lower precision), which the fast requantization does not take: the DSP kernels' REF mode.
 */
function withShiftZero(c: LutCase): LutCase {
  const p = c.params as { outputMultiplier: number[]; outputShift: number[] };
  const outputMultiplier = p.outputMultiplier.map((m, i) => Math.round(m * 2 ** Math.min(0, p.outputShift[i])));
  return { ...c, params: { ...(c.params as object), outputMultiplier, outputShift: p.outputShift.map(() => 0) } } as LutCase;
}

/** The requantization mode (TINYML_RQ_*) the DSP emission of each case planned. */
function rqModes(def: AnyOpDef, cases: LutCase[], target: TargetInfo): number[] {
  return cases.map((c) => {
    const constants = c.inputs.map((d, i) => (c.ctx.inputs[i]?.data ? d : undefined));
    const names = { inputs: c.inputs.map((_, i) => `in${i}`), outputs: ['out'] };
    const em = emitLutLayer({ op: c.ctx.op, def, params: c.params }, c.enc, names, { prefix: 't', target, constants, scratch: 'scratch' });
    // The LUT kernels' record, or the stem twin's params (clustered first layers, conv2d_stem_dsp.c).
    // Clustered 3x3 depthwise layers on the int8 plane or row kernel: the mode is the entry point's.
    const plane = /tinyml_depthwise_conv2d_s8_dsp_(?:lut4_)?(fast|folded|ref)/.exec(em.call);
    if (plane) return { fast: 0, folded: 1, ref: 2 }[plane[1] as 'fast' | 'folded' | 'ref'];
    const m = /_rqp = \{(\d+),/.exec(em.decls) ?? /_params = \{[^]*?\.mode = (\d+)/.exec(em.decls);
    if (!m) throw new Error('no requantization record in the DSP emission');
    return Number(m[1]) & 3;
  });
}

/**
 * A 3x3 depthwise case on an image large enough (18..22 pixels a side) that a group's padded
 * input exceeds the kernel's whole-plane limit: the windows inside the image are read in place
 * and the border bands are copied (lutDwPlaneWords). Strides, padding and dilation random.
 */
function bigDwCase(seed: number): CKernelCase {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const dil = r() < 0.2 ? 2 : 1;
  const a: DepthwiseConv2DAttrs = {
    padding: r() < 0.7 ? 'SAME' : 'VALID',
    strideH: int(1, 2),
    strideW: int(1, 2),
    dilationH: dil,
    dilationW: dil,
    depthMultiplier: 1,
    activation: 'NONE',
  };
  const [inH, inW, inC] = [int(18, 22), int(18, 22), 4 * int(1, 2)];
  const scales = Array.from({ length: inC }, () => 0.002 + r() * 0.05);
  const inSpec = { shape: [1, inH, inW, inC], dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(-128, 127) } };
  const wSpec = { shape: [1, 3, 3, inC], dtype: 'int8' as const, quant: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 3 }, data: randomInt8(9 * inC, r) };
  const bias = randomInt32(inC, r, -3000, 3000);
  const bSpec = { shape: [inC], dtype: 'int32' as const, data: bias };
  const [shape] = depthwiseConv2d.inferShapes(singleOpContext('DEPTHWISE_CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape: [], dtype: 'int8' }]));
  const ctx = singleOpContext('DEPTHWISE_CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape, dtype: 'int8', quant: { scale: 0.05 + r() * 0.2, zeroPoint: int(-128, 127) } }]);
  return { ctx, params: depthwiseConv2d.prepare(ctx), inputs: [randomInt8(inH * inW * inC, r), wSpec.data, bias] };
}

const SUITES: { name: string; def: AnyOpDef; make: (seed: number) => CKernelCase }[] = [
  { name: 'CONV_2D', def: conv2d as AnyOpDef, make: (s) => randomConvCase(s) },
  { name: 'DEPTHWISE_CONV_2D', def: depthwiseConv2d as AnyOpDef, make: (s) => randomDwCase(s, 'fast', 1 + (s % 3 === 0 ? 1 : 0)) },
  { name: 'FULLY_CONNECTED', def: fullyConnected as AnyOpDef, make: (s) => randomFcCase(s) },
];

describe('clustered-weight kernels (portable C, sanitizers) equal the int8 reference on the decoded weights', () => {
  for (const s of SUITES) {
    it(`${s.name}: 40 random shapes, index widths 1..8, per-tensor and per-channel tables`, { timeout: 120_000 }, async () => {
      const cases = Array.from({ length: 40 }, (_, i) => clusterCase(s.make(1600 + i), 77 + i));
      expect(new Set(cases.map((c) => c.enc.bits)).size).toBeGreaterThanOrEqual(6);
      const got = await runLutCasesInC(s.def, cases);
      const want = runOpCasesInTs(s.def, cases);
      cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
    });
  }
});

describe('DSP clustered-weight kernels (portable DSP fallbacks on the host, sanitizers) equal the int8 reference', () => {
  const DSP: TargetInfo = { core: 'host-test', dsp: true, mve: false };
  it('CONV_2D, 4-bit indices into one table: 40 random shapes, the DSP kernel taken where it applies', { timeout: 120_000 }, async () => {
    const cases = Array.from({ length: 40 }, (_, i) => clusterCase(randomConvCase(2600 + i, i % 3 === 0 ? 'pointwise' : 'fast'), 300 + i, { bits: 4, scope: 'tensor' }));
    const dspCases = cases.filter((c) => lutScratchBytes({ op: c.ctx.op, def: conv2d as AnyOpDef, params: c.params }, c.enc, DSP) > 0);
    expect(dspCases.length).toBeGreaterThanOrEqual(10);
    // Some of them pointwise (stride 1, no padding): the folded-bias kernel.
    const pw = dspCases.filter((c) => {
      const p = c.params as Record<string, number>;
      return p.filterHeight === 1 && p.filterWidth === 1 && p.strideHeight === 1 && p.strideWidth === 1 && p.padHeight === 0 && p.padWidth === 0;
    });
    expect(pw.length).toBeGreaterThanOrEqual(3);
    // And some windowed with an input depth not a multiple of 4 and above the stem twin's 3: the im2col kernel.
    expect(dspCases.filter((c) => (c.params as { filterInputDepth: number }).filterInputDepth % 4 !== 0 && (c.params as { filterInputDepth: number }).filterInputDepth > 3).length).toBeGreaterThanOrEqual(3);
    // Every requantization the kernels take: FAST_FOLDED, FAST (folding off) and REF (shift 0).
    const all = [...cases, ...dspCases.slice(0, 6).map(withShiftZero)];
    for (const fold of [true, false]) {
      planOptions.fold = fold;
      try {
        const modes = rqModes(conv2d as AnyOpDef, all.filter((c) => dspCases.includes(c) || !cases.includes(c)), DSP);
        expect(modes.filter((m) => m === (fold ? 1 : 0)).length).toBeGreaterThanOrEqual(3);
        expect(modes).toContain(2);
        const got = await runLutCasesInC(conv2d as AnyOpDef, all, DSP);
        const want = runOpCasesInTs(conv2d as AnyOpDef, all);
        all.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}, fold ${fold}`).toEqual(Array.from(want[i][0] as Int8Array)));
      } finally {
        planOptions.fold = true;
      }
    }
  });
});

describe('DSP clustered-weight depthwise (portable DSP fallbacks on the host, sanitizers)', () => {
  const DSP: TargetInfo = { core: 'host-test', dsp: true, mve: false };
  it('DEPTHWISE_CONV_2D, 4-bit indices into one table: 40 random shapes, the DSP kernel taken where it applies', { timeout: 120_000 }, async () => {
    const cases = [
      ...Array.from({ length: 40 }, (_, i) => clusterCase(randomDwCase(3600 + i, i % 2 === 0 ? 'k3' : 'fast'), 500 + i, { bits: 4, scope: 'tensor' })),
      ...Array.from({ length: 2 }, (_, i) => clusterCase(bigDwCase(4600 + i), 560 + i, { bits: 4, scope: 'tensor' })),
    ];
    const dspCases = cases.filter((c) => lutScratchBytes({ op: c.ctx.op, def: depthwiseConv2d as AnyOpDef, params: c.params }, c.enc, DSP) > 0);
    expect(dspCases.length).toBeGreaterThanOrEqual(8);
    // Every requantization the kernels take: FAST_FOLDED, FAST (folding off) and REF (shift 0).
    const all = [...cases, ...dspCases.slice(0, 6).map(withShiftZero)];
    for (const fold of [true, false]) {
      planOptions.fold = fold;
      try {
        const modes = rqModes(depthwiseConv2d as AnyOpDef, all.filter((c) => dspCases.includes(c) || !cases.includes(c)), DSP);
        expect(modes.filter((m) => m === (fold ? 1 : 0)).length).toBeGreaterThanOrEqual(3);
        expect(modes).toContain(2);
        const got = await runLutCasesInC(depthwiseConv2d as AnyOpDef, all, DSP);
        const want = runOpCasesInTs(depthwiseConv2d as AnyOpDef, all);
        all.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}, fold ${fold}`).toEqual(Array.from(want[i][0] as Int8Array)));
      } finally {
        planOptions.fold = true;
      }
    }
  });
});

describe('DSP clustered-weight fully connected (portable DSP fallbacks on the host, sanitizers)', () => {
  const DSP: TargetInfo = { core: 'host-test', dsp: true, mve: false };
  it('FULLY_CONNECTED, 4-bit indices into one table: 40 random shapes, the DSP kernel taken where it applies', { timeout: 120_000 }, async () => {
    const cases = Array.from({ length: 40 }, (_, i) => clusterCase(randomFcCase(4600 + i), 700 + i, { bits: 4, scope: 'tensor' }));
    const dspCases = cases.filter((c) => lutScratchBytes({ op: c.ctx.op, def: fullyConnected as AnyOpDef, params: c.params }, c.enc, DSP) > 0);
    expect(dspCases.length).toBeGreaterThanOrEqual(8);
    const all = [...cases, ...dspCases.slice(0, 6).map(withShiftZero)];
    for (const fold of [true, false]) {
      planOptions.fold = fold;
      try {
        const modes = rqModes(fullyConnected as AnyOpDef, all.filter((c) => dspCases.includes(c) || !cases.includes(c)), DSP);
        expect(modes.filter((m) => m === (fold ? 1 : 0)).length).toBeGreaterThanOrEqual(3);
        expect(modes).toContain(2);
        const got = await runLutCasesInC(fullyConnected as AnyOpDef, all, DSP);
        const want = runOpCasesInTs(fullyConnected as AnyOpDef, all);
        all.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}, fold ${fold}`).toEqual(Array.from(want[i][0] as Int8Array)));
      } finally {
        planOptions.fold = true;
      }
    }
  });
});

describe('DSP clustered-weight windowed conv without im2col (large filters)', () => {
  const DSP: TargetInfo = { core: 'host-test', dsp: true, mve: false };
  it('CONV_2D with input depths a multiple of 4 on tinyml_conv2d_lut4_s8_dsp: 40 random shapes', { timeout: 120_000 }, async () => {
    lutOptions.im2colMaxColumns = 0;
    try {
      const cases = Array.from({ length: 40 }, (_, i) => clusterCase(randomConvCase(5600 + i, 'fast'), 900 + i, { bits: 4, scope: 'tensor' }));
      const emitted = cases.map((c) => {
        const constants = c.inputs.map((d, i) => (c.ctx.inputs[i]?.data ? d : undefined));
        return emitLutLayer({ op: c.ctx.op, def: conv2d as AnyOpDef, params: c.params }, c.enc, { inputs: ['a', 'b', 'c'], outputs: ['o'] }, { prefix: 't', target: DSP, constants, scratch: 's' }).call;
      });
      expect(emitted.filter((call) => call.includes('tinyml_conv2d_lut4_s8_dsp(')).length).toBeGreaterThanOrEqual(5);
      const got = await runLutCasesInC(conv2d as AnyOpDef, cases, DSP);
      const want = runOpCasesInTs(conv2d as AnyOpDef, cases);
      cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
    } finally {
      lutOptions.im2colMaxColumns = 16384;
    }
  });
});

/**
 * The cases' LUT emissions as a kernel variant, so that the optimized-kernel harness runs them on
 * the emulated Cortex-M4: the real DSP instructions and the kernels' assembly paths.
 */
function lutVariant(def: AnyOpDef, cases: LutCase[]): KernelVariant {
  const byParams = new Map(cases.map((c) => [c.params, c]));
  const lutCase = (params: unknown) => byParams.get(params)!;
  const step = (c: LutCase) => ({ op: c.ctx.op, def, params: c.params });
  return {
    name: `${def.type} LUT`,
    op: def.type,
    accepts: () => true,
    emitC: (params, names, ctx) => emitLutLayer(step(lutCase(params)), lutCase(params).enc, names, ctx),
    scratchBytes: (params) => lutScratchBytes(step(lutCase(params)), lutCase(params).enc, M4),
  };
}

const M4: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };

/** Whether the case's activation range is all of int8 (the kernels' _full entry points). */
function fullRange(c: CKernelCase): boolean {
  const p = c.params as { activationMin: number; activationMax: number };
  return p.activationMin === -128 && p.activationMax === 127;
}

/**
 * `cases` through `v` and `inPlaceCases` written over their input (lutInPlaceScratchBytes), on
 * qemu-m4 in FAST_FOLDED and FAST, each equal to the reference on the decoded weights.
 */
async function expectPlainAndInPlace(def: AnyOpDef, v: KernelVariant, cases: LutCase[], inPlaceCases: LutCase[]): Promise<void> {
  const byParams = new Map(inPlaceCases.map((c) => [c.params, c]));
  const scratch = (p: unknown) => lutInPlaceScratchBytes({ op: byParams.get(p)!.ctx.op, def, params: p }, byParams.get(p)!.enc, M4);
  inPlaceCases.forEach((c) => expect(scratch(c.params)).toBeDefined());
  const lutInPlace = lutVariant(def, inPlaceCases);
  const inPlace = inPlaceVariant(def.type, `${def.type} LUT in place`, (p, n, ctx) => lutInPlace.emitC(p, n, ctx), scratch, inPlaceCases);
  const want = runOpCasesInTs(def, cases);
  const wantInPlace = runOpCasesInTs(def, inPlaceCases);
  for (const fold of [true, false]) {
    planOptions.fold = fold;
    try {
      const got = await runVariantCasesOnQemu(v, cases);
      cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}, fold ${fold}`).toEqual(Array.from(want[i][0] as Int8Array)));
      const gotInPlace = await runVariantCasesOnQemu(inPlace, inPlaceCases);
      inPlaceCases.forEach((_, i) => expect(Array.from(gotInPlace[i][0] as Int8Array), `in place, case ${i}, fold ${fold}`).toEqual(Array.from(wantInPlace[i][0] as Int8Array)));
    } finally {
      planOptions.fold = true;
    }
  }
}

describe('DSP clustered-weight kernels on the emulated Cortex-M4 (real DSP instructions, assembly paths)', () => {
  it('DEPTHWISE_CONV_2D 3x3 on the int8 plane kernel, indices decoded per channel (tinyml_depthwise_conv2d_s8_dsp_lut4_*): KWS 25x5x64, strides 1 and 2, transposed, FAST_FOLDED and FAST', { timeout: 300_000 }, async () => {
    const shapes: Partial<DwShape>[] = [
      { inH: 25, inW: 5, inC: 64, strideH: 1, strideW: 1, padding: 'SAME' },
      { inH: 12, inW: 12, inC: 8, strideH: 1, strideW: 1, padding: 'SAME' },
      { inH: 13, inW: 13, inC: 8, strideH: 2, strideW: 2, padding: 'SAME' },
      { inH: 9, inW: 11, inC: 4, strideH: 1, strideW: 2, padding: 'VALID' },
      { inH: 17, inW: 3, inC: 12, strideH: 1, strideW: 1, padding: 'SAME' },
      { inH: 6, inW: 7, inC: 4, strideH: 1, strideW: 1, padding: 'SAME', activation: 'RELU6' },
    ];
    const cases = shapes.map((s, i) => clusterCase(randomDwCase(7800 + i, 'k3', 1, { batches: 1, activation: 'NONE', ...s }), 1700 + i, { bits: 4, scope: 'tensor' }));
    const want = runOpCasesInTs(depthwiseConv2d as AnyOpDef, cases);
    dwPlaneOptions.force = true;
    try {
      for (const fold of [true, false]) {
        planOptions.fold = fold;
        const v = lutVariant(depthwiseConv2d as AnyOpDef, cases);
        const calls = cases.map((c) => v.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: M4, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }).call);
        calls.forEach((call) => expect(call).toMatch(/tinyml_depthwise_conv2d_s8_dsp_lut4_(folded|fast|ref)/));
        const got = await runVariantCasesOnQemu(v, cases);
        cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}, fold ${fold}`).toEqual(Array.from(want[i][0] as Int8Array)));
      }
    } finally {
      planOptions.fold = true;
      dwPlaneOptions.force = false;
    }
  });

  it('DEPTHWISE_CONV_2D 3x3 that the int8 plane kernel runs (VWW 24x24x32, 12x12x64; transposed) takes it unforced: the LUT scratch grows to the plane\'s', { timeout: 300_000 }, async () => {
    const shapes: Partial<DwShape>[] = [
      { inH: 24, inW: 24, inC: 32, strideH: 1, strideW: 1, padding: 'SAME' },
      { inH: 12, inW: 12, inC: 64, strideH: 1, strideW: 1, padding: 'SAME' },
      { inH: 20, inW: 9, inC: 24, strideH: 1, strideW: 1, padding: 'SAME' },
    ];
    const cases = shapes.map((s, i) => clusterCase(randomDwCase(7900 + i, 'k3', 1, { batches: 1, activation: 'NONE', ...s }), 1750 + i, { bits: 4, scope: 'tensor' }));
    const want = runOpCasesInTs(depthwiseConv2d as AnyOpDef, cases);
    const v = lutVariant(depthwiseConv2d as AnyOpDef, cases);
    for (const c of cases) {
      const p = c.params as Parameters<typeof dwScratchBytes>[0];
      // Before, the LUT kernel's own scratch (pair table, taps, border planes) was smaller than the plane's, which refused.
      expect(lutScratchBytes({ op: c.ctx.op, def: depthwiseConv2d as AnyOpDef, params: c.params }, c.enc, M4)).toBeGreaterThanOrEqual(dwScratchBytes(p));
      const call = v.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: M4, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }).call;
      expect(call, JSON.stringify(c.params)).toMatch(/tinyml_depthwise_conv2d_s8_dsp_lut4_(folded|fast)/);
    }
    const got = await runVariantCasesOnQemu(v, cases);
    cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
  });

  it('DEPTHWISE_CONV_2D 3x3 on small images (one whole plane per group) runs the int8 row kernel on its weights decoded into scratch; FAST_FOLDED and FAST, plain and in place', { timeout: 300_000 }, async () => {
    // [height, width, channels, stride h, stride w, padding]; 6x6 stride-1 rows take the six-wide plane kernel instead (test/optimized/depthwise-plane.test.ts)
    const shapes = [[5, 5, 48, 1, 1, 'SAME'], [3, 3, 24, 1, 1, 'SAME'], [6, 6, 64, 2, 2, 'SAME'], [7, 5, 8, 2, 2, 'SAME'], [9, 8, 12, 1, 2, 'VALID']] as const;
    const cases = shapes.map(([inH, inW, inC, strideH, strideW, padding], i) =>
      clusterCase(randomDwCase(7950 + i, 'k3', 1, { batches: 1, activation: 'NONE', inH, inW, inC, strideH, strideW, padding }), 1780 + i, { bits: 4, scope: 'tensor' }));
    const v = lutVariant(depthwiseConv2d as AnyOpDef, cases);
    for (const c of cases) {
      const call = v.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: M4, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }).call;
      expect(call, JSON.stringify(c.params)).toMatch(/tinyml_depthwise_lut4_decode16\([^]*tinyml_depthwise_conv2d_s8_dsp_(folded|fast)_full(_nf)?\(/);
    }
    // In place where the row kernel's rule allows (SAME, stride 1).
    const inPlaceCases = cases.filter((c) => lutInPlaceScratchBytes({ op: c.ctx.op, def: depthwiseConv2d as AnyOpDef, params: c.params }, c.enc, M4) !== undefined);
    expect(inPlaceCases.length).toBeGreaterThanOrEqual(2);
    await expectPlainAndInPlace(depthwiseConv2d as AnyOpDef, v, cases, inPlaceCases);
  });

  it('DEPTHWISE_CONV_2D 3x3 (padded planes at the borders, assembly windows) and other filters, FAST_FOLDED and FAST', { timeout: 300_000 }, async () => {
    const cases = [
      ...Array.from({ length: 32 }, (_, i) => clusterCase(randomDwCase(7600 + i, i % 4 === 3 ? 'fast' : 'k3'), 1500 + i, { bits: 4, scope: 'tensor' })),
      // Images past the whole-plane limit: in place inside, border bands copied.
      ...Array.from({ length: 6 }, (_, i) => clusterCase(bigDwCase(7700 + i), 1600 + i, { bits: 4, scope: 'tensor' })),
    ];
    const dsp = cases.filter((c) => lutScratchBytes({ op: c.ctx.op, def: depthwiseConv2d as AnyOpDef, params: c.params }, c.enc, M4) > 0);
    const k3 = (c: CKernelCase) => (c.params as { filterHeight: number; filterWidth: number }).filterHeight === 3 && (c.params as { filterWidth: number }).filterWidth === 3;
    // The assembly runs 3x3 layers with the whole int8 range; some with padding (border planes).
    const asm = dsp.filter((c) => k3(c) && fullRange(c));
    expect(asm.length).toBeGreaterThanOrEqual(5);
    expect(asm.filter((c) => (c.params as { padWidth: number }).padWidth > 0).length).toBeGreaterThanOrEqual(2);
    // Both plane layouts: one whole plane per group, and bands around the windows read in place.
    const planeWords = (c: CKernelCase) => lutDwPlaneWords(c.params as Parameters<typeof lutDwPlaneWords>[0]);
    const whole = (c: CKernelCase) => { const p = c.params as { outputHeight: number; outputWidth: number; strideHeight: number; strideWidth: number; dilationHeight: number; dilationWidth: number }; return ((p.outputHeight - 1) * p.strideHeight + 2 * p.dilationHeight + 1) * ((p.outputWidth - 1) * p.strideWidth + 2 * p.dilationWidth + 1); };
    expect(asm.filter((c) => planeWords(c) < whole(c)).length).toBeGreaterThanOrEqual(4);
    const want = runOpCasesInTs(depthwiseConv2d as AnyOpDef, cases);
    for (const fold of [true, false]) {
      planOptions.fold = fold;
      try {
        const got = await runVariantCasesOnQemu(lutVariant(depthwiseConv2d as AnyOpDef, cases), cases);
        cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}, fold ${fold}`).toEqual(Array.from(want[i][0] as Int8Array)));
      } finally {
        planOptions.fold = true;
      }
    }
  });

  it('CONV_2D (pointwise, im2col, windowed) and FULLY_CONNECTED', { timeout: 300_000 }, async () => {
    const suites: [AnyOpDef, LutCase[]][] = [
      [conv2d as AnyOpDef, Array.from({ length: 16 }, (_, i) => clusterCase(randomConvCase(8600 + i, i % 2 === 0 ? 'pointwise' : 'fast'), 1700 + i, { bits: 4, scope: 'tensor' }))],
      [fullyConnected as AnyOpDef, Array.from({ length: 20 }, (_, i) => clusterCase(randomFcCase(9600 + i), 1900 + i, { bits: 4, scope: 'tensor' }))],
    ];
    for (const [def, cases] of suites) {
      expect(cases.filter((c) => lutScratchBytes({ op: c.ctx.op, def, params: c.params }, c.enc, M4) > 0 && fullRange(c)).length, def.type).toBeGreaterThanOrEqual(3);
      // Conv: images whose last block of four pixels has one pixel (its own path) and others.
      if (def === conv2d) {
        const pixels = cases.filter((c) => lutScratchBytes({ op: c.ctx.op, def, params: c.params }, c.enc, M4) > 0).map((c) => {
          const p = c.params as { batches: number; outputHeight: number; outputWidth: number };
          return p.batches * p.outputHeight * p.outputWidth;
        });
        expect(pixels.filter((n) => n % 4 === 1).length).toBeGreaterThanOrEqual(2);
        expect(pixels.filter((n) => n % 4 !== 1).length).toBeGreaterThanOrEqual(2);
        // Pointwise layers in the whole int8 range run blocks of six pixels, then the rest by four.
        const six = cases.filter((c) => {
          const p = c.params as { batches: number; outputHeight: number; outputWidth: number; filterHeight: number; filterWidth: number };
          return lutScratchBytes({ op: c.ctx.op, def, params: c.params }, c.enc, M4) > 0 && fullRange(c) && p.filterHeight * p.filterWidth === 1 && p.batches * p.outputHeight * p.outputWidth >= 6;
        });
        expect(six.length).toBeGreaterThanOrEqual(3);
      }
      // Dense: blocks of four units (interleaved rows) with and without units left over.
      if (def === fullyConnected) {
        const units = cases.filter((c) => lutScratchBytes({ op: c.ctx.op, def, params: c.params }, c.enc, M4) > 0).map((c) => (c.params as { outputDepth: number }).outputDepth);
        expect(units.filter((n) => n >= 4 && n % 4 === 0).length).toBeGreaterThanOrEqual(1);
        expect(units.filter((n) => n > 4 && n % 4 !== 0).length).toBeGreaterThanOrEqual(2);
      }
      const want = runOpCasesInTs(def, cases);
      // FAST_FOLDED and FAST: the pointwise and im2col assembly row loops have one variant each.
      for (const fold of def === conv2d ? [true, false] : [true]) {
        planOptions.fold = fold;
        try {
          const got = await runVariantCasesOnQemu(lutVariant(def, cases), cases);
          cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `${def.type} case ${i}, fold ${fold}`).toEqual(Array.from(want[i][0] as Int8Array)));
        } finally {
          planOptions.fold = true;
        }
      }
    }
  });
});

/**
 * Pointwise layers on super-blocks of decoded rows (lut_pw_rows_asm): every k4 part of the row
 * look-up (one group, two, whole runs of four), rows of one 16-group pass, of the 32-group body
 * once, twice and a first pass of three groups (k4 = 17, 32, 35, 64), the straight rows of 2, 4,
 * 8 and 16 groups, several super-blocks with a short last one (the column budget
 * lowered), pixel tails of 1 to 3 after them, batches, FAST_FOLDED and FAST; plain and in place.
 * Then the compact pair table (pw_blocks < 0) of large-tensor layers, the tensor bound lowered.
 */
const pwShapes: [number, Partial<ConvShape>][] = [
  [4, { inH: 3, inW: 5, inC: 4, outC: 5 }],
  [8, { inH: 9, inW: 5, inC: 8, outC: 3 }],
  [12, { inH: 2, inW: 11, inC: 12, outC: 9 }],
  [28, { inH: 5, inW: 8, inC: 28, outC: 6 }],
  [64, { inH: 5, inW: 5, inC: 64, outC: 8 }],
  [68, { inH: 3, inW: 4, inC: 68, outC: 4, batches: 2 }],
  [140, { inH: 4, inW: 4, inC: 140, outC: 3 }],
  // The FOLDED straight rows of exactly 2 (above), 4 (below) and 8 groups.
  [32, { inH: 4, inW: 5, inC: 32, outC: 5 }],
  // Exactly one and two passes of the 32-group body (VWW's 128- and 256-channel rows).
  [128, { inH: 3, inW: 4, inC: 128, outC: 3 }],
  [256, { inH: 3, inW: 3, inC: 256, outC: 2 }],
  // Two blocks and a pixel (VWW's 3x3 layers: minBlocks 2).
  [16, { inH: 3, inW: 3, inC: 16, outC: 7 }],
  // One block: the six-pixel kernel (minBlocks).
  [16, { inH: 1, inW: 7, inC: 16, outC: 7 }],
];
const pwCase = (seed: number, s: Partial<ConvShape>): LutCase =>
  clusterCase(convCaseOfShape(seed, { batches: 1, inH: 1, inW: 1, inC: 4, outC: 1, fh: 1, fw: 1, perChannel: true, ...s }, conv(1, 'VALID', 'NONE')), seed + 5, { bits: 4, scope: 'tensor' });
const pwBlocksOf = (c: LutCase) => lutPwBlocks({ op: c.ctx.op, def: conv2d as AnyOpDef, params: c.params });

describe('DSP clustered pointwise CONV_2D on super-blocks of decoded rows (emulated Cortex-M4)', () => {
  it('every row part and pass count, several super-blocks, pixel tails, batches; FAST_FOLDED and FAST; plain and in place', { timeout: 300_000 }, async () => {
    const saved = lutPwOptions.columnBytes;
    lutPwOptions.columnBytes = 300;
    try {
      const plain = pwShapes.map(([, s], i) => pwCase(66_000 + i, s));
      // In place: no wider out than in.
      const inPlaceCases = pwShapes.map(([, s], i) => pwCase(66_100 + i, { ...s, batches: 1, outC: Math.min(s.outC ?? 1, s.inC ?? 4) }));
      for (const c of [...plain, ...inPlaceCases]) {
        const p = c.params as { batches: number; outputHeight: number; outputWidth: number; inputDepth: number };
        const pixels = p.batches * p.outputHeight * p.outputWidth;
        const whole = Math.floor(pixels / 4);
        expect(pwBlocksOf(c), `${pixels} pixels of depth ${p.inputDepth}`).toBe(whole < lutPwOptions.minBlocks ? 0 : lutPwBalanced(whole, Math.max(1, Math.floor(300 / (8 * p.inputDepth)))));
      }
      // Several super-blocks with a shorter last one, and pixel tails of every length.
      const pixelsOf = (c: LutCase) => { const p = c.params as { batches: number; outputHeight: number; outputWidth: number }; return p.batches * p.outputHeight * p.outputWidth; };
      expect(plain.filter((c) => pwBlocksOf(c) > 0 && Math.floor(pixelsOf(c) / 4) % pwBlocksOf(c) !== 0).length).toBeGreaterThanOrEqual(2);
      expect(plain.filter((c) => pwBlocksOf(c) === 0).length).toBe(1);
      expect(new Set(plain.filter((c) => pwBlocksOf(c) > 0).map((c) => pixelsOf(c) % 4))).toEqual(new Set([0, 1, 2, 3]));
      const v = lutVariant(conv2d as AnyOpDef, plain);
      for (const c of plain) {
        const em = v.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: M4, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
        expect(em.call).toMatch(/tinyml_conv2d_lut4_pw_s8_dsp_(folded|fast)_full/);
        expect(em.decls).toContain(`, ${pwBlocksOf(c)}};`);
      }
      await expectPlainAndInPlace(conv2d as AnyOpDef, v, plain, inPlaceCases);
    } finally {
      lutPwOptions.columnBytes = saved;
    }
  });

  it('balanced super-blocks: the fewest blocks for the fewest super-blocks', () => {
    // VWW's 6x6 layers (9 blocks, 5 fit): 5 and 4, not 5 and 4 nor 4, 4, 1; KWS's 31 blocks of 64 channels (10 fit): 8.
    expect(lutPwBalanced(9, 5)).toBe(5);
    expect(lutPwBalanced(9, 4)).toBe(3);
    expect(lutPwBalanced(31, 10)).toBe(8);
    expect(lutPwBalanced(144, 40)).toBe(36);
    expect(lutPwBalanced(3, 40)).toBe(3);
    for (let whole = 1; whole < 60; whole++) {
      for (let cap = 1; cap < 20; cap++) {
        const b = lutPwBalanced(whole, cap);
        expect(b).toBeLessThanOrEqual(cap);
        expect(Math.ceil(whole / b)).toBe(Math.ceil(whole / cap));
      }
    }
  });

  it('the compact pair table of a large-tensor layer: one and several super-blocks, odd k4, pixel tails, batches; FAST_FOLDED and FAST; plain and in place', { timeout: 300_000 }, async () => {
    const saved = lutPwOptions.largeTensorBytes;
    lutPwOptions.largeTensorBytes = 64;
    const compactShapes: Partial<ConvShape>[] = [
      { inH: 9, inW: 7, inC: 8, outC: 16 }, // VWW's 8 -> 16: 11 blocks a super-block, tail 3
      { inH: 6, inW: 6, inC: 4, outC: 5 }, // all 9 blocks in one
      { inH: 5, inW: 9, inC: 12, outC: 9 }, // k4 = 3, tail 1
      { inH: 4, inW: 5, inC: 28, outC: 4, batches: 2 }, // 4, 4 and 2 blocks
      { inH: 5, inW: 5, inC: 64, outC: 8 }, // 256 index bytes, no room for a block: six pixels
    ];
    try {
      const plain = compactShapes.map((s, i) => pwCase(67_000 + i, s));
      const inPlaceCases = compactShapes.map((s, i) => pwCase(67_100 + i, { ...s, batches: 1, outC: Math.min(s.outC ?? 1, s.inC ?? 4) }));
      expect(plain.map(pwBlocksOf)).toEqual([-11, -9, -8, -4, 0]);
      expect(inPlaceCases.filter((c) => pwBlocksOf(c) < 0).length).toBeGreaterThanOrEqual(3);
      for (const c of [...plain, ...inPlaceCases]) {
        // Within the six-pixel kernel's scratch, which the arena's peak layer already has.
        const depth = (c.params as { inputDepth: number }).inputDepth;
        expect(lutScratchBytes({ op: c.ctx.op, def: conv2d as AnyOpDef, params: c.params }, c.enc, M4)).toBeLessThanOrEqual(1024 + 12 * depth);
      }
      const v = lutVariant(conv2d as AnyOpDef, plain);
      for (const c of plain) {
        const em = v.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: M4, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
        expect(em.decls).toContain(`, ${pwBlocksOf(c)}};`);
      }
      await expectPlainAndInPlace(conv2d as AnyOpDef, v, plain, inPlaceCases);
    } finally {
      lutPwOptions.largeTensorBytes = saved;
    }
  });
});

/**
 * Clustered layers written over their own input (lutInPlaceScratchBytes, which the planner now
 * asks): pointwise layers no wider out than in, and 3x3 depthwise layers whose whole padded input
 * per channel group is copied into the kernel's plane before that group is computed. One buffer
 * of max(input, output) bytes as input and output, on the emulated Cortex-M4 (the assembly
 * paths), equal to the reference on the decoded weights.
 */
describe('DSP clustered-weight kernels in place on the emulated Cortex-M4', () => {
  const cases = (def: AnyOpDef, make: (seed: number) => CKernelCase, seed: number, n: number): LutCase[] => {
    const out: LutCase[] = [];
    for (let s = seed; out.length < n && s < seed + 400; s++) {
      const c = clusterCase(make(s), s + 11, { bits: 4, scope: 'tensor' });
      if (lutInPlaceScratchBytes({ op: c.ctx.op, def, params: c.params }, c.enc, M4) !== undefined && fullRange(c)) out.push(c);
    }
    return out;
  };
  const inPlace = (def: AnyOpDef, list: LutCase[]) => {
    const plain = lutVariant(def, list);
    const byParams = new Map(list.map((c) => [c.params, c]));
    const scratch = (p: unknown) => lutInPlaceScratchBytes({ op: byParams.get(p)!.ctx.op, def, params: p }, byParams.get(p)!.enc, M4);
    return inPlaceVariant(def.type, `${def.type} LUT in place`, (p, n, ctx) => plain.emitC(p, n, ctx), scratch, list);
  };
  const isPointwise = (c: CKernelCase) => (c.params as { filterHeight: number; filterWidth: number }).filterHeight * (c.params as { filterWidth: number }).filterWidth === 1;

  it('pointwise CONV_2D, other convolutions through the row window or stage, whole-plane 3x3 DEPTHWISE_CONV_2D (strides 1 and 2); the rule refuses what the kernels read from the image', { timeout: 300_000 }, async () => {
    const dw = cases(depthwiseConv2d as AnyOpDef, (s) => randomDwCase(s, 'k3'), 9900, 8);
    const pw = [
      ...cases(conv2d as AnyOpDef, (s) => randomConvCase(s, 'pointwise'), 9950, 6),
      ...cases(conv2d as AnyOpDef, (s) => randomConvCase(s), 10050, 12).filter((c) => !isPointwise(c)).slice(0, 8),
    ];
    expect(new Set(dw.map((c) => (c.params as { strideHeight: number }).strideHeight))).toEqual(new Set([1, 2]));
    expect(pw.filter(isPointwise).length).toBe(6);
    // Windowed ones through both row drivers (the band function calls the im2col LUT kernel).
    const modes = pw.filter((c) => !isPointwise(c)).map((c) => rowInPlaceMode(c.params as Conv2DQuantParams));
    expect(new Set(modes)).toEqual(new Set(['window', 'stage']));
    // A layer past the whole-plane limit reads its interior windows from the image: not in place.
    const big = clusterCase(bigDwCase(7700), 1600, { bits: 4, scope: 'tensor' });
    expect(lutInPlaceScratchBytes({ op: big.ctx.op, def: depthwiseConv2d as AnyOpDef, params: big.params }, big.enc, M4)).toBeUndefined();
    for (const [def, list] of [[depthwiseConv2d as AnyOpDef, dw], [conv2d as AnyOpDef, pw]] as const) {
      const want = runOpCasesInTs(def, list);
      const got = await runVariantCasesOnQemu(inPlace(def, list), list);
      list.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `${def.type} case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
    }
  });
});
