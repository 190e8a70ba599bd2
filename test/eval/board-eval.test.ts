/**
 * `tinyml eval --board qemu-m4`: the MLPerf Tiny keyword-spotting model's 12 golden inputs as a
 * labelled dataset (labels = argmax of the golden outputs), evaluated on the generated firmware
 * under QEMU, must report exactly what the host reference interpreter reports, with every
 * output bit-exact; --jobs 2 (two QEMU instances) must give the same results as --jobs 1; an
 * interrupted run reports what it measured and leaves no QEMU behind.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand, type EvalCommandResult } from '../../src/cli/commands/eval.js';
import { bufferIO } from '../../src/cli/io.js';
import { argmax } from '../../src/eval/metrics.js';
import { formatNpy, parseNpy } from '../../src/io/npy.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { goldenModels } from '../helpers/golden.js';

const kws = goldenModels().find((m) => m.id === 'kws_ref_model')!;
const temp = makeTempDir('tinyml-board-eval-');
const data = join(temp.dir, 'kws_golden.npy');
const labels = join(temp.dir, 'kws_labels.npy');
const N = kws.cases.length;

/** QEMU wrappers (and QEMUs) this process started that are still running. */
function liveQemus(): string[] {
  const ps = execFileSync('ps', ['-eo', 'ppid=,pid=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[0]) === process.pid && f.slice(2).join(' ').includes('qemu-system'))
    .map((f) => f.slice(2).join(' '));
}

beforeAll(() => {
  // The golden int8 inputs as real values (dequantized): eval quantizes them back exactly.
  const spec = kws.inputs[0];
  const scale = spec.scale as number;
  const zp = spec.zeroPoint as number;
  const per = kws.cases[0].inputs[0].length;
  const x = new Float32Array(N * per);
  kws.cases.forEach((c, i) => new Int8Array(c.inputs[0].buffer, c.inputs[0].byteOffset, per).forEach((q, j) => (x[i * per + j] = scale * (q - zp))));
  writeFileSync(data, formatNpy({ dtype: 'float32', shape: [N, ...spec.shape.slice(1)], data: x }));
  const y = Int32Array.from(kws.cases, (c) => argmax(new Int8Array(c.outputs[0].buffer, c.outputs[0].byteOffset, c.outputs[0].length)));
  writeFileSync(labels, formatNpy({ dtype: 'int32', shape: [N], data: y }));
});
afterAll(() => temp.cleanup());

const outputsOf = (file: string): number[][] => {
  const a = parseNpy(new Uint8Array(readFileSync(file)));
  const per = a.shape.slice(1).reduce((p, d) => p * d, 1);
  return Array.from({ length: a.shape[0] }, (_, i) => Array.from(a.data.subarray(i * per, (i + 1) * per) as Int8Array));
};

describe('tinyml eval --board qemu-m4 (kws_ref_model, golden inputs)', () => {
  let host: EvalCommandResult;
  let one: EvalCommandResult;
  let oneJson: Record<string, unknown>;

  beforeAll(async () => {
    host = await evalCommand(kws.modelPath, { board: 'host', data, labels, json: true, saveOutputs: join(temp.dir, 'host.npy') }, bufferIO());
    const io = bufferIO();
    one = await evalCommand(
      kws.modelPath,
      { board: 'qemu-m4', data, labels, json: true, out: join(temp.dir, 'fw'), saveOutputs: join(temp.dir, 'board1.npy') },
      io,
    );
    oneJson = JSON.parse(io.stdout) as Record<string, unknown>;
  }, 120_000);

  it('reports the accuracy and outputs of the reference interpreter, every output bit-exact', () => {
    expect(host.samples).toBe(N);
    expect(one.samples).toBe(N);
    expect(one.interrupted).toBe(false);
    expect(one.top1).toBe(host.top1);
    expect(one.top5).toBe(host.top5);
    expect(one.confusion).toEqual(host.confusion);
    // The labels are the golden outputs' argmax, so a bit-exact model scores 100%.
    expect(one.top1).toBe(1);
    expect(one.agreement).toMatchObject({ compared: N, identical: N, mismatches: [] });
    expect(oneJson.agreement).toEqual({ compared: N, identical: N, mismatches: [] });
    const golden = kws.cases.map((c) => Array.from(new Int8Array(c.outputs[0].buffer, c.outputs[0].byteOffset, c.outputs[0].length)));
    expect(outputsOf(join(temp.dir, 'board1.npy'))).toEqual(golden);
    expect(outputsOf(join(temp.dir, 'host.npy'))).toEqual(golden);
  });

  it('reports latency in instructions and in ms at the board clock', () => {
    const l = one.latency!;
    expect(l.unit).toBe('instructions');
    expect(l.min).toBeGreaterThan(1e6);
    expect(l.min).toBeLessThanOrEqual(l.median);
    expect(l.median).toBeLessThanOrEqual(l.p99);
    expect(one.latencyMs!.median).toBeCloseTo((l.median / 25e6) * 1000, 9);
    const jl = oneJson.latency as { unit: string; median: number; ms: { median: number }; clockHz: number };
    expect(jl).toMatchObject({ unit: 'instructions', median: l.median, clockHz: 25_000_000 });
    expect(jl.ms.median).toBeCloseTo(one.latencyMs!.median, 9);
    console.log(
      `[board-eval] kws_ref_model on qemu-m4: top-1 ${one.top1}, agreement ${one.agreement!.identical}/${one.agreement!.compared}, ` +
        `latency min ${l.min} median ${l.median} p99 ${l.p99} instructions (${one.latencyMs!.median.toFixed(1)} ms at 25 MHz)`,
    );
  });

  it('--jobs 2 (two QEMU instances) gives the same results as --jobs 1', async () => {
    const io = bufferIO();
    const two = await evalCommand(
      kws.modelPath,
      { board: 'qemu-m4', data, labels, jobs: 2, json: true, out: join(temp.dir, 'fw'), saveOutputs: join(temp.dir, 'board2.npy') },
      io,
    );
    expect(two.runners).toBe(2);
    const pick = (r: EvalCommandResult) => ({ samples: r.samples, top1: r.top1, top5: r.top5, confusion: r.confusion, latency: r.latency, latencyMs: r.latencyMs, agreement: r.agreement });
    expect(pick(two)).toEqual(pick(one));
    expect(outputsOf(join(temp.dir, 'board2.npy'))).toEqual(outputsOf(join(temp.dir, 'board1.npy')));
    expect(liveQemus()).toEqual([]);
  }, 120_000);

  it('on interruption reports what was measured so far and closes every QEMU', async () => {
    const ac = new AbortController();
    const io = bufferIO();
    const r = await evalCommand(kws.modelPath, { board: 'qemu-m4', data, labels, jobs: 2, out: join(temp.dir, 'fw') }, io, {
      signal: ac.signal,
      // Abort once 3 samples are done (the progress line says "3/12").
      progressStream: { isTTY: true, write: (s: string) => (/\b[3-9]\/12\b/.test(s) ? ac.abort() : undefined) },
    });
    expect(r.interrupted).toBe(true);
    expect(r.samples).toBeGreaterThanOrEqual(3);
    expect(r.samples).toBeLessThan(N);
    expect(r.agreement!.compared).toBe(r.samples);
    expect(r.agreement!.identical).toBe(r.samples);
    expect(io.stdout).toMatch(new RegExp(`interrupted: evaluated ${r.samples} of ${N} samples`));
    expect(io.stdout).toMatch(/latency \(instructions\) +min [\d,]+ +median [\d,]+ +p99 [\d,]+/);
    expect(io.stdout).toMatch(/latency \(ms at 25 MHz\)/);
    expect(io.stdout).toMatch(new RegExp(`agreement with the reference interpreter +${r.samples}/${r.samples} samples bit-exact`));
    expect(liveQemus()).toEqual([]);
  }, 120_000);
});
