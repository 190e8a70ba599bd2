/**
 * Constant folding: an op whose inputs are all constants is evaluated once with its reference
 * kernel (the interpreter's path for its dtypes) and replaced by a constant. QUANTIZE and
 * DEQUANTIZE are left alone unless `includeQdq` is set, because QDQ folding needs to see them;
 * graph outputs are never folded away. SHAPE folds whatever its input: every shape is static.
 */
import type { Graph, Op } from '../ir/types.js';
import { allocTensorData, elementCount } from '../ir/types.js';
import { getOpDef, opContext } from '../ops/registry.js';
import { cloneGraph, compactGraph, isConst } from './graph-utils.js';

export interface ConstantFoldOptions {
  /** Also fold QUANTIZE/DEQUANTIZE of constants (default false). */
  includeQdq?: boolean;
  /** Fold only the ops this accepts (default: every op whose inputs are constant). */
  only?: (graph: Graph, op: Op) => boolean;
}

export function constantFold(graph: Graph, options: ConstantFoldOptions = {}): Graph {
  const g = cloneGraph(graph);
  const folded = new Set<Op>();
  for (const op of g.ops) {
    if (!options.includeQdq && (op.type === 'QUANTIZE' || op.type === 'DEQUANTIZE')) continue;
    const present = op.inputs.filter((i) => i >= 0);
    const inputsKnown = op.type === 'SHAPE' || (present.length > 0 && present.every((i) => isConst(g, i)));
    if (!inputsKnown || (options.only && !options.only(g, op))) continue;
    if (op.outputs.some((o) => g.outputs.includes(o))) continue;
    try {
      const def = getOpDef(g, op);
      const ctx = opContext(g, op);
      const shapes = def.inferShapes(ctx);
      shapes.forEach((s, k) => (g.tensors[op.outputs[k]].shape = s));
      const params = def.prepare(opContext(g, op));
      const outs = op.outputs.map((o) => allocTensorData(g.tensors[o].dtype, elementCount(g.tensors[o].shape)));
      def.evaluate(
        params,
        op.inputs.map((i) => (i >= 0 ? g.tensors[i].data : undefined)),
        outs,
      );
      op.outputs.forEach((o, k) => (g.tensors[o].data = outs[k]));
      folded.add(op);
    } catch {
      // Not foldable (unsupported dtype combination...): leave the op for the runtime to report.
    }
  }
  if (folded.size === 0) return graph;
  g.ops = g.ops.filter((op) => !folded.has(op));
  return compactGraph(g);
}
