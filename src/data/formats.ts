/**
 * Array file formats datasets come in: IDX (the MNIST format, optionally gzip-compressed), NumPy
 * .npy and .npz (a zip of .npy files). Every reader returns numbers in C order with the array's
 * shape; every problem is an InputError naming the file.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { InputError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import { parseNpy } from '../io/npy.js';
import type { DataDType } from './feed-rule.js';

/** A numeric array: C-order values (any typed array; int64 as BigInt64Array), shape and the file's dtype. */
export interface NumArray {
  shape: number[];
  dtype: DataDType;
  data: TensorData | Float64Array | Uint16Array;
}

export async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? String(e);
    throw new InputError(`cannot read ${what} '${path}': ${why}`);
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && bytes[0] === 0x93 && bytes[1] === 0x4e && bytes[2] === 0x55 && bytes[3] === 0x4d && bytes[4] === 0x50 && bytes[5] === 0x59;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export function gunzip(bytes: Uint8Array, what: string): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (e) {
    throw new InputError(`${what}: corrupt gzip data (${(e as Error).message})`);
  }
}

const IDX_TYPES: Record<number, { name: string; size: number; dtype: DataDType }> = {
  0x08: { name: 'unsigned byte', size: 1, dtype: 'uint8' },
  0x09: { name: 'signed byte', size: 1, dtype: 'int8' },
  0x0b: { name: 'short', size: 2, dtype: 'int16' },
  0x0c: { name: 'int', size: 4, dtype: 'int32' },
  0x0d: { name: 'float', size: 4, dtype: 'float32' },
  0x0e: { name: 'double', size: 8, dtype: 'float64' },
};

/** Parses an IDX file (big-endian header `00 00 type ndims`, then ndims uint32 sizes, then data). */
export function parseIdx(input: Uint8Array, what: string): NumArray {
  const bytes = isGzip(input) ? gunzip(input, what) : input;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || !IDX_TYPES[bytes[2]] || bytes[3] === 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputError(`${what} is not an IDX file (bad magic ${magic}; expected 00 00 <type> <dims>)`);
  }
  const type = IDX_TYPES[bytes[2]];
  const ndims = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) throw new InputError(`${what}: truncated IDX header`);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const need = headerLen + count * type.size;
  if (bytes.length < need) {
    throw new InputError(`${what}: IDX header declares [${shape.join(', ')}] ${type.name} values (${count * type.size} bytes), but only ${bytes.length - headerLen} bytes follow`);
  }
  const body = bytes.subarray(headerLen, need);
  switch (bytes[2]) {
    case 0x08:
      return { shape, dtype: 'uint8', data: new Uint8Array(body) };
    case 0x09:
      return { shape, dtype: 'int8', data: new Int8Array(body.slice().buffer) };
    default: {
      const out = type.name === 'short' ? new Int16Array(count) : type.name === 'int' ? new Int32Array(count) : type.name === 'float' ? new Float32Array(count) : new Float64Array(count);
      const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let i = 0; i < count; i++) {
        const o = i * type.size;
        out[i] = type.name === 'short' ? bv.getInt16(o, false) : type.name === 'int' ? bv.getInt32(o, false) : type.name === 'float' ? bv.getFloat32(o, false) : bv.getFloat64(o, false);
      }
      return { shape, dtype: type.dtype, data: out };
    }
  }
}

export function readNpyArray(bytes: Uint8Array, what: string): NumArray {
  const arr = parseNpy(bytes, what);
  return { shape: arr.shape, dtype: arr.dtype, data: arr.data };
}

/** The .npy members of an .npz archive, keyed by name without the .npy extension. */
export function parseNpz(bytes: Uint8Array, what: string): Map<string, NumArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new InputError(`${what} is not a valid .npz (zip) archive: ${(e as Error).message}`);
  }
  const out = new Map<string, NumArray>();
  for (const [name, data] of Object.entries(files)) {
    if (!name.endsWith('.npy')) continue;
    const key = name.slice(0, -4);
    out.set(key, readNpyArray(data, `${what}[${key}]`));
  }
  if (out.size === 0) throw new InputError(`${what}: the archive holds no .npy arrays`);
  return out;
}

/** Reads any supported array file by content (IDX, gzip'd IDX or .npy). */
export function parseArrayFile(bytes: Uint8Array, what: string): NumArray {
  if (isNpy(bytes)) return readNpyArray(bytes, what);
  if (isZip(bytes)) throw new InputError(`${what} is an .npz archive; give it as --data (arrays are picked by name)`);
  return parseIdx(bytes, what);
}

/** Element i of an array as a JS number. */
export function numAt(a: NumArray, i: number): number {
  const v = a.data[i];
  return typeof v === 'bigint' ? Number(v) : v;
}
