/**
 * Graph IR → TFLite flatbuffer (schema version 3, file identifier "TFL3"), written with the
 * `flatbuffers` Builder field by field in schema.fbs's declaration order (field ids):
 *
 *   Model { 0 version, 1 operator_codes, 2 subgraphs, 3 description, 4 buffers }
 *   SubGraph { 0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name }
 *   Tensor { 0 shape, 1 type, 2 buffer, 3 name, 4 quantization, 5 is_variable, 8 has_rank }
 *   QuantizationParameters { 2 scale, 3 zero_point, 6 quantized_dimension }
 *   Buffer { 0 data (force_align 16) }
 *   OperatorCode { 0 deprecated_builtin_code, 2 version, 3 builtin_code }
 *   Operator { 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type, 4 builtin_options }
 *
 * As the TFLite converter does: buffer 0 is the empty sentinel every activation points at, one
 * subgraph, operator codes carry both the legacy int8 code (min(code, 127)) and the int32 one.
 * Constant tensors with identical bytes share one buffer. Clustered weights (`weightEncoding`
 * 'lut') are written in TensorFlow Lite Micro's LUT compression format: packed indices in the
 * tensor's buffer, value tables in another, and Model.metadata "COMPRESSION_METADATA"; or, with
 * `lutForm: 'decode'`, in the DECODE operator form of TFLM's newer tool (decode-form.ts).
 */
import { writeFile } from 'node:fs/promises';
import { Builder } from 'flatbuffers';
import { GraphError } from '../errors.js';
import type { DType, Graph, Op, Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp, elementCount, tensorDataBytes } from '../ir/types.js';
import { BUILTIN_CUSTOM, PLACEHOLDER_FOR_GREATER_OP_CODES, builtinCode } from '../tflite/builtin-codes.js';
import { TFLITE_FILE_IDENTIFIER, TFLITE_SCHEMA_VERSION, TensorType } from '../tflite/schema.js';
import { COMPRESSION_METADATA_KEY, DECODE_CUSTOM_CODE, lutValueBytes, packIndices } from '../tflite/lut-compression.js';
import { writeOptions } from './options.js';
import { opVersion } from './versions.js';
import { isDecodeOp, toDecodeForm, type WrittenOp } from './decode-form.js';
import { fileBits, firstOutOfRange, packSubByte, packedKindOf } from '../ir/weight-packing.js';
import { encodeSubByteMetadata, int8StoredSubByte, SUBBYTE_METADATA_KEY } from '../tflite/subbyte-metadata.js';

export interface WriteTfliteOptions {
  /** Model.description (default "tinyml"). */
  description?: string;
  /** SubGraph.name (default "main", as the converter names it). */
  subgraphName?: string;
  /**
   * How clustered (LUT-encoded) weights are stored for TensorFlow Lite Micro: 'metadata'
   * (default; packed indices in the tensor, Model.metadata "COMPRESSION_METADATA") or 'decode'
   * (packed-index and ancillary tensors decoded by TFLM_DECODE ops, decode-form.ts).
   */
  lutForm?: LutForm;
}

export const LUT_FORMS = ['metadata', 'decode'] as const;
export type LutForm = (typeof LUT_FORMS)[number];

const TENSOR_TYPE: Record<DType, number> = {
  float32: TensorType.FLOAT32,
  int32: TensorType.INT32,
  uint8: TensorType.UINT8,
  int64: TensorType.INT64,
  bool: TensorType.BOOL,
  int16: TensorType.INT16,
  int8: TensorType.INT8,
};

/**
 * The TensorType a tensor is stored as: sub-byte weights as INT4 (int4) or INT2 (int2, ternary,
 * and binary, for which TFLite has no 1-bit type).
 */
function tensorType(t: Tensor): number {
  const kind = packedKindOf(t.weightEncoding);
  if (kind) return fileBits(kind) === 4 ? TensorType.INT4 : TensorType.INT2;
  return TENSOR_TYPE[t.dtype];
}

/** The bytes a constant tensor's buffer holds: packed for sub-byte weights. */
function storedBytes(t: Tensor): Uint8Array {
  const kind = packedKindOf(t.weightEncoding);
  if (kind) return packSubByte(t.data as Int8Array, fileBits(kind));
  return tensorDataBytes(t.data!);
}

