/**
 * Clustering of an int8 model's weights: a stand-in to build clustered models from int8 ones
 * without their float originals (for the bench), as sub-byte-rounding.ts does for sub-byte
 * widths. Every eligible layer's int8 weights are replaced by K levels found by k-means on the
 * int8 values themselves (one table per layer, or per output channel), the levels rounded to
 * int8; scales and biases stay as they are. The result is an ordinary int8 model whose weights
 * take at most K values per table, marked with their LUT encoding so that the clustered kernels
 * run it. Accuracy is whatever this gives: the calibrated path is `quantize --clusters`.
 */
import type { Graph, Tensor } from '../ir/types.js';
import { type ClusterScope, checkClusterCount, clusterWeights } from './cluster.js';
import { exclusiveInt8Layers, tensorUses } from './int8-layer-weights.js';

/**
 * A copy of `graph` with every int8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED weight tensor
 * (symmetric, constant, used by that layer only) clustered to `clusters` levels. Other tensors
 * are shared with the input graph, unchanged. Returns the graph and how many layers changed.
 */
export function clusterInt8Weights(graph: Graph, clusters: number, scope: ClusterScope = 'tensor'): { graph: Graph; layers: number } {
  checkClusterCount(clusters);
  const tensors: Tensor[] = graph.tensors.slice();
  let layers = 0;
  for (const { op, wId, w } of exclusiveInt8Layers(graph, tensorUses(graph))) {
    if (w.weightEncoding) continue;
    const values = Float32Array.from(w.data as Int8Array);
    // Channel axis for per-channel tables: output channels (axis 0; depthwise: the last axis).
    const axis = op.type === 'DEPTHWISE_CONV_2D' ? w.shape.length - 1 : 0;
    const channels = w.shape[axis];
    // Unit scales: the k-means runs on the int8 values, and the tensor keeps its own scales.
    const ones = new Array<number>(scope === 'channel' ? channels : 1).fill(1);
    const c = clusterWeights(values, w.shape, scope === 'channel' ? axis : undefined, ones, { clusters, scope });
    tensors[wId] = { ...w, data: c.data, weightEncoding: c.encoding };
    layers++;
  }
  return { graph: { ...graph, tensors }, layers };
}
