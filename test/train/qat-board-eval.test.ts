/**
 * A model written by `tinyml finetune` (int4 weights, trained a step past its GPTQ start) runs on
 * the emulated Cortex-M4 as on the host reference: `eval --board qemu-m4` reports the host's top-1
 * and saves byte-identical outputs. A short run and a slice of the test set keep it quick.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { parseNpy } from '../../src/io/npy.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { fashionModelPath, FASHION_TEST, FASHION_TRAIN, requireFashionMnist } from '../quantize/fashion.js';

const temp = makeTempDir('tinyml-qat-board-');
afterAll(() => temp.cleanup());

async function evalJson(model: string, board: string, outputs: string, extra: string[] = []) {
  const io = bufferIO();
  const args = ['eval', model, '--board', board, '--data', FASHION_TEST, '--scale', '1/255', '--limit', '40', '--json', '--no-progress', '--save-outputs', outputs, ...extra];
  expect(await runCli(args, io), io.stderr).toBe(0);
  return JSON.parse(io.stdout) as { samples: number; top1: number; agreement?: { compared: number; identical: number } };
}

describe('a fine-tuned int4 model on qemu-m4', () => {
  it('same top-1 and byte-identical outputs as the host reference', { timeout: 300_000 }, async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const model = join(temp.dir, 'fashion.qat-int4.tflite');
    const train = ['finetune', fashionModelPath(), '--data', FASHION_TRAIN, '--scale', '1/255', '--weights', 'int4', '--limit', '128', '--holdout', '0'];
    const io = bufferIO();
    expect(await runCli([...train, '--eval-data', FASHION_TEST, '--eval-limit', '40', '--no-progress', '--out', model], io), io.stderr).toBe(0);
    const out = (n: string) => join(temp.dir, `${n}.npy`);
    const host = await evalJson(model, 'host', out('host'));
    const board = await evalJson(model, 'qemu-m4', out('board'), ['--out', join(temp.dir, 'fw')]);
    expect(host.samples).toBe(40);
    expect(host.top1).toBeGreaterThan(0.7);
    expect(board.top1).toBe(host.top1);
    expect(board.agreement).toMatchObject({ compared: 40, identical: 40 });
    const bytes = (n: string) => Array.from(parseNpy(new Uint8Array(readFileSync(out(n)))).data as Int8Array);
    expect(bytes('board')).toEqual(bytes('host'));
  });
});
