/**
 * A model compressed by TensorFlow Lite Micro's own compression tool (LUT method, DECODE
 * operators; test/fixtures/tflm-compressed/make_fixture.py) imports: the DECODE ops fold into
 * constant weights equal to the uncompressed model's, with their LUT encoding; the model computes
 * what the uncompressed one computes, and writes back in the compression-metadata form; both
 * forms reproduce TensorFlow Lite Micro's own outputs (built with compression), on the host and
 * on qemu-m4 with the LUT kernels.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { inferOnDevice } from '../../src/deploy/verify.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { importTflite, importTfliteFile } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { projectRoot } from '../helpers/shared.js';
import { fixtureGoldenModels } from '../helpers/golden.js';
import { expectGoldenOutput } from '../helpers/golden-compare.js';

const dir = join(projectRoot(), 'test', 'fixtures', 'tflm-compressed');
const work = mkdtempSync(join(tmpdir(), 'tinyml-tflm-lut-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("TFLite Micro's compressed models (DECODE form)", () => {
  it('import with the DECODE ops folded into LUT-encoded weights equal to the uncompressed ones', async () => {
    const plain = await importTfliteFile(join(dir, 'lutnet.int8.tflite'));
    const tflm = await importTfliteFile(join(dir, 'lutnet.tflm-lut.tflite'));
    expect(tflm.ops.map((o) => o.type)).toEqual(plain.ops.map((o) => o.type));
    for (const [k, op] of tflm.ops.entries()) {
      const w = tflm.tensors[op.inputs[1]];
      if (op.type === 'RESHAPE') continue;
      expect(w.weightEncoding?.kind, `op ${k}`).toBe('lut');
      expect(w.weightEncoding && 'bits' in w.weightEncoding ? w.weightEncoding.bits : 0).toBe(4);
      expect(Array.from(w.data as Int8Array), `op ${k}`).toEqual(Array.from(plain.tensors[plain.ops[k].inputs[1]].data as Int8Array));
      expect(w.quant).toEqual(plain.tensors[plain.ops[k].inputs[1]].quant);
    }
    const input = Int8Array.from({ length: 256 }, (_, i) => ((i * 37) % 256) - 128);
    const a = runGraph(prepareGraph(plain), [input])[0];
    const b = runGraph(prepareGraph(tflm), [input])[0];
    expect(Array.from(b)).toEqual(Array.from(a));
    // Written back by tinyml (compression-metadata form) and read again: the same weights.
    const again = importTflite(writeTflite(tflm), 'again');
    for (const op of again.ops.filter((o) => o.type !== 'RESHAPE')) expect(again.tensors[op.inputs[1]].weightEncoding?.kind).toBe('lut');
    expect(Array.from(runGraph(prepareGraph(again), [input])[0])).toEqual(Array.from(a));
  });

  it('a corrupt DECODE header is a clear error', () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'lutnet.tflm-lut.tflite')));
    // The first ancillary header: decode type 0, version 1, then LUT version 1 at byte 4.
    let at = -1;
    for (let i = 0; i + 7 < bytes.length; i++) {
      if (bytes[i] === 0 && bytes[i + 1] === 1 && bytes[i + 2] === 0 && bytes[i + 3] === 0 && bytes[i + 4] === 1 && bytes[i + 5] === 4) {
        at = i;
        break;
      }
    }
    expect(at).toBeGreaterThan(0);
    const bad = bytes.slice();
    bad[at] = 1; // Huffman
    expect(() => importTflite(bad, 'bad')).toThrow(/Huffman decoding; tinyml reads LUT compression only/);
  });
});

/**
 * Outputs of TFLite Micro built with compression (USE_TFLM_COMPRESSION; golden/, made with
 * ../shared/tools/tflm-ref's make_golden.py, see README there) for the DECODE form and for the
 * compression-metadata form tinyml writes (lutnet.tinyml-lut.tflite: lutnet.tflm-lut.tflite
 * imported and written back by tinyml). TFLM without compression reads the metadata form's
 * packed indices as int8 weights, so these outputs come from its decompression, not from
 * uncompressed weights. lutnet.tinyml-decode.tflite is tinyml's own DECODE-form file of the same
 * weights (tflm-decode-form.test.ts); TFLM's outputs for it equal those for TFLM's own file.
 */
describe('TFLite Micro built with compression: its outputs, byte for byte', () => {
  const models = fixtureGoldenModels('tflm-compressed');
  it('covers both forms, and the DECODE form tinyml writes', () => expect(models.map((m) => m.id)).toEqual(['lutnet_tflm_lut', 'lutnet_tinyml_decode', 'lutnet_tinyml_lut']));
  for (const m of models) {
    it(`${m.id}: the reference interpreter reproduces every golden case`, async () => {
      const g = await importTfliteFile(m.modelPath);
      expect(g.tensors.filter((t) => t.weightEncoding?.kind === 'lut').length).toBe(3);
      const prepared = prepareGraph(g);
      for (const c of m.cases) {
        const out = runGraph(prepared, [new Int8Array(c.inputs[0].buffer, c.inputs[0].byteOffset, c.inputs[0].length)])[0];
        expect(new Uint8Array((out as Int8Array).buffer, (out as Int8Array).byteOffset, out.length), `case ${c.index}`).toEqual(c.outputs[0]);
      }
    });
    it(`${m.id}: qemu-m4 (LUT kernels) reproduces every golden case`, { timeout: 300_000 }, async () => {
      const built = await buildModelFirmware(m.modelPath, { board: 'qemu-m4', outDir: join(work, m.id) });
      expect(built.build.log).not.toMatch(/warning:/);
      expect(Object.values(built.compiled.generated.files).join('\n')).toContain('tinyml_fully_connected_lut_s8(');
      const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 20_000 });
      try {
        for (const c of m.cases) {
          const outs = await inferOnDevice(session.client, [tensorDataFromBytes('int8', c.inputs[0])]);
          expectGoldenOutput('int8', outs[0], c.outputs[0], `qemu-m4 ${m.id} case ${c.index}`);
        }
      } finally {
        await session.close();
      }
    });
  }
});
