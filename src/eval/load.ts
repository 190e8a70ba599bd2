/**
 * Loads a model the way `tinyml eval` runs it: `.onnx` through the ONNX importer and the
 * preparation passes (BatchNorm folding, fusion, QDQ → int8), other formats through `loadModel`.
 * Host worker threads load with the same function, so every runner sees the same graph.
 */
import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { loadModel } from '../model-file/load-model.js';
import { InputError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { loadOnnxModel } from '../onnx/index.js';

export async function loadModelForEval(path: string): Promise<Graph> {
  if (extname(path).toLowerCase() === '.onnx') {
    try {
      await access(path);
    } catch {
      throw new InputError(`model file not found: ${path}`);
    }
    return loadOnnxModel(path);
  }
  return loadModel(path);
}
