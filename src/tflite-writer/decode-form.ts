/**
 * TensorFlow Lite Micro's DECODE operator form of LUT-compressed weights (its compression tool's
 * newest output, compression/decode_insert.py), as the writer lays it out:
 *
 * - the compressed tensor becomes its packed indices: UINT8, shape [bytes] (its quantization
 *   kept, as TFLM's tool keeps it);
 * - an ancillary tensor `<name>_ancillary` (UINT8 [bytes]) holds a 16-byte header and the value
 *   tables (lut-compression.ts, `decodeAncillaryBytes`); identical ones are written once;
 * - every op that reads compressed tensors gets its own DECODE op right before it, with inputs
 *   (indices, ancillary) per tensor and one output per tensor, `<name>_decoded`, a copy of the
 *   original tensor without data, which the op reads instead. TFLM gives a DECODE output a
 *   lifetime of the next op only, so a tensor read by two ops is decoded twice (into two tensors);
 *   compressed graph outputs are decoded by one DECODE after the last op.
 *
 * New tensors are appended in TFLM's order (consumers from last to first; per consumer each
 * tensor's ancillary, if new, then its output) so that a model this writes has the tensor indices
 * the TFLM tool gives the same model.
 */
import type { Graph, Op, Tensor } from '../ir/types.js';
import type { LutEncoding } from '../ir/weight-encoding.js';
import { decodeAncillaryBytes, packIndices } from '../tflite/lut-compression.js';

/** A DECODE op in the written op list (custom op TFLM_DECODE, no options). */
export interface DecodeOp {
  decode: true;
  inputs: number[];
  outputs: number[];
}

export type WrittenOp = Op | DecodeOp;

export function isDecodeOp(op: WrittenOp): op is DecodeOp {
  return 'decode' in op;
}

/** `graph` with its LUT-encoded tensors in DECODE form, and the ops to write in order. */
export function toDecodeForm(graph: Graph): { graph: Graph; ops: WrittenOp[] } {
  const lut = (id: number): boolean => id >= 0 && graph.tensors[id].weightEncoding?.kind === 'lut' && graph.tensors[id].data !== undefined;
  const consumers = graph.ops.filter((op) => op.inputs.some(lut));
  const outputs = [...new Set(graph.outputs.filter(lut))];
  if (consumers.length === 0 && outputs.length === 0) return { graph, ops: graph.ops };

  const tensors: Tensor[] = graph.tensors.slice();
  const ancillaryOf = new Map<string, number>();
  const decoded = (id: number): { anc: number; out: number } => {
    const t = graph.tensors[id];
    const bytes = decodeAncillaryBytes(t, t.weightEncoding as LutEncoding, `tensor ${id} '${t.name}'`);
    const key = Array.from(bytes).join(',');
    let anc = ancillaryOf.get(key);
    if (anc === undefined) {
      anc = tensors.length;
      tensors.push({ id: anc, name: `${t.name}_ancillary`, dtype: 'uint8', shape: [bytes.length], data: bytes });
      ancillaryOf.set(key, anc);
    }
    const out = tensors.length;
    tensors.push({ ...t, id: out, name: `${t.name}_decoded`, data: undefined, weightEncoding: undefined });
    return { anc, out };
  };
  const decodeFor = (ids: number[]): { op: DecodeOp; map: Map<number, number> } => {
    const op: DecodeOp = { decode: true, inputs: [], outputs: [] };
    const map = new Map<number, number>();
    for (const id of ids) {
      const { anc, out } = decoded(id);
      op.inputs.push(id, anc);
      op.outputs.push(out);
      map.set(id, out);
    }
    return { op, map };
  };

  // Consumers from last to first, as TFLM inserts them (its tensor order follows).
  const before = new Map<Op, DecodeOp>();
  const rewired = new Map<Op, Op>();
  for (const op of [...consumers].reverse()) {
    const { op: decode, map } = decodeFor([...new Set(op.inputs.filter(lut))]);
    before.set(op, decode);
    rewired.set(op, { ...op, inputs: op.inputs.map((i) => map.get(i) ?? i) } as Op);
  }
  const tail = outputs.length > 0 ? decodeFor(outputs) : undefined;

  for (const id of new Set([...consumers.flatMap((op) => op.inputs.filter(lut)), ...outputs])) {
    const t = graph.tensors[id];
    const enc = t.weightEncoding as LutEncoding;
    const packed = packIndices(enc.indices, enc.bits);
    // TFLM's tool keeps the tensor's quantization (its model editor syncs only a quantization
    // it was given): kept too, so both tools write the same tensor; DECODE reads its output's.
    tensors[id] = { id, name: t.name, dtype: 'uint8', shape: [packed.length], data: packed, quant: t.quant };
  }
  // A compressed tensor nothing reads stays uncompressed, as TFLM's tool leaves it.
  tensors.forEach((t, i) => {
    if (t.weightEncoding?.kind === 'lut') tensors[i] = { ...t, weightEncoding: undefined };
  });
  const ops: WrittenOp[] = graph.ops.flatMap((op): WrittenOp[] => (before.has(op) ? [before.get(op)!, rewired.get(op)!] : [op]));
  if (tail) ops.push(tail.op);
  const written: Graph = {
    ...graph,
    tensors,
    ops: ops.filter((op): op is Op => !isDecodeOp(op)),
    outputs: graph.outputs.map((o) => tail?.map.get(o) ?? o),
  };
  return { graph: written, ops };
}