/** Serializes `graph` to a .tflite flatbuffer. Throws GraphError for a graph it cannot write. */
export function writeTflite(graph: Graph, options: WriteTfliteOptions = {}): Uint8Array {
  checkGraph(graph);
  // Per-channel sub-byte FULLY_CONNECTED weights go out as INT8 for TFLM (subbyte-metadata.ts).
  const int8Stored = int8StoredSubByte(graph);
  if (int8Stored.size > 0) graph = { ...graph, tensors: graph.tensors.map((t) => (int8Stored.has(t.id) ? { ...t, weightEncoding: undefined } : t)) };
  let ops: WrittenOp[] = graph.ops;
  if (options.lutForm === 'decode') ({ graph, ops } = toDecodeForm(graph));
  const constBytes = graph.tensors.reduce((n, t) => n + (t.data ? t.data.byteLength + 16 : 0), 0);
  const b = new Builder(Math.max(1024, constBytes + 256 * (graph.tensors.length + graph.ops.length) + 4096));

  // Buffers first: they end up at the end of the file, after the small tables.
  const { bufferOf, bufferOffsets, compressionBuffer, subByteBuffer } = writeBuffers(b, graph, int8Stored.size > 0 ? encodeSubByteMetadata(int8Stored) : undefined);

  const dynamicBatch = new Set(graph.inputs.filter((i) => graph.dynamicBatchInputs?.includes(graph.tensors[i].name)));
  const tensorOffsets = graph.tensors.map((t) => writeTensor(b, t, bufferOf[t.id], dynamicBatch.has(t.id)));

  // Operator codes: one per distinct (op type, version), in order of first use.
  const codeIndex = new Map<string, number>();
  const codes: { code: number; version: number; custom?: string }[] = [];
  const opcodeOf = ops.map((op) => {
    const custom = isDecodeOp(op) ? DECODE_CUSTOM_CODE : undefined;
    const code = isDecodeOp(op) ? BUILTIN_CUSTOM : builtinCode(op.type);
    if (code === undefined) throw new GraphError(`${describeOp(graph, op as Op)}: ${(op as Op).type} has no TFLite builtin code`);
    const version = isDecodeOp(op) ? 1 : opVersion(graph, op);
    const key = `${code}/${version}/${custom ?? ''}`;
    let idx = codeIndex.get(key);
    if (idx === undefined) {
      idx = codes.length;
      codes.push({ code, version, custom });
      codeIndex.set(key, idx);
    }
    return idx;
  });

  const operatorOffsets = ops.map((op, k) => writeOperator(b, graph, op, opcodeOf[k]));

  const subgraph = (() => {
    const tensors = offsetVector(b, tensorOffsets);
    const inputs = i32Vector(b, graph.inputs);
    const outputs = i32Vector(b, graph.outputs);
    const operators = offsetVector(b, operatorOffsets);
    const name = b.createString(options.subgraphName ?? 'main');
    b.startObject(5);
    b.addFieldOffset(0, tensors, 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    b.addFieldOffset(3, operators, 0);
    b.addFieldOffset(4, name, 0);
    return b.endObject();
  })();

  const codeOffsets = codes.map(({ code, version, custom }) => {
    const customCode = custom === undefined ? 0 : b.createString(custom);
    b.startObject(4);
    // The legacy field is always present (old readers take it as the op), the new one too.
    b.addFieldInt8(0, Math.min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), null);
    if (customCode) b.addFieldOffset(1, customCode, 0);
    b.addFieldInt32(2, version, 1);
    b.addFieldInt32(3, code, null);
    return b.endObject();
  });

  const operatorCodes = offsetVector(b, codeOffsets);
  const subgraphs = offsetVector(b, [subgraph]);
  const description = b.createString(options.description ?? 'tinyml');
  const buffers = offsetVector(b, bufferOffsets);
  // Model.metadata: [Metadata { 0 name, 1 buffer }]: TFLM's compression metadata, tinyml's sub-byte list.
  const entries: number[] = [];
  for (const [name, buffer] of [[COMPRESSION_METADATA_KEY, compressionBuffer], [SUBBYTE_METADATA_KEY, subByteBuffer]] as const) {
    if (buffer === undefined) continue;
    const key = b.createString(name);
    b.startObject(2);
    b.addFieldOffset(0, key, 0);
    b.addFieldInt32(1, buffer, 0);
    entries.push(b.endObject());
  }
  const metadata = entries.length > 0 ? offsetVector(b, entries) : 0;
  b.startObject(8);
  b.addFieldInt32(0, TFLITE_SCHEMA_VERSION, null);
  b.addFieldOffset(1, operatorCodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  if (metadata) b.addFieldOffset(6, metadata, 0);
  const model = b.endObject();
  b.finish(model, TFLITE_FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}

/** Writes `graph` to `path` as .tflite. */
export async function writeTfliteFile(path: string, graph: Graph, options: WriteTfliteOptions = {}): Promise<void> {
  await writeFile(path, writeTflite(graph, options));
}

function i32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function f32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function i64Vector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A [ubyte] vector whose data starts 16-byte aligned (Buffer.data is `force_align: 16`). */
function alignedByteVector(b: Builder, bytes: Uint8Array): number {
  // Pad so that the data (written next, back to front) ends up 16-aligned; the length prefix
  // then sits right before it. `finish` aligns the whole buffer to the largest alignment used.
  b.prep(16, bytes.length);
  return b.createByteVector(bytes);
}

/** FNV-1a over the bytes, to find candidate duplicates cheaply. */
function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function writeBuffers(b: Builder, graph: Graph, subByteMetadata: Uint8Array | undefined): { bufferOf: number[]; bufferOffsets: number[]; compressionBuffer?: number; subByteBuffer?: number } {
  const bufferOf = new Array<number>(graph.tensors.length).fill(0);
  const contents: Uint8Array[] = [new Uint8Array(0)];
  const byKey = new Map<string, number[]>();
  const luts: { tensor: number; values: Uint8Array; bits: number }[] = [];
  for (const t of graph.tensors) {
    if (!t.data || t.data.byteLength === 0) continue;
    const enc = t.weightEncoding;
    // Clustered tensors are stored as TFLite Micro LUT-compressed tensors (lut-compression.ts).
    const bytes = enc?.kind === 'lut' ? packIndices(enc.indices, enc.bits) : storedBytes(t);
    if (enc?.kind === 'lut') luts.push({ tensor: t.id, values: lutValueBytes(t, enc), bits: enc.bits });
    const key = `${bytes.length}:${hashBytes(bytes)}`;
    const candidates = byKey.get(key) ?? [];
    const existing = candidates.find((i) => sameBytes(contents[i], bytes));
    if (existing !== undefined) {
      bufferOf[t.id] = existing;
      continue;
    }
    bufferOf[t.id] = contents.length;
    candidates.push(contents.length);
    byKey.set(key, candidates);
    contents.push(bytes);
  }
  let compressionBuffer: number | undefined;
  if (luts.length > 0) {
    const refs = luts.map((l) => {
      contents.push(l.values);
      return { tensor: l.tensor, valueBuffer: contents.length - 1, bits: l.bits };
    });
    contents.push(compressionMetadata(refs));
    compressionBuffer = contents.length - 1;
  }
  let subByteBuffer: number | undefined;
  if (subByteMetadata) {
    contents.push(subByteMetadata);
    subByteBuffer = contents.length - 1;
  }
  // Create data vectors in reverse so the file lays buffers out in index order.
  const dataOffsets = new Array<number>(contents.length).fill(0);
  for (let i = contents.length - 1; i >= 1; i--) dataOffsets[i] = alignedByteVector(b, contents[i]);
  const bufferOffsets = contents.map((_, i) => {
    b.startObject(3);
    if (dataOffsets[i]) b.addFieldOffset(0, dataOffsets[i], 0);
    return b.endObject();
  });
  return { bufferOf, bufferOffsets, compressionBuffer, subByteBuffer };
}

/** TFLM's compression Metadata flatbuffer (compression/metadata.fbs) for subgraph 0. */
function compressionMetadata(luts: readonly { tensor: number; valueBuffer: number; bits: number }[]): Uint8Array {
  const m = new Builder(256 + 32 * luts.length);
  const tables = luts.map((l) => {
    // LutTensor { 0 tensor: int, 1 value_buffer: uint, 2 index_bitwidth: uint8 }
    m.startObject(3);
    m.addFieldInt32(0, l.tensor, 0);
    m.addFieldInt32(1, l.valueBuffer, 0);
    m.addFieldInt8(2, l.bits, 0);
    return m.endObject();
  });
  const lutVector = offsetVector(m, tables);
  m.startObject(1); // Subgraph { 0 lut_tensors }
  m.addFieldOffset(0, lutVector, 0);
  const subgraphs = offsetVector(m, [m.endObject()]);
  m.startObject(2); // Metadata { 0 schema_version = 1, 1 subgraphs }
  m.addFieldInt32(0, 1, 0);
  m.addFieldOffset(1, subgraphs, 0);
  m.finish(m.endObject());
  return m.asUint8Array().slice();
}

function writeTensor(b: Builder, t: Tensor, buffer: number, dynamicBatch: boolean): number {
  const shape = i32Vector(b, t.shape);
  // An input whose batch the source model left unfixed keeps its -1 (see Graph.dynamicBatchInputs).
  const signature = dynamicBatch && t.shape.length > 0 ? i32Vector(b, [-1, ...t.shape.slice(1)]) : 0;
  const name = b.createString(t.name);
  let quant = 0;
  if (t.quant && t.quant.scale.length > 0) {
    const scale = f32Vector(b, t.quant.scale);
    const zeroPoint = i64Vector(b, t.quant.zeroPoint);
    // QuantizationParameters: 0 min, 1 max, 2 scale, 3 zero_point, 4/5 details (union), 6 quantized_dimension.
    b.startObject(7);
    b.addFieldOffset(2, scale, 0);
    b.addFieldOffset(3, zeroPoint, 0);
    b.addFieldInt32(6, t.quant.quantizedDimension, 0);
    quant = b.endObject();
  }
  // Tensor: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization, 5 is_variable, 6 sparsity,
  // 7 shape_signature, 8 has_rank.
  b.startObject(9);
  b.addFieldOffset(0, shape, 0);
  // Always written: INT8 etc. are not the default FLOAT32, and readers may not default it.
  b.addFieldInt8(1, tensorType(t), null);
  b.addFieldInt32(2, buffer, 0);
  b.addFieldOffset(3, name, 0);
  if (quant) b.addFieldOffset(4, quant, 0);
  if (t.isVariable) b.addFieldInt8(5, 1, 0);
  if (signature) b.addFieldOffset(7, signature, 0);
  // Every IR shape is fully known, scalars included: say so, as current converters do.
  b.addFieldInt8(8, 1, 0);
  return b.endObject();
}

function writeOperator(b: Builder, graph: Graph, op: WrittenOp, opcodeIndex: number): number {
  const inputs = i32Vector(b, op.inputs);
  const outputs = i32Vector(b, op.outputs);
  if (isDecodeOp(op)) {
    // TFLM_DECODE takes no options.
    b.startObject(3);
    b.addFieldInt32(0, opcodeIndex, 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    return b.endObject();
  }
  const int16 = [...op.inputs, ...op.outputs].some((i) => i >= 0 && graph.tensors[i].dtype === 'int16');
  const options = writeOptions(b, graph, op, { int16 });
  b.startObject(5);
  b.addFieldInt32(0, opcodeIndex, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  if (options.type !== 0) {
    b.addFieldInt8(3, options.type, 0);
    b.addFieldOffset(4, options.offset, 0);
  }
  return b.endObject();
}

/** What the writer relies on: valid references, known dtypes, data of the declared size. */
function checkGraph(graph: Graph): void {
  const n = graph.tensors.length;
  graph.tensors.forEach((t, i) => {
    if (t.id !== i) throw new GraphError(`tensor ${i} '${t.name}' has id ${t.id}; tensor ids must equal their position`);
    if (TENSOR_TYPE[t.dtype] === undefined) throw new GraphError(`tensor ${i} '${t.name}' has dtype ${String(t.dtype)}, which TFLite cannot store`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 2147483647)) {
      throw new GraphError(`tensor ${i} '${t.name}' has invalid shape [${t.shape.join(', ')}]`);
    }
    if (t.data) {
      const want = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
      if (t.data.byteLength !== want) {
        throw new GraphError(`tensor ${i} '${t.name}' (${t.dtype} [${t.shape.join(', ')}]) has ${t.data.byteLength} bytes of data, expected ${want}`);
      }
    }
    const kind = packedKindOf(t.weightEncoding);
    if (kind) {
      if (t.dtype !== 'int8' || !t.data) throw new GraphError(`tensor ${i} '${t.name}' is marked ${kind} but is not a constant int8 tensor`);
      const bad = firstOutOfRange(kind, t.data as Int8Array);
      if (bad) throw new GraphError(`tensor ${i} '${t.name}' is marked ${kind} but value ${bad[0]} is ${bad[1]}, outside ${kind}'s range`);
    }
    if (t.quant) {
      const { scale, zeroPoint, quantizedDimension } = t.quant;
      if (scale.length !== zeroPoint.length) {
        throw new GraphError(`tensor ${i} '${t.name}' has ${scale.length} quantization scales but ${zeroPoint.length} zero points`);
      }
      if (!scale.every(Number.isFinite) || !zeroPoint.every(Number.isSafeInteger)) {
        throw new GraphError(`tensor ${i} '${t.name}' has non-finite scales or non-integer zero points`);
      }
      if (scale.length > 1 && t.shape[quantizedDimension] !== scale.length) {
        throw new GraphError(
          `tensor ${i} '${t.name}' has ${scale.length} per-channel scales along dimension ${quantizedDimension} of [${t.shape.join(', ')}]`,
        );
      }
    }
  });
  const ref = (r: number, where: string, optional: boolean): void => {
    if ((optional && r === -1) || (Number.isInteger(r) && r >= 0 && r < n)) return;
    throw new GraphError(`${where} refers to tensor ${r}, but the graph has ${n} tensors`);
  };
  graph.ops.forEach((op) => {
    op.inputs.forEach((r, k) => ref(r, `${describeOp(graph, op)} input ${k}`, true));
    op.outputs.forEach((r, k) => ref(r, `${describeOp(graph, op)} output ${k}`, false));
  });
  graph.inputs.forEach((r) => ref(r, 'graph input', false));
  graph.outputs.forEach((r) => ref(r, 'graph output', false));
}
