/**
 * Clustered Fashion-MNIST CNN (issue #16's measure): 16 clusters (4-bit indices, one int8 table
 * per layer, per-channel scales) in every weight layer, the stem conv and the depthwise convs of
 * 9 weights per channel included. Kept fast: 100 calibration images and the first 2,000 test
 * images, run from the written .tflite (TFLite Micro LUT format) by the reference interpreter.
 * On those, GPTQ-assigned clusters (src/quantize/cluster-gptq.ts) give 92.10% and plain k-means
 * gave 89.35% (the README has all 10,000 images: 91.33% against 88.72%); the bound sits between.
 * Parameter bytes must stay <= 0.55x the int8 model's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { summarizeModel } from '../../src/analysis/summary.js';
import { clusterChoices } from '../../src/quantize/cluster-quantize.js';
import { quantizeGraph } from '../../src/quantize/index.js';
import { importTflite } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { fashionCalibration, fashionTop1, loadFashionFloat, requireFashionMnist } from './fashion.js';

describe('Fashion-MNIST clustered weights', () => {
  beforeAll(() => requireFashionMnist());

  it('16 clusters in every layer: top-1 >= 91.5% on the first 2,000 test images with <= 0.55x the int8 parameter bytes', async () => {
    const float = await loadFashionFloat();
    const calib = await fashionCalibration(float, 100);
    const int8 = quantizeGraph(float, calib, { evaluate: 0 }).graph;
    const { graph } = quantizeGraph(float, calib, { evaluate: 0, weights: clusterChoices(float, { clusters: 16, scope: 'tensor' }) });
    const written = importTflite(writeTflite(graph), graph.name);
    expect(written.tensors.filter((t) => t.weightEncoding?.kind === 'lut')).toHaveLength(9);
    const bytes = summarizeModel(written).totals.parameterBytes;
    const int8Bytes = summarizeModel(int8).totals.parameterBytes;
    const r = await fashionTop1(written, 2000);
    console.log(`fashion 16 clusters, every layer: top-1 ${(r.top1 * 100).toFixed(2)}% on ${r.samples}, parameter bytes ${bytes} (${(bytes / int8Bytes).toFixed(3)}x int8's ${int8Bytes})`);
    expect(r.samples).toBe(2000);
    expect(r.top1).toBeGreaterThanOrEqual(0.915);
    expect(bytes / int8Bytes).toBeLessThanOrEqual(0.55);
  }, 300_000);
});
