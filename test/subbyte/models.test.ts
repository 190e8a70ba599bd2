/**
 * Sub-byte models end to end: an int8 model's weights rounded to each width
 * (quantize/sub-byte-rounding.ts) survive a .tflite round trip (INT4 / INT2 tensors, decoded
 * values and encoding equal, packed bytes in the file), and deploy to qemu-m4 bit-exact with the
 * reference interpreter, with the packed weights (not int8 copies) in flash, within a bound of
 * the int8 model's instructions per inference (issue #15: sub-byte weights no slower than int8).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importTflite } from '../../src/tflite/index.js';
import { importTfliteFile } from '../../src/tflite/index.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { roundWeightsToSubByte } from '../../src/quantize/sub-byte-rounding.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { checkAgainstReference, measureLatency } from '../../src/deploy/verify.js';
import { sharedPath } from '../helpers/shared.js';
import { SUB_BYTE_KINDS } from './cases.js';
import type { Graph } from '../../src/ir/types.js';
import { narrowestTwoBitKind } from '../../src/ir/weight-packing.js';

const KWS = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');
const work = mkdtempSync(join(tmpdir(), 'tinyml-subbyte-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function weightTensors(g: Graph) {
  return g.tensors.filter((t) => t.weightEncoding);
}

describe('sub-byte .tflite files', () => {
  it('round-trips int4, int2, ternary and binary weights (INT4 / INT2 tensors, packed)', async () => {
    const int8 = await importTfliteFile(KWS);
    const int8Bytes = writeTflite(int8).length;
    for (const kind of SUB_BYTE_KINDS) {
      const { graph, layers } = roundWeightsToSubByte(int8, kind);
      expect(layers).toBe(10);
      const bytes = writeTflite(graph);
      const back = importTflite(bytes, 'kws');
      const want = weightTensors(graph);
      const got = weightTensors(back);
      expect(got.map((t) => t.id)).toEqual(want.map((t) => t.id));
      got.forEach((t, i) => {
        expect(t.dtype).toBe('int8');
        expect(Array.from(t.data as Int8Array)).toEqual(Array.from(want[i].data as Int8Array));
        expect(t.quant).toEqual(want[i].quant);
        // Binary and ternary are written as INT2 and read back as the narrowest kind the values
        // allow (an int2 tensor without -2 comes back ternary).
        expect(t.weightEncoding).toEqual({ kind: kind === 'int4' ? 'int4' : narrowestTwoBitKind(want[i].data as Int8Array) });
        if (kind !== 'int2') expect(t.weightEncoding).toEqual({ kind });
      });
      // The rest of the model is unchanged.
      back.tensors.filter((t) => !t.weightEncoding).forEach((t) => expect(t.data ? Array.from(t.data as ArrayLike<number>) : undefined).toEqual(graph.tensors[t.id].data ? Array.from(graph.tensors[t.id].data as ArrayLike<number>) : undefined));
      const weightBytes = want.reduce((n, t) => n + (t.data as Int8Array).length, 0);
      const saved = int8Bytes - bytes.length;
      expect(saved).toBeGreaterThanOrEqual(weightBytes - Math.ceil((weightBytes * (kind === 'int4' ? 4 : 2)) / 8) - 16 * want.length);
    }
  });

  it('refuses to write a weight outside its encoding', async () => {
    const { graph } = roundWeightsToSubByte(await importTfliteFile(KWS), 'int4');
    const t = weightTensors(graph)[0];
    (t.data as Int8Array)[3] = 9;
    expect(() => writeTflite(graph)).toThrow(/marked int4 but value 3 is 9/);
  });
});

/** Instructions of one inference of the firmware at `elf` on its board (median of 3). */
async function instructionsOf(built: Awaited<ReturnType<typeof buildModelFirmware>>): Promise<number> {
  const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 60_000 });
  try {
    return (await measureLatency(session.client, built.board, 3)).perInference;
  } finally {
    await session.close();
  }
}

/**
 * Instructions per inference on qemu-m4 relative to the int8 model: measured int4 1.071x, int2
 * 1.081x, ternary 1.075x, binary 1.073x (3,472,699 for int8); 1.113x, 1.127x, 1.124x and 1.113x
 * before the conv layers' signed fields and the records in the weight stream, 1.25x-1.32x before
 * the weights were laid out for one AND per operand pair; with the stem kernel for int8 and sub-byte
 * first layers (issue #20) int4 1.092x, int2 1.098x, ternary 1.079x, binary 1.080x (2,933,763 for
 * int8). The bounds leave ~2.5% for changes to
 * the int8 kernels. KWS is a DS-CNN like VWW: a 10x4 first convolution on a one-channel input,
 * depthwise 3x3 and pointwise layers, and a small fully connected layer.
 */
