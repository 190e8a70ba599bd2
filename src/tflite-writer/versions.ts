/**
 * OperatorCode.version for each op: the op's own rule (`tflite.version` of its OpDef), following
 * TensorFlow's op_version.cc for the op/dtype combinations tinyml produces (int8, 16x8, float32).
 * TFLite Micro ignores versions; the full TFLite runtime only needs them within the range its
 * kernels register, which these are.
 */
import type { Graph, Op } from '../ir/types.js';
import { findOpDef } from '../ops/registry.js';

export function opVersion(graph: Graph, op: Op): number {
  return findOpDef(op.type)?.tflite.version?.(graph, op) ?? 1;
}
