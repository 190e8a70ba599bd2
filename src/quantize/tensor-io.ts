/** Converting float values to and from a quantized graph's input and output tensors. */
import { InputError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { quantizeValues } from './qparams.js';

/** Quantizes float input values with a quantized graph input's scale and zero point. */
export function quantizeInput(t: Tensor, values: ArrayLike<number>): Int8Array | Int16Array {
  const q = t.quant;
  if (!q || (t.dtype !== 'int8' && t.dtype !== 'int16')) throw new InputError(`tensor '${t.name}' is not an int8/int16 quantized tensor`);
  return quantizeValues(values, { scale: q.scale[0], zeroPoint: q.zeroPoint[0] }, t.dtype);
}

/** Dequantizes a quantized output tensor's values to float. */
export function dequantizeOutput(t: Tensor, data: TensorData): Float32Array {
  const q = t.quant;
  if (!q) return Float32Array.from(data as ArrayLike<number>);
  const s = q.scale[0];
  const z = q.zeroPoint[0];
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = s * (Number(data[i]) - z);
  return out;
}
