/**
 * Builds small TFLite flatbuffers for tests with the `flatbuffers` Builder, writing the schema's
 * fields by id (the same ids the importer reads). Only what the tests need.
 */
import { Builder } from 'flatbuffers';

export interface QuantSpec {
  scale: number[];
  zeroPoint: (number | bigint)[];
  quantizedDimension?: number;
  detailsType?: number;
}

export interface TensorSpec {
  name?: string;
  shape: number[];
  /** TensorType code (FLOAT32 0, INT32 2, UINT8 3, INT64 4, BOOL 6, INT16 7, INT8 9). */
  type: number;
  buffer?: number;
  quant?: QuantSpec;
  isVariable?: boolean;
  /** shape_signature: -1 marks a dimension the converter left unknown (an unfixed batch). */
  shapeSignature?: number[];
}

export interface BufferSpec {
  data?: Uint8Array;
  offset?: bigint;
  size?: bigint;
}

export interface OpCodeSpec {
  deprecated?: number;
  builtin?: number;
  custom?: string;
  version?: number;
}

export interface OperatorSpec {
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union type and a function writing the options table. */
  optionsType?: number;
  options?: (b: Builder) => number;
}

export interface ModelSpec {
  version?: number;
  identifier?: string;
  opcodes: OpCodeSpec[];
  tensors: TensorSpec[];
  buffers: BufferSpec[];
  operators: OperatorSpec[];
  inputs: number[];
  outputs: number[];
  description?: string;
  /** Extra subgraphs (empty ones) and a metadata entry, to check they are ignored. */
  extraSubgraphs?: number;
  metadataBuffer?: number;
  /** Which `tensors` entries subgraph 0's tensor vector points at (default: each once, in order). */
  tensorRefs?: number[];
}

function i32Vector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function f32Vector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function i64Vector(b: Builder, values: (number | bigint)[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A table with the given fields; each entry is [field id, writer]. */
export function table(b: Builder, numFields: number, write: (b: Builder) => void): number {
  b.startObject(numFields);
  write(b);
  return b.endObject();
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const b = new Builder(1024);

  const buffers = spec.buffers.map((buf) => {
    const data = buf.data ? b.createByteVector(buf.data) : 0;
    b.startObject(3);
    if (data) b.addFieldOffset(0, data, 0);
    if (buf.offset !== undefined) b.addFieldInt64(1, buf.offset, null);
    if (buf.size !== undefined) b.addFieldInt64(2, buf.size, null);
    return b.endObject();
  });

  const tensors = spec.tensors.map((t) => {
    const name = t.name !== undefined ? b.createString(t.name) : 0;
    const shape = i32Vector(b, t.shape);
    const signature = t.shapeSignature ? i32Vector(b, t.shapeSignature) : 0;
    let quant = 0;
    if (t.quant) {
      const scale = f32Vector(b, t.quant.scale);
      const zp = i64Vector(b, t.quant.zeroPoint);
      b.startObject(7);
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zp, 0);
      if (t.quant.detailsType !== undefined) b.addFieldInt8(4, t.quant.detailsType, 0);
      if (t.quant.quantizedDimension !== undefined) b.addFieldInt32(6, t.quant.quantizedDimension, 0);
      quant = b.endObject();
    }
    b.startObject(10);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type, null);
    b.addFieldInt32(2, t.buffer ?? 0, 0);
    if (name) b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    if (t.isVariable) b.addFieldInt8(5, 1, 0);
    if (signature) b.addFieldOffset(7, signature, 0);
    return b.endObject();
  });

  const operators = spec.operators.map((op) => {
    const inputs = i32Vector(b, op.inputs);
    const outputs = i32Vector(b, op.outputs);
    const options = op.options ? op.options(b) : 0;
    b.startObject(13);
    b.addFieldInt32(0, op.opcodeIndex, 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (op.optionsType !== undefined) b.addFieldInt8(3, op.optionsType, 0);
    if (options) b.addFieldOffset(4, options, 0);
    return b.endObject();
  });

  const subgraph = (ts: number[], ops: number[], ins: number[], outs: number[], name: string): number => {
    const tv = offsetVector(b, ts);
    const iv = i32Vector(b, ins);
    const ov = i32Vector(b, outs);
    const opv = offsetVector(b, ops);
    const nm = b.createString(name);
    b.startObject(5);
    b.addFieldOffset(0, tv, 0);
    b.addFieldOffset(1, iv, 0);
    b.addFieldOffset(2, ov, 0);
    b.addFieldOffset(3, opv, 0);
    b.addFieldOffset(4, nm, 0);
    return b.endObject();
  };
  const tensorVec = spec.tensorRefs ? spec.tensorRefs.map((i) => tensors[i]) : tensors;
  const subgraphs = [subgraph(tensorVec, operators, spec.inputs, spec.outputs, 'main')];
  for (let i = 0; i < (spec.extraSubgraphs ?? 0); i++) subgraphs.push(subgraph([], [], [], [], `extra${i}`));

  const opcodes = spec.opcodes.map((c) => {
    const custom = c.custom !== undefined ? b.createString(c.custom) : 0;
    b.startObject(4);
    if (c.deprecated !== undefined) b.addFieldInt8(0, c.deprecated, null);
    if (custom) b.addFieldOffset(1, custom, 0);
    b.addFieldInt32(2, c.version ?? 1, null);
    if (c.builtin !== undefined) b.addFieldInt32(3, c.builtin, null);
    return b.endObject();
  });

  let metadata = 0;
  if (spec.metadataBuffer !== undefined) {
    const name = b.createString('min_runtime_version');
    b.startObject(2);
    b.addFieldOffset(0, name, 0);
    b.addFieldInt32(1, spec.metadataBuffer, 0);
    metadata = offsetVector(b, [b.endObject()]);
  }

  const opcodeVec = offsetVector(b, opcodes);
  const subgraphVec = offsetVector(b, subgraphs);
  const bufferVec = offsetVector(b, buffers);
  const description = b.createString(spec.description ?? 'built by tinyml tests');
  b.startObject(8);
  b.addFieldInt32(0, spec.version ?? 3, null);
  b.addFieldOffset(1, opcodeVec, 0);
  b.addFieldOffset(2, subgraphVec, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, bufferVec, 0);
  if (metadata) b.addFieldOffset(6, metadata, 0);
  const model = b.endObject();
  b.finish(model, spec.identifier ?? 'TFL3');
  return b.asUint8Array().slice();
}

/** Little-endian bytes of a typed array. */
export function bytesOf(a: Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/**
 * A model whose buffer `index` stores `data` past the end of the flatbuffer (the >2 GB layout):
 * Buffer.offset/size point at bytes appended to the file, `offset` counted from the file start.
 */
export function buildModelWithExternalBuffer(spec: ModelSpec, index: number, data: Uint8Array): Uint8Array {
  const withOffset = (offset: bigint): ModelSpec => ({
    ...spec,
    buffers: spec.buffers.map((buf, i) => (i === index ? { offset, size: BigInt(data.length) } : buf)),
  });
  // The u64 fields have a fixed width, so the flatbuffer's length does not depend on the value.
  const probe = buildModel(withOffset(1n << 40n));
  const offset = Math.ceil(probe.length / 16) * 16;
  const fb = buildModel(withOffset(BigInt(offset)));
  if (fb.length !== probe.length) throw new Error('external buffer layout changed size');
  const out = new Uint8Array(offset + data.length);
  out.set(fb, 0);
  out.set(data, offset);
  return out;
}
