/**
 * The unrolled rows of conv2d_dsp.c (TINYML_ROWS) at -Os, built as the firmware builds them: one
 * section per function. Their setup computes code addresses with ADR, whose result is
 * Align(PC, 4) + an offset the assembler fixes for the section starting 4-aligned; gcc aligns a
 * function to 2 bytes only at -Os, so a section linked at 2 mod 4 jumped 2 bytes off and ran away
 * (ResNet-8 built with --optimize size hung on qemu-m4). Pinned twice: every kernel section that
 * uses ADR is 4-aligned in the object, and the rows run bit-exact with each kernel function
 * section linked at 2 mod 4 wherever its alignment allows it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conv2d } from '../../src/ops/conv2d.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { SUBBYTE_DSP_VARIANTS } from '../../src/ops/subbyte/dsp.js';
import { KERNELS_DIR } from '../helpers/c-kernel-harness.js';
import { requireArmToolchain } from '../helpers/tools.js';
import { ARM_FLAGS, evaluateCases, run, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';
import { convCaseOfShape } from './random-cases.js';
import { asSubByteCase } from '../subbyte/cases.js';
import { conv } from '../quantize/helpers.js';

const ARM_DIR = join(KERNELS_DIR, 'arm');

/** The sections of an object that hold an ADR (addw/subw from pc, or adr), with their alignment. */
function adrSections(headers: string, disassembly: string): { name: string; align: number }[] {
  const align = new Map<string, number>();
  for (const m of headers.matchAll(/^\s*\d+\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+2\*\*(\d+)/gm)) align.set(m[1], 2 ** Number(m[2]));
  const found: { name: string; align: number }[] = [];
  for (const part of disassembly.split(/^Disassembly of section /m).slice(1)) {
    const name = part.slice(0, part.indexOf(':'));
    if (/\t(?:adr(?:\.w)?|addw|subw)\s+\w+, pc\b|\tadr(?:\.w)?\s/m.test(part)) found.push({ name, align: align.get(name) ?? 0 });
  }
  return found;
}

const attrs = conv(1, 'VALID', 'NONE');
const pointwise = (seed: number, k4: number, outC: number, pixels: number): VariantCase =>
  convCaseOfShape(seed, { batches: 1, inH: 1, inW: pixels, inC: 4 * k4, outC, fh: 1, fw: 1, perChannel: true }, attrs);
/** int8 rows: a pass and a group (int8 stream, 9 pixels; int16 stream, 100 pixels). */
const int8Cases = [pointwise(64_000, 17, 5, 9), pointwise(64_001, 17, 5, 100)];
/** Sub-byte rows through TINYML_ROWS (k4 >= 4): int4 with parts, int2 with an odd word, binary over two passes. */
const sbCases = [
  asSubByteCase(conv2d, pointwise(64_100, 19, 5, 9), 'int4', 64_200),
  asSubByteCase(conv2d, pointwise(64_101, 17, 5, 9), 'int2', 64_201),
  asSubByteCase(conv2d, pointwise(64_102, 39, 5, 9), 'binary', 64_202),
];
const QEMU_TIMEOUT_MS = 20_000;
const sbVariant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === 'conv2d_s8_dsp_subbyte')!;

describe('conv2d_dsp.c unrolled rows at -Os, one section per function', () => {
  it('every kernel section that computes a code address with ADR is 4-aligned at -Os', { timeout: 300_000 }, async () => {
    // (-O2 aligns every function to 4 bytes; -Os to 2, so only the code's own alignment holds there.)
    const { gcc, prefix } = requireArmToolchain();
    // The Arm kernels whose source has an ADR (conv2d_dsp.c's rows, conv2d_stem_dsp.c's steps).
    const sources = readdirSync(ARM_DIR).filter((f) => f.endsWith('.c') && /"adr/.test(readFileSync(join(ARM_DIR, f), 'utf8')));
    expect(sources).toContain('conv2d_dsp.c');
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-adr-'));
    try {
      for (const src of sources) {
        // The flags of the QEMU build below (one compile for both through the run's compile cache).
        const obj = join(dir, `${src}.o`);
        await run(gcc, [...ARM_FLAGS, '-Os', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-I', KERNELS_DIR, '-c', '-o', obj, join(ARM_DIR, src)]);
        const headers = (await run(`${prefix}objdump`, ['-h', obj])).toString();
        const found = adrSections(headers, (await run(`${prefix}objdump`, ['-d', obj])).toString());
        expect(found.length, `${src}: sections with an ADR`).toBeGreaterThan(0);
        for (const s of found) expect(s.align, `${src}: alignment of ${s.name}`).toBeGreaterThanOrEqual(4);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bit-exact on an emulated Cortex-M4 with every function section at 2 mod 4 where it may be', { timeout: 300_000 }, async () => {
    // A few thousand MACs run in well under a second: a layout that sends the rows astray hangs
    // (as the firmware did), and fails here after QEMU_TIMEOUT_MS instead of the harness's 120 s.
    const layout = { misaligned: true, timeoutMs: QEMU_TIMEOUT_MS };
    const got8 = await runVariantCasesOnQemu(conv2dDspVariant, int8Cases, '-Os', layout);
    const want8 = evaluateCases(conv2d, int8Cases);
    int8Cases.forEach((c, i) => expect(values(got8[i][0]), `int8 case ${i}`).toEqual(values(want8[i][0])));
    const gotSb = await runVariantCasesOnQemu(sbVariant, sbCases, '-Os', layout);
    const wantSb = evaluateCases(conv2d, sbCases);
    sbCases.forEach((c, i) => expect(values(gotSb[i][0]), `sub-byte case ${i}`).toEqual(values(wantSb[i][0])));
  });
});
