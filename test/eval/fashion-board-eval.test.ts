/**
 * Issue #5's bar with the quantizer in place: the int8 model that `tinyml quantize` makes from the
 * Fashion-MNIST float model, evaluated on the emulated Cortex-M4 over its real test images,
 * reports the accuracy and outputs the host reference interpreter reports, and two QEMU
 * instances (--jobs 2) give exactly what one gives. A slice of the test set keeps it quick: the
 * emulated UART moves about 10 KB/s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { parseNpy } from '../../src/io/npy.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { FASHION_TEST, FASHION_TRAIN, fashionModelPath } from '../quantize/fashion.js';

const temp = makeTempDir('tinyml-fashion-board-');
afterAll(() => temp.cleanup());
const LIMIT = '60';

async function evalJson(model: string, board: string, extra: string[], outputs: string) {
  const io = bufferIO();
  const args = ['eval', model, '--board', board, '--data', FASHION_TEST, '--scale', '1/255', '--limit', LIMIT, '--json', '--no-progress', '--save-outputs', outputs, ...extra];
  expect(await runCli(args, io), io.stderr).toBe(0);
  return JSON.parse(io.stdout) as { samples: number; top1: number; confusion: number[][]; agreement?: { compared: number; identical: number } };
}

describe('eval of the quantized Fashion-MNIST model: qemu-m4 vs host', () => {
  it('same accuracy, confusion and outputs; --jobs 2 equals --jobs 1', { timeout: 300_000 }, async () => {
    const model = join(temp.dir, 'fashion.int8.tflite');
    expect(await runCli(['quantize', fashionModelPath(), '--calib', FASHION_TRAIN, '--calib-limit', '64', '--scale', '1/255', '--out', model, '--json'], bufferIO())).toBe(0);
    const out = (n: string) => join(temp.dir, `${n}.npy`);
    const host = await evalJson(model, 'host', [], out('host'));
    const one = await evalJson(model, 'qemu-m4', ['--out', join(temp.dir, 'fw1')], out('one'));
    const two = await evalJson(model, 'qemu-m4', ['--out', join(temp.dir, 'fw2'), '--jobs', '2'], out('two'));
    expect(host.samples).toBe(Number(LIMIT));
    expect(host.top1).toBeGreaterThan(0.8);
    for (const r of [one, two]) {
      expect(r.samples).toBe(host.samples);
      expect(r.top1).toBe(host.top1);
      expect(r.confusion).toEqual(host.confusion);
      expect(r.agreement).toMatchObject({ compared: host.samples, identical: host.samples });
    }
    const bytes = (n: string) => Array.from(parseNpy(new Uint8Array(readFileSync(out(n)))).data as Int8Array);
    expect(bytes('one')).toEqual(bytes('host'));
    expect(bytes('two')).toEqual(bytes('host'));
  });
});
