/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto, IR version 3+) the importer reads,
 * written out here with the upstream field numbers. Unknown fields (functions, training info,
 * sparse initializers, metadata...) are skipped by the protobuf decoder.
 */
import protobuf from 'protobufjs';

const ONNX_SUBSET_PROTO = `
syntax = "proto2";
package tinyml_onnx;

message AttributeProto {
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional GraphProto graph = 7;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
}
`;

/** ONNX TensorProto.DataType values. */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  UINT4: 21,
  INT4: 22,
} as const;

/** ONNX AttributeProto.AttributeType values. */
export const OnnxAttrType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

/** A protobuf int64 as protobufjs decodes it: a number, or a Long-like object when `long` is installed. */
export type Int64 = number | { low: number; high: number; unsigned?: boolean; toNumber(): number };

export interface OnnxTensorProto {
  dims: Int64[];
  dataType?: number;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: Int64[];
  name?: string;
  rawData?: Uint8Array;
  doubleData: number[];
  uint64Data: Int64[];
  externalData: { key?: string; value?: string }[];
  dataLocation?: number;
}

export interface OnnxAttributeProto {
  name?: string;
  refAttrName?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: OnnxTensorProto;
  g?: OnnxGraphProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: OnnxTensorProto[];
}

export interface OnnxNodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute: OnnxAttributeProto[];
}

export interface OnnxDimension {
  dimValue?: Int64;
  dimParam?: string;
}

export interface OnnxValueInfoProto {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim: OnnxDimension[] } } };
}

export interface OnnxGraphProto {
  node: OnnxNodeProto[];
  name?: string;
  initializer: OnnxTensorProto[];
  input: OnnxValueInfoProto[];
  output: OnnxValueInfoProto[];
  valueInfo: OnnxValueInfoProto[];
}

export interface OnnxModelProto {
  irVersion?: Int64;
  opsetImport: { domain?: string; version?: Int64 }[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  graph?: OnnxGraphProto;
}

let modelType: protobuf.Type | undefined;

function getModelType(): protobuf.Type {
  if (!modelType) {
    const root = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: false }).root;
    modelType = root.lookupType('tinyml_onnx.ModelProto');
  }
  return modelType;
}

/** Decodes ModelProto bytes. Throws protobufjs errors on malformed input (callers wrap them). */
export function decodeModelProto(bytes: Uint8Array): OnnxModelProto {
  return getModelType().decode(bytes) as unknown as OnnxModelProto;
}

/** A protobuf int64 as a JS number (exact up to 2^53). */
export function int64ToNumber(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  return v.toNumber();
}

/**
 * Encodes a ModelProto from a plain object with the camelCase field names above (tests build
 * small ONNX models with it; tinyml itself only reads ONNX).
 */
export function encodeModelProto(model: Record<string, unknown>): Uint8Array {
  const type = getModelType();
  const err = type.verify(model);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return type.encode(type.fromObject(model)).finish();
}
