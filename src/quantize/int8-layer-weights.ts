/**
 * The weight tensors that the int8-to-int8 stand-ins (cluster-int8.ts, sub-byte-rounding.ts) may
 * rewrite in place of a calibrated quantizer: a layer's own, so that changing them changes no
 * other op.
 */
import type { Graph, Op, Tensor } from '../ir/types.js';

const LAYER_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** How many op inputs name each tensor id. */
export function tensorUses(graph: Graph): Map<number, number> {
  const uses = new Map<number, number>();
  graph.ops.forEach((op) => op.inputs.forEach((i) => i >= 0 && uses.set(i, (uses.get(i) ?? 0) + 1)));
  return uses;
}

/** A layer and its weights (data and quantization present). */
export interface ExclusiveLayer {
  op: Op;
  wId: number;
  w: Tensor & { data: NonNullable<Tensor['data']>; quant: NonNullable<Tensor['quant']> };
}

/**
 * Each CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED with an int8 input and int8 weights that are
 * symmetric (zero points 0), constant and used by that layer only, with its weights' id.
 */
export function exclusiveInt8Layers(graph: Graph, uses: Map<number, number>): ExclusiveLayer[] {
  const out: ExclusiveLayer[] = [];
  for (const op of graph.ops) {
    if (!LAYER_OPS.has(op.type)) continue;
    const [inId, wId] = op.inputs;
    const w = graph.tensors[wId];
    if (graph.tensors[inId]?.dtype !== 'int8' || w?.dtype !== 'int8' || !w.data || !w.quant || uses.get(wId) !== 1) continue;
    if (w.quant.zeroPoint.some((z) => z !== 0)) continue;
    out.push({ op, wId, w: { ...w, data: w.data, quant: w.quant } });
  }
  return out;
}
