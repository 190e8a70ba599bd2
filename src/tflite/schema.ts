/**
 * Hand-written accessors for the TFLite schema tables tinyml reads (schema.fbs, version 3c):
 * Model, SubGraph, Tensor, Buffer, OperatorCode, Operator and QuantizationParameters. Field ids
 * are the declaration order in schema.fbs (a union takes two ids: its type, then its value).
 * Every accessor goes through the bounds-checked `Table`.
 */
import { FlatBufferReader, Table, TableVector } from './flatbuffer-reader.js';

/** TFLite's file identifier (bytes 4..8 of every model). */
export const TFLITE_FILE_IDENTIFIER = 'TFL3';
/** The only schema version TFLite runtimes accept. */
export const TFLITE_SCHEMA_VERSION = 3;

/** TensorType enum. */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
  COMPLEX128: 11,
  UINT64: 12,
  RESOURCE: 13,
  VARIANT: 14,
  UINT32: 15,
  UINT16: 16,
  INT4: 17,
  BFLOAT16: 18,
  INT2: 19,
  UINT4: 20,
} as const;

const TENSOR_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(TensorType).map(([name, code]) => [code, name]),
);

export function tensorTypeName(code: number): string | undefined {
  return TENSOR_TYPE_NAMES[code];
}

export class ModelTable {
  constructor(readonly t: Table) {}
  get version(): number {
    return this.t.u32(0, 'version');
  }
  operatorCodes(): TableVector | undefined {
    return this.t.tables(1, 'operator_codes', 'operator code');
  }
  subgraphs(): TableVector | undefined {
    return this.t.tables(2, 'subgraphs', 'subgraph');
  }
  description(): string | undefined {
    return this.t.string(3, 'description');
  }
  buffers(): TableVector | undefined {
    return this.t.tables(4, 'buffers', 'buffer');
  }
  // 5 metadata_buffer, 6 metadata, 7 signature_defs: not needed.
}

export function readModel(reader: FlatBufferReader): ModelTable {
  return new ModelTable(reader.root('the Model table'));
}

export class SubGraphTable {
  constructor(readonly t: Table) {}
  tensors(): TableVector | undefined {
    return this.t.tables(0, 'tensors', 'tensor');
  }
  inputs(): number[] | undefined {
    return this.t.i32s(1, 'inputs');
  }
  outputs(): number[] | undefined {
    return this.t.i32s(2, 'outputs');
  }
  operators(): TableVector | undefined {
    return this.t.tables(3, 'operators', 'operator');
  }
  name(): string | undefined {
    return this.t.string(4, 'name');
  }
}

export class TensorTable {
  constructor(readonly t: Table) {}
  shape(): number[] | undefined {
    return this.t.i32s(0, 'shape');
  }
  get type(): number {
    return this.t.i8(1, 'type');
  }
  get buffer(): number {
    return this.t.u32(2, 'buffer');
  }
  name(): string | undefined {
    return this.t.string(3, 'name');
  }
  quantization(): QuantizationTable | undefined {
    const q = this.t.table(4, 'quantization', `the quantization parameters of ${this.t.what}`);
    return q && new QuantizationTable(q);
  }
  get isVariable(): boolean {
    return this.t.bool(5, 'is_variable');
  }
  /** True when the tensor carries SparsityParameters (stored compressed). */
  get hasSparsity(): boolean {
    return this.t.has(6);
  }
  /** The shape with -1 for each dimension left unknown (e.g. an unfixed batch); absent when fully static. */
  shapeSignature(): number[] | undefined {
    return this.t.i32s(7, 'shape_signature');
  }
  // 8 has_rank, 9 variant_tensors: not needed.
}

export class QuantizationTable {
  constructor(readonly t: Table) {}
  // 0 min, 1 max: not needed.
  scale(): number[] | undefined {
    return this.t.f32s(2, 'scale');
  }
  /** zero_point is [long]; read as numbers (exact within ±2^53, see `i64sAsNumbers`). */
  zeroPoint(): number[] | undefined {
    return this.t.i64sAsNumbers(3, 'zero_point');
  }
  /** QuantizationDetails union type; 0 = NONE, 1 = CustomQuantization. */
  get detailsType(): number {
    return this.t.u8(4, 'details_type');
  }
  get quantizedDimension(): number {
    return this.t.i32(6, 'quantized_dimension');
  }
}

export class BufferTable {
  constructor(readonly t: Table) {}
  /** The inline data, a view into the file (no copy). */
  data(): Uint8Array | undefined {
    return this.t.bytes(0, 'data');
  }
  /** For models > 2 GB: data lives at this offset from the start of the file (valid if > 1). */
  get offset(): bigint {
    return this.t.u64(1, 'offset');
  }
  get size(): bigint {
    return this.t.u64(2, 'size');
  }
}

export class OperatorCodeTable {
  constructor(readonly t: Table) {}
  /** Legacy int8 code (codes < 127; holds 127 as a placeholder for larger codes). */
  get deprecatedBuiltinCode(): number {
    return this.t.i8(0, 'deprecated_builtin_code');
  }
  customCode(): string | undefined {
    return this.t.string(1, 'custom_code');
  }
  get version(): number {
    return this.t.i32(2, 'version', 1);
  }
  get builtinCode(): number {
    return this.t.i32(3, 'builtin_code');
  }
  /**
   * The op's real code. Old files set only the legacy field, new ones set both (the legacy one to
   * the placeholder 127 for codes above it), so the larger of the two is the right one.
   */
  get effectiveCode(): number {
    return Math.max(this.deprecatedBuiltinCode, this.builtinCode);
  }
}

export class OperatorTable {
  constructor(readonly t: Table) {}
  get opcodeIndex(): number {
    return this.t.u32(0, 'opcode_index');
  }
  inputs(): number[] | undefined {
    return this.t.i32s(1, 'inputs');
  }
  outputs(): number[] | undefined {
    return this.t.i32s(2, 'outputs');
  }
  /** BuiltinOptions union type (0 = NONE). */
  get builtinOptionsType(): number {
    return this.t.u8(3, 'builtin_options_type');
  }
  builtinOptions(what: string): Table | undefined {
    return this.t.table(4, 'builtin_options', what);
  }
  // 5 custom_options, 6 custom_options_format, 7 mutating_variable_inputs, 8 intermediates,
  // 9/10 large_custom_options_offset/size, 11/12 builtin_options_2: not needed.
}
