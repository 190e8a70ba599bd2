/**
 * A model compressed by TensorFlow Lite Micro's own compression tool (LUT method, DECODE
 * operators; test/fixtures/tflm-compressed/make_fixture.py) imports: the DECODE ops fold into
 * constant weights equal to the uncompressed model's, with their LUT encoding; the model computes
 * what the uncompressed one computes, writes back in the compression-metadata form, and deploys
 * bit-exact to qemu-m4 with the LUT kernels.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { importTflite, importTfliteFile } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { projectRoot } from '../helpers/shared.js';

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

  it('deploys bit-exact to qemu-m4', { timeout: 300_000 }, async () => {
    const model = join(work, 'lutnet.tflm-lut.tflite');
    writeFileSync(model, readFileSync(join(dir, 'lutnet.tflm-lut.tflite')));
    const io = bufferIO();
    expect(await runCli(['deploy', model, '--board', 'qemu-m4', '--out', join(work, 'fw'), '--check', '3', '--json'], io), io.stderr).toBe(0);
    expect(JSON.parse(io.stdout).check).toMatchObject({ cases: 3, matched: 3 });
    expect(readFileSync(join(work, 'fw', 'model', 'model.c'), 'utf8')).toContain('tinyml_fully_connected_lut_s8(');
  });
});
