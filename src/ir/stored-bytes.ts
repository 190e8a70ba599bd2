/**
 * Bytes a constant tensor takes stored on the target: sub-byte weights packed (binary 1 bit per
 * weight, as the firmware stores it; with per-group scales they run and are stored as int8), clustered
 * weights as packed indices plus their value tables, anything else its dtype's bytes per element.
 * The one count behind `tinyml inspect`, the quantization report and `--flash-budget`.
 */
import { DTYPE_BYTES, elementCount, type Graph, type Tensor } from './types.js';
import { bitsPerWeight } from './weight-encoding.js';
import { packedKindOf } from './weight-packing.js';

export function storedBytes(t: Tensor): number {
  const enc = t.weightEncoding;
  // Sub-byte weights with per-group scales run on the int8 kernels and are stored as int8 (no packed layout carries the group multipliers).
  if (!enc || (enc.kind !== 'lut' && !packedKindOf(enc))) return elementCount(t.shape) * DTYPE_BYTES[t.dtype];
  const packed = Math.ceil((elementCount(t.shape) * bitsPerWeight(enc)) / 8);
  if (enc.kind === 'lut') return packed + enc.table.length;
  return packed;
}

/** Bytes of every constant tensor an op reads, each counted once (a model's parameter bytes). */
export function parameterBytes(g: Graph): number {
  const counted = new Set<number>();
  let bytes = 0;
  for (const op of g.ops) {
    for (const id of op.inputs) {
      const t = id >= 0 ? g.tensors[id] : undefined;
      if (!t?.data || counted.has(id)) continue;
      counted.add(id);
      bytes += storedBytes(t);
    }
  }
  return bytes;
}
