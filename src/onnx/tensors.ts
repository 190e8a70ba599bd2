/**
 * ONNX TensorProto decoding and the small constant algebra the importer needs: constants stay in
 * ONNX (NCHW, OIHW) layout until an op consumes them, then get permuted into the IR's layout.
 */
import { ModelFormatError, UnsupportedOpError } from '../errors.js';
import type { DType, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount, tensorDataFromBytes } from '../ir/types.js';
import { OnnxDataType, int64ToNumber, type OnnxTensorProto } from './schema.js';

/** Affine quantization attached to a constant by QuantizeLinear / DequantizeLinear. */
export interface ConstQuant {
  scale: number[];
  zeroPoint: number[];
  /** Axis of per-axis quantization (ONNX layout of the constant); ignored when per-tensor. */
  axis: number;
}

/**
 * A constant value in ONNX layout. With `quant`, `data` holds integers and the constant's real
 * value is `scale * (data - zeroPoint)` when `dequantized` is set (the output of a
 * DequantizeLinear), or it is the integer tensor itself (the output of a QuantizeLinear).
 */
export interface OnnxConst {
  dtype: DType;
  shape: number[];
  data: TensorData;
  quant?: ConstQuant;
  dequantized?: boolean;
  /**
   * Set for INT4/UINT4 tensors (data: one unpacked value per element, as int8 / uint8) and kept
   * by their DequantizeLinear, whose output is then normalized to zero point 0 and int4 values
   * (see converters/sub-byte-weights.ts).
   */
  packedBits?: 4;
  /**
   * Blocked quantization (DequantizeLinear's `block_size`): the scale of every element, in the
   * constant's layout; the real value is `scale[i] * data[i]` (zero points already subtracted).
   * `axis` is the blocked axis, `size` the block size along it.
   */
  blocks?: { axis: number; size: number; scale: Float32Array };
}

const ONNX_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  21: 'UINT4',
  22: 'INT4',
};

export function onnxTypeName(t: number | undefined): string {
  return ONNX_TYPE_NAMES[t ?? 0] ?? `type ${t}`;
}

/** The IR dtype an ONNX element type becomes (float64 and float16 become float32). */
export function irDtypeOf(onnxType: number | undefined, what: string): DType {
  switch (onnxType) {
    case OnnxDataType.FLOAT:
    case OnnxDataType.DOUBLE:
    case OnnxDataType.FLOAT16:
      return 'float32';
    case OnnxDataType.UINT8:
    case OnnxDataType.UINT4:
      return 'uint8';
    case OnnxDataType.INT8:
    case OnnxDataType.INT4:
      return 'int8';
    case OnnxDataType.INT16:
      return 'int16';
    case OnnxDataType.INT32:
      return 'int32';
    case OnnxDataType.INT64:
      return 'int64';
    case OnnxDataType.BOOL:
      return 'bool';
    default:
      throw new UnsupportedOpError(`${what} has ONNX data type ${onnxTypeName(onnxType)}, which tinyml does not support`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decodes a TensorProto (raw_data or the typed repeated fields) into an ONNX-layout constant. */
export function decodeTensorProto(t: OnnxTensorProto, what: string): OnnxConst {
  const shape = (t.dims ?? []).map((d) => int64ToNumber(d));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelFormatError(`${what}: bad dimensions [${shape.join(', ')}]`);
  const count = elementCount(shape);
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length > 0)) {
    throw new UnsupportedOpError(`${what} stores its data in an external file; tinyml reads self-contained .onnx files (save the model without external data)`);
  }
  const type = t.dataType ?? 0;
  const dtype = irDtypeOf(type, what);
  if (type === OnnxDataType.INT4 || type === OnnxDataType.UINT4) return decodeFourBit(t, shape, count, type === OnnxDataType.INT4, what);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  let data: TensorData;
  if (raw) {
    const width: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };
    const w = width[type];
    if (w === undefined) throw new UnsupportedOpError(`${what} has ONNX data type ${onnxTypeName(type)}, which tinyml does not support`);
    if (raw.length !== count * w) {
      throw new ModelFormatError(`${what}: raw_data holds ${raw.length} bytes, but ${count} ${onnxTypeName(type)} values need ${count * w}`);
    }
    const bytes = new Uint8Array(raw); // copy: protobufjs hands out views into the file buffer
    if (type === OnnxDataType.DOUBLE) data = Float32Array.from(new Float64Array(bytes.buffer, 0, count));
    else if (type === OnnxDataType.FLOAT16) data = Float32Array.from(new Uint16Array(bytes.buffer, 0, count), halfToFloat);
    else if (type === OnnxDataType.UINT16) {
      throw new UnsupportedOpError(`${what} has ONNX data type UINT16, which tinyml does not support`);
    } else data = tensorDataFromBytes(dtype, bytes);
  } else {
    data = allocTensorData(dtype, count);
    let src: ArrayLike<number> | undefined;
    let n = 0;
    switch (type) {
      case OnnxDataType.FLOAT:
        src = t.floatData;
        break;
      case OnnxDataType.DOUBLE:
        src = t.doubleData;
        break;
      case OnnxDataType.INT64: {
        n = t.int64Data.length;
        if (n !== count && !(count === 0 && n === 0)) break;
        const out = data as BigInt64Array;
        t.int64Data.forEach((v, i) => (out[i] = BigInt(int64ToNumber(v))));
        return { dtype, shape, data };
      }
      case OnnxDataType.FLOAT16:
        src = Array.from(t.int32Data, halfToFloat);
        break;
      default:
        src = t.int32Data;
    }
    n = src ? src.length : t.int64Data.length;
    if (n !== count) {
      throw new ModelFormatError(`${what}: holds ${n} values, but its shape [${shape.join(', ')}] needs ${count}`);
    }
    for (let i = 0; i < count; i++) (data as Float32Array)[i] = src![i];
  }
  return { dtype, shape, data };
}

