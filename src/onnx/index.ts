/**
 * ONNX importer: `importOnnx(bytes, name)` and `importOnnxFile(path)` produce a Graph in the IR's
 * NHWC layout (see import.ts); `loadOnnxModel(path)` additionally runs the graph preparation
 * passes (BatchNorm folding, activation fusion, QDQ folding...) so the result is what the
 * interpreter and code generator should run.
 */
import type { Graph } from '../ir/types.js';
import { prepareForInference } from '../passes/index.js';
import { importOnnxFile } from './import.js';

export { importOnnx, importOnnxFile, SUPPORTED_ONNX_OPS } from './import.js';

/** What `loadModel` should call for `.onnx` files: import, then prepare for inference. */
export async function loadOnnxModel(path: string): Promise<Graph> {
  return prepareForInference(await importOnnxFile(path));
}
