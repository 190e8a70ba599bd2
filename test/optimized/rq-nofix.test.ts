/**
 * Requantization without the sign correction (TINYML_RQ_NOFIX, tinyml_dsp.h): the predicate that
 * picks it (rqSignFixDead, its boundary pinned), the requantization itself against TFLite's on
 * constructed negative accumulators and exact ties (host C), the kernels that take it on the
 * layers it is meant for, and the mismatch it gives where the clamp does not make the correction
 * dead (forced on a layer whose clamp minimum is below its output offset).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_FAST_MIXED, RQ_REF, cMode, modeSuffix, planOptions, rqNofix, rqSignFixDead } from '../../src/ops/optimized/common.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { depthwiseConv2dDspVariant } from '../../src/ops/optimized/depthwise-conv2d.js';
import { KERNELS_DIR } from '../helpers/c-kernel-harness.js';
import { requireHostCompiler } from '../helpers/tools.js';
import { HOST_ASAN_FLAGS, HOST_DSP_TARGET, evaluateCases, run, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';
import { randomConvCase, randomDwCase } from './random-cases.js';
import { SUBBYTE_DSP_VARIANTS } from '../../src/ops/subbyte/dsp.js';
import { SUB_BYTE_KINDS, asSubByteCase } from '../subbyte/cases.js';

afterEach(() => {
  planOptions.nofix = true;
  planOptions.forceNofix = false;
});

describe('rqSignFixDead: the sign correction is dead exactly when the clamp minimum is >= the output offset', () => {
  it('holds at the offset and above, in every FAST mode', () => {
    for (const mode of [RQ_FAST, RQ_FAST_FOLDED, RQ_FAST_MIXED]) {
      expect(rqSignFixDead(mode, -128, -128)).toBe(true); // ReLU6 over [0, 6], no fused clamp: SSAT alone
      expect(rqSignFixDead(mode, 5, 5)).toBe(true); // a fused ReLU: clamp minimum = the offset (real 0)
      expect(rqSignFixDead(mode, -20, 0)).toBe(true); // above the offset
    }
  });

  it('does not hold one below the offset, with no clamp over an offset above -128, or in REF', () => {
    for (const mode of [RQ_FAST, RQ_FAST_FOLDED, RQ_FAST_MIXED]) {
      expect(rqSignFixDead(mode, 5, 4)).toBe(false); // the boundary: clamp min == offset - 1 keeps the correction
      expect(rqSignFixDead(mode, -127, -128)).toBe(false);
      expect(rqSignFixDead(mode, 0, -128)).toBe(false);
    }
    expect(rqSignFixDead(RQ_REF, -128, -128)).toBe(false);
  });

  it('sets the flag and the entry-point suffix only where it holds (and everywhere FAST when forced)', () => {
    expect(cMode(RQ_FAST_FOLDED, -128, -128)).toBe(RQ_FAST_FOLDED | 4);
    expect(cMode(RQ_FAST_FOLDED, -127, -128)).toBe(RQ_FAST_FOLDED);
    expect(cMode(RQ_REF, -128, -128)).toBe(RQ_REF);
    expect(modeSuffix(RQ_FAST_FOLDED, -128, 127, -128)).toBe('folded_full_nf');
    expect(modeSuffix(RQ_FAST, 3, 127, 3)).toBe('fast_nf');
    expect(modeSuffix(RQ_FAST_FOLDED, -128, 127, 3)).toBe('folded_full');
    expect(modeSuffix(RQ_REF, -128, 127, -128)).toBe('ref_full');
    planOptions.nofix = false;
    expect(rqNofix(RQ_FAST_FOLDED, -128, -128)).toBe(false);
    planOptions.forceNofix = true;
    expect(rqNofix(RQ_FAST_FOLDED, 3, -128)).toBe(true);
    expect(rqNofix(RQ_REF, 3, -128)).toBe(false);
  });
});

/*
 * tinyml_rq in FAST, FOLDED and FAST_MIXED (e >= 1 and e <= 0 channels), with and without
 * TINYML_RQ_NOFIX, against TFLite's requantization (tinyml_mbqm, then offset and clamp) on random
 * accumulators of both signs and on constructed exact ties of negative accumulators (of the
 * doubling high multiply, m = 2^30 and odd acc; of the rounding shift, srdhm landing on
 * -(2^(e-1)) - k 2^e), plus constant and zero-multiplier records. Clamps with lo >= off must
 * match everywhere; lo = off - 1 must show the flag to be wrong somewhere.
 */
