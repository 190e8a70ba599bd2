/**
 * Structural validation of the IR: tensor indices in range, every activation produced before it
 * is read, every graph output produced. It knows no op: what an op type means (whether tinyml
 * supports it, its shape rule) is checked above the IR, in passes/validate.ts, through `checkOp`.
 * Every problem names the op by index, type and output tensor so a user can find it in Netron.
 */
import { GraphError } from '../errors.js';
import type { Graph, Op } from './types.js';
import { describeOp } from './types.js';

export interface StructureCheckOptions {
  /**
   * Called for each op once its own indices are known to be valid and before its inputs are
   * checked for availability, so a caller's op-level error comes in the same order as before.
   */
  checkOp?: (op: Op) => void;
}

/** Checks indices and execution order (every activation is produced before it is read). */
export function validateStructure(graph: Graph, options: StructureCheckOptions = {}): void {
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
    options.checkOp?.(op);
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
