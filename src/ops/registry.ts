/**
 * Every supported op, keyed by type. Each op's shape rule, quantization constants, reference
 * kernel and C lowering live in its own file next door; this only collects them.
 */
import type { OpType } from '../ir/attrs.js';
import { UnsupportedOpError } from '../errors.js';
import type { Graph, Op } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import type { AnyOpDef, OpContext } from './op-def.js';
import { ALL_OPS } from './registry-parts.js';

const REGISTRY = new Map<OpType, AnyOpDef>(ALL_OPS.map((d) => [d.type, d]));

export function getOpDef(graph: Graph, op: Op): AnyOpDef {
  const def = REGISTRY.get(op.type);
  if (!def) {
    throw new UnsupportedOpError(`${describeOp(graph, op)}: tinyml has no kernel for ${op.type}. Supported ops: ${[...REGISTRY.keys()].sort().join(', ')}`);
  }
  return def;
}

export function registeredOpTypes(): OpType[] {
  return [...REGISTRY.keys()];
}

/** The OpContext for `op`: its input/output tensors resolved from the graph. */
export function opContext(graph: Graph, op: Op): OpContext {
  return {
    graph,
    op,
    inputs: op.inputs.map((i) => (i >= 0 ? graph.tensors[i] : undefined)),
    outputs: op.outputs.map((i) => graph.tensors[i]),
  };
}
