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
import { dynamicQuantizeGraph, quantizeWeightsSymmetric } from '../../src/quantize/dynamic.js';
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

  it('the hybrid ad01 deploys to qemu-m4 and reproduces the host hybrid evaluation; on random inputs it stays within 1% of the float output range', { timeout: 300_000 }, async () => {
    const io = bufferIO();
    expect(await runCli(['deploy', out, '--board', 'qemu-m4', '--out', join(dir, 'fw'), '--check', '3', '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.check).toMatchObject({ cases: 3, matched: 3 });
    const float = prepareGraph(await loadModel(AD01));
    const hybrid = prepareGraph(await loadModel(out));
    // The golden inputs (uniform random in [-1, 1]) and 20 more drawn here, from another generator
    // than the quantizer's probes.
    let seed = 12345;
    const uniform = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed / 2147483648) * 2 - 1;
    };
    const inputs = [0, 1, 2].map(goldenInput);
    for (let k = 0; k < 20; k++) inputs.push(Float32Array.from({ length: 640 }, uniform));
    let worst = 0;
    for (const x of inputs) {
      const [yf] = runGraph(float, [x]) as Float32Array[];
      const [yh] = runGraph(hybrid, [x]) as Float32Array[];
      const range = Math.max(...yf) - Math.min(...yf);
      let e = 0;
      for (let i = 0; i < yf.length; i++) e = Math.max(e, Math.abs(yf[i] - yh[i]));
      worst = Math.max(worst, e / range);
    }
    console.log(`[dynamic] ad01 hybrid vs float on ${inputs.length} random inputs: largest difference ${(worst * 100).toFixed(2)}% of the output range; qemu-m4 ${r.latency?.perInference ?? '?'} ${r.latency?.unit ?? ''}`);
    expect(worst).toBeLessThan(0.01);
  });

  it('without smoothing and bias correction (the plain rounding the TFLite converter does) the same model is several times further from float', () => {
    const g = importTflite(readFileSync(AD01), 'ad01');
    const float = prepareGraph(g);
    const distance = (hybrid: ReturnType<typeof prepareGraph>): number => {
      let worst = 0;
      for (const x of [0, 1, 2].map(goldenInput)) {
        const [yf] = runGraph(float, [x]) as Float32Array[];
        const [yh] = runGraph(hybrid, [x]) as Float32Array[];
        const range = Math.max(...yf) - Math.min(...yf);
        for (let i = 0; i < yf.length; i++) worst = Math.max(worst, Math.abs(yf[i] - yh[i]) / range);
      }
      return worst;
    };
    const plain = distance(prepareGraph(dynamicQuantizeGraph(g, { smooth: false, biasCorrection: false }).graph));
    const corrected = distance(prepareGraph(dynamicQuantizeGraph(g, { smooth: false }).graph));
    const both = distance(prepareGraph(dynamicQuantizeGraph(g).graph));
    console.log(`[dynamic] ad01 on the golden inputs: plain ${(plain * 100).toFixed(2)}%, bias correction ${(corrected * 100).toFixed(2)}%, smoothing + bias correction ${(both * 100).toFixed(2)}% of the output range`);
    expect(corrected).toBeLessThan(plain / 2);
    expect(both).toBeLessThan(corrected);
  });

  it('refuses calibration options, other weight types, a missing --calib without --dynamic, and overwriting', async () => {
    await expect(quantizeCommand(AD01, { dynamic: true, calib: 'x.npy', out: join(dir, 'a.tflite') }, bufferIO())).rejects.toThrow(/--calib applies to calibrated quantization, not --dynamic/);
    await expect(quantizeCommand(AD01, { dynamic: true, weights: 'int4', out: join(dir, 'b.tflite') }, bufferIO())).rejects.toThrow(/--weights int4 is not supported/);
    await expect(quantizeCommand(AD01, { out: join(dir, 'c.tflite') }, bufferIO())).rejects.toBeInstanceOf(InputError);
    await expect(quantizeCommand(AD01, { weights: 'int3', calib: 'x.npy' }, bufferIO())).rejects.toThrow(/--weights 'int3' is not one of int8, int4, int2, ternary, binary/);
    await expect(quantizeCommand(AD01, { dynamic: true, smooth: '1.5', out: join(dir, 'd.tflite') }, bufferIO())).rejects.toThrow(/--smooth takes a number from 0 to 1 .* got '1.5'/);
    const existing = join(dir, 'exists.tflite');
    writeFileSync(existing, 'x');
    await expect(quantizeCommand(AD01, { dynamic: true, out: existing }, bufferIO())).rejects.toBeInstanceOf(WouldOverwriteError);
    expect(readFileSync(existing, 'utf8')).toBe('x');
  });
});
