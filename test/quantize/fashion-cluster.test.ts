/**
 * Clustered Fashion-MNIST CNN (issue #16's measure): 16 clusters (4-bit indices, one int8 table
 * per layer, per-channel scales) in every weight layer except the stem conv and the first
 * depthwise conv, whose 9 weights per channel gain nothing from 4-bit indices and which lose the
 * most (kept int8 with --keep-int8 0,2): top-1 on all 10,000 test images, run from the written
 * .tflite (TFLite Micro LUT format) by the reference interpreter, >= 91.2%, and parameter bytes
 * <= 0.55x the int8 model's.
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

  it('16 clusters: top-1 >= 91.2% on all 10,000 test images with <= 0.55x the int8 parameter bytes', async () => {
    const float = await loadFashionFloat();
    const calib = await fashionCalibration(float, 300);
    const int8 = quantizeGraph(float, calib, { evaluate: 0 }).graph;
    const { graph } = quantizeGraph(float, calib, { evaluate: 0, weights: clusterChoices(float, { clusters: 16, scope: 'tensor', keepInt8: [0, 2] }) });
    const written = importTflite(writeTflite(graph), graph.name);
    expect(written.tensors.filter((t) => t.weightEncoding?.kind === 'lut')).toHaveLength(7);
    const bytes = summarizeModel(written).totals.parameterBytes;
    const int8Bytes = summarizeModel(int8).totals.parameterBytes;
    const r = await fashionTop1(written);
    console.log(`fashion 16 clusters: top-1 ${(r.top1 * 100).toFixed(2)}%, parameter bytes ${bytes} (${(bytes / int8Bytes).toFixed(3)}x int8's ${int8Bytes})`);
    expect(r.samples).toBe(10000);
    expect(r.top1).toBeGreaterThanOrEqual(0.912);
    expect(bytes / int8Bytes).toBeLessThanOrEqual(0.55);
  }, 600_000);
});
