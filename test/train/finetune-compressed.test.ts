/**
 * `tinyml finetune --clusters K` and `--flash-budget`: short runs on Fashion-MNIST write the
 * storage each layer was trained with (lookup tables of K levels; the budget solver's kind per
 * layer), the written file's parameter bytes fit the budget, and the file evaluates on the host
 * integer reference to the accuracy the command reported. Bad values are refused before training.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finetuneCommand } from '../../src/cli/commands/finetune.js';
import { bufferIO } from '../../src/cli/io.js';
import { openDataset } from '../../src/data/dataset.js';
import { InputError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/types.js';
import { quantizedModelBytes } from '../../src/quantize/budget.js';
import { importTflite } from '../../src/tflite/import.js';
import { evaluateInteger } from '../../src/train/evaluate.js';
import { fashionModelPath, FASHION_TEST, FASHION_TRAIN, requireFashionMnist } from '../quantize/fashion.js';

const dir = mkdtempSync(join(tmpdir(), 'tinyml-finetune-compressed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = fashionModelPath();

/** Weight encoding label of each weight layer of a written model, by op index. */
function storage(g: Graph): Map<number, string> {
  const out = new Map<number, string>();
  for (const op of g.ops) {
    if (!['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type)) continue;
    const enc = g.tensors[op.inputs[1]].weightEncoding;
    out.set(op.index, !enc ? 'int8' : enc.kind === 'lut' ? `clusters${enc.entries}` : enc.kind);
  }
  return out;
}

/** The written file, read back, evaluated on the first `count` test images as the command did. */
async function fileCorrect(g: Graph, count: number): Promise<number> {
  const test = await openDataset({ data: FASHION_TEST });
  const data = {
    count,
    labels: test.labels.subarray(0, count),
    input(i: number, o: Float32Array, off: number) {
      const s = test.sample(i);
      for (let k = 0; k < s.length; k++) o[off + k] = s[k] / 255;
    },
  };
  return evaluateInteger(g, data, 784).correct;
}

describe('tinyml finetune with compressed weights', () => {
  it('--clusters 8 --keep-int8 first,last writes one 8-entry table per trained layer', async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const io = bufferIO();
    const out = join(dir, 'fashion.qat-clusters8.tflite');
    const r = await finetuneCommand(model, { data: FASHION_TRAIN, scale: '1/255', clusters: '8', keepInt8: 'first,last', limit: 128, holdout: 0, evalData: FASHION_TEST, evalLimit: 100, out, progress: false }, io);
    expect([r.weights, r.clusters, r.keepInt8]).toEqual(['clusters', 8, [0, 13]]);
    const g = importTflite(readFileSync(out), 'qat');
    expect([...storage(g)]).toEqual([
      [0, 'int8'],
      [2, 'clusters8'],
      [3, 'clusters8'],
      [5, 'clusters8'],
      [6, 'clusters8'],
      [7, 'clusters8'],
      [8, 'clusters8'],
      [12, 'clusters8'],
      [13, 'int8'],
    ]);
    for (const [index, kind] of storage(g)) {
      if (kind === 'int8') continue;
      const w = g.tensors[g.ops[index].inputs[1]];
      const enc = w.weightEncoding!;
      if (enc.kind !== 'lut') throw new Error('not a table');
      // At most 8 distinct values, each weight its table entry: what quantize --clusters writes.
      expect([enc.bits, enc.scope, new Set(w.data as Int8Array).size <= 8]).toEqual([3, 'tensor', true]);
      expect(Array.from(enc.indices, (i) => enc.table[i])).toEqual(Array.from(w.data as Int8Array));
    }
    expect(r.storedBytes).toBe(quantizedModelBytes(g));
    expect(io.stdout).toContain(`parameter bytes (weights, biases, scales, tables, other constants): ${r.storedBytes.toLocaleString('en-US')}`);
    expect(await fileCorrect(g, 100)).toBe(r.after.correct);
  }, 120_000);

  it('--flash-budget 0.40x trains each layer in the solver\'s kind and the written file fits the budget', async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const io = bufferIO();
    const out = join(dir, 'fashion.qat-mixed.tflite');
    const r = await finetuneCommand(model, { data: FASHION_TRAIN, scale: '1/255', flashBudget: '0.40x', limit: 32, holdout: 0, evalData: FASHION_TEST, evalLimit: 100, out, progress: false }, io);
    const plan = r.budget!;
    expect(r.weights).toBe('mixed');
    expect(plan.budgetBytes).toBe(Math.floor(0.4 * plan.int8Bytes));
    const g = importTflite(readFileSync(out), 'qat');
    // The file holds, layer by layer, what the solver chose.
    expect([...storage(g)]).toEqual(plan.layers.map((l) => [l.index, l.choice]));
    expect(new Set(plan.layers.map((l) => l.choice)).size).toBeGreaterThan(2);
    const bytes = quantizedModelBytes(g);
    expect(bytes).toBe(plan.totalBytes);
    expect(bytes).toBeLessThanOrEqual(plan.budgetBytes);
    expect(bytes).toBeLessThan(0.45 * plan.int8Bytes);
    expect(io.stdout).toMatch(/Flash budget 18,2\d\d bytes/);
    expect(await fileCorrect(g, 100)).toBe(r.after.correct);
  }, 240_000);

  it('refuses bad --clusters and --flash-budget values and combinations', async () => {
    requireFashionMnist([FASHION_TRAIN]);
    const base = { data: FASHION_TRAIN, scale: '1/255', limit: 8, progress: false, out: join(dir, 'x.tflite') };
    const refused = async (o: object, message: RegExp): Promise<void> => {
      const p = finetuneCommand(model, { ...base, ...o }, bufferIO());
      await expect(p).rejects.toBeInstanceOf(InputError);
      await expect(p).rejects.toThrow(message);
    };
    await refused({ clusters: '1' }, /--clusters must be an integer from 2 to 256, got '1'/);
    await refused({ clusters: '300' }, /--clusters must be an integer from 2 to 256/);
    await refused({ clusters: '16k' }, /--clusters must be an integer from 2 to 256, got 'NaN'|got '16k'/);
    await refused({ clusters: '16', weights: 'ternary' }, /--clusters and --weights ternary are two ways/);
    await refused({ clusters: '16', flashBudget: '0.4x' }, /--flash-budget chooses each layer's storage itself .*drop --clusters/);
    await refused({ flashBudget: '0.4x', weights: 'int4' }, /drop --weights int4/);
    await refused({ flashBudget: '2x' }, /must be in \(0, 1\]/);
    await refused({ flashBudget: 'lots' }, /neither a byte count .* nor a fraction/);
    await refused({ flashBudget: '1000' }, /below the smallest size reachable/);
  }, 60_000);
});
