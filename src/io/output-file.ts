/**
 * Files a command writes for the user (`run --output`, `eval --save-outputs`, `quantize --out`):
 * an existing file is only replaced with --force, and a file the command reads (the model, an
 * input, the dataset) is never written over, even with --force: it would destroy the data the
 * result was computed from.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError, WouldOverwriteError } from '../errors.js';

export interface OutputFile {
  path: string;
  /** The option that named it, for messages, e.g. "--output". */
  option: string;
}

async function identity(path: string): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const s = await stat(path);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}

/** True when a and b name the same file: the same path, or (both existing) the same inode, e.g. through a link. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  const [ia, ib] = await Promise.all([identity(a), identity(b)]);
  return ia !== undefined && ib !== undefined && ia.dev === ib.dev && ia.ino === ib.ino;
}

/**
 * Refuses, before any work is done: an output that is one of `inputs` (always), an output named
 * twice, and an existing output without `force`.
 */
export async function checkOutputFiles(outputs: OutputFile[], inputs: string[], force: boolean): Promise<void> {
  for (let k = 0; k < outputs.length; k++) {
    const { path, option } = outputs[k];
    for (const input of inputs) {
      if (await sameFile(path, input)) {
        throw new InputError(`${option} ${path} is ${input}, which this command reads; tinyml never writes over its own input, even with --force: choose another path`);
      }
    }
    for (let j = 0; j < k; j++) {
      if (await sameFile(path, outputs[j].path)) throw new InputError(`${option} ${path} is named twice (also as ${outputs[j].option} ${outputs[j].path}): give each output its own file`);
    }
    if (!force && (await identity(path)) !== undefined) {
      throw new WouldOverwriteError(`${path} already exists; give --force to overwrite it, or another ${option} path`);
    }
    // Checked before the work starts (a quantization can take a minute), not when writing.
    const folder = dirname(resolve(path));
    const folderStat = await stat(folder).catch(() => undefined);
    if (!folderStat?.isDirectory()) {
      throw new InputError(`cannot write ${option} ${path}: its folder ${folder} ${folderStat ? 'is not a directory' : 'does not exist'}; create it first or choose another path`);
    }
  }
}

/** Writes `bytes` to `path`; without `force` it fails rather than replace a file that appeared since the check. */
export async function writeOutputFile(file: OutputFile, bytes: Uint8Array, force: boolean): Promise<void> {
  try {
    await writeFile(file.path, bytes, { flag: force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new WouldOverwriteError(`${file.path} already exists; give --force to overwrite it, or another ${file.option} path`);
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? String(e));
    throw new InputError(`cannot write ${file.option} ${file.path}: ${why}`);
  }
}
