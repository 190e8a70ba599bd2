/**
 * Builds a one-op graph (and its OpContext) for kernel tests: give the op type, attrs and the
 * tensors; get back everything `OpDef` methods take.
 */
import type { OpAttrs, OpType } from '../../src/ir/attrs.js';
import type { DType, Graph, Op, Quantization, Tensor, TensorData } from '../../src/ir/types.js';
import type { OpContext } from '../../src/ops/op-def.js';
export { mulberry32 as rng } from '../../src/random.js';

export interface TensorSpec {
  shape: number[];
  dtype: DType;
  /** Per-tensor shorthand {scale, zeroPoint} or full Quantization. */
  quant?: { scale: number; zeroPoint: number } | Quantization;
  data?: TensorData;
  name?: string;
}

function toQuant(q: TensorSpec['quant']): Quantization | undefined {
  if (!q) return undefined;
  if (Array.isArray((q as Quantization).scale)) return q as Quantization;
  const s = q as { scale: number; zeroPoint: number };
  return { scale: [s.scale], zeroPoint: [s.zeroPoint], quantizedDimension: 0 };
}

export function singleOpContext<T extends OpType>(
  type: T,
  attrs: OpAttrs[T],
  inputs: (TensorSpec | undefined)[],
  outputs: TensorSpec[],
): OpContext<T> {
  const tensors: Tensor[] = [];
  const add = (spec: TensorSpec, kind: string): number => {
    const id = tensors.length;
    tensors.push({
      id,
      name: spec.name ?? `${kind}${id}`,
      shape: spec.shape,
      dtype: spec.dtype,
      ...(spec.quant ? { quant: toQuant(spec.quant) } : {}),
      ...(spec.data ? { data: spec.data } : {}),
    });
    return id;
  };
  const inputIds = inputs.map((s) => (s ? add(s, 'in') : -1));
  const outputIds = outputs.map((s) => add(s, 'out'));
  const op: Op<T> = { index: 0, type, inputs: inputIds, outputs: outputIds, attrs };
  const graph: Graph = {
    name: `test_${type.toLowerCase()}`,
    tensors,
    ops: [op as unknown as Op],
    inputs: inputIds.filter((id) => id >= 0 && !tensors[id].data),
    outputs: outputIds,
  };
  return {
    graph,
    op,
    inputs: inputIds.map((id) => (id >= 0 ? tensors[id] : undefined)),
    outputs: outputIds.map((id) => tensors[id]),
  };
}

export function randomInt8(n: number, rand: () => number, lo = -128, hi = 127): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * (hi - lo + 1));
  return out;
}

export function randomInt16(n: number, rand: () => number, lo = -32768, hi = 32767): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * (hi - lo + 1));
  return out;
}

export function randomInt32(n: number, rand: () => number, lo: number, hi: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * (hi - lo + 1));
  return out;
}
