/**
 * int4 weights in every layer of the float Fashion-MNIST CNN (GPTQ rounding, 300 training
 * images): top-1 on the first 1,000 test images, run by the reference interpreter from the written
 * .tflite, stays above a bar that round to nearest misses (about 88% with MSE-optimal clipping
 * alone; 93.0% with GPTQ when measured), at under 0.55x the parameter bytes of int8 weights. The
 * full 10,000-image figures are in README.md (test/quantize/compare-subbyte.ts measures them).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { quantizeGraph } from '../../src/quantize/index.js';
import { subByteChoices } from '../../src/quantize/subbyte.js';
import { importTflite } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { fashionCalibration, fashionTop1, loadFashionFloat, requireFashionMnist } from './fashion.js';
import { specViolations } from './helpers.js';

describe('Fashion-MNIST with int4 weights', () => {
  beforeAll(() => requireFashionMnist());

  it('keeps top-1 on 1,000 test images above 91.5% at <= 0.55x the int8 parameter bytes', async () => {
    const float = await loadFashionFloat();
    const calib = await fashionCalibration(float, 300);
    const t0 = performance.now();
    const { graph, report } = quantizeGraph(float, calib, { weights: subByteChoices(float, { weights: 'int4' }), evaluate: false });
    const seconds = (performance.now() - t0) / 1000;
    expect(specViolations(graph)).toEqual([]);
    const layers = report.layers.filter((l) => l.weightBits !== undefined);
    expect(layers.map((l) => l.weightBits)).toEqual(layers.map(() => 4));
    const ratio = report.subByte!.parameterBytes / report.subByte!.int8ParameterBytes;
    const written = importTflite(writeTflite(graph), graph.name);
    const r = await fashionTop1(written, 1000);
    console.log(`fashion int4 (gptq): top-1 ${(r.top1 * 100).toFixed(2)}% on ${r.samples} images, ${ratio.toFixed(3)}x int8 parameter bytes, quantized in ${seconds.toFixed(1)} s`);
    expect(r.samples).toBe(1000);
    expect(r.top1).toBeGreaterThanOrEqual(0.915);
    expect(ratio).toBeLessThanOrEqual(0.55);
  }, 300_000);
});
