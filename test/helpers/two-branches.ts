/**
 * A two-branch int8 graph for memory-order tests: from one 8x8x16 input, each branch a RELU then
 * an 8x8 max pool, joined by ADD. The model's order runs both RELUs before either pool, so both
 * 1,024-byte RELU outputs are alive together; finishing one branch first keeps one.
 */
import type { Graph, Op, Tensor } from '../../src/ir/types.js';

export function twoBranchGraph(): Graph {
  const q = { scale: [0.05], zeroPoint: [-3], quantizedDimension: 0 };
  const t = (id: number, shape: number[]): Tensor => ({ id, name: `t${id}`, shape, dtype: 'int8', quant: q });
  const pool = { padding: 'VALID', strideH: 8, strideW: 8, filterH: 8, filterW: 8, activation: 'NONE' };
  const op = (index: number, type: string, inputs: number[], out: number, attrs: object) => ({ index, type, inputs, outputs: [out], attrs }) as unknown as Op;
  return {
    name: 'branches',
    tensors: [t(0, [1, 8, 8, 16]), t(1, [1, 8, 8, 16]), t(2, [1, 1, 1, 16]), t(3, [1, 8, 8, 16]), t(4, [1, 1, 1, 16]), t(5, [1, 1, 1, 16])],
    ops: [op(0, 'RELU', [0], 1, {}), op(1, 'RELU', [0], 3, {}), op(2, 'MAX_POOL_2D', [1], 2, pool), op(3, 'MAX_POOL_2D', [3], 4, pool), op(4, 'ADD', [2, 4], 5, { activation: 'NONE' })],
    inputs: [0],
    outputs: [5],
  };
}
