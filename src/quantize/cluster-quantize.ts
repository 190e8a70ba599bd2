/**
 * `quantize --clusters K [--cluster-scope S] [--keep-int8 LAYERS]` as per-layer weight choices:
 * every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layer (the ops with clustered kernels)
 * except those kept int8 gets K clusters.
 */
import type { Graph } from '../ir/types.js';
import { checkClusterCount, type ClusterScope } from './cluster.js';
import { resolveKeepInt8 } from './layer-select.js';
import { CLUSTERABLE_OPS, type ClusterChoice } from './weight-choice.js';

export interface ClusterQuantizeOptions {
  clusters: number;
  scope: ClusterScope;
  /** Layers to leave plain int8: op indices of the float graph, output tensor names, first or last. */
  keepInt8?: readonly (string | number)[];
  seed?: number;
}

export function clusterChoices(floatGraph: Graph, opts: ClusterQuantizeOptions): Map<number, ClusterChoice> {
  checkClusterCount(opts.clusters);
  const keep = resolveKeepInt8(floatGraph, opts.keepInt8 ?? []);
  const out = new Map<number, ClusterChoice>();
  for (const op of floatGraph.ops) {
    if (keep.has(op.index) || !CLUSTERABLE_OPS.includes(op.type)) continue;
    out.set(op.index, { kind: 'clusters', clusters: opts.clusters, scope: opts.scope, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  }
  return out;
}
