/** Loads a model file by extension into the IR, with a clear error for unknown formats. */
import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { importTfliteFile } from '../tflite/import.js';

export async function loadModel(path: string): Promise<Graph> {
  try {
    await access(path);
  } catch {
    throw new InputError(`model file not found: ${path}`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.tflite') return importTfliteFile(path);
  throw new InputError(`${path}: unknown model format '${ext}' (tinyml reads .tflite)`);
}
