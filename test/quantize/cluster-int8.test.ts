/**
 * Clustering an int8 model's weights (quantize/cluster-int8.ts, the bench's lut16 rows) on the
 * MLPerf Tiny keyword-spotting model: every layer gets at most 16 levels in one table, the
 * encoding decodes to the data the int8 kernels read, scales and biases stay, and the input
 * graph is left alone.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model-file/load-model.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { clusterInt8Weights } from '../../src/quantize/cluster-int8.js';
import { sharedPath } from '../helpers/shared.js';

describe('clusterInt8Weights', () => {
  it('clusters every conv / depthwise / dense layer of KWS to 16 levels in one table', async () => {
    const graph = await loadModel(sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite'));
    const before = graph.tensors.map((t) => (t.data ? Array.from(t.data as Int8Array) : undefined));
    const { graph: g, layers } = clusterInt8Weights(graph, 16);
    const layerOps = g.ops.filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type));
    expect(layers).toBe(layerOps.length);
    for (const op of layerOps) {
      const w = g.tensors[op.inputs[1]];
      const enc = w.weightEncoding;
      if (enc?.kind !== 'lut') throw new Error(`layer ${op.type} not clustered`);
      expect(enc.bits).toBe(4);
      expect(enc.scope).toBe('tensor');
      expect(new Set(w.data as Int8Array).size).toBeLessThanOrEqual(16);
      expect(Array.from(enc.indices, (i) => enc.table[i])).toEqual(Array.from(w.data as Int8Array));
      // Same scales, and the levels are close to the int8 weights they replace.
      const old = graph.tensors[op.inputs[1]];
      expect(w.quant).toEqual(old.quant);
      const d = w.data as Int8Array;
      const o = old.data as Int8Array;
      let err = 0;
      let energy = 0;
      for (let i = 0; i < d.length; i++) {
        err += (d[i] - o[i]) ** 2;
        energy += o[i] ** 2;
      }
      expect(err / energy).toBeLessThan(0.05);
      if (op.inputs[2] >= 0) expect(g.tensors[op.inputs[2]]).toBe(graph.tensors[op.inputs[2]]);
    }
    // The input graph is unchanged.
    graph.tensors.forEach((t, i) => {
      expect(t.weightEncoding).toBeUndefined();
      if (t.data) expect(Array.from(t.data as Int8Array)).toEqual(before[i]);
    });
    // And the clustered graph runs on the host interpreter.
    const input = g.tensors[g.inputs[0]];
    const n = input.shape.reduce((a, b) => a * b, 1);
    const out = runGraph(prepareGraph(g), [Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128)]);
    expect(out[0].length).toBe(12);
  });
});
