/**
 * Sub-byte weights that a .tflite file stores as INT8 so that TensorFlow Lite Micro loads it, and
 * that tinyml reads back packed: TFLM runs FULLY_CONNECTED with INT4 weights only when they are
 * quantized per tensor (`fully_connected_common.cc` refuses per-channel INT4), while tinyml's
 * quantizer gives dense layers a scale per output channel. Such weights are written as their int8
 * values (identical: int4 values are int8 values) and named in the Model.metadata entry
 * "TINYML_SUBBYTE_WEIGHTS", whose buffer is the UTF-8 text `tensor=kind,...` (subgraph 0 tensor
 * indices), so tinyml restores their width; every other reader sees an ordinary int8 layer.
 */
import { ModelFormatError } from '../errors.js';
import type { Graph, Tensor } from '../ir/types.js';
import { SUB_BYTE_RANGE, type SubByteKind } from '../ir/weight-encoding.js';
import { firstOutOfRange, packedKindOf } from '../ir/weight-packing.js';
import type { Table } from './flatbuffer-reader.js';

export const SUBBYTE_METADATA_KEY = 'TINYML_SUBBYTE_WEIGHTS';

/** Weight tensors of `graph` written INT8 for TFLM, with their kind. */
export function int8StoredSubByte(graph: Graph): Map<number, SubByteKind> {
  const out = new Map<number, SubByteKind>();
  for (const op of graph.ops) {
    if (op.type !== 'FULLY_CONNECTED') continue;
    const w = graph.tensors[op.inputs[1]];
    const kind = packedKindOf(w?.weightEncoding);
    if (kind && (w.quant?.scale.length ?? 1) > 1) out.set(w.id, kind);
  }
  return out;
}

/** The buffer index of the Model.metadata entry named `key`, or undefined. */
export function metadataBuffer(model: Table, key: string): number | undefined {
  const entries = model.tables(6, 'metadata', 'metadata entry');
  for (let i = 0; i < (entries?.length ?? 0); i++) {
    const e = entries!.at(i);
    if (e.string(0, 'name') === key) return e.u32(1, 'buffer');
  }
  return undefined;
}

export function encodeSubByteMetadata(kinds: ReadonlyMap<number, SubByteKind>): Uint8Array {
  return new TextEncoder().encode([...kinds].map(([t, k]) => `${t}=${k}`).join(','));
}

/** Restores the width of the tensors the metadata names (validated: int8 constants whose values fit). */
export function applySubByteMetadata(bytes: Uint8Array, tensors: Tensor[]): void {
  const text = new TextDecoder().decode(bytes);
  for (const entry of text.split(',').filter((e) => e !== '')) {
    const [idx, kind] = entry.split('=');
    const t = tensors[Number(idx)];
    if (!t || !/^\d+$/.test(idx) || !(kind in SUB_BYTE_RANGE)) throw new ModelFormatError(`${SUBBYTE_METADATA_KEY} metadata has a bad entry '${entry}'`);
    if (t.dtype !== 'int8' || !t.data) throw new ModelFormatError(`${SUBBYTE_METADATA_KEY} metadata names tensor ${idx} '${t.name}', which is not a constant int8 tensor`);
    const bad = firstOutOfRange(kind as SubByteKind, t.data as Int8Array);
    if (bad) throw new ModelFormatError(`${SUBBYTE_METADATA_KEY} metadata marks tensor ${idx} '${t.name}' ${kind}, but value ${bad[0]} is ${bad[1]}`);
    t.weightEncoding = { kind: kind as SubByteKind };
  }
}
