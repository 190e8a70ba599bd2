/**
 * The host reference interpreter: runs the IR with TFLite's exact integer semantics. It is the
 * oracle every other stage (firmware, quantizer, optimized kernels) is checked against.
 */
import { InputError } from '../errors.js';
import type { Graph, Op, TensorData } from '../ir/types.js';
import { DTYPE_BYTES, allocTensorData, elementCount } from '../ir/types.js';
import { inferShapes, validateGraph } from '../passes/validate.js';
import type { AnyOpDef } from '../ops/op-def.js';
import { getOpDef, opContext } from '../ops/registry.js';

export interface PreparedStep {
  op: Op;
  def: AnyOpDef;
  params: unknown;
}

/** A validated graph with every op's constant parameters computed once. */
export interface PreparedGraph {
  graph: Graph;
  steps: PreparedStep[];
}

export function prepareGraph(graph: Graph): PreparedGraph {
  validateGraph(graph);
  inferShapes(graph);
  const steps = graph.ops.map((op) => {
    const def = getOpDef(graph, op);
    return { op, def, params: def.prepare(opContext(graph, op)) };
  });
  return { graph, steps };
}

export interface RunOptions {
  /** Called after each op with its outputs (for per-layer comparison). */
  onStep?: (step: PreparedStep, outputs: TensorData[]) => void;
}

/** Runs one inference. `inputs` are in graph-input order with each input's dtype and size. */
export function runGraph(prepared: PreparedGraph, inputs: TensorData[], options: RunOptions = {}): TensorData[] {
  const { graph } = prepared;
  if (inputs.length !== graph.inputs.length) {
    throw new InputError(`model '${graph.name}' takes ${graph.inputs.length} input(s), got ${inputs.length}`);
  }
  const values = new Map<number, TensorData>();
  graph.inputs.forEach((id, k) => {
    const t = graph.tensors[id];
    const want = elementCount(t.shape);
    const got = inputs[k];
    if (got.length !== want || got.BYTES_PER_ELEMENT !== DTYPE_BYTES[t.dtype]) {
      throw new InputError(`input ${k} '${t.name}' needs ${want} ${t.dtype} values [${t.shape.join('x')}], got ${got.length} of ${got.BYTES_PER_ELEMENT}-byte elements`);
    }
    values.set(id, got);
  });
  for (const t of graph.tensors) if (t.data) values.set(t.id, t.data);
  for (const step of prepared.steps) {
    const ins = step.op.inputs.map((i) => (i >= 0 ? values.get(i) : undefined));
    const outs = step.op.outputs.map((i) => {
      const t = graph.tensors[i];
      return allocTensorData(t.dtype, elementCount(t.shape));
    });
    step.def.evaluate(step.params, ins, outs);
    step.op.outputs.forEach((i, k) => values.set(i, outs[k]));
    options.onStep?.(step, outs);
  }
  return graph.outputs.map((id) => values.get(id)!);
}
