/**
 * The DSP sub-byte kernels (conv2d_dsp.c `_sb*`, fully_connected_dsp.c `_sb*` and the nibble
 * layout for int4) against the int8 reference on the decoded weights, bit for bit, at every
 * width and requantization mode: on the host with the portable DSP fallbacks under ASan/UBSan,
 * and on an emulated Cortex-M4 with the real instructions.
 */
import { describe, expect, it } from 'vitest';
import { conv2d } from '../../src/ops/conv2d.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { RQ_FAST_FOLDED, RQ_FAST_MIXED, RQ_NOFIX, RQ_REF } from '../../src/ops/optimized/common.js';
import { SUBBYTE_DSP_VARIANTS } from '../../src/ops/subbyte/dsp.js';
import { HOST_DSP_TARGET, compileVariantForArm, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from '../optimized/harness.js';
import { convCaseOfShape, randomConvCase, randomDwCase, randomFcCase } from '../optimized/random-cases.js';
import { conv } from '../quantize/helpers.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { SUB_BYTE_KINDS, asSubByteCase, wideConvCase } from './cases.js';
import { dwPlaneOptions } from '../../src/ops/optimized/depthwise-conv2d.js';
import type { DwShape } from '../optimized/random-cases.js';

const OPS: { def: AnyOpDef; name: string; make: (seed: number, i: number) => VariantCase }[] = [
  {
    def: conv2d,
    name: 'conv2d_s8_dsp_subbyte',
    make: (s, i) => randomConvCase(s, (['fast', 'fast', 'pointwise', 'big-bias', 'big-scale', 'tiny-scale', 'dead', 'huge-scale'] as const)[i % 8]),
  },
  {
    def: depthwiseConv2d,
    name: 'depthwise_conv2d_s8_dsp_subbyte',
    make: (s, i) => randomDwCase(s, (['k3', 'fast', 'big-scale', 'tiny-scale', 'dead', 'depth1', 'k3', 'huge-scale'] as const)[i % 8], i % 8 === 5 ? 3 : 1),
  },
  {
    def: fullyConnected,
    name: 'fully_connected_s8_dsp_subbyte',
    make: (s, i) => randomFcCase(s, (['fast', 'fast', 'big-bias', 'big-scale', 'tiny-scale', 'dead', 'huge-scale'] as const)[i % 7]),
  },
];

function casesFor(op: (typeof OPS)[number]): VariantCase[] {
  const variant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === op.name)!;
  const cases: VariantCase[] = [];
  SUB_BYTE_KINDS.forEach((kind, k) => {
    for (let i = 0; i < (op.def === depthwiseConv2d ? 32 : 16); i++) cases.push(asSubByteCase(op.def, op.make(52000 + 100 * k + i, i), kind, 11 + i));
  });
  if (op.def === conv2d) cases.push(wideConvCase('int4', 53001), wideConvCase('int2', 53002));
  return cases.filter((c) => variant.accepts(c.params, HOST_DSP_TARGET));
}

function label(c: VariantCase, i: number): string {
  const p = c.params as { weightEncoding: string; batches: number; outputDepth: number };
  return `case ${i} (${p.weightEncoding}) ${JSON.stringify({ ...p, outputMultiplier: undefined, outputShift: undefined })}`;
}

