/**
 * `tinyml quantize` (quantizeCommand): ONNX and float TFLite models, IDX and .npy calibration
 * data, preprocessing, the report as a table or JSON, --int16, and refusing to overwrite.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { quantizeCommand } from '../../src/cli/commands/quantize.js';
import { InputError, WouldOverwriteError } from '../../src/errors.js';
import { formatNpy } from '../../src/io/npy.js';
import { importTflite } from '../../src/tflite/import.js';
import { sharedPath } from '../helpers/shared.js';
import { FASHION_TRAIN, fashionModelPath, requireFashionMnist } from './fashion.js';

const dir = mkdtempSync(join(tmpdir(), 'tinyml-quantize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The three golden float inputs of ad01 as one [3, 640] .npy file. */
function ad01Calibration(): string {
  const golden = sharedPath('golden', 'ad01_fp32');
  const data = new Float32Array(3 * 640);
  for (let k = 0; k < 3; k++) {
    const b = readFileSync(join(golden, `case${k}.in0.bin`));
    data.set(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), k * 640);
  }
  const path = join(dir, 'ad01_calib.npy');
  writeFileSync(path, formatNpy({ dtype: 'float32', shape: [3, 640], data }));
  return path;
}

describe('tinyml quantize', () => {
  const ad01 = sharedPath('models', 'mlperf-tiny', 'ad01_fp32.tflite');

  it('quantizes a float .tflite with .npy calibration data and prints the report', async () => {
    const io = bufferIO();
    const out = join(dir, 'ad01.int8.tflite');
    const r = await quantizeCommand(ad01, { calib: ad01Calibration(), out }, io);
    expect(r.outPath).toBe(out);
    const g = importTflite(readFileSync(out), 'ad01');
    expect(g.tensors[g.inputs[0]].dtype).toBe('int8');
    expect(g.tensors[g.outputs[0]].dtype).toBe('int8');
    expect(g.ops.every((op) => op.inputs.every((i) => i < 0 || g.tensors[i].dtype !== 'float32'))).toBe(true);
    expect(io.stdout).toMatch(/SQNR dB/);
    expect(io.stdout).toMatch(/input  'input_1': int8 scale/);
    expect(io.stdout).toContain(`wrote ${out}`);
    expect(r.report.calibrationSamples).toBe(3);
  });

  it('refuses to overwrite without --force', async () => {
    const out = join(dir, 'exists.tflite');
    writeFileSync(out, 'x');
    await expect(quantizeCommand(ad01, { calib: ad01Calibration(), out }, bufferIO())).rejects.toBeInstanceOf(WouldOverwriteError);
    expect(readFileSync(out, 'utf8')).toBe('x');
    await quantizeCommand(ad01, { calib: ad01Calibration(), out, force: true, json: true, perTensor: true, calibration: 'percentile', percentile: '99.9' }, bufferIO());
    expect(importTflite(readFileSync(out), 'x').tensors[0].dtype).toBe('int8');
  });

  it('prints JSON with --json, and takes --int16 layers', async () => {
    const io = bufferIO();
    const out = join(dir, 'ad01.16x8.tflite');
    await quantizeCommand(ad01, { calib: ad01Calibration(), out, json: true, int16: '0,9', symmetric: true, biasCorrection: true }, io);
    const report = JSON.parse(io.stdout);
    expect(report.int16Layers).toEqual([0, 9]);
    expect(report.symmetric).toBe(true);
    expect(report.biasCorrection).toBe(true);
    expect(report.layers).toHaveLength(10);
    expect(report.insertedQuantizeOps).toBeGreaterThanOrEqual(3);
    const g = importTflite(readFileSync(out), 'x');
    expect(g.ops.filter((o) => o.type === 'QUANTIZE').length).toBe(report.insertedQuantizeOps);
  });

  it('rejects bad options and inputs', async () => {
    const calib = ad01Calibration();
    const out = join(dir, 'bad.tflite');
    await expect(quantizeCommand(ad01, { calib, out, calibration: 'magic' }, bufferIO())).rejects.toThrow(/--calibration 'magic'/);
    await expect(quantizeCommand(ad01, { calib, out, calibLimit: '0' }, bufferIO())).rejects.toBeInstanceOf(InputError);
    await expect(quantizeCommand(ad01, { calib, out, percentile: '120', calibration: 'percentile' }, bufferIO())).rejects.toThrow(/percentile/);
    await expect(quantizeCommand(ad01, { calib, out, int16: 'no_such_tensor' }, bufferIO())).rejects.toThrow(/no_such_tensor/);
    await expect(quantizeCommand(sharedPath('models', 'mlperf-tiny', 'ad01_int8.tflite'), { calib, out }, bufferIO())).rejects.toThrow(/already quantized/);
    await expect(quantizeCommand(ad01, { calib: join(dir, 'missing.npy'), out }, bufferIO())).rejects.toThrow(/missing\.npy/);
    expect(existsSync(out)).toBe(false);
  });

  it('--clusters: clusters the dense layers (ad01), reports them, and rejects bad cluster options', async () => {
    const calib = ad01Calibration();
    const out = join(dir, 'ad01.clustered.tflite');
    const io = bufferIO();
    await quantizeCommand(ad01, { calib, out, clusters: '16', keepInt8: '0' }, io);
    expect(io.stdout).toMatch(/16 x 4 bit, per layer/);
    const g = importTflite(readFileSync(out), 'ad01');
    const lut = g.tensors.filter((t) => t.weightEncoding?.kind === 'lut');
    expect(lut.length).toBeGreaterThan(0);
    for (const t of lut) expect(new Set(t.data as Int8Array).size).toBeLessThanOrEqual(16);
    expect(readFileSync(out).includes('TFLM_DECODE')).toBe(false); // the metadata form by default
    // --tflm-form decode: the same weights, in TFLM_DECODE ops' form.
    const decodeOut = join(dir, 'ad01.clustered-decode.tflite');
    await quantizeCommand(ad01, { calib, out: decodeOut, clusters: '16', keepInt8: '0', tflmForm: 'decode' }, bufferIO());
    const bytes = readFileSync(decodeOut);
    expect(bytes.includes('TFLM_DECODE')).toBe(true);
    expect(bytes.includes('COMPRESSION_METADATA')).toBe(false);
    const d = importTflite(bytes, 'ad01-decode');
    expect(d.ops.map((o) => o.type)).toEqual(g.ops.map((o) => o.type));
    const weights = (x: typeof g) => x.ops.map((o) => x.tensors[o.inputs[1]]).filter((t) => t?.weightEncoding?.kind === 'lut');
    expect(weights(d).map((t) => Array.from(t.data as Int8Array))).toEqual(weights(g).map((t) => Array.from(t.data as Int8Array)));
    const bad = join(dir, 'bad-clusters.tflite');
    await expect(quantizeCommand(ad01, { calib, out: bad, clusters: '1' }, bufferIO())).rejects.toThrow(/--clusters must be an integer from 2 to 256/);
    await expect(quantizeCommand(ad01, { calib, out: bad, clusters: 'x' }, bufferIO())).rejects.toThrow(/--clusters/);
    await expect(quantizeCommand(ad01, { calib, out: bad, clusters: '8', clusterScope: 'row' }, bufferIO())).rejects.toThrow(/--cluster-scope/);
    await expect(quantizeCommand(ad01, { calib, out: bad, keepInt8: '0' }, bufferIO())).rejects.toThrow(/--keep-int8 applies to sub-byte weights .*, to --clusters or to --flash-budget/);
    await expect(quantizeCommand(ad01, { calib, out: bad, clusters: '8', keepInt8: 'nope' }, bufferIO())).rejects.toThrow(/--keep-int8: no op/);
    await expect(quantizeCommand(ad01, { calib, out: bad, clusters: '8', int16: true }, bufferIO())).rejects.toThrow(/--int16/);
    await expect(quantizeCommand(ad01, { calib, out: bad, clusters: '8', tflmForm: 'flat' }, bufferIO())).rejects.toThrow(/--tflm-form must be one of metadata, decode .*got 'flat'/);
    await expect(quantizeCommand(ad01, { calib, out: bad, tflmForm: 'decode' }, bufferIO())).rejects.toThrow(/--tflm-form applies to clustered weights/);
    await expect(quantizeCommand(ad01, { calib, out: bad, clusters: '200', tflmForm: 'decode' }, bufferIO())).rejects.toThrow(/--tflm-form decode stores at most 128 clusters/);
    await expect(quantizeCommand(ad01, { out: bad, dynamic: true, tflmForm: 'decode' }, bufferIO())).rejects.toThrow(/--tflm-form/);
    expect(existsSync(bad)).toBe(false);
  });

  it('quantizes the Fashion-MNIST ONNX model from IDX images with --scale 1/255', async () => {
    requireFashionMnist([FASHION_TRAIN]);
    const io = bufferIO();
    const out = join(dir, 'fashion.int8.tflite');
    const r = await quantizeCommand(fashionModelPath(), { calib: FASHION_TRAIN, out, calibLimit: '20', scale: '1/255' }, io);
    expect(r.report.calibrationSamples).toBe(20);
    // pixel / 255 in [0, 1] maps exactly onto int8: scale 1/255, zero point -128.
    expect(r.report.inputs[0].scale).toBeCloseTo(1 / 255, 6);
    expect(r.report.inputs[0].zeroPoint).toBe(-128);
    expect(r.report.outputs[0].sqnrDb).toBeGreaterThan(15);
    const g = importTflite(readFileSync(out), 'fashion');
    expect(g.ops.length).toBe(r.report.quantizedOps);
  });
});
