/**
 * Structural validation and shape inference over the IR. Every problem names the op by index,
 * type and output tensor so a user can find it in Netron.
 */
import { GraphError } from '../errors.js';
import { getOpDef, opContext } from '../ops/registry.js';
import type { Graph, Op } from './types.js';
import { describeOp } from './types.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks indices, execution order (every activation is produced before it is read) and op support. */
export function validateGraph(graph: Graph): void {
  const n = graph.tensors.length;
  const checkIndex = (i: number, where: string): void => {
    if (!Number.isInteger(i) || i >= n || i < -1) throw new GraphError(`${where} refers to tensor ${i}, but the graph has ${n} tensors`);
  };
  graph.inputs.forEach((i) => checkIndex(i, 'graph input'));
  graph.outputs.forEach((i) => checkIndex(i, 'graph output'));
  const available = new Set<number>(graph.inputs);
  graph.tensors.forEach((t) => {
    if (t.data) available.add(t.id);
  });
  for (const op of graph.ops) {
    op.inputs.forEach((i, k) => checkIndex(i, `${describeOp(graph, op)} input ${k}`));
    op.outputs.forEach((i, k) => {
      checkIndex(i, `${describeOp(graph, op)} output ${k}`);
      if (i < 0) throw new GraphError(`${describeOp(graph, op)} output ${k} is missing`);
    });
    getOpDef(graph, op); // throws UnsupportedOpError naming the op
    op.inputs.forEach((i, k) => {
      if (i >= 0 && !available.has(i)) {
        throw new GraphError(`${describeOp(graph, op)} input ${k} reads tensor ${i} '${graph.tensors[i].name}', which no earlier op produces and which is not a graph input or constant`);
      }
    });
    op.outputs.forEach((i) => available.add(i));
  }
  graph.outputs.forEach((i) => {
    if (!available.has(i)) throw new GraphError(`graph output tensor ${i} '${graph.tensors[i].name}' is never produced`);
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
