/**
 * Quantizing the float Fashion-MNIST CNN (ONNX, 91.67% top-1) with the default options
 * (per-channel weights, min/max calibration on 300 training images) gives an int8 model whose
 * top-1 on all 10,000 test images, run by the int8 reference interpreter from the written .tflite,
 * is within 1 point of the float model's. Also: the 16x8 variant runs and agrees with the float
 * model. (The comparison of the four calibration methods is test/quantize/compare-calibration.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { makePreprocessor } from '../../src/data/preprocess.js';
import { quantizeGraph } from '../../src/quantize/index.js';
import { importTflite } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { argmax } from '../../src/eval/metrics.js';
import { FLOAT_TOP1, requireFashionMnist, fashionCalibration, fashionTestSet, fashionTop1, loadFashionFloat } from './fashion.js';
import { specViolations } from './helpers.js';

describe('Fashion-MNIST post-training quantization', () => {
  // Without the data set every test here fails, naming the package to install.
  beforeAll(() => requireFashionMnist());

  it('int8 (per-channel, min/max, 300 calibration images) stays within 1 point of float top-1 on all 10,000 test images', async () => {
    const float = await loadFashionFloat();
    const calib = await fashionCalibration(float, 300);
    const { graph, report } = quantizeGraph(float, calib, { evaluate: 20 });
    expect(specViolations(graph)).toEqual([]);
    expect(report.inputs[0].zeroPoint).toBe(-128);
    const written = importTflite(writeTflite(graph), graph.name);
    const r = await fashionTop1(written);
    console.log(
      `fashion int8 (minmax, per-channel): top-1 ${(r.top1 * 100).toFixed(2)}% on ${r.samples} images ` +
        `(float ${(FLOAT_TOP1 * 100).toFixed(2)}%), quantize ${((report.timings.calibrationMs + report.timings.quantizeMs) / 1000).toFixed(1)} s, eval ${(r.ms / 1000).toFixed(1)} s`,
    );
    expect(r.samples).toBe(10000);
    expect(Math.abs(r.top1 - FLOAT_TOP1)).toBeLessThanOrEqual(0.01);
  }, 1_200_000);

  it('16x8 (int16 activations everywhere) runs in the interpreter and agrees with the float model', async () => {
    const float = await loadFashionFloat();
    const calib = await fashionCalibration(float, 50);
    const { graph, report } = quantizeGraph(float, calib, { int16: true, evaluate: 5 });
    expect(specViolations(graph)).toEqual([]);
    expect(report.int16Layers).toHaveLength(float.ops.length);
    expect(graph.tensors[graph.inputs[0]].dtype).toBe('int8');
    const written = importTflite(writeTflite(graph), graph.name);
    const ds = await fashionTestSet();
    const fp = prepareGraph(float);
    const qp = prepareGraph(written);
    const preF = makePreprocessor({ scale: 1, scaleDivisor: 255 }, float.tensors[float.inputs[0]], ds);
    const preQ = makePreprocessor({ scale: 1, scaleDivisor: 255 }, written.tensors[written.inputs[0]], ds);
    let agree = 0;
    const n = 40;
    for (let i = 0; i < n; i++) {
      const raw = ds.sample(i);
      const f = runGraph(fp, [preF(raw)])[0] as Float32Array;
      const q = runGraph(qp, [preQ(raw)])[0] as Int8Array;
      if (argmax(f) === argmax(q)) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(n - 1);
    // 16-bit activations lose less than 8-bit ones.
    const int8 = quantizeGraph(float, calib, { evaluate: 5 }).report;
    expect(report.outputs[0].sqnrDb!).toBeGreaterThan(int8.outputs[0].sqnrDb!);
  }, 600_000);
});
