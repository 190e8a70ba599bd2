/**
 * tinyml's own int4 file in TFLite and TFLite Micro: fashion_cnn_int4.tflite (tinyml quantize
 * --weights int4 of the Fashion-MNIST CNN; see check_fashion_int4.py beside it) loaded in
 * TensorFlow Lite's interpreter and in TFLite Micro's host build (tflm_host_run) when the fixture
 * was made, their outputs recorded in fashion_int4.json. tinyml's reference interpreter and its
 * qemu-m4 firmware give TFLite Micro's bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { importTfliteFile } from '../../src/tflite/index.js';
import { projectRoot } from '../helpers/shared.js';
import { expectQemuMatchesHost } from '../onnx/qemu-host-check.js';

const DIR = join(projectRoot(), 'test', 'fixtures', 'subbyte');
const MODEL = join(DIR, 'fashion_cnn_int4.tflite');
const work = mkdtempSync(join(tmpdir(), 'tinyml-fashion-int4-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Golden {
  cases: { input: number[]; tflite: number[]; tflm: number[] }[];
}
const GOLDEN = JSON.parse(readFileSync(join(DIR, 'fashion_int4.json'), 'utf8')) as Golden;

describe('tinyml int4 Fashion-MNIST CNN in TFLite and TFLite Micro', () => {
  it('every weight layer is int4; the dense layers (per channel) are INT8 in the file, as TFLite Micro requires', async () => {
    const g = await importTfliteFile(MODEL);
    const layers = g.ops.filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type));
    expect(layers).toHaveLength(9);
    expect(layers.map((op) => g.tensors[op.inputs[1]].weightEncoding)).toEqual(layers.map(() => ({ kind: 'int4' })));
    const bytes = readFileSync(MODEL);
    expect(bytes.includes(Buffer.from('TINYML_SUBBYTE_WEIGHTS'))).toBe(true);
  });

  it('the host reference interpreter gives TFLite Micro bytes on 4 test images and 4 random inputs', async () => {
    expect(GOLDEN.cases).toHaveLength(8);
    const prepared = prepareGraph(await importTfliteFile(MODEL));
    for (const [i, c] of GOLDEN.cases.entries()) {
      const [y] = runGraph(prepared, [Int8Array.from(c.input)]);
      expect(Array.from(y as Int8Array), `case ${i}`).toEqual(c.tflm);
      // TFLite's own interpreter loaded the file and agrees (its reference kernels requantize
      // per-channel dense layers in double precision, TFLM in fixed point: at most one step).
      c.tflite.forEach((v, k) => expect(Math.abs(v - c.tflm[k]), `case ${i} output ${k}: TFLite vs TFLM`).toBeLessThanOrEqual(1));
    }
  });

  it('the qemu-m4 firmware gives the same bytes', { timeout: 600_000 }, async () => {
    await expectQemuMatchesHost(MODEL, join(work, 'fw'), () => GOLDEN.cases.map((c) => Int8Array.from(c.input)));
  });
});
