import { describe, expect, it } from 'vitest';
import { evalCommand, renderProgress } from '../../src/cli/commands/eval.js';
import { bufferIO } from '../../src/cli/io.js';
import { InputError } from '../../src/errors.js';
import { sharedPath } from '../helpers/shared.js';

const DATA = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const LABELS = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
const FLOAT = sharedPath('models', 'fashion-mnist', 'fashion_cnn_float.onnx');

describe('tinyml eval (host)', () => {
  it('--json reports samples, top1, top5, confusion and latency', async () => {
    const io = bufferIO();
    await evalCommand(FLOAT, { board: 'host', data: DATA, labels: LABELS, scale: '1/255', limit: '100', json: true }, io);
    const r = JSON.parse(io.stdout);
    expect(r.samples).toBe(100);
    expect(r.interrupted).toBe(false);
    expect(r.top1).toBeGreaterThan(0.85);
    expect(r.top5).toBeGreaterThanOrEqual(r.top1);
    expect(r.confusion).toHaveLength(10);
    expect(r.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(100);
    expect(r.latency.unit).toBe('ms');
    expect(r.latency.min).toBeLessThanOrEqual(r.latency.median);
    expect(r.latency.median).toBeLessThanOrEqual(r.latency.p99);
  });

  it('prints a text report with the confusion matrix; draws progress on a TTY stream', async () => {
    const io = bufferIO();
    let drawn = '';
    await evalCommand(FLOAT, { data: DATA, scale: '1/255', limit: 20 }, io, { progressStream: { isTTY: true, write: (s: string) => (drawn += s) } });
    expect(io.stdout).toMatch(/20 samples/);
    expect(io.stdout).toMatch(/top-1 +\d+\.\d\d%/);
    expect(io.stdout).toMatch(/top-5 +\d+\.\d\d%/);
    expect(io.stdout).toMatch(/latency \(ms\) +min [\d.]+ +median [\d.]+ +p99 [\d.]+/);
    expect(io.stdout).toMatch(/confusion matrix/);
    expect(drawn).toMatch(/\r.*20\/20 100%/);
  });

  it('stops on abort and reports what was measured', async () => {
    const io = bufferIO();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await evalCommand(FLOAT, { data: DATA, scale: '1/255', json: true }, io, { signal: ac.signal });
    expect(r.interrupted).toBe(true);
    expect(r.samples).toBeLessThan(10000);
    expect(JSON.parse(io.stdout).interrupted).toBe(true);
  });

  it('rejects other boards, bad limits and missing files with InputError', async () => {
    const io = bufferIO();
    await expect(evalCommand(FLOAT, { board: 'stm32f4', data: DATA }, io)).rejects.toThrow(/unknown board 'stm32f4'; known boards: .*qemu-m4/);
    await expect(evalCommand(FLOAT, { data: DATA, limit: '0' }, io)).rejects.toThrow(/--limit/);
    await expect(evalCommand(FLOAT, { data: DATA, scale: 'x' }, io)).rejects.toBeInstanceOf(InputError);
    await expect(evalCommand('/nonexistent/model.onnx', { data: DATA }, io)).rejects.toThrow(/not found/);
    await expect(evalCommand(FLOAT, { data: '/nonexistent/data.npy' }, io)).rejects.toThrow(/no such file/);
  });

  it('renders progress with rate and ETA', () => {
    expect(renderProgress({ done: 250, total: 1000, elapsedMs: 5000, top1: 0.9 }, 8)).toBe('[##------] 250/1,000 25%  50.0/s  ETA 0:15  top-1 90.00%');
  });
});

describe('tinyml eval --jobs (worker threads)', () => {
  it('gives the same result as one in-process runner', async () => {
    const { transpileSrc } = await import('./transpiled-src.js');
    const { pathToFileURL } = await import('node:url');
    const { join } = await import('node:path');
    const src = transpileSrc();
    try {
      const workerUrl = pathToFileURL(join(src.dir, 'eval', 'host-worker.js'));
      const a = await evalCommand(FLOAT, { data: DATA, scale: '1/255', limit: 30, json: true }, bufferIO());
      const io = bufferIO();
      const b = await evalCommand(FLOAT, { data: DATA, scale: '1/255', limit: 30, jobs: 2, json: true }, io, { workerUrl });
      expect(b.samples).toBe(30);
      expect(b.top1).toBe(a.top1);
      expect(b.confusion).toEqual(a.confusion);
      await expect(evalCommand(FLOAT, { data: DATA, jobs: 'x' }, bufferIO())).rejects.toThrow(/--jobs/);
    } finally {
      src.cleanup();
    }
  });
});
