/**
 * What the model importers (tflite/, onnx/) share around their parsers: reading the file with a
 * clear error, and turning a parser's unexpected exception into a ModelFormatError.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { InputError, ModelFormatError, TinymlError } from '../errors.js';

/** The bytes of a model file and its stem (the graph's name), or an InputError saying why not. */
export async function readModelFile(path: string): Promise<{ bytes: Uint8Array; name: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new InputError(`cannot read model file '${path}': ${why}`);
  }
  return { bytes, name: basename(path, extname(path)) };
}

/**
 * Runs a parser: its TinymlErrors pass through; anything else (a malformed input that slipped
 * past every explicit check) becomes a ModelFormatError naming the format and the model.
 */
export function parseModel<T>(format: 'TFLite' | 'ONNX', name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof TinymlError) throw e;
    const detail = e instanceof Error ? e.message : String(e);
    throw new ModelFormatError(`could not read ${format} model '${name}': malformed model (${detail})`, { cause: e });
  }
}
