/**
 * Structural invariants every imported graph must satisfy; returns the violations (empty = ok).
 * Used on real models and on every mutated model that still imports.
 */
import { isOpType } from '../../src/ops/registry.js';
import { DTYPE_BYTES, elementCount, type Graph } from '../../src/ir/types.js';

export function graphViolations(g: Graph): string[] {
  const bad: string[] = [];
  const n = g.tensors.length;
  g.tensors.forEach((t, i) => {
    if (t.id !== i) bad.push(`tensor ${i} has id ${t.id}`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) bad.push(`tensor ${i} has shape [${t.shape}]`);
    if (t.data && t.data.byteLength !== elementCount(t.shape) * DTYPE_BYTES[t.dtype]) {
      bad.push(`tensor ${i} has ${t.data.byteLength} data bytes for ${t.dtype} [${t.shape}]`);
    }
    if (t.quant) {
      const { scale, zeroPoint, quantizedDimension } = t.quant;
      if (scale.length === 0 || scale.length !== zeroPoint.length) bad.push(`tensor ${i} has bad quant lengths`);
      if (scale.length > 1 && t.shape[quantizedDimension] !== scale.length) bad.push(`tensor ${i} has bad per-channel quant`);
      if (!scale.every(Number.isFinite) || !zeroPoint.every(Number.isInteger)) bad.push(`tensor ${i} has bad quant values`);
    }
  });
  g.ops.forEach((op, i) => {
    if (op.index !== i) bad.push(`op ${i} has index ${op.index}`);
    if (!isOpType(op.type)) bad.push(`op ${i} has type ${op.type}`);
    if (op.attrs === undefined || op.attrs === null) bad.push(`op ${i} has no attrs`);
    for (const r of op.inputs) if (r !== -1 && !(r >= 0 && r < n)) bad.push(`op ${i} input ${r}`);
    for (const r of op.outputs) if (!(r >= 0 && r < n)) bad.push(`op ${i} output ${r}`);
  });
  for (const r of [...g.inputs, ...g.outputs]) if (!(r >= 0 && r < n)) bad.push(`graph io ${r}`);
  return bad;
}
