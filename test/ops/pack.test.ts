import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { pack } from '../../src/ops/pack.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

function packCtx(inShape: number[], count: number, axis: number, dtype: DType, outShape: number[] = [], outDtype: DType = dtype) {
  const inputs = Array.from({ length: count }, () => ({ shape: inShape, dtype, quant: dtype === 'int8' ? { scale: 0.5, zeroPoint: 3 } : undefined }));
  return singleOpContext('PACK', { valuesCount: count, axis }, inputs, [{ shape: outShape, dtype: outDtype }]);
}

function run(inShape: number[], axis: number, dtype: DType, datas: TensorData[]): { shape: number[]; values: number[] } {
  const [shape] = pack.inferShapes(packCtx(inShape, datas.length, axis, dtype));
  const ctx = packCtx(inShape, datas.length, axis, dtype, shape);
  const out = allocTensorData(dtype, elementCount(shape));
  pack.evaluate(pack.prepare(ctx), datas, [out]);
  return { shape, values: Array.from(out as Int32Array) };
}

describe('PACK shape rule', () => {
  it('inserts the stacked axis, negative axes counting from the end of the output', () => {
    expect(pack.inferShapes(packCtx([2, 3], 4, 0, 'int8'))).toEqual([[4, 2, 3]]);
    expect(pack.inferShapes(packCtx([2, 3], 4, 1, 'int8'))).toEqual([[2, 4, 3]]);
    expect(pack.inferShapes(packCtx([2, 3], 4, -1, 'int8'))).toEqual([[2, 3, 4]]);
    // The converter's Flatten: two scalars (batch, features) packed into a shape vector.
    expect(pack.inferShapes(packCtx([], 2, 0, 'int32'))).toEqual([[2]]);
  });

  it('rejects a wrong values_count, unequal inputs, out-of-range axes and a wrong output', () => {
    const ctx = packCtx([2], 2, 0, 'int8');
    expect(() => pack.inferShapes({ ...ctx, op: { ...ctx.op, attrs: { valuesCount: 3, axis: 0 } } })).toThrow(/values_count 3 but 2 inputs/);
    const unequal = singleOpContext('PACK', { valuesCount: 2, axis: 0 }, [{ shape: [2], dtype: 'int8' }, { shape: [3], dtype: 'int8' }], [{ shape: [], dtype: 'int8' }]);
    expect(() => pack.inferShapes(unequal)).toThrow(GraphError);
    expect(() => pack.inferShapes(packCtx([2], 2, 2, 'int8'))).toThrow(/axis 2/);
    expect(() => pack.prepare(packCtx([2], 2, 0, 'int8', [2, 3]))).toThrow(/stacking the inputs gives \[2, 2\]/);
    expect(() => pack.prepare(packCtx([2], 2, 0, 'uint8', [2, 2]))).toThrow(UnsupportedOpError);
    expect(() => pack.prepare(packCtx([2], 2, 0, 'int8', [2, 2], 'int16'))).toThrow(UnsupportedOpError);
  });
});

describe('PACK reference kernel', () => {
  it('stacks along the outer axis (one input after the other)', () => {
    expect(run([3], 0, 'int32', [Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 6])])).toEqual({ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] });
  });

  it('stacks along the inner axis (interleaved), as TFLite Micro pack.cc', () => {
    expect(run([3], 1, 'int32', [Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 6])])).toEqual({ shape: [3, 2], values: [1, 4, 2, 5, 3, 6] });
    expect(run([2, 2], 1, 'int8', [Int8Array.from([1, 2, 3, 4]), Int8Array.from([-1, -2, -3, -4]), Int8Array.from([9, 8, 7, 6])])).toEqual({
      shape: [2, 3, 2],
      values: [1, 2, -1, -2, 9, 8, 3, 4, -3, -4, 7, 6],
    });
  });

  it('packs int64 shape scalars', () => {
    const [shape] = pack.inferShapes(packCtx([], 2, 0, 'int64'));
    const ctx = packCtx([], 2, 0, 'int64', shape);
    const out = new BigInt64Array(2);
    pack.evaluate(pack.prepare(ctx), [BigInt64Array.from([1n]), BigInt64Array.from([576n])], [out]);
    expect(Array.from(out)).toEqual([1n, 576n]);
  });
});

describe('PACK C kernel', () => {
  it('matches evaluate byte for byte on random shapes, axes, input counts and dtypes', () => {
    const rand = rng(83);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const dtypes: DType[] = ['int8', 'int16', 'int32', 'float32'];
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 24; k++) {
      const dtype = dtypes[k % 4];
      const rank = int(0, 4);
      const inShape = Array.from({ length: rank }, () => int(1, 4));
      const axis = int(-rank - 1, rank);
      const count = int(1, 5);
      const [outShape] = pack.inferShapes(packCtx(inShape, count, axis, dtype));
      const ctx = packCtx(inShape, count, axis, dtype, outShape);
      const n = elementCount(inShape);
      const datas = Array.from({ length: count }, () =>
        dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : dtype === 'int32' ? randomInt32(n, rand, -(2 ** 31), 2 ** 31 - 1) : Float32Array.from({ length: n }, () => rand() * 4 - 2),
      );
      cases.push({ ctx, params: pack.prepare(ctx), inputs: datas });
    }
    const got = runOpCasesInC(pack, cases);
    const want = runOpCasesInTs(pack, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
