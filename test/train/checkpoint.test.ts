/**
 * `finetune --checkpoint/--resume/--stop-after`: a run stopped after its first epoch and resumed
 * writes the same bytes as the run that never stopped (held-out best state, Adam moments, the
 * shuffling stream, the learning-rate and dampening schedules all carried over); a checkpoint of
 * other options is refused with the difference named; a file the run does not own is never
 * overwritten without --force; the checkpoint goes once the model is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finetuneCommand, type FinetuneCommandOptions } from '../../src/cli/commands/finetune.js';
import { bufferIO } from '../../src/cli/io.js';
import { CheckpointMismatchError, InputError, WouldOverwriteError } from '../../src/errors.js';
import { parseCheckpoint } from '../../src/train/checkpoint.js';
import { fashionModelPath, FASHION_TEST, FASHION_TRAIN, requireFashionMnist } from '../quantize/fashion.js';

const dir = mkdtempSync(join(tmpdir(), 'tinyml-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = fashionModelPath();

// Two steps an epoch, a held-out slice (the best-state bookkeeping), distillation and dampening.
const run = (o: Partial<FinetuneCommandOptions>): FinetuneCommandOptions => ({
  data: FASHION_TRAIN,
  scale: '1/255',
  weights: 'ternary',
  keepInt8: 'first,last',
  distill: true,
  dampen: '0.5',
  limit: 64,
  batch: 32,
  holdout: 24,
  epochs: 2,
  threads: 1,
  evalData: FASHION_TEST,
  evalLimit: 10,
  progress: false,
  ...o,
});

describe('finetune checkpoints', () => {
  it('1 epoch + --resume 1 writes the bytes of 2 epochs in one go; other options are refused', async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const whole = join(dir, 'whole.tflite');
    const r1 = await finetuneCommand(model, run({ out: whole }), bufferIO());
    expect(r1.epochs).toHaveLength(2);
    // Once the model is written, the checkpoint is gone.
    expect(existsSync(`${whole}.ckpt`)).toBe(false);

    const split = join(dir, 'split.tflite');
    const ckpt = join(dir, 'split.ckpt');
    const io = bufferIO();
    const stopped = await finetuneCommand(model, run({ out: split, checkpoint: ckpt, stopAfter: 1 }), io);
    expect(stopped.stoppedAfter).toBe(1);
    expect(existsSync(split)).toBe(false);
    expect(io.stdout).toContain('--resume');
    const saved = parseCheckpoint(readFileSync(ckpt, 'utf8'), ckpt);
    expect(saved.checkpoint.epoch).toBe(1);
    expect(saved.checkpoint.step).toBe(2);

    // Another --epochs changes the schedule; another --dampen the loss: each named in the refusal.
    await expect(finetuneCommand(model, run({ out: split, checkpoint: ckpt, resume: true, epochs: 3 }), bufferIO())).rejects.toThrow(/--epochs: checkpoint 2, this run 3/);
    const e = await finetuneCommand(model, run({ out: split, checkpoint: ckpt, resume: true, dampen: undefined, seed: 2 }), bufferIO()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CheckpointMismatchError);
    expect((e as Error).message).toMatch(/--dampen: checkpoint 0\.5, this run 0.*--seed: checkpoint 1, this run 2/);
    // Starting the run afresh over its own checkpoint needs --force.
    await expect(finetuneCommand(model, run({ out: split, checkpoint: ckpt }), bufferIO())).rejects.toThrow(/give --resume to continue it/);

    const r2 = await finetuneCommand(model, run({ out: split, checkpoint: ckpt, resume: true }), bufferIO());
    expect(r2.epochs).toHaveLength(2);
    expect(r2.holdout).toEqual(r1.holdout);
    expect(Buffer.compare(readFileSync(split), readFileSync(whole))).toBe(0);
    expect(existsSync(ckpt)).toBe(false);
  }, 300_000);

  it("refuses to resume what is not there, and never overwrites a user's file", async () => {
    requireFashionMnist([FASHION_TRAIN, FASHION_TEST]);
    const out = join(dir, 'mine.tflite');
    await expect(finetuneCommand(model, run({ out, resume: true }), bufferIO())).rejects.toThrow(/no such file: nothing to resume/);
    const mine = join(dir, 'notes.txt');
    writeFileSync(mine, 'mine');
    await expect(finetuneCommand(model, run({ out, checkpoint: mine }), bufferIO())).rejects.toBeInstanceOf(WouldOverwriteError);
    await expect(finetuneCommand(model, run({ out, checkpoint: mine, resume: true }), bufferIO())).rejects.toThrow(/is not a tinyml finetune checkpoint/);
    expect(readFileSync(mine, 'utf8')).toBe('mine');
    await expect(finetuneCommand(model, run({ out, checkpoint: model }), bufferIO())).rejects.toBeInstanceOf(InputError);
    await expect(finetuneCommand(model, run({ out, checkpoint: out.replace('mine', 'x'), stopAfter: '0' }), bufferIO())).rejects.toThrow(/--stop-after must be a positive integer/);
    await expect(finetuneCommand(model, run({ out, dampen: '-1' }), bufferIO())).rejects.toThrow(/--dampen must be a positive number/);
  }, 120_000);
});
