/**
 * What an ONNX value name stands for while a graph is imported: an activation tensor of the IR
 * (with the ONNX shape and layout it had) or a constant not yet materialized in the IR.
 */
import type { OnnxNodeProto } from './schema.js';
import type { OnnxConst } from './tensors.js';

export interface TensorValue {
  kind: 'tensor';
  id: number;
  /** The shape ONNX sees (NCHW for rank-4 activations). */
  onnxShape: number[];
  /** Rank-4 value stored NHWC in the IR. */
  nhwc: boolean;
  /** IR data is [N, H*W*C] in HWC order where ONNX has [N, C*H*W] in CHW order. */
  flatten?: { c: number; h: number; w: number };
  /** Known to be >= 0 (after ReLU and the like): zero padding is then neutral for max pooling. */
  nonNegative?: boolean;
}

export interface ConstValue {
  kind: 'const';
  c: OnnxConst;
}

export type Value = TensorValue | ConstValue;

/** NCHW shape → NHWC shape. */
export const toNhwc = (s: readonly number[]): number[] => [s[0], s[2], s[3], s[1]];
/** ONNX axis of an NCHW tensor → IR axis of the NHWC tensor. */
export const NCHW_TO_NHWC_AXIS = [0, 3, 1, 2];

export function irShapeOf(v: TensorValue): number[] {
  if (v.flatten) return [v.onnxShape[0], v.onnxShape[1]];
  return v.nhwc ? toNhwc(v.onnxShape) : [...v.onnxShape];
}

/** Data of this value is laid out identically in NCHW and NHWC (one channel or 1x1 spatial). */
export function orderEquivalent(v: TensorValue): boolean {
  if (v.flatten) return false;
  if (!v.nhwc) return true;
  const [, c, h, w] = v.onnxShape;
  return c === 1 || h * w === 1;
}

export interface NodeInfo {
  node: OnnxNodeProto;
  index: number;
  opType: string;
  label: string;
}