describe('DSP sub-byte kernels vs the int8 reference on decoded weights', () => {
  for (const op of OPS) {
    const variant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === op.name)!;
    const cases = casesFor(op);
    const emit = (c: VariantCase) =>
      variant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });

    it(`${op.def.type}: takes nearly every case, keeps the weights packed, covers FAST, FAST_MIXED (shifts of both signs) and REF`, () => {
      expect(cases.length).toBeGreaterThanOrEqual(50);
      const ems = cases.map(emit);
      // The DSP kernel, not the portable fallback, for nearly all of them.
      expect(ems.filter((em) => /_dsp_(sb|nib)/.test(em.call)).length).toBeGreaterThanOrEqual(cases.length - 4);
      ems.forEach((em) => expect(em.decls + em.call).not.toMatch(/\bw\b/));
      const modes = new Set(
        ems.map((em) =>
          Number(
            /_(mixed)(?:_nf)?\(|\.mode = (\d+)|, (\d)\);$|dsp_nib_(ref)/m
              .exec(em.call + '\n' + em.decls)
              ?.slice(1)
              .find((x) => x !== undefined)
              ?.replace('ref', String(RQ_REF))
              .replace('mixed', String(RQ_FAST_MIXED)),
          ) & 3, // (without TINYML_RQ_NOFIX, the flag of layers whose sign correction is dead)
        ),
      );
      expect(modes.has(RQ_REF)).toBe(true);
      // Multipliers >= 0.5 (left shifts) take the fast mixed-shift requantization, not REF
      // (int4 fully connected layers keep the nibble layout's own modes).
      if (op.def !== fullyConnected || cases.some((c) => (c.params as { weightEncoding: string }).weightEncoding !== 'int4')) {
        expect(modes.has(RQ_FAST_MIXED)).toBe(true);
      }
      expect(modes.size).toBeGreaterThanOrEqual(3);
      if (op.def === conv2d) {
        // Both convolution layouts at 2 and 4 bits: signed fields (no column sums) where the
        // scaled sums fit int32, offset fields where they may not; binary has offset fields only.
        const calls = ems.map((em) => em.call);
        for (const bits of [4, 2]) {
          expect(calls.filter((c) => new RegExp(`_sb${bits}s(_mixed)?(_nf)?\\(`).test(c)).length, `sb${bits}s`).toBeGreaterThanOrEqual(3);
          expect(calls.filter((c) => new RegExp(`_sb${bits}(_mixed)?(_nf)?\\(`).test(c)).length, `sb${bits}`).toBeGreaterThanOrEqual(1);
        }
        expect(calls.filter((c) => /_sb1s/.test(c))).toEqual([]);
      }
    });

    it(`${op.def.type}: bit-exact at every width (host, portable DSP fallbacks, ASan/UBSan)`, { timeout: 120_000 }, async () => {
      const want = evaluateCases(op.def, cases);
      const got = await runVariantCasesInC(variant, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    });

    it(`${op.def.type}: bit-exact at every width on an emulated Cortex-M4 (-O2 and -Os)`, { timeout: 240_000 }, async () => {
      const want = evaluateCases(op.def, cases);
      const got = await runVariantCasesOnQemu(variant, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
      const some = cases.filter((_, i) => i % 3 === 0);
      const got2 = await runVariantCasesOnQemu(variant, some, '-Os');
      some.forEach((c, i) => expect(values(got2[i][0]), `-Os ${label(c, i)}`).toEqual(values(evaluateCases(op.def, [c])[0][0])));
    });

    it(`${op.def.type}: compiles for Cortex-M4 without warnings`, { timeout: 120_000 }, async () => {
      await compileVariantForArm(variant, cases.slice(0, 4));
    });
  }
});

/*
 * The depthwise row kernel with sub-byte weights (depthwise_conv2d_dsp.c, band_rows 0; the plane
 * kernel kept off): rows of 3 or more outputs run group after group from the group's operand
 * words decoded once per row in tap pairs (dw_sb_row_groups_asm), shorter rows pixel after pixel. Both
 * strides, same and valid padding, 4 to 28 channels, two batches, FAST / FOLDED / FAST_MIXED
 * (multipliers near 1: left shifts) at every width.
 */
