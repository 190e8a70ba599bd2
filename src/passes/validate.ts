/**
 * Validation that needs the ops: the IR's structure (ir/validate.ts) plus, for every op, that
 * tinyml has it; and shape inference through each op's shape rule. Kept here, above the ops
 * registry, so that ir/ depends on nothing above it.
 */
import { GraphError } from '../errors.js';
import type { Graph, Op } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { validateStructure } from '../ir/validate.js';
import { getOpDef, opContext } from '../ops/registry.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks indices, execution order (every activation is produced before it is read) and op support. */
export function validateGraph(graph: Graph): void {
  validateStructure(graph, {
    checkOp: (op) => {
      getOpDef(graph, op); // throws UnsupportedOpError naming the op
    },
  });
}

/**
 * Runs every op's shape rule. With `update`, writes inferred output shapes into a copy of the
 * graph (for graphs built by passes); otherwise checks them against the declared shapes.
 */
export function inferShapes(graph: Graph, options: { update?: boolean } = {}): Graph {
  const g: Graph = options.update ? { ...graph, tensors: graph.tensors.map((t) => ({ ...t })) } : graph;
  for (const op of g.ops) {
    const def = getOpDef(g, op);
    const ctx = opContext(g, op);
    const shapes = def.inferShapes(ctx);
    shapes.forEach((shape, k) => {
      const t = g.tensors[op.outputs[k]];
      if (options.update) t.shape = shape;
      else if (!sameShape(t.shape, shape)) {
        throw new GraphError(`${describeOp(g, op as Op)}: output ${k} is declared [${t.shape.join(', ')}] but the op computes [${shape.join(', ')}]`);
      }
    });
  }
  return g;
}
