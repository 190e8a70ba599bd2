/**
 * Accessors for the builtin options tables of the ops tinyml supports (schema.fbs), returning the
 * raw schema values with the schema's defaults for absent fields (ints 0 unless declared
 * otherwise; dilations default to 1). Mapping onto IR attrs happens in `options.ts`.
 */
import type { Table } from './flatbuffer-reader.js';

/** Positions in the BuiltinOptions union (0 is NONE), for the tables read here. */
export const OptionsType = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  ReducerOptions: 27,
  SubOptions: 28,
  SqueezeOptions: 30,
  GatherOptions: 23,
  StridedSliceOptions: 32,
  DequantizeOptions: 38,
  TransposeConvOptions: 49,
  ExpandDimsOptions: 52,
  ShapeOptions: 55,
  PackOptions: 59,
  UnidirectionalSequenceLSTMOptions: 71,
  ResizeNearestNeighborOptions: 74,
  LeakyReluOptions: 75,
  QuantizeOptions: 89,
  HardSwishOptions: 91,
} as const;
export type OptionsTypeName = keyof typeof OptionsType;

export function optionsTypeName(code: number): string | undefined {
  for (const [name, c] of Object.entries(OptionsType)) if (c === code) return name;
  return undefined;
}

/** Padding enum: SAME = 0, VALID = 1. ActivationFunctionType enum: NONE = 0 ... SIGN_BIT = 5. */

export interface Conv2DOptions {
  padding: number;
  strideW: number;
  strideH: number;
  activation: number;
  dilationW: number;
  dilationH: number;
}

/** Absent table (`t` undefined) reads as all defaults, like an empty table. */
export function readConv2DOptions(t: Table | undefined): Conv2DOptions {
  return {
    padding: t ? t.i8(0, 'padding') : 0,
    strideW: t ? t.i32(1, 'stride_w') : 0,
    strideH: t ? t.i32(2, 'stride_h') : 0,
    activation: t ? t.i8(3, 'fused_activation_function') : 0,
    dilationW: t ? t.i32(4, 'dilation_w_factor', 1) : 1,
    dilationH: t ? t.i32(5, 'dilation_h_factor', 1) : 1,
    // 6 quantized_bias_type: not needed.
  };
}

export interface DepthwiseConv2DOptions extends Conv2DOptions {
  depthMultiplier: number;
}

export function readDepthwiseConv2DOptions(t: Table | undefined): DepthwiseConv2DOptions {
  return {
    padding: t ? t.i8(0, 'padding') : 0,
    strideW: t ? t.i32(1, 'stride_w') : 0,
    strideH: t ? t.i32(2, 'stride_h') : 0,
    depthMultiplier: t ? t.i32(3, 'depth_multiplier') : 0,
    activation: t ? t.i8(4, 'fused_activation_function') : 0,
    dilationW: t ? t.i32(5, 'dilation_w_factor', 1) : 1,
    dilationH: t ? t.i32(6, 'dilation_h_factor', 1) : 1,
  };
}

export interface Pool2DOptions {
  padding: number;
  strideW: number;
  strideH: number;
  filterWidth: number;
  filterHeight: number;
  activation: number;
}

export function readPool2DOptions(t: Table | undefined): Pool2DOptions {
  return {
    padding: t ? t.i8(0, 'padding') : 0,
    strideW: t ? t.i32(1, 'stride_w') : 0,
    strideH: t ? t.i32(2, 'stride_h') : 0,
    filterWidth: t ? t.i32(3, 'filter_width') : 0,
    filterHeight: t ? t.i32(4, 'filter_height') : 0,
    activation: t ? t.i8(5, 'fused_activation_function') : 0,
  };
}

export interface FullyConnectedOptions {
  activation: number;
  /** FullyConnectedOptionsWeightsFormat: DEFAULT = 0, SHUFFLED4x16INT8 = 1. */
  weightsFormat: number;
  keepNumDims: boolean;
  asymmetricQuantizeInputs: boolean;
}

export function readFullyConnectedOptions(t: Table | undefined): FullyConnectedOptions {
  return {
    activation: t ? t.i8(0, 'fused_activation_function') : 0,
    weightsFormat: t ? t.i8(1, 'weights_format') : 0,
    keepNumDims: t ? t.bool(2, 'keep_num_dims') : false,
    asymmetricQuantizeInputs: t ? t.bool(3, 'asymmetric_quantize_inputs') : false,
    // 4 quantized_bias_type: not needed.
  };
}

