/**
 * The graph IR every stage of tinyml works on: importers produce it, the quantizer rewrites it,
 * the interpreter executes it and the code generator lowers it to C. It is plain data (no
 * methods) so passes can be pure functions over it.
 */
import type { OpAttrs, OpType } from './attrs.js';
import type { WeightEncoding } from './weight-encoding.js';

export type DType = 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'float32' | 'bool';

/** Element storage for each dtype. int64 uses BigInt64Array; bool uses Uint8Array (0/1). */
export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array;

/**
 * Affine quantization: real = scale * (q - zeroPoint). Per-tensor when `scale.length === 1`;
 * per-channel along `quantizedDimension` otherwise (one scale/zeroPoint per channel).
 */
export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface Tensor {
  /** Index of this tensor in `Graph.tensors`. */
  id: number;
  name: string;
  /** Dimensions, outermost first (NHWC for activations). A scalar has shape []. */
  shape: number[];
  dtype: DType;
  quant?: Quantization;
  /** Constant contents (weights, biases, shape operands). Absent for activations. */
  data?: TensorData;
  /** TFLite variable tensors (state). Kept for fidelity; no supported op uses them. */
  isVariable?: boolean;
  /**
   * Sub-byte or clustered storage of an int8 constant (see `weight-encoding.ts`): `data` still
   * holds the decoded int8 values; this says how they are packed and which kernel variant runs.
   */
  weightEncoding?: WeightEncoding;
}

/** One operation. `inputs`/`outputs` index `Graph.tensors`; -1 marks an omitted optional input. */
export interface Op<T extends OpType = OpType> {
  /** Position of the op in execution order (as in the source model). */
  index: number;
  type: T;
  inputs: number[];
  outputs: number[];
  attrs: OpAttrs[T];
}

export interface Graph {
  /** Human-readable model name (file stem for imported models). */
  name: string;
  tensors: Tensor[];
  /** Execution order. */
  ops: Op[];
  inputs: number[];
  outputs: number[];
  /** Free-form provenance, e.g. { format: 'tflite', version: '3' }. */
  meta?: Record<string, string>;
  /**
   * Names of the graph inputs whose batch dimension the source model leaves unfixed (TFLite
   * shape_signature -1 in dimension 0). tinyml, like TFLite Micro, runs them with the stored
   * batch of 1.
   */
  dynamicBatchInputs?: string[];
}

/** A name for an op in error messages: "op #3 CONV_2D (output 'conv1/Relu')". */
export function describeOp(graph: Graph, op: Op): string {
  const out = op.outputs[0] !== undefined ? graph.tensors[op.outputs[0]] : undefined;
  return `op #${op.index} ${op.type}${out ? ` (output '${out.name}')` : ''}`;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export const DTYPE_BYTES: Record<DType, number> = {
  int8: 1,
  uint8: 1,
  bool: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  int64: 8,
};

export function allocTensorData(dtype: DType, count: number): TensorData {
  switch (dtype) {
    case 'int8':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'float32':
      return new Float32Array(count);
  }
}

/** View raw little-endian bytes as a typed array of `dtype` (copies, so alignment never matters). */
export function tensorDataFromBytes(dtype: DType, bytes: Uint8Array): TensorData {
  const size = DTYPE_BYTES[dtype];
  const count = Math.floor(bytes.length / size);
  const out = allocTensorData(dtype, count);
  new Uint8Array(out.buffer, out.byteOffset, count * size).set(bytes.subarray(0, count * size));
  return out;
}

/** The raw little-endian bytes of a typed array (a view, no copy). */
export function tensorDataBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
