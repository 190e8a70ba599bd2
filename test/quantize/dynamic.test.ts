/**
 * `tinyml quantize MODEL --dynamic`: weights-only (dynamic-range, hybrid) quantization without
 * calibration data. The weights become symmetric per-channel int8, activations stay float; the
 * written .tflite reads back, runs on the host, and deploys to qemu-m4 where the hybrid kernels
 * reproduce the host's hybrid evaluation. The distance of the hybrid model from the float one on
 * the golden (uniform random) inputs is measured and printed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { quantizeCommand } from '../../src/cli/commands/quantize.js';
import { runCli } from '../../src/cli/main.js';
import { InputError, WouldOverwriteError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { loadModel } from '../../src/model-file/load-model.js';
import { quantizeWeightsSymmetric } from '../../src/quantize/dynamic.js';
import { importTflite } from '../../src/tflite/import.js';
import { sharedPath } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'tinyml-quantize-dynamic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AD01 = sharedPath('models', 'mlperf-tiny', 'ad01_fp32.tflite');

function goldenInput(k: number): Float32Array {
  const b = readFileSync(sharedPath('golden', 'ad01_fp32', `case${k}.in0.bin`));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe('dynamic-range weight quantization', () => {
  it('symmetric int8 per output channel: |q| <= 127, the largest weight of a channel maps to +-127, error <= half a step', () => {
    // [3 channels, 4]: channel 1 all zero, channel 2 with its largest magnitude negative.
    const w = Float32Array.from([0.5, -0.25, 0.125, 0.01, 0, 0, 0, 0, -2, 1, 0.3, -0.7]);
    const { q, scales } = quantizeWeightsSymmetric(w, [3, 4], 0);
    expect(scales).toEqual([Math.fround(0.5 / 127), 1, Math.fround(2 / 127)]);
    expect(Array.from(q.subarray(0, 4))).toEqual([127, -64, 32, 3]);
    expect(Array.from(q.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(q[8]).toBe(-127);
    w.forEach((v, i) => expect(Math.abs(v - q[i] * scales[Math.floor(i / 4)])).toBeLessThanOrEqual(scales[Math.floor(i / 4)] / 2 + 1e-9));
    const perTensor = quantizeWeightsSymmetric(w, [3, 4], -1);
    expect(perTensor.scales).toEqual([Math.fround(2 / 127)]);
  });
});

describe('tinyml quantize --dynamic', () => {
  const out = join(dir, 'ad01.dynamic.tflite');

  it('writes a hybrid .tflite of ad01: int8 per-channel weights, float activations, a quarter of the weight bytes', async () => {
    const io = bufferIO();
    expect(await runCli(['quantize', AD01, '--dynamic', '--out', out], io), io.stderr).toBe(0);
    expect(io.stdout).toMatch(/dynamic-range quantization/);
    expect(io.stdout).toContain(`wrote ${out}`);
    const g = importTflite(readFileSync(out), 'ad01');
    expect(g.tensors[g.inputs[0]].dtype).toBe('float32');
    expect(g.tensors[g.outputs[0]].dtype).toBe('float32');
    const fcs = g.ops.filter((op) => op.type === 'FULLY_CONNECTED');
    expect(fcs.length).toBe(10);
    for (const op of fcs) {
      const w = g.tensors[op.inputs[1]];
      expect(w.dtype).toBe('int8');
      expect(w.quant?.scale.length).toBe(w.shape[0]);
      expect(w.quant?.zeroPoint.every((z) => z === 0)).toBe(true);
      expect(g.tensors[op.inputs[2]].dtype).toBe('float32');
      expect(op.attrs).toMatchObject({ asymmetricQuantizeInputs: true });
    }
  });

  it('the hybrid ad01 deploys to qemu-m4 and reproduces the host hybrid evaluation; its distance from the float model is measured', { timeout: 300_000 }, async () => {
    const io = bufferIO();
    expect(await runCli(['deploy', out, '--board', 'qemu-m4', '--out', join(dir, 'fw'), '--check', '3', '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.check).toMatchObject({ cases: 3, matched: 3 });
    const float = prepareGraph(await loadModel(AD01));
    const hybrid = prepareGraph(await loadModel(out));
    let worst = 0;
    for (let k = 0; k < 3; k++) {
      const x = goldenInput(k);
      const [yf] = runGraph(float, [x]) as Float32Array[];
      const [yh] = runGraph(hybrid, [x]) as Float32Array[];
      const range = Math.max(...yf) - Math.min(...yf);
      let e = 0;
      for (let i = 0; i < yf.length; i++) e = Math.max(e, Math.abs(yf[i] - yh[i]));
      worst = Math.max(worst, e / range);
    }
    console.log(`[dynamic] ad01 hybrid vs float on the golden inputs: largest difference ${(worst * 100).toFixed(2)}% of the output range; qemu-m4 ${r.latency?.perInference ?? '?'} ${r.latency?.unit ?? ''}`);
  });

  it('refuses calibration options, other weight types, a missing --calib without --dynamic, and overwriting', async () => {
    await expect(quantizeCommand(AD01, { dynamic: true, calib: 'x.npy', out: join(dir, 'a.tflite') }, bufferIO())).rejects.toThrow(/--calib applies to calibrated quantization, not --dynamic/);
    await expect(quantizeCommand(AD01, { dynamic: true, weights: 'int4', out: join(dir, 'b.tflite') }, bufferIO())).rejects.toThrow(/--weights int4 is not supported/);
    await expect(quantizeCommand(AD01, { out: join(dir, 'c.tflite') }, bufferIO())).rejects.toBeInstanceOf(InputError);
    await expect(quantizeCommand(AD01, { weights: 'int3', calib: 'x.npy' }, bufferIO())).rejects.toThrow(/--weights 'int3' is not one of int8, int4, int2, ternary, binary/);
    const existing = join(dir, 'exists.tflite');
    writeFileSync(existing, 'x');
    await expect(quantizeCommand(AD01, { dynamic: true, out: existing }, bufferIO())).rejects.toBeInstanceOf(WouldOverwriteError);
    expect(readFileSync(existing, 'utf8')).toBe('x');
  });
});
