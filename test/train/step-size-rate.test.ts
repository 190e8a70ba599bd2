/**
 * The learning rate of weight step sizes (stepSizeRateFactor): Adam moves a parameter by about
 * the rate per step, so at the sub-byte rate (5e-4) the step sizes of int8-range layers (int8 and
 * clustered, about 1/100 of their weights) moved by up to a quarter of their value per step, and
 * a clustered run's step sizes collapsed. They are held to 5% a step; the default recipes (int4
 * at 5e-4, int8 at 1e-4) keep the full rate on the Fashion CNN.
 */
import { describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../src/onnx/index.js';
import { MAX_STEP_SIZE_MOVE, stepSizeRateFactor } from '../../src/train/fake-quant.js';
import { buildNetwork, type LayerWeights } from '../../src/train/network.js';
import { fashionModelPath } from '../quantize/fashion.js';

const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;

describe('step-size learning rate', () => {
  it('holds int8-range step sizes to 5% a step at 5e-4, and leaves the default recipes alone', async () => {
    const graph = await loadOnnxModel(fashionModelPath());
    const all = (spec: LayerWeights) => buildNetwork(graph, { kind: 'int8', layers: new Map(graph.ops.map((op) => [op.index, spec])) }).weights;
    for (const spec of [{ kind: 'int8' }, { kind: 'clusters', clusters: 16 }] as LayerWeights[]) {
      const factors = all(spec).map((p) => {
        const f = stepSizeRateFactor(p.scales, 5e-4);
        expect(5e-4 * f).toBeLessThanOrEqual(MAX_STEP_SIZE_MOVE * mean(p.scales) * (1 + 1e-9));
        return f;
      });
      // Most layers' step sizes are below 1% of 1: their rate is cut.
      expect(factors.filter((f) => f < 1).length).toBeGreaterThanOrEqual(5);
    }
    for (const p of all({ kind: 'int4' })) expect(stepSizeRateFactor(p.scales, 5e-4)).toBe(1);
    for (const p of all({ kind: 'ternary' })) expect(stepSizeRateFactor(p.scales, 5e-4)).toBe(1);
    for (const p of all({ kind: 'int8' })) expect(stepSizeRateFactor(p.scales, 1e-4)).toBe(1);
  });
});
