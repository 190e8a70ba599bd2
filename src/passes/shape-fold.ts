/**
 * Folds shape arithmetic to constants. A model converted with an unfixed batch computes some
 * shapes at run time: Keras's Flatten becomes SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, a
 * Reshape layer may GATHER or CONCATENATE shape pieces. TFLite Micro runs every tensor with the
 * static shape stored in the model (batch 1), so each of these int32/int64 values is known at
 * load time: SHAPE becomes a constant, and every op on constants that yields an integer index
 * tensor is evaluated once with its reference kernel. The RESHAPE then reads a constant shape,
 * and the shape ops disappear from the graph. Ops producing activations are left alone.
 */
import type { Graph, Op } from '../ir/types.js';
import { constantFold } from './constant-fold.js';

const SHAPE_DTYPES = new Set(['int32', 'int64']);

/** True for ops whose outputs are all integer index tensors (shapes, axes, positions). */
function computesIndices(g: Graph, op: Op): boolean {
  return op.outputs.length > 0 && op.outputs.every((o) => SHAPE_DTYPES.has(g.tensors[o].dtype) && !g.tensors[o].quant);
}

export function foldShapeArithmetic(graph: Graph): Graph {
  if (!graph.ops.some((op) => computesIndices(graph, op))) return graph;
  return constantFold(graph, { only: computesIndices });
}