/**
 * INT4 / UINT4: two values a byte, the first in the low nibble, in raw_data or in int32_data (one
 * packed byte per int32, as onnx.helper writes them); unpacked to one int8 / uint8 per element.
 */
function decodeFourBit(t: OnnxTensorProto, shape: number[], count: number, signed: boolean, what: string): OnnxConst {
  const bytesNeeded = Math.ceil(count / 2);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : Uint8Array.from(t.int32Data, (v) => v & 0xff);
  if (raw.length !== bytesNeeded) {
    throw new ModelFormatError(`${what}: holds ${raw.length} bytes of packed ${signed ? 'INT4' : 'UINT4'} values, but its shape [${shape.join(', ')}] needs ${bytesNeeded}`);
  }
  const data = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (raw[i >> 1] >> ((i & 1) * 4)) & 0xf;
    data[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
  }
  return { dtype: signed ? 'int8' : 'uint8', shape, data, packedBits: 4 };
}

/** The constant's elements as JS numbers (int64 converted). */
export function constNumbers(c: OnnxConst): number[] {
  if (c.data instanceof BigInt64Array) return Array.from(c.data, (v) => Number(v));
  return Array.from(c.data as ArrayLike<number>);
}

/** The real (float) value of a constant: dequantized when it is a DequantizeLinear output. */
export function constFloat(c: OnnxConst): Float32Array {
  if (c.dequantized && c.quant) return dequantizeConst(c);
  if (c.data instanceof Float32Array) return c.data;
  return Float32Array.from(constNumbers(c));
}

/** Strides of a C-order shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function quantIndex(q: ConstQuant, shape: readonly number[], flat: number): number {
  if (q.scale.length === 1) return 0;
  const st = stridesOf(shape);
  return Math.floor(flat / st[q.axis]) % shape[q.axis];
}

export function dequantizeConst(c: OnnxConst): Float32Array {
  const q = c.quant!;
  const n = c.data.length;
  const out = new Float32Array(n);
  const src = constNumbers(c);
  if (c.blocks) {
    for (let i = 0; i < n; i++) out[i] = c.blocks.scale[i] * src[i];
    return out;
  }
  for (let i = 0; i < n; i++) {
    const k = quantIndex(q, c.shape, i);
    out[i] = Math.fround(q.scale[k]) * (src[i] - (q.zeroPoint[k] ?? 0));
  }
  return out;
}

/** Round half to even, as ONNX QuantizeLinear (and PyTorch's fake quantization) rounds. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ONNX QuantizeLinear on a constant: saturate(round_half_even(x / scale) + zero_point). */
export function quantizeConst(x: Float32Array, shape: number[], q: ConstQuant, dtype: DType): TensorData {
  const range: Partial<Record<DType, [number, number]>> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-2147483648, 2147483647] };
  const [lo, hi] = range[dtype] ?? [-128, 127];
  const out = allocTensorData(dtype, x.length);
  for (let i = 0; i < x.length; i++) {
    const k = quantIndex(q, shape, i);
    const v = roundHalfEven(x[i] / Math.fround(q.scale[k])) + (q.zeroPoint[k] ?? 0);
    (out as Int8Array)[i] = Math.min(hi, Math.max(lo, v));
  }
  return out;
}

/** Transposes C-order data: output dim i is input dim perm[i]. */
export function transposeData<T extends TensorData>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = stridesOf(shape);
  const n = data.length;
  const out = new (data.constructor as new (n: number) => T)(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const permStrides = perm.map((p) => inStrides[p]);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * permStrides[d];
    (out as Float32Array)[o] = (data as Float32Array)[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Transposes a constant (data, shape and per-axis quantization axis). */
export function transposeConst(c: OnnxConst, perm: readonly number[]): OnnxConst {
  const out: OnnxConst = { ...c, shape: perm.map((p) => c.shape[p]), data: transposeData(c.data, c.shape, perm) };
  if (c.quant) out.quant = { ...c.quant, axis: perm.indexOf(c.quant.axis) };
  if (c.blocks) out.blocks = { ...c.blocks, axis: perm.indexOf(c.blocks.axis), scale: transposeData(c.blocks.scale, c.shape, perm) };
  return out;
}

/** Expands `values` of `shape` to `target` by numpy broadcasting. */
export function broadcastTo(values: ArrayLike<number>, shape: readonly number[], target: readonly number[]): number[] {
  const rank = target.length;
  const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const st = stridesOf(padded);
  const n = elementCount(target);
  const out = new Array<number>(n);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) if (padded[d] !== 1) src += idx[d] * st[d];
    out[o] = values[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < target[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** A constant built from JS numbers. */
export function makeConst(dtype: DType, shape: number[], values: ArrayLike<number>): OnnxConst {
  const data = allocTensorData(dtype, values.length);
  if (data instanceof BigInt64Array) for (let i = 0; i < values.length; i++) data[i] = BigInt(Math.trunc(values[i]));
  else for (let i = 0; i < values.length; i++) (data as Float32Array)[i] = values[i];
  return { dtype, shape, data };
}