const MAX_VS_INT8: Record<(typeof SUB_BYTE_KINDS)[number], number> = { int4: 1.1, int2: 1.11, ternary: 1.1, binary: 1.1 };

describe('sub-byte models on qemu-m4', () => {
  let int8Build: Promise<Awaited<ReturnType<typeof buildModelFirmware>>> | undefined;
  let int8Instructions: Promise<number> | undefined;
  const int8Built = () => (int8Build ??= buildModelFirmware(KWS, { board: 'qemu-m4', outDir: join(work, 'int8') }));
  const int8 = () => (int8Instructions ??= int8Built().then(instructionsOf));
  for (const kind of SUB_BYTE_KINDS) {
    it(`KWS with ${kind} weights: bit-exact with the reference interpreter, packed weights in flash, within ${MAX_VS_INT8[kind]}x int8's instructions`, { timeout: 300_000 }, async () => {
      const { graph } = roundWeightsToSubByte(await importTfliteFile(KWS), kind);
      const path = join(work, `kws_${kind}.tflite`);
      writeFileSync(path, writeTflite(graph));
      const built = await buildModelFirmware(path, { board: 'qemu-m4', outDir: join(work, kind) });
      expect(built.build.log).not.toMatch(/warning:/);
      const modelC = built.compiled.generated.files['model/model.c'];
      // Every conv, depthwise and dense layer runs a sub-byte kernel (DSP on the M4; the first one the
      // stem's; _nf: without the requantization's dead sign correction, tinyml_dsp.h).
      expect(modelC.match(/tinyml_\w+_s8_(dsp_(sb\ds?(_mixed)?(_nf)?|nib_\w+)|stem_dsp_sb\d)\(/g)?.length).toBe(10);
      // No int8 copy of any rounded weight tensor.
      for (const t of weightTensors(built.compiled.graph)) expect(modelC).not.toMatch(new RegExp(`tensor${t.id}_`));
      // The same layers in place as int8 (issue #15: no extra RAM); the arena exceeds int8's by at
      // most the stem's decoded int16 layout (5,120 bytes, too large for the kernel's stack frame).
      const base = (await int8Built()).compiled.plan;
      expect([...built.compiled.plan.inPlace].sort()).toEqual([...base.inPlace].sort());
      expect(built.compiled.plan.arenaBytes, `${kind}: arena ${built.compiled.plan.arenaBytes} B, int8 ${base.arenaBytes} B`).toBeLessThanOrEqual(base.arenaBytes + 5120);
      const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 60_000 });
      try {
        const check = await checkAgainstReference(session.client, built.compiled.prepared, 4);
        expect(check.mismatches).toEqual([]);
        expect(check.matched).toBe(4);
        const instructions = (await measureLatency(session.client, built.board, 3)).perInference;
        const ratio = instructions / (await int8());
        expect(ratio, `${kind}: ${instructions} instructions, ${ratio.toFixed(3)}x int8`).toBeLessThanOrEqual(MAX_VS_INT8[kind]);
      } finally {
        await session.close();
      }
    });
  }
});

describe('sub-byte models on every QEMU board', () => {
  // qemu-m4 runs every width above.
  const BOARDS = ['qemu-m3', 'qemu-m7', 'qemu-m33', 'qemu-m55'];
  it('KWS with int4 weights on the other boards, binary on M3 and M55: bit-exact (portable kernels on M3, DSP on the others)', { timeout: 900_000 }, async () => {
    const int8 = await importTfliteFile(KWS);
    for (const kind of ['int4', 'binary'] as const) {
      const path = join(work, `kws_all_${kind}.tflite`);
      writeFileSync(path, writeTflite(roundWeightsToSubByte(int8, kind).graph));
      for (const board of kind === 'int4' ? BOARDS : ['qemu-m3', 'qemu-m55']) {
        const built = await buildModelFirmware(path, { board, outDir: join(work, `${board}-${kind}`) });
        expect(built.build.log, `${board} ${kind}`).not.toMatch(/warning:/);
        const kernels = built.compiled.generated.kernelFiles;
        // M3 has no DSP extension: the portable sub-byte kernels; the others the DSP ones.
        if (board === 'qemu-m3') expect(kernels, board).not.toContain('arm/conv2d_dsp.c');
        else expect(built.compiled.generated.files['model/model.c'], board).toMatch(/tinyml_conv2d_s8_dsp_sb\ds?(_mixed)?(_nf)?\(/);
        const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 60_000 });
        try {
          const check = await checkAgainstReference(session.client, built.compiled.prepared, 2);
          expect(check.mismatches, `${board} ${kind}`).toEqual([]);
          expect(check.matched).toBe(2);
        } finally {
          await session.close();
        }
      }
    }
  });
});
