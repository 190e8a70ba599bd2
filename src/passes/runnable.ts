/**
 * The passes rewrite ops into int8 forms their kernels may still refuse (a scale ratio out of range,
 * an unsupported type combination); the op's own `prepare` is the judge, so a pass tries it and
 * keeps the rewrite only when it succeeds.
 */
import type { Graph, Op } from '../ir/types.js';
import { getOpDef, opContext } from '../ops/registry.js';

/** Whether `op`'s kernel `prepare` accepts it as the graph now stands. */
export function runnable(g: Graph, op: Op): boolean {
  try {
    getOpDef(g, op).prepare(opContext(g, op));
    return true;
  } catch {
    return false;
  }
}

/**
 * Rewires `op` to read `inputs` and write `outputs` when its kernel then accepts it, and so does
 * every op of `alongside` (ops the rewrite adds after it); otherwise leaves `op` as it was. True
 * when rewired.
 */
export function rewireIfRunnable(g: Graph, op: Op, inputs: number[], outputs: number[], alongside: readonly Op[] = []): boolean {
  const before = { inputs: op.inputs, outputs: op.outputs };
  op.inputs = inputs;
  op.outputs = outputs;
  if (runnable(g, op) && alongside.every((o) => runnable(g, o))) return true;
  op.inputs = before.inputs;
  op.outputs = before.outputs;
  return false;
}
