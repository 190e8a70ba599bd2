/** Loads a model file by extension into the IR, with a clear error for unknown formats. */
import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { loadOnnxModel } from '../onnx/index.js';
import { importTfliteFile } from '../tflite/import.js';

export async function loadModel(path: string): Promise<Graph> {
  try {
    await access(path);
  } catch {
    throw new InputError(`model file not found: ${path}`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.tflite') return importTfliteFile(path);
  // ONNX graphs arrive NCHW with BatchNorm and QDQ nodes: import and prepare (fold, fuse, NHWC).
  if (ext === '.onnx') return loadOnnxModel(path);
  throw new InputError(`${path}: unknown model format '${ext}' (tinyml reads .tflite and .onnx)`);
}
