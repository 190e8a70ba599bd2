/**
 * NumPy .npy files (format versions 1-3), read and written without dependencies: a magic
 * string, a little Python-dict header, then the raw array in C order.
 */
import { InputError } from '../errors.js';
import type { DType, TensorData } from '../ir/types.js';
import { DTYPE_BYTES, tensorDataBytes, tensorDataFromBytes } from '../ir/types.js';

export interface NpyArray {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

const DESCR_TO_DTYPE: Record<string, DType> = {
  '|i1': 'int8',
  'i1': 'int8',
  '|u1': 'uint8',
  'u1': 'uint8',
  '|b1': 'bool',
  '<i2': 'int16',
  '<i4': 'int32',
  '<i8': 'int64',
  '<f4': 'float32',
};

const DTYPE_TO_DESCR: Record<DType, string> = {
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  float32: '<f4',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a .npy file. `what` names it in error messages. float64 is converted to float32. */
export function parseNpy(bytes: Uint8Array, what = 'npy file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new InputError(`${what} is not a .npy file (bad magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputError(`${what}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else throw new InputError(`${what}: unsupported .npy version ${major}`);
  if (headerStart + headerLen > bytes.length) throw new InputError(`${what}: truncated .npy header`);
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new InputError(`${what}: malformed .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new InputError(`${what}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s, 10));
  if (shape.some((d) => !Number.isFinite(d) || d < 0)) throw new InputError(`${what}: bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(headerStart + headerLen);
  if (descr === '<f8') {
    if (body.length < count * 8) throw new InputError(`${what}: holds ${body.length} bytes, shape needs ${count * 8}`);
    const f64 = new Float64Array(body.slice(0, count * 8).buffer);
    return { dtype: 'float32', shape, data: Float32Array.from(f64) };
  }
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) throw new InputError(`${what}: unsupported dtype '${descr}' (supported: int8, uint8, int16, int32, int64, float32, float64, little-endian)`);
  const need = count * DTYPE_BYTES[dtype];
  if (body.length < need) throw new InputError(`${what}: holds ${body.length} data bytes, shape [${shape.join(', ')}] of ${dtype} needs ${need}`);
  return { dtype, shape, data: tensorDataFromBytes(dtype, body.subarray(0, need)) };
}

/** Serializes an array as .npy version 1.0. */
export function formatNpy(arr: NpyArray): Uint8Array {
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${DTYPE_TO_DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so that magic + version + length + header + '\n' is a multiple of 64 (the format's rule).
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = tensorDataBytes(arr.data);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}
