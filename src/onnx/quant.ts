/** ONNX quantization parameters → IR quantization; uint8 rewritten to the equivalent int8. */
import type { DType, Quantization } from '../ir/types.js';
import type { ConstQuant, OnnxConst } from './tensors.js';

export function toQuantization(q: ConstQuant): Quantization {
  return { scale: q.scale.map((s) => Math.fround(s)), zeroPoint: [...q.zeroPoint], quantizedDimension: q.scale.length > 1 ? q.axis : 0 };
}

export function sameQuant(a: Quantization, b: Quantization): boolean {
  return a.scale.length === b.scale.length && a.scale.every((s, i) => Math.fround(s) === Math.fround(b.scale[i]) && a.zeroPoint[i] === b.zeroPoint[i]);
}

/** uint8 quantization → the equivalent int8 quantization (values and zero points - 128). */
export function toSignedQuant(q: ConstQuant, dtype: DType): { quant: ConstQuant; dtype: DType } {
  if (dtype !== 'uint8') return { quant: q, dtype };
  return { quant: { ...q, zeroPoint: q.zeroPoint.map((z) => z - 128) }, dtype: 'int8' };
}

export function toSigned(c: OnnxConst): OnnxConst {
  if (c.dtype !== 'uint8' || !c.quant) return c;
  const data = Int8Array.from(c.data as Uint8Array, (v) => v - 128);
  return { ...c, dtype: 'int8', data, quant: toSignedQuant(c.quant, 'uint8').quant };
}
