/**
 * Converts TFLite Tensor tables (with their Buffer and QuantizationParameters) into IR tensors:
 * dtype, shape, constant data (inline or stored past the flatbuffer by offset/size) and
 * per-tensor or per-channel quantization, with every value validated.
 */
import { ModelFormatError, UnsupportedOpError } from '../errors.js';
import { DTYPE_BYTES, tensorDataFromBytes, type DType, type Quantization, type Tensor } from '../ir/types.js';
import { narrowestTwoBitKind, packedByteCount, unpackSubByte } from '../ir/weight-packing.js';
import type { FlatBufferReader, TableVector } from './flatbuffer-reader.js';
import { decodeLutTensor, type LutTensorRef } from './lut-compression.js';
import { BufferTable, TensorTable, TensorType, tensorTypeName, type QuantizationTable } from './schema.js';

const DTYPE_OF: ReadonlyMap<number, DType> = new Map<number, DType>([
  [TensorType.FLOAT32, 'float32'],
  [TensorType.INT32, 'int32'],
  [TensorType.UINT8, 'uint8'],
  [TensorType.INT64, 'int64'],
  [TensorType.BOOL, 'bool'],
  [TensorType.INT16, 'int16'],
  [TensorType.INT8, 'int8'],
]);

/**
 * Packed sub-byte types: read as int8 with the decoded values, the width kept in
 * `Tensor.weightEncoding` (INT2 tensors whose values are all in {-1, 0, 1} become ternary, all
 * in {-1, +1} binary: the narrowest kind the values allow).
 */
const PACKED_BITS: ReadonlyMap<number, 2 | 4> = new Map<number, 2 | 4>([
  [TensorType.INT4, 4],
  [TensorType.INT2, 2],
]);

/** No tensor on a microcontroller (or in a TFLite model) comes near this many bytes. */
const MAX_TENSOR_BYTES = 2 ** 32;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export interface TensorSource {
  reader: FlatBufferReader;
  /** Model.buffers (undefined when the model has none). */
  buffers: TableVector | undefined;
}

/** IR tensor `index` of subgraph 0 from its table. */
/**
 * `lut`: the tensor is LUT-compressed (compression metadata); `decodeInput`: it is an input of a
 * TFLite Micro DECODE op (raw bytes whose quantization, kept from the original tensor, is not
 * theirs and is ignored).
 */
export function readTensor(src: TensorSource, table: TensorTable, index: number, lut?: LutTensorRef, decodeInput = false): Tensor {
  const rawName = table.name();
  const name = rawName === undefined || rawName === '' ? `tensor_${index}` : rawName;
  const label = `tensor ${index} '${name}'`;

  const packedBits = PACKED_BITS.get(table.type);
  const dtype = packedBits ? 'int8' : tensorDType(table.type, label);
  const shape = tensorShape(table.shape() ?? [], dtype, label);
  if (table.hasSparsity) {
    throw new UnsupportedOpError(`${label} is stored sparse (it has sparsity parameters); tinyml supports only dense tensors`);
  }

  const tensor: Tensor = { id: index, name, shape, dtype };
  const quant = decodeInput ? undefined : tensorQuantization(table.quantization(), shape, label);
  if (quant) tensor.quant = quant;
  const bytes = constantBytes(src, table.buffer, label);
  if (lut) {
    // TFLite Micro LUT compression: the buffer holds packed indices (see lut-compression.ts).
    const values = constantBytes(src, lut.valueBuffer, `the value table of ${label}`);
    src.reader.charge(elementCountOf(shape) + (values?.length ?? 0), `the data of ${label}`);
    const { data, encoding } = decodeLutTensor(tensor, bytes, values, lut.bits, label);
    tensor.data = data;
    tensor.weightEncoding = encoding;
  } else if (packedBits) {
    if (!bytes) {
      throw new UnsupportedOpError(`${label} has type ${tensorTypeName(table.type)} but no constant data; tinyml supports 4- and 2-bit tensors only as constant weights`);
    }
    const count = elementCountOf(shape);
    const expected = packedByteCount(count, packedBits);
    if (bytes.length !== expected) {
      throw new ModelFormatError(
        `${label} (${tensorTypeName(table.type)} [${shape.join(', ')}]) needs ${expected} bytes of packed data, but buffer ${table.buffer} holds ${bytes.length}`,
      );
    }
    src.reader.charge(count, `the data of ${label}`);
    tensor.data = unpackSubByte(bytes, count, packedBits);
    tensor.weightEncoding = { kind: packedBits === 4 ? 'int4' : narrowestTwoBitKind(tensor.data) };
  } else if (bytes) {
    const expected = elementCountOf(shape) * DTYPE_BYTES[dtype];
    if (bytes.length !== expected) {
      throw new ModelFormatError(
        `${label} (${dtype} [${shape.join(', ')}]) needs ${expected} bytes of constant data, ` +
          `but buffer ${table.buffer} holds ${bytes.length}`,
      );
    }
    src.reader.charge(bytes.length, `the data of ${label}`);
    tensor.data = tensorDataFromBytes(dtype, bytes);
  }
  if (table.isVariable) tensor.isVariable = true;
  return tensor;
}

