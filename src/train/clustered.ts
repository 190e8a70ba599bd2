/**
 * Clustered layers of a trained network as `quantize --clusters` stores them: the int8 weights
 * are the trained levels (rounded to int8) chosen per weight, and the tensor records them as a
 * lookup table of K entries with one index per weight (LutEncoding, scope 'tensor').
 */
import type { Graph } from '../ir/types.js';
import { indexBits } from '../quantize/cluster.js';
import { weightRule } from '../quantize/rules.js';
import { fakeQuantClusteredWeights, levelValue } from './fake-quant.js';
import type { Network, WeightParam } from './network.js';

/**
 * The float weights handed to the int8 quantizer for a layer: for a clustered layer its
 * fake-quantized weights (step × level), whose codes under the layer's own scales are exactly the
 * levels; the latent weights otherwise.
 */
export function exportedWeights(p: WeightParam): Float32Array {
  return p.levels ? fakeQuantClusteredWeights(p.w, p.scales, p.layout, p.levels) : Float32Array.from(p.w);
}

/** `q` (the int8 graph of `net`) with each clustered layer's weight tensor recorded as a lookup table. */
export function withClusterEncodings(q: Graph, net: Network): Graph {
  const clustered = net.weights.filter((p) => p.levels);
  if (clustered.length === 0) return q;
  const tensors = [...q.tensors];
  for (const p of clustered) {
    const op = net.graph.ops[p.opIndex];
    // The quantized graph keeps the float graph's weight tensor ids.
    const id = op.inputs[weightRule(op.type)!.weights];
    const t = tensors[id];
    const data = t.data as Int8Array;
    const k = p.clusters!;
    const levels = [...new Set(Array.from(p.levels!, levelValue))].sort((a, b) => a - b);
    const table = new Int8Array(k);
    table.set(levels);
    const slot = new Map(levels.map((v, i) => [v, i]));
    const indices = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const at = slot.get(data[i]);
      // Only a scale raised to keep the bias within int32 could move a code off the table.
      if (at === undefined) throw new Error(`finetune: weight ${i} of op ${p.opIndex} is ${data[i]}, not one of its ${k} cluster levels`);
      indices[i] = at;
    }
    tensors[id] = { ...t, weightEncoding: { kind: 'lut', bits: indexBits(k), entries: k, scope: 'tensor', table, indices } };
  }
  return { ...q, tensors };
}
