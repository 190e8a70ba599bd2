/**
 * Weight clustering (`quantize --clusters K`): k-means levels, the LUT encoding's invariants
 * (data = table lookups), the quantizer hook (GPTQ-clustered layers, bias correction on request), and the TFLite Micro LUT
 * compression format written and read back.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { LutEncoding } from '../../src/ir/weight-encoding.js';
import { clusterWeights, indexBits, kmeans1d } from '../../src/quantize/cluster.js';
import { clusterChoices } from '../../src/quantize/cluster-quantize.js';
import { quantizeGraph } from '../../src/quantize/index.js';
import { importTflite } from '../../src/tflite/import.js';
import { packIndices, unpackIndices } from '../../src/tflite/lut-compression.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { InputError } from '../../src/errors.js';
import { convDepthwiseDenseNet, randomFloats, randomSamples as samples, rng } from './helpers.js';

function smallNet(seed = 1): Graph {
  return convDepthwiseDenseNet('cl', seed);
}

/** data[i] must be table[channel * entries + indices[i]] (or table[indices[i]] for scope 'tensor'). */
function lookupMismatches(t: Tensor): number {
  const enc = t.weightEncoding as LutEncoding;
  const axis = t.quant!.quantizedDimension;
  let inner = 1;
  for (let d = axis + 1; d < t.shape.length; d++) inner *= t.shape[d];
  const channels = t.shape[axis];
  let bad = 0;
  const data = t.data as Int8Array;
  for (let i = 0; i < data.length; i++) {
    const c = enc.scope === 'channel' ? Math.floor(i / inner) % channels : 0;
    if (data[i] !== enc.table[c * enc.entries + enc.indices[i]]) bad++;
  }
  return bad;
}

describe('k-means and index widths', () => {
  it('index width is ceil(log2 K)', () => {
    expect([2, 3, 4, 5, 16, 17, 256].map(indexBits)).toEqual([1, 2, 2, 3, 4, 5, 8]);
  });

  it('k-means is deterministic, sorted, and finds separated groups', () => {
    const r = rng(5);
    const v = Float64Array.from({ length: 300 }, (_, i) => [-50, 0, 40][i % 3] + r() - 0.5);
    const a = kmeans1d(v, 3, 7);
    expect(a).toEqual(kmeans1d(v, 3, 7));
    expect(a.map((x) => Math.round(x) + 0)).toEqual([-50, 0, 40]);
    // Fewer distinct values than clusters: the values themselves.
    expect(kmeans1d(Float64Array.from([2, 1, 2, 1]), 4)).toEqual([1, 2]);
  });

  it('clusters per channel or per tensor into at most K int8 levels, data = table lookups', () => {
    const r = rng(2);
    const w = randomFloats(16 * 50, r, -1, 1);
    const scales = Array.from({ length: 16 }, (_, c) => (c + 1) / 127);
    for (const scope of ['channel', 'tensor'] as const) {
      const { data, encoding, scales: sc } = clusterWeights(w, [16, 50], 0, scales, { clusters: 4, scope });
      expect(encoding.bits).toBe(2);
      expect(encoding.table.length).toBe(scope === 'channel' ? 64 : 4);
      const t: Tensor = { id: 0, name: 'w', shape: [16, 50], dtype: 'int8', data, weightEncoding: encoding, quant: { scale: sc, zeroPoint: sc.map(() => 0), quantizedDimension: 0 } };
      expect(lookupMismatches(t)).toBe(0);
      for (let c = 0; c < 16; c++) expect(new Set(data.subarray(c * 50, c * 50 + 50)).size).toBeLessThanOrEqual(4);
      if (scope === 'tensor') expect(new Set(data).size).toBeLessThanOrEqual(4);
    }
  });

  it('rejects a cluster count outside 2..256', () => {
    expect(() => clusterWeights(new Float32Array(4), [4], undefined, [1], { clusters: 1, scope: 'tensor' })).toThrow(InputError);
    expect(() => clusterChoices(smallNet(), { clusters: 300, scope: 'tensor' })).toThrow(/2 to 256/);
    expect(() => clusterChoices(smallNet(), { clusters: 4, scope: 'tensor', keepInt8: ['nope'] })).toThrow(/--keep-int8: no op/);
  });
});

describe('LUT index packing (TFLite Micro layout: high-order bits first)', () => {
  it('packs the metadata.fbs example and round-trips every width', () => {
    // metadata.fbs: indices 7, 0, 3, 2 at 3 bits are 111 000 011 010 -> 0xE1 0xA0.
    expect([...packIndices([7, 0, 3, 2], 3)]).toEqual([0xe1, 0xa0]);
    const r = rng(9);
    for (let bits = 1; bits <= 8; bits++) {
      const idx = Uint8Array.from({ length: 37 }, () => Math.floor(r() * (1 << bits)));
      expect(unpackIndices(packIndices(idx, bits), 37, bits)).toEqual(idx);
    }
  });
});

