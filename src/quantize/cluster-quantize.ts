/**
 * `quantize --clusters K`: the weight transform that clusters the weights of every CONV_2D,
 * DEPTHWISE_CONV_2D and FULLY_CONNECTED layer (the ops with clustered kernels) except those kept
 * int8, for `quantizeGraph`'s `weightTransform` hook.
 */
import type { OpType } from '../ir/attrs.js';
import type { Graph } from '../ir/types.js';
import { checkClusterCount, clusterWeights, type ClusterScope } from './cluster.js';
import type { WeightTransform } from './quantize-graph.js';
import { resolveLayers } from './layer-select.js';

/** Ops whose weights can be clustered (tinyml has LUT kernels for them). */
export const CLUSTERABLE_OPS: readonly OpType[] = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'];

export interface ClusterQuantizeOptions {
  clusters: number;
  scope: ClusterScope;
  /** Layers to leave plain int8: op indices of the float graph or output tensor names. */
  keepInt8?: readonly (string | number)[];
  seed?: number;
}

export function clusterTransform(floatGraph: Graph, opts: ClusterQuantizeOptions): WeightTransform {
  checkClusterCount(opts.clusters);
  const keep = resolveLayers(floatGraph, opts.keepInt8 ?? [], '--keep-int8');
  return (op, float, shape, q) => {
    if (keep.has(op.index) || !CLUSTERABLE_OPS.includes(op.type)) return undefined;
    const axis = q.quant.scale.length > 1 ? q.quant.quantizedDimension : undefined;
    return clusterWeights(float, shape, axis, q.quant.scale, { clusters: opts.clusters, scope: opts.scope, seed: opts.seed });
  };
}