function tensorDType(type: number, label: string): DType {
  const dtype = DTYPE_OF.get(type);
  if (dtype) return dtype;
  const typeName = tensorTypeName(type);
  if (typeName === undefined) {
    throw new ModelFormatError(`${label} has unknown tensor type code ${type} (corrupt model?)`);
  }
  throw new UnsupportedOpError(
    `${label} has type ${typeName}, which tinyml does not support ` +
      `(supported: ${[...DTYPE_OF.keys(), ...PACKED_BITS.keys()].map((code) => tensorTypeName(code)).join(', ')})`,
  );
}

function tensorShape(shape: number[], dtype: DType, label: string): number[] {
  let bytes = DTYPE_BYTES[dtype];
  for (const d of shape) {
    if (d < 0) {
      throw new ModelFormatError(`${label} has invalid dimension ${d} in shape [${shape.join(', ')}]`);
    }
    bytes *= d;
  }
  if (bytes > MAX_TENSOR_BYTES) {
    throw new ModelFormatError(
      `${label} has shape [${shape.join(', ')}], which is ${bytes} bytes of ${dtype}: implausibly large (corrupt model?)`,
    );
  }
  return shape;
}

function elementCountOf(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function tensorQuantization(q: QuantizationTable | undefined, shape: number[], label: string): Quantization | undefined {
  if (!q) return undefined;
  if (q.detailsType !== 0) {
    throw new UnsupportedOpError(
      `${label} uses custom quantization (QuantizationDetails type ${q.detailsType}); tinyml supports only affine scale/zero-point quantization`,
    );
  }
  const scale = q.scale() ?? [];
  if (scale.length === 0) return undefined;
  const zp = q.zeroPoint() ?? [];
  if (zp.length !== scale.length) {
    throw new ModelFormatError(
      `${label} has ${scale.length} quantization scales but ${zp.length} zero points; they must have the same count`,
    );
  }
  for (let i = 0; i < scale.length; i++) {
    const s = scale[i];
    if (!Number.isFinite(s)) throw new ModelFormatError(`${label} has a non-finite quantization scale ${s}`);
    const z = zp[i];
    if (z < INT32_MIN || z > INT32_MAX) {
      throw new ModelFormatError(`${label} has zero point ${z}, outside the int32 range`);
    }
  }
  const zeroPoint = zp;
  const quantizedDimension = q.quantizedDimension;
  if (scale.length > 1) {
    if (quantizedDimension < 0 || quantizedDimension >= shape.length) {
      throw new ModelFormatError(
        `${label} is quantized per channel along dimension ${quantizedDimension}, ` +
          `but its shape [${shape.join(', ')}] has ${shape.length} dimensions`,
      );
    }
    if (shape[quantizedDimension] !== scale.length) {
      throw new ModelFormatError(
        `${label} has ${scale.length} per-channel scales along dimension ${quantizedDimension}, ` +
          `but that dimension of its shape [${shape.join(', ')}] is ${shape[quantizedDimension]}`,
      );
    }
  }
  return { scale, zeroPoint, quantizedDimension };
}

/** The tensor's constant bytes (a view into the file), or undefined when it has none. */
export function constantBytes(src: TensorSource, bufferIndex: number, label: string): Uint8Array | undefined {
  const count = src.buffers?.length ?? 0;
  if (bufferIndex >= count) {
    // Buffer 0 is the conventional empty sentinel; tolerate files that omit the buffers list.
    if (bufferIndex === 0) return undefined;
    throw new ModelFormatError(`${label} refers to buffer ${bufferIndex} but the model has ${count} buffers`);
  }
  const buffer = new BufferTable(src.buffers!.at(bufferIndex, `buffer ${bufferIndex} (of ${label})`));
  const offset = buffer.offset;
  if (offset > 1n) {
    // Large-model layout: data stored after the flatbuffer, offset from the start of the file.
    const size = buffer.size;
    const fileSize = BigInt(src.reader.size);
    if (offset + size > fileSize) {
      throw new ModelFormatError(
        `buffer ${bufferIndex} (of ${label}) stores its data at offset ${offset} with size ${size}, ` +
          `which runs past the end of the file (size ${fileSize})`,
      );
    }
    if (size === 0n) return undefined;
    return src.reader.bytes.subarray(Number(offset), Number(offset + size));
  }
  const data = buffer.data();
  return data && data.length > 0 ? data : undefined;
}