export function readSoftmaxOptions(t: Table | undefined): { beta: number } {
  return { beta: t ? t.f32(0, 'beta') : 0 };
}

export function readConcatenationOptions(t: Table | undefined): { axis: number; activation: number } {
  return {
    axis: t ? t.i32(0, 'axis') : 0,
    activation: t ? t.i8(1, 'fused_activation_function') : 0,
  };
}

/** AddOptions, SubOptions and MulOptions all start with fused_activation_function. */
export function readActivationOnlyOptions(t: Table | undefined): { activation: number } {
  return { activation: t ? t.i8(0, 'fused_activation_function') : 0 };
}

export function readReshapeOptions(t: Table | undefined): { newShape?: number[] } {
  return { newShape: t ? t.i32s(0, 'new_shape') : undefined };
}

export function readSqueezeOptions(t: Table | undefined): { squeezeDims: number[] } {
  return { squeezeDims: (t ? t.i32s(0, 'squeeze_dims') : undefined) ?? [] };
}

export function readReducerOptions(t: Table | undefined): { keepDims: boolean } {
  return { keepDims: t ? t.bool(0, 'keep_dims') : false };
}

export interface StridedSliceOptions {
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
  offset: boolean;
}

export function readStridedSliceOptions(t: Table | undefined): StridedSliceOptions {
  return {
    beginMask: t ? t.i32(0, 'begin_mask') : 0,
    endMask: t ? t.i32(1, 'end_mask') : 0,
    ellipsisMask: t ? t.i32(2, 'ellipsis_mask') : 0,
    newAxisMask: t ? t.i32(3, 'new_axis_mask') : 0,
    shrinkAxisMask: t ? t.i32(4, 'shrink_axis_mask') : 0,
    offset: t ? t.bool(5, 'offset') : false,
  };
}

export interface TransposeConvOptions {
  padding: number;
  strideW: number;
  strideH: number;
  /** Added in TRANSPOSE_CONV version 4; older models have none (NONE). */
  activation: number;
}

export function readTransposeConvOptions(t: Table | undefined): TransposeConvOptions {
  return {
    padding: t ? t.i8(0, 'padding') : 0,
    strideW: t ? t.i32(1, 'stride_w') : 0,
    strideH: t ? t.i32(2, 'stride_h') : 0,
    activation: t ? t.i8(3, 'fused_activation_function') : 0,
  };
}

export function readResizeNearestNeighborOptions(t: Table | undefined): {
  alignCorners: boolean;
  halfPixelCenters: boolean;
} {
  return {
    alignCorners: t ? t.bool(0, 'align_corners') : false,
    halfPixelCenters: t ? t.bool(1, 'half_pixel_centers') : false,
  };
}

export function readLeakyReluOptions(t: Table | undefined): { alpha: number } {
  return { alpha: t ? t.f32(0, 'alpha') : 0 };
}

/**
 * ShapeOptions.out_type is a TensorType (INT32 = 2, INT64 = 4). Without options TFLite uses
 * INT32; a table without the field holds the schema default 0 (FLOAT32), which the caller rejects.
 */
export function readShapeOptions(t: Table | undefined): { outType: number } {
  return { outType: t ? t.i8(0, 'out_type') : 2 };
}

export function readPackOptions(t: Table | undefined): { valuesCount: number; axis: number } {
  return { valuesCount: t ? t.i32(0, 'values_count') : 0, axis: t ? t.i32(1, 'axis') : 0 };
}

export function readGatherOptions(t: Table | undefined): { axis: number; batchDims: number } {
  return { axis: t ? t.i32(0, 'axis') : 0, batchDims: t ? t.i32(1, 'batch_dims') : 0 };
}

export interface UnidirectionalSequenceLstmOptions {
  activation: number;
  cellClip: number;
  projClip: number;
  timeMajor: boolean;
  asymmetricQuantizeInputs: boolean;
  diagonalRecurrentTensors: boolean;
}

export function readUnidirectionalSequenceLstmOptions(t: Table | undefined): UnidirectionalSequenceLstmOptions {
  return {
    activation: t ? t.i8(0, 'fused_activation_function') : 0,
    cellClip: t ? t.f32(1, 'cell_clip') : 0,
    projClip: t ? t.f32(2, 'proj_clip') : 0,
    timeMajor: t ? t.bool(3, 'time_major') : false,
    asymmetricQuantizeInputs: t ? t.bool(4, 'asymmetric_quantize_inputs') : false,
    diagonalRecurrentTensors: t ? t.bool(5, 'diagonal_recurrent_tensors') : false,
  };
}