const RQ_PROGRAM = String.raw`
#include <stdio.h>
#include <stdint.h>
#include "arm/tinyml_dsp.h"

static uint32_t s = 12345u;
static uint32_t rnd(void) { s = s * 1664525u + 1013904223u; return s; }
static int32_t clampv(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static long checked, ties, neg, wrong_dead, diff_dead, diff_boundary, wrong_fix;

static void one(int32_t acc, int32_t m, int32_t e, int32_t off, int32_t lo, int32_t hi, int tie) {
  const int32_t want = clampv(tinyml_mbqm(acc, m, -e) + off, lo, hi);
  const int32_t t_folded = (1 << (e - 1)) + off * (1 << e);
  const int32_t t_fast = 1 << (e - 1);
  const int32_t r[6] = {
    tinyml_rq(TINYML_RQ_FAST_FOLDED, 2 * acc, m, t_folded, e, off, lo, hi),
    tinyml_rq(TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 2 * acc, m, t_folded, e, off, lo, hi),
    tinyml_rq(TINYML_RQ_FAST, 2 * acc, m, t_fast, e, off, lo, hi),
    tinyml_rq(TINYML_RQ_FAST | TINYML_RQ_NOFIX, 2 * acc, m, t_fast, e, off, lo, hi),
    tinyml_rq(TINYML_RQ_FAST_MIXED, 2 * acc, m, t_folded, e, off, lo, hi),
    tinyml_rq(TINYML_RQ_FAST_MIXED | TINYML_RQ_NOFIX, 2 * acc, m, t_folded, e, off, lo, hi),
  };
  checked++;
  if (acc < 0) neg++;
  if (tie && acc < 0) ties++;
  if (r[0] != want || r[2] != want || r[4] != want) wrong_fix++;
  if (lo >= off) {
    if (r[1] != want || r[3] != want || r[5] != want) wrong_dead++;
    if (r[1] != r[0] || r[3] != r[2] || r[5] != r[4]) diff_dead++;
  } else if (r[1] != r[0] || r[3] != r[2] || r[5] != r[4]) {
    diff_boundary++;
  }
}

/* Every clamp the claim covers (lo = off, lo above it, SSAT alone with off = -128) and the boundary lo = off - 1. */
static void clamps(int32_t acc, int32_t m, int32_t e, int32_t off, int tie) {
  one(acc, m, e, off, off, 127, tie);
  one(acc, m, e, off, off + 3 > 127 ? 127 : off + 3, 127, tie);
  if (off > -128) one(acc, m, e, off, off - 1, 127, tie);
  one(acc, m, e, -128, -128, 127, tie);
  one(acc, m, e, -127, -128, 127, tie);
}

int main(void) {
  for (int i = 0; i < 200000; ++i) {
    const int32_t e = 1 + (int32_t)(rnd() % 14);
    const int32_t off = -128 + (int32_t)(rnd() % 256);
    const int32_t m = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
    const int32_t acc = (int32_t)(rnd() % 2000001u) - 1000000;
    clamps(acc, m, e, off, 0);
    /* Ties of the doubling high multiply: m = 2^30, acc odd (acc * m / 2^31 = acc / 2). */
    clamps(-(int32_t)(2 * (rnd() % 100000u) + 1), 0x40000000, e, off, 1);
    /* Ties of the rounding shift: srdhm(acc, 2^30) = acc / 2 = -(2^(e-1)) - k 2^e. */
    const int32_t x = -((1 << (e - 1)) + (int32_t)(rnd() % 64u) * (1 << e));
    clamps(2 * x, 0x40000000, e, off, 1);
    /* The same value near the offset, where a one-step difference shows above the clamp. */
    clamps(2 * -(1 << (e - 1)), 0x40000000, e, off, 1);
  }
  /* Shift-0 channels (planRequant's e = 0, t = 0 or the offset folded, under a clamp minimum >= the
   * offset): TFLite is srdhm(acc, m) + off, no rounding shift. Without the correction exact under
   * any clamp; with it, under those clamps. */
  for (int i = 0; i < 200000; ++i) {
    const int32_t off = -128 + (int32_t)(rnd() % 256);
    const int32_t m = i & 1 ? 0x40000000 : (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
    const int32_t acc = i & 2 ? -(int32_t)(rnd() % 300u) : (int32_t)(rnd() % 2000001u) - 1000000;
    const int32_t lo = i & 4 ? off : -128;
    const int32_t want = clampv(tinyml_mbqm(acc, m, 0) + off, lo, 127);
    const int32_t nf_folded = tinyml_rq(TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, 2 * acc, m, off, 0, off, lo, 127);
    const int32_t nf_fast = tinyml_rq(TINYML_RQ_FAST | TINYML_RQ_NOFIX, 2 * acc, m, 0, 0, off, lo, 127);
    const int32_t fix_folded = tinyml_rq(TINYML_RQ_FAST_FOLDED, 2 * acc, m, off, 0, off, lo, 127);
    checked++;
    if (acc < 0) neg++;
    if (nf_folded != want || nf_fast != want) wrong_dead++;
    if (lo >= off && fix_folded != want) wrong_dead++;
  }
  /* Constant and zero-multiplier records (m = 0, e = 1, t = 2v + 1 folded; the offset's when v = off). */
  for (int32_t v = -128; v <= 127; ++v) {
    for (int32_t a = -3; a <= 3; ++a) {
      const int32_t acc = a * 100000;
      const int32_t off = -128 + (int32_t)(rnd() % 256);
      const int32_t lo = v < off ? v : off;
      const int32_t f = tinyml_rq(TINYML_RQ_FAST_FOLDED, acc, 0, 2 * v + 1, 1, off, lo, 127);
      const int32_t g = tinyml_rq(TINYML_RQ_FAST_FOLDED | TINYML_RQ_NOFIX, acc, 0, 2 * v + 1, 1, off, lo, 127);
      const int32_t h = tinyml_rq(TINYML_RQ_FAST_MIXED | TINYML_RQ_NOFIX, acc, 0, v, 0, off, lo, 127);
      checked++;
      if (f != v || g != v || h != v) wrong_dead++;
    }
  }
  printf("%ld %ld %ld %ld %ld %ld %ld\n", checked, neg, ties, wrong_fix, wrong_dead, diff_dead, diff_boundary);
  return 0;
}
`;

