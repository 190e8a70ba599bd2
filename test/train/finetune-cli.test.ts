/**
 * `tinyml finetune` (finetuneCommand): a short run on a subset of Fashion-MNIST trains from the
 * post-training (GPTQ) solution and writes the model it evaluates; a run that ends below its start
 * on the held-out training samples keeps the start; bad flags and labels that do not fit the data or the model are refused with
 * typed errors before any training.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finetuneCommand } from '../../src/cli/commands/finetune.js';
import { bufferIO } from '../../src/cli/io.js';
import { openDataset } from '../../src/data/dataset.js';
import { InputError, WouldOverwriteError } from '../../src/errors.js';
import { formatNpy } from '../../src/io/npy.js';
import { importTflite } from '../../src/tflite/import.js';
import { evaluateInteger } from '../../src/train/evaluate.js';
import { fashionModelPath, FASHION_TEST, FASHION_TRAIN, requireFashionMnist } from '../quantize/fashion.js';

const dir = mkdtempSync(join(tmpdir(), 'tinyml-finetune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = fashionModelPath();

describe('tinyml finetune', () => {
  it('one epoch on 128 images moves the int4 model off its GPTQ start, and writes that model', async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const io = bufferIO();
    const out = join(dir, 'fashion.qat-int4.tflite');
    const r = await finetuneCommand(model, { data: FASHION_TRAIN, scale: '1/255', weights: 'int4', limit: 128, holdout: 0, evalData: FASHION_TEST, evalLimit: 60, out, progress: false }, io);
    expect(r.after.samples).toBe(60);
    // Training starts from GPTQ's int4 weights and moves them.
    expect(r.after.loss).not.toBe(r.before.loss);
    expect(io.stdout).toContain(`wrote ${out}`);
    expect(io.stdout).toMatch(/after quantization-aware training: +\d+\.\d\d% \(\d+\/60\)/);

    // The written file is the evaluated model: same accuracy on the same images.
    const g = importTflite(readFileSync(out), 'qat');
    expect(g.tensors[g.inputs[0]].dtype).toBe('int8');
    const weights = g.ops.filter((op) => op.type === 'CONV_2D').map((op) => g.tensors[op.inputs[1]].data as Int8Array);
    for (const w of weights) expect(Math.max(...w) <= 7 && Math.min(...w) >= -8).toBe(true);
    const test = await openDataset({ data: FASHION_TEST });
    const data = {
      count: 60,
      labels: test.labels.subarray(0, 60),
      input(i: number, o: Float32Array, off: number) {
        const s = test.sample(i);
        for (let k = 0; k < s.length; k++) o[off + k] = s[k] / 255;
      },
    };
    expect(evaluateInteger(g, data, 784).correct).toBe(r.after.correct);
  }, 240_000);

  it('keeps the post-training model when training ends below it on the held-out samples', async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const io = bufferIO();
    const out = join(dir, 'fashion.qat-int8.tflite');
    // A learning rate a thousand times too high wrecks the weights in a few steps.
    const r = await finetuneCommand(model, { data: FASHION_TRAIN, scale: '1/255', limit: 128, lr: 0.1, holdout: 200, evalData: FASHION_TEST, evalLimit: 60, out, progress: false }, io);
    expect(r.holdout!.samples).toBe(200);
    expect(r.holdout!.epochs[0]).toBeLessThan(r.holdout!.start);
    expect(r.holdout!.kept).toBe(0);
    expect(io.stdout).toContain('kept the start (post-training quantization)');
    // The written model is the post-training one.
    expect(r.after).toEqual(r.before);
    expect(r.holdout!.start).toBeGreaterThan(0.8);
  }, 180_000);

  it('refuses bad flags, labels that do not fit, and an existing --out', async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const base = { data: FASHION_TRAIN, scale: '1/255', limit: 8, progress: false, out: join(dir, 'x.tflite') };
    await expect(finetuneCommand(model, { ...base, weights: 'int3' }, bufferIO())).rejects.toThrow(/--weights 'int3' is not one of int8, int4, int2, ternary, binary/);
    await expect(finetuneCommand(model, { ...base, epochs: '0' }, bufferIO())).rejects.toThrow(/--epochs must be a positive integer/);
    await expect(finetuneCommand(model, { ...base, holdout: '-1' }, bufferIO())).rejects.toThrow(/--holdout must be a non-negative integer/);
    await expect(finetuneCommand(model, { ...base, calibration: 'median' }, bufferIO())).rejects.toThrow(/--calibration 'median' is not one of minmax, percentile, mse, entropy/);
    await expect(finetuneCommand(model, { ...base, holdout: 60000 }, bufferIO())).rejects.toThrow(/--holdout 60000 leaves none of the 60000 training samples/);
    await expect(finetuneCommand(model, { ...base, keepInt8: '1' }, bufferIO())).rejects.toThrow(/'1' is op #1 MAX_POOL_2D, which has no weights/);
    await expect(finetuneCommand(model, { ...base, keepInt8: 'nope' }, bufferIO())).rejects.toBeInstanceOf(InputError);
    // Labels of another set: 60,000 images, 10,000 labels.
    await expect(finetuneCommand(model, { ...base, labels: FASHION_TEST.replace('images-idx3', 'labels-idx1') }, bufferIO())).rejects.toThrow(/holds 60000 samples but .* holds 10000 labels/);
    // Labels beyond the model's 10 classes.
    const images = join(dir, 'images.npy');
    const labels = join(dir, 'labels.npy');
    writeFileSync(images, formatNpy({ dtype: 'uint8', shape: [4, 28, 28], data: new Uint8Array(4 * 784).fill(9) }));
    writeFileSync(labels, formatNpy({ dtype: 'int32', shape: [4], data: Int32Array.of(0, 1, 2, 12) }));
    await expect(finetuneCommand(model, { ...base, data: images, labels, limit: undefined }, bufferIO())).rejects.toThrow(/label 3 is 12, but the model has 10 outputs/);
    const existing = join(dir, 'exists.tflite');
    writeFileSync(existing, 'mine');
    await expect(finetuneCommand(model, { ...base, out: existing }, bufferIO())).rejects.toBeInstanceOf(WouldOverwriteError);
    expect(readFileSync(existing, 'utf8')).toBe('mine');
  }, 60_000);
});