describe('quantize with clusters', () => {
  const float = smallNet();
  const calib = samples(float, 16);

  for (const scope of ['tensor', 'channel'] as const) {
    it(`clusters every conv/depthwise/dense layer (scope ${scope}) and survives the .tflite round trip`, () => {
      const { graph } = quantizeGraph(float, calib, { evaluate: 0, weights: clusterChoices(float, { clusters: 4, scope }) });
      const weights = graph.tensors.filter((t) => ['w1', 'dw', 'fw'].includes(t.name));
      expect(weights).toHaveLength(3);
      for (const t of weights) {
        expect(t.weightEncoding?.kind).toBe('lut');
        expect(lookupMismatches(t)).toBe(0);
      }
      const back = importTflite(writeTflite(graph), graph.name);
      for (const t of weights) {
        const u = back.tensors[t.id];
        expect(u.data).toEqual(t.data);
        expect(u.quant).toEqual(t.quant);
        const e = u.weightEncoding as LutEncoding;
        expect(e.bits).toBe(2);
        expect(e.scope).toBe(scope);
        expect(lookupMismatches(u)).toBe(0);
      }
    });
  }

  it('the report gives each clustered layer its clusters, bits and stored bytes', () => {
    const { report } = quantizeGraph(float, calib, { evaluate: 0, weights: clusterChoices(float, { clusters: 4, scope: 'channel', keepInt8: ['logits'] }) });
    const conv1 = report.layers.find((l) => l.output === 'conv1')!;
    // 8 x 36 weights at 2 bits = 72 bytes, plus 8 tables of 4 entries.
    expect(conv1.clusters).toEqual({ entries: 4, bits: 2, scope: 'channel', bytes: 72 + 32, int8Bytes: 288 });
    expect(report.layers.find((l) => l.output === 'logits')!.clusters).toBeUndefined();
  });

  it('--keep-int8 leaves the named layers plain int8', () => {
    const { graph } = quantizeGraph(float, calib, { evaluate: 0, weights: clusterChoices(float, { clusters: 4, scope: 'tensor', keepInt8: ['dw1', '3'] }) });
    const enc = (n: string) => graph.tensors.find((t) => t.name === n)!.weightEncoding;
    expect(enc('w1')?.kind).toBe('lut');
    expect(enc('dw')).toBeUndefined();
    expect(enc('fw')).toBeUndefined();
  });

  it('--keep-int8 takes first and last like sub-byte weights, and refuses a layer without weights', () => {
    const choices = clusterChoices(float, { clusters: 4, scope: 'tensor', keepInt8: ['first', 'last'] });
    expect([...choices.keys()]).toEqual([1]);
    const { graph } = quantizeGraph(float, calib, { evaluate: 0, weights: choices });
    const enc = (n: string) => graph.tensors.find((t) => t.name === n)!.weightEncoding;
    expect(enc('w1')).toBeUndefined();
    expect(enc('dw')?.kind).toBe('lut');
    expect(enc('fw')).toBeUndefined();
    expect(() => clusterChoices(float, { clusters: 4, scope: 'tensor', keepInt8: ['flat'] })).toThrow(/--keep-int8: 'flat' is op #2 RESHAPE, which has no weights \(layers with weights: #0 CONV_2D, #1 DEPTHWISE_CONV_2D, #3 FULLY_CONNECTED\)/);
  });

  it('corrects clustered layers\' biases for the clustering error only with biasCorrection (GPTQ\'s feedback absorbs it otherwise)', () => {
    const choices = clusterChoices(float, { clusters: 2, scope: 'tensor' });
    const biasOf = (biasCorrection: boolean) => {
      const g = quantizeGraph(float, calib, { evaluate: 0, weights: choices, biasCorrection }).graph;
      const fw = g.tensors.find((t) => t.name === 'fw')!;
      const inScale = g.tensors[g.ops[g.ops.length - 1].inputs[0]].quant!.scale[0];
      const floatBias = float.tensors.find((t) => t.name === 'fb')!.data as Float32Array;
      // The bias round(b / (s_in * s_w)) of the float bias, at the scales the layer got.
      const uncorrected = Array.from(floatBias, (v, c) => Math.round(v / (inScale * Math.fround(fw.quant!.scale[c]))));
      return { bias: Array.from(g.tensors.find((t) => t.name === 'fb')!.data as Int32Array), uncorrected };
    };
    const plain = biasOf(false);
    expect(plain.bias).toEqual(plain.uncorrected);
    // With 2 clusters the mean error is large, so the corrected bias must differ somewhere.
    const corrected = biasOf(true);
    expect(corrected.bias).not.toEqual(corrected.uncorrected);
  });
});
