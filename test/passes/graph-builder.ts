/** A tiny Graph builder for pass tests. */
import type { OpAttrs, OpType } from '../../src/ir/attrs.js';
import type { DType, Graph, Op, Quantization, Tensor, TensorData } from '../../src/ir/types.js';
import { mulberry32 } from '../../src/random.js';

export class GraphBuilder {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  private inputs: number[] = [];

  tensor(name: string, shape: number[], dtype: DType = 'float32', quant?: Quantization): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape, dtype, ...(quant ? { quant } : {}) });
    return id;
  }

  input(name: string, shape: number[], dtype: DType = 'float32', quant?: Quantization): number {
    const id = this.tensor(name, shape, dtype, quant);
    this.inputs.push(id);
    return id;
  }

  constant(name: string, shape: number[], data: TensorData, quant?: Quantization): number {
    const dtype: DType =
      data instanceof Float32Array ? 'float32' : data instanceof Int8Array ? 'int8' : data instanceof Int32Array ? 'int32' : data instanceof BigInt64Array ? 'int64' : 'uint8';
    const id = this.tensor(name, shape, dtype, quant);
    this.tensors[id].data = data;
    return id;
  }

  op<T extends OpType>(type: T, inputs: number[], outputs: number[], attrs: OpAttrs[T]): this {
    this.ops.push({ index: this.ops.length, type, inputs, outputs, attrs } as unknown as Op);
    return this;
  }

  build(outputs: number[]): Graph {
    return { name: 'test', tensors: this.tensors, ops: this.ops, inputs: this.inputs, outputs };
  }
}

export const perTensor = (scale: number, zeroPoint = 0): Quantization => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });

export const CONV_ATTRS = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;

export function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + next() * (hi - lo);
  return out;
}

export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / (scale || 1);
}
