/**
 * `tinyml eval` on an int8 `.npy` dataset for a model whose input is int8: the samples are
 * already-quantized values and must reach the model byte for byte. The dataset is the MLPerf
 * Tiny KWS model's 12 golden inputs (TFLite Micro's own cases), labelled with the argmax of
 * TFLite Micro's golden output for each case, so a model that sees exactly these bytes scores
 * exactly 100% top-1, on the host and on the firmware under QEMU. (Quantizing the int8 values
 * a second time, as if they were real values, gives other bytes and another accuracy.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { bufferIO } from '../../src/cli/io.js';
import { argmax } from '../../src/eval/metrics.js';
import { formatNpy, parseNpy } from '../../src/io/npy.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { goldenModels } from '../helpers/golden.js';

const kws = goldenModels().find((m) => m.id === 'kws_ref_model')!;
const temp = makeTempDir('tinyml-int8-eval-');
const data = join(temp.dir, 'kws_int8.npy');
const labels = join(temp.dir, 'kws_labels.npy');
const N = kws.cases.length;

const asInt8 = (b: Uint8Array): Int8Array => new Int8Array(b.buffer, b.byteOffset, b.length);

/** The golden inputs as one int8 array [N, 49, 10, 1], and their TFLite Micro argmax labels. */
function writeKwsInt8Dataset(): void {
  const per = kws.cases[0].inputs[0].length;
  const x = new Int8Array(N * per);
  kws.cases.forEach((c, i) => x.set(asInt8(c.inputs[0]), i * per));
  writeFileSync(data, formatNpy({ dtype: 'int8', shape: [N, ...kws.inputs[0].shape.slice(1)], data: x }));
  const y = Int32Array.from(kws.cases, (c) => argmax(asInt8(c.outputs[0])));
  writeFileSync(labels, formatNpy({ dtype: 'int32', shape: [N], data: y }));
}

const goldenOutputs = (): number[][] => kws.cases.map((c) => Array.from(asInt8(c.outputs[0])));

function savedOutputs(file: string): number[][] {
  const a = parseNpy(new Uint8Array(readFileSync(file)));
  const per = a.shape.slice(1).reduce((p, d) => p * d, 1);
  return Array.from({ length: a.shape[0] }, (_, i) => Array.from(a.data.subarray(i * per, (i + 1) * per) as Int8Array));
}

beforeAll(() => {
  expect(N).toBe(12);
  expect(kws.inputs[0].dtype).toBe('int8');
  writeKwsInt8Dataset();
});
afterAll(() => temp.cleanup());

describe('tinyml eval on an int8 .npy of the KWS golden inputs', () => {
  it('feeds the bytes as they are on the host: 100% top-1, outputs equal to TFLite Micro', async () => {
    const saved = join(temp.dir, 'host.npy');
    const r = await evalCommand(kws.modelPath, { board: 'host', data, labels, json: true, saveOutputs: saved }, bufferIO());
    expect(r.samples).toBe(N);
    expect(r.top1).toBe(1);
    expect(savedOutputs(saved)).toEqual(goldenOutputs());
  });

  it('feeds the bytes as they are on qemu-m4: 100% top-1, every output bit-exact', { timeout: 180_000 }, async () => {
    const saved = join(temp.dir, 'board.npy');
    const r = await evalCommand(kws.modelPath, { board: 'qemu-m4', data, labels, json: true, out: join(temp.dir, 'fw'), saveOutputs: saved }, bufferIO());
    expect(r.samples).toBe(N);
    expect(r.top1).toBe(1);
    expect(r.agreement).toMatchObject({ compared: N, identical: N });
    expect(savedOutputs(saved)).toEqual(goldenOutputs());
  });
});