describe('DSP sub-byte depthwise row kernel, group after group', () => {
  const variant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === 'depthwise_conv2d_s8_dsp_subbyte')!;
  const shapes: Partial<DwShape>[] = [
    { inH: 24, inW: 24, inC: 8, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 12, inW: 12, inC: 16, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 7, inW: 6, inC: 12, strideH: 1, strideW: 1, padding: 'SAME' },
    { inH: 5, inW: 13, inC: 4, strideH: 1, strideW: 2, padding: 'VALID' },
    { inH: 9, inW: 9, inC: 28, strideH: 2, strideW: 1, padding: 'VALID', batches: 2 },
    { inH: 6, inW: 14, inC: 8, strideH: 1, strideW: 2, padding: 'SAME' },
    // Rows of 3 to 5 outputs (group after group) and of 1 or 2 (the pixel loop): direct rows of 4,
    // their last pixel alone, a bottom row of 5; direct rows of 2, a bottom row of 3; rows of 3.
    { inH: 8, inW: 10, inC: 8, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 6, inW: 6, inC: 8, strideH: 2, strideW: 2, padding: 'SAME' },
    { inH: 3, inW: 3, inC: 12, strideH: 1, strideW: 1, padding: 'SAME' },
  ];
  const cases = SUB_BYTE_KINDS.flatMap((kind, k) =>
    shapes.flatMap((shape, i) =>
      (['k3', 'big-scale'] as const).map((dk, j) =>
        asSubByteCase(depthwiseConv2d, randomDwCase(57000 + 100 * k + 10 * i + j, dk, 1, { batches: 1, ...shape, k3: true, activation: 'NONE' }), kind, 41 + i),
      ),
    ),
  ).filter((c) => variant.accepts(c.params, HOST_DSP_TARGET));

  it('bit-exact on an emulated Cortex-M4 (-O2) and on the host', { timeout: 240_000 }, async () => {
    dwPlaneOptions.off = true;
    try {
      expect(cases.length).toBeGreaterThanOrEqual(48);
      const calls = cases.map((c) => variant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' }));
      calls.forEach((em) => expect(em.decls).toMatch(/\.band_rows = 0,/));
      expect(calls.some((em) => /_mixed(_nf)?\(/.test(em.call))).toBe(true);
      expect(calls.some((em) => /_sb4(_nf)?\(/.test(em.call)) && calls.some((em) => /_sb2(_nf)?\(/.test(em.call))).toBe(true);
      const want = evaluateCases(depthwiseConv2d, cases);
      const got = await runVariantCasesOnQemu(variant, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
      const host = await runVariantCasesInC(variant, cases);
      cases.forEach((c, i) => expect(values(host[i][0]), `host ${label(c, i)}`).toEqual(values(want[i][0])));
    } finally {
      dwPlaneOptions.off = false;
    }
  });
});

/**
 * Small sub-byte pointwise layers (the _w16 entry points, ops/subbyte/dsp.ts convSbW16 and
 * conv2d_dsp.c sb_w16_ok: FOLDED, signed fields, at most 192 words of int16 stream, at least
 * 16 (k4 + 1) pixels a call) run on int16 rows their call decodes
 * on its stack frame (sb_w16_decode, 2w in each half) and tinyml_conv2d_s8_dsp_w16's loops: the
 * row-streamed pair's 8 -> 16 shape (k4 = 2), k4 = 1 and 3 (partial words of one and two
 * groups), 4 (int2: one whole word); and shapes just outside (too few pixels, too many channels),
 * which keep the sub-byte loops. int4, int2 and ternary, on the host and an emulated Cortex-M4.
 */
describe('DSP sub-byte pointwise layers on int16 rows decoded on the frame', () => {
  const variant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === 'conv2d_s8_dsp_subbyte')!;
  // [inC, outC, h, w]
  const shapes: [number, number, number, number][] = [
    [8, 16, 6, 8],
    [8, 16, 12, 48],
    [4, 20, 5, 7],
    [12, 12, 8, 9],
    [16, 8, 9, 10],
    [8, 16, 5, 9],
    [8, 28, 6, 8],
  ];
  const emit = (c: VariantCase) => variant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
  const cases = SUB_BYTE_KINDS.filter((k) => k !== 'binary').flatMap((kind, k) =>
    shapes.map(([inC, outC, h, w], i) =>
      asSubByteCase(conv2d, convCaseOfShape(58000 + 100 * k + i, { batches: 1, inH: h, inW: w, inC, outC, fh: 1, fw: 1, perChannel: true }, conv(1, 'VALID', 'NONE')), kind, 61 + i),
    ),
  );

  it('bit-exact on an emulated Cortex-M4 (-O2) and on the host (FOLDED, signed fields)', { timeout: 240_000 }, async () => {
    // Signed fields (_sb4s / _sb2s) and the FOLDED requantization (the params' mode, RQ_NOFIX aside).
    // The _w16 entry points but for the last two shapes (45 pixels; 28 channels: 308 words).
    cases.forEach((c, i) => expect(emit(c).call, label(c, i)).toMatch(i % shapes.length < 5 ? /_sb[42]s_w16(_nf)?\(/ : /_sb[42]s(_nf)?\(/));
    cases.forEach((c, i) => expect(Number(/\.mode = (\d+)/.exec(emit(c).decls)![1]) & ~RQ_NOFIX, label(c, i)).toBe(RQ_FAST_FOLDED));
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesOnQemu(variant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    const host = await runVariantCasesInC(variant, cases);
    cases.forEach((c, i) => expect(values(host[i][0]), `host ${label(c, i)}`).toEqual(values(want[i][0])));
  });

  // FAST_MIXED (multipliers from 0.2 to 1.3: left shifts too) without the sign correction (output
  // zero point -128, no clamp): the 8 -> 16 shape alone, {m, t, r, s} records (pw8_run_mixed_nf).
  // The first three seeds per kind whose plan is FAST_MIXED.
  const SIZES = [[6, 8], [12, 48], [1, 97]];
  const mixed = SUB_BYTE_KINDS.filter((k) => k !== 'binary').flatMap((kind, k) => {
    const out: VariantCase[] = [];
    for (let s = 0; out.length < SIZES.length && s < 60; s++) {
      const [h, w] = SIZES[out.length];
      const c = convCaseOfShape(59000 + 100 * k + s, { batches: 1, inH: h, inW: w, inC: 8, outC: 16, fh: 1, fw: 1, perChannel: true }, conv(1, 'VALID', 'NONE'), 'big-scale');
      c.ctx.outputs[0].quant!.zeroPoint = [-128];
      const sbc = asSubByteCase(conv2d, c, kind, 71 + s);
      if (/_sb[42]s_w16_mixed_nf\(/.test(emit(sbc).call)) out.push(sbc);
    }
    return out;
  });

  it('FAST_MIXED 8 -> 16 without the sign correction: bit-exact on an emulated Cortex-M4 (-O2) and on the host', { timeout: 240_000 }, async () => {
    expect(mixed.length).toBe(9);
    const want = evaluateCases(conv2d, mixed);
    const got = await runVariantCasesOnQemu(variant, mixed);
    mixed.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    const host = await runVariantCasesInC(variant, mixed);
    mixed.forEach((c, i) => expect(values(host[i][0]), `host ${label(c, i)}`).toEqual(values(want[i][0])));
  });
});
