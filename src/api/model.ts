/** A model as the API hands it around: the file it came from and its graph. */
import { resolve } from 'node:path';
import type { DType, Graph, Tensor } from '../ir/types.js';
import { elementCount } from '../ir/types.js';
import { loadModel as loadModelFile } from '../model-file/load-model.js';

/** One input or output of a model, as a user sees it. */
export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: DType;
  /** Element count (the product of the shape). */
  length: number;
  /** Per-tensor affine parameters (real = scale * (q - zeroPoint)), for quantized tensors. */
  scale?: number;
  zeroPoint?: number;
}

export interface Model {
  /** Absolute path of the model file (its bytes name the model: the firmware reports their hash). */
  readonly path: string;
  readonly name: string;
  /** The imported graph (tinyml's IR). */
  readonly graph: Graph;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

export function tensorSpec(t: Tensor): TensorSpec {
  const perTensor = t.quant && t.quant.scale.length === 1 && t.dtype !== 'float32';
  return {
    name: t.name,
    shape: [...t.shape],
    dtype: t.dtype,
    length: elementCount(t.shape),
    ...(perTensor ? { scale: t.quant!.scale[0], zeroPoint: t.quant!.zeroPoint[0] } : {}),
  };
}

export function modelOf(path: string, graph: Graph): Model {
  return {
    path: resolve(path),
    name: graph.name,
    graph,
    inputs: graph.inputs.map((i) => tensorSpec(graph.tensors[i])),
    outputs: graph.outputs.map((i) => tensorSpec(graph.tensors[i])),
  };
}

/** Imports a .tflite or .onnx file (ONNX graphs are folded and made NHWC, as `tinyml` does). */
export async function loadModel(path: string): Promise<Model> {
  return modelOf(path, await loadModelFile(path));
}

/** A Model, or a path to load one from. */
export type ModelLike = Model | string;

export async function toModel(model: ModelLike): Promise<Model> {
  return typeof model === 'string' ? loadModel(model) : model;
}
