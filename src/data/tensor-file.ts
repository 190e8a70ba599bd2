/**
 * Reading model inputs from and writing model outputs to files: raw `.bin` (exactly the tensor's
 * bytes) or `.npy`. A `.npy` input follows the rule shared with `eval` and `quantize`
 * (src/data/feed-rule.ts): the input's own dtype is fed byte for byte; float (and uint8, int16...)
 * values are raw values, quantized with a quantized input's scale and zero point as a user
 * holding real-valued data expects; int8 data for another dtype is refused.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { DTYPE_BYTES, elementCount, tensorDataFromBytes } from '../ir/types.js';
import { formatNpy, parseNpy } from '../io/npy.js';
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import { feedFor } from './feed-rule.js';

const INT_RANGE: Partial<Record<Tensor['dtype'], [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
};

/** Quantizes real values into `tensor`'s dtype with its (per-tensor) scale and zero point. */
export function quantizeForTensor(values: Float32Array, tensor: Tensor): TensorData {
  const range = INT_RANGE[tensor.dtype];
  if (!range || !tensor.quant) {
    throw new InputError(`input '${tensor.name}' is ${tensor.dtype}${tensor.quant ? '' : ' without quantization'}; cannot quantize float data for it`);
  }
  const scale = tensor.quant.scale[0];
  const zp = tensor.quant.zeroPoint[0];
  const out = tensorDataFromBytes(tensor.dtype, new Uint8Array(values.length * DTYPE_BYTES[tensor.dtype]));
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAwayFromZero(values[i] / scale) + zp;
    out[i] = Math.min(range[1], Math.max(range[0], q));
  }
  return out;
}

export async function readTensorFile(path: string, tensor: Tensor): Promise<TensorData> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new InputError(`cannot read input file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const count = elementCount(tensor.shape);
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    const arr = parseNpy(bytes, path);
    if (arr.data.length !== count) {
      throw new InputError(`${path} holds ${arr.data.length} values [${arr.shape.join('x')}], input '${tensor.name}' needs ${count} [${tensor.shape.join('x')}]`);
    }
    if (feedFor({ data: arr.dtype, input: tensor, preprocessing: false, source: path }) === 'bytes') return arr.data;
    const values = arr.data instanceof BigInt64Array ? Float32Array.from(arr.data, Number) : Float32Array.from(arr.data as ArrayLike<number>);
    if (tensor.dtype === 'float32') return values;
    return quantizeForTensor(values, tensor);
  }
  if (ext === '.bin' || ext === '.raw' || ext === '') {
    const need = count * DTYPE_BYTES[tensor.dtype];
    if (bytes.length !== need) {
      throw new InputError(`${path} has ${bytes.length} bytes; input '${tensor.name}' (${tensor.dtype} [${tensor.shape.join('x')}]) needs exactly ${need}`);
    }
    return tensorDataFromBytes(tensor.dtype, bytes);
  }
  throw new InputError(`${path}: unknown input format '${ext}' (use .bin with the raw tensor bytes, or .npy)`);
}

/** Throws InputError unless `path` names an output format tinyml writes (.bin, .raw, .npy). */
export function checkOutputFormat(path: string): void {
  const ext = extname(path).toLowerCase();
  if (ext !== '.npy' && ext !== '.bin' && ext !== '.raw') throw new InputError(`${path}: unknown output format '${ext}' (use .bin or .npy)`);
}

/** The bytes of an output file: `.npy` with the tensor's dtype and shape, or `.bin`/`.raw` raw bytes. */
export function encodeTensorFile(path: string, tensor: Tensor, data: TensorData): Uint8Array {
  checkOutputFormat(path);
  if (extname(path).toLowerCase() === '.npy') return formatNpy({ dtype: tensor.dtype, shape: tensor.shape, data });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Human-readable rendering of an output tensor: values, and dequantized values when quantized. */
export function formatTensor(tensor: Tensor, data: TensorData): string {
  const values = Array.from(data as ArrayLike<number | bigint>, (v) => String(v));
  const lines = [`${tensor.name} ${tensor.dtype} [${tensor.shape.join('x')}]: ${values.join(' ')}`];
  if (tensor.quant && tensor.quant.scale.length === 1 && tensor.dtype !== 'float32') {
    const s = tensor.quant.scale[0];
    const zp = tensor.quant.zeroPoint[0];
    const real = Array.from(data as ArrayLike<number>, (v) => ((v - zp) * s).toPrecision(6));
    lines.push(`  dequantized (scale ${s}, zero point ${zp}): ${real.join(' ')}`);
  }
  return lines.join('\n');
}
