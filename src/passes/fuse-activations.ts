/**
 * Activation fusion: a RELU or RELU6 whose input comes from a CONV_2D, DEPTHWISE_CONV_2D,
 * FULLY_CONNECTED, ADD, SUB or MUL (no fused activation yet, nothing else reading the
 * intermediate) becomes that op's fused activation, as TFLite converters emit it. Pooling ops take
 * it too when the data type and quantization do not change across the activation.
 */
import type { FusedActivation } from '../ir/attrs.js';
import type { Graph } from '../ir/types.js';
import { cloneGraph, compactGraph, consumersOf, producersOf, sameQuant, uniqueConsumers } from './graph-utils.js';

const REQUANTIZING = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'SUB', 'MUL']);
const POOLS = new Set(['MAX_POOL_2D', 'AVERAGE_POOL_2D']);

export function fuseActivations(graph: Graph): Graph {
  const g = cloneGraph(graph);
  let changed = false;
  for (;;) {
    const consumers = consumersOf(g);
    const producers = producersOf(g);
    const act = g.ops.find((op) => {
      if (op.type !== 'RELU' && op.type !== 'RELU6') return false;
      const src = op.inputs[0];
      const p = producers.get(src);
      if (!p || (!REQUANTIZING.has(p.type) && !POOLS.has(p.type))) return false;
      if ((p.attrs as { activation: FusedActivation }).activation !== 'NONE') return false;
      if (g.outputs.includes(src) || uniqueConsumers(consumers, src).length !== 1) return false;
      const a = g.tensors[src];
      const b = g.tensors[op.outputs[0]];
      if (a.dtype !== b.dtype) return false;
      if (POOLS.has(p.type) && !sameQuant(a.quant, b.quant)) return false;
      return true;
    });
    if (!act) break;
    const p = producers.get(act.inputs[0])!;
    (p.attrs as { activation: FusedActivation }).activation = act.type === 'RELU' ? 'RELU' : 'RELU6';
    p.outputs = [act.outputs[0]];
    g.ops = g.ops.filter((o) => o !== act);
    changed = true;
  }
  return changed ? compactGraph(g) : graph;
}
