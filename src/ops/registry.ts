/**
 * Every supported op, keyed by type. Each op's attributes, TFLite options, quantization rule,
 * shape rule, quantization constants, reference kernel and C lowering live in its own file next
 * door; this only collects them.
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

/** The definition of a registered op type (importers and writers, after checking the type). */
export function getOpDefOfType(type: OpType): AnyOpDef {
  const def = REGISTRY.get(type);
  if (!def) throw new UnsupportedOpError(`tinyml has no kernel for ${type}`);
  return def;
}

/** The op's definition, or undefined for a type tinyml does not implement. */
export function findOpDef(type: string): AnyOpDef | undefined {
  return REGISTRY.get(type as OpType);
}

/** Every op type tinyml implements, in registry order. */
export function registeredOpTypes(): OpType[] {
  return [...REGISTRY.keys()];
}

export function isOpType(name: string): name is OpType {
  return REGISTRY.has(name as OpType);
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