describe('tinyml_rq with TINYML_RQ_NOFIX (host C, ASan/UBSan)', () => {
  it('matches TFLite wherever the clamp minimum is >= the offset, ties of negative accumulators included; differs one below', { timeout: 120_000 }, async () => {
    const gcc = requireHostCompiler('gcc');
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-rq-nofix-'));
    try {
      const src = join(dir, 'rq.c');
      writeFileSync(src, RQ_PROGRAM);
      const exe = join(dir, 'rq');
      await run(gcc, [...HOST_ASAN_FLAGS, '-I', KERNELS_DIR, '-o', exe, src]);
      const [checked, neg, ties, wrongFix, wrongDead, diffDead, diffBoundary] = (await run(exe, [])).toString().trim().split(' ').map(Number);
      expect(checked).toBeGreaterThan(3_000_000);
      expect(neg).toBeGreaterThan(2_000_000);
      expect(ties).toBeGreaterThan(1_000_000);
      expect(wrongFix).toBe(0); // the corrected form is TFLite's everywhere
      expect(wrongDead).toBe(0); // the uncorrected one too, under a clamp minimum >= the offset
      expect(diffDead).toBe(0);
      expect(diffBoundary).toBeGreaterThan(1000); // one below the offset, the flag would be wrong
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function emitOf(variant: Pick<typeof conv2dDspVariant, 'emitC'>, c: VariantCase) {
  return variant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
}
const isNf = (variant: typeof conv2dDspVariant, c: VariantCase) => {
  const em = emitOf(variant, c);
  return /_nf\(/.test(em.call) || (Number(/\.mode = (\d+)/.exec(em.decls)?.[1] ?? 0) & 4) !== 0;
};
type Clamped = { outputOffset: number; activationMin: number };
const dead = (c: VariantCase) => (c.params as Clamped).activationMin >= (c.params as Clamped).outputOffset;

describe('the kernels without the sign correction on the layers they are meant for', () => {
  // Output offsets drawn at random with ReLU / ReLU6 / none: both sides of the predicate.
  const conv = Array.from({ length: 80 }, (_, i) => randomConvCase(91000 + i, i % 4 === 3 ? 'pointwise' : 'fast'));
  const dw = Array.from({ length: 60 }, (_, i) => randomDwCase(92000 + i, i % 2 ? 'k3' : 'fast'));

  it('are chosen exactly where rqSignFixDead holds (FOLDED convolutions; FAST and FOLDED depthwise)', () => {
    const convNf = conv.filter((c) => isNf(conv2dDspVariant, c));
    expect(convNf.length).toBeGreaterThanOrEqual(10);
    expect(convNf.every(dead)).toBe(true);
    const dwNf = dw.filter((c) => isNf(depthwiseConv2dDspVariant, c));
    expect(dwNf.length).toBeGreaterThanOrEqual(10);
    expect(dwNf.every(dead)).toBe(true);
    // And where it does not hold, they are not.
    expect(conv.filter((c) => !dead(c)).some((c) => isNf(conv2dDspVariant, c))).toBe(false);
  });

  it('are bit-exact on an emulated Cortex-M4 (the assembly loops)', { timeout: 240_000 }, async () => {
    const convNf = conv.filter((c) => isNf(conv2dDspVariant, c));
    const got = await runVariantCasesOnQemu(conv2dDspVariant, convNf);
    const want = evaluateCases(conv2d, convNf);
    convNf.forEach((c, i) => expect(values(got[i][0]), `conv case ${i}`).toEqual(values(want[i][0])));
    const dwNf = dw.filter((c) => isNf(depthwiseConv2dDspVariant, c));
    const got2 = await runVariantCasesOnQemu(depthwiseConv2dDspVariant, dwNf);
    const want2 = evaluateCases(depthwiseConv2d, dwNf);
    dwNf.forEach((c, i) => expect(values(got2[i][0]), `depthwise case ${i}`).toEqual(values(want2[i][0])));
  });

  it('forced onto layers whose clamp minimum is below the output offset, give wrong outputs (host)', { timeout: 120_000 }, async () => {
    // Ties of negative accumulators are rare in random layers: many outputs, small shifts.
    const live = Array.from({ length: 120 }, (_, i) => randomConvCase(93000 + i, 'pointwise')).filter(
      (c) => !dead(c) && (Number(/\.mode = (\d+)/.exec(emitOf(conv2dDspVariant, c).decls)?.[1]) & 3) === RQ_FAST_FOLDED,
    );
    expect(live.length).toBeGreaterThanOrEqual(20);
    const want = evaluateCases(conv2d, live);
    const fixed = await runVariantCasesInC(conv2dDspVariant, live);
    live.forEach((c, i) => expect(values(fixed[i][0]), `case ${i}`).toEqual(values(want[i][0])));
    planOptions.forceNofix = true;
    expect(live.every((c) => isNf(conv2dDspVariant, c))).toBe(true);
    const forced = await runVariantCasesInC(conv2dDspVariant, live);
    planOptions.forceNofix = false;
    const wrong = live.filter((c, i) => values(forced[i][0]).some((v, j) => v !== values(want[i][0])[j]));
    expect(wrong.length, `${wrong.length} of ${live.length} layers differ`).toBeGreaterThan(0);
    // (Shapes, for the record of what the predicate guards.)
    expect((wrong[0].params as Conv2DQuantParams).activationMin).toBeLessThan((wrong[0].params as Conv2DQuantParams).outputOffset);
  });
});

describe('the sub-byte kernels without the sign correction (the cases test/subbyte/dsp-kernels.test.ts runs bit for bit)', () => {
  it('take _nf and _mixed_nf entry points exactly where the clamp makes the correction dead', () => {
    const calls: { call: string; dead: boolean }[] = [];
    for (const [name, def, make] of [
      ['conv2d_s8_dsp_subbyte', conv2d, (s: number, i: number) => randomConvCase(s, (['fast', 'fast', 'pointwise', 'big-bias', 'big-scale', 'tiny-scale', 'dead', 'huge-scale'] as const)[i % 8])],
      ['depthwise_conv2d_s8_dsp_subbyte', depthwiseConv2d, (s: number, i: number) => randomDwCase(s, (['k3', 'fast', 'big-scale', 'tiny-scale', 'dead', 'depth1', 'k3', 'huge-scale'] as const)[i % 8], i % 8 === 5 ? 3 : 1)],
    ] as const) {
      const variant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === name)!;
      SUB_BYTE_KINDS.forEach((kind, k) => {
        for (let i = 0; i < 16; i++) {
          const c = asSubByteCase(def, make(52000 + 100 * k + i, i), kind, 11 + i);
          if (!variant.accepts(c.params, HOST_DSP_TARGET)) continue;
          calls.push({ call: emitOf(variant, c).call, dead: dead(c) });
        }
      });
    }
    const nf = calls.filter((c) => /_nf\(/.test(c.call));
    expect(nf.filter((c) => /_mixed_nf\(/.test(c.call)).length).toBeGreaterThanOrEqual(3);
    expect(nf.filter((c) => !/_mixed_nf\(/.test(c.call)).length).toBeGreaterThanOrEqual(3);
    expect(nf.every((c) => c.dead)).toBe(true);
  });
});
