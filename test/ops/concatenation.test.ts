import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { concatenation } from '../../src/ops/concatenation.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import type { TensorSpec } from '../helpers/op-graph.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

type Q = { scale: number; zeroPoint: number } | undefined;

function concatCtx(shapes: number[][], axis: number, dtype: DType, opts: { outShape?: number[]; quants?: Q[]; outQuant?: Q; activation?: FusedActivation } = {}) {
  const inputs: TensorSpec[] = shapes.map((shape, i) => ({ shape, dtype, quant: opts.quants?.[i] }));
  const outShape = opts.outShape ?? [];
  return singleOpContext('CONCATENATION', { axis, activation: opts.activation ?? 'NONE' }, inputs, [{ shape: outShape, dtype, quant: opts.outQuant }]);
}

function run(shapes: number[][], axis: number, dtype: DType, datas: TensorData[]): number[] {
  const probe = concatCtx(shapes, axis, dtype);
  const [outShape] = concatenation.inferShapes(probe);
  const ctx = concatCtx(shapes, axis, dtype, { outShape });
  const params = concatenation.prepare(ctx);
  const out = allocTensorData(dtype, elementCount(outShape));
  concatenation.evaluate(params, datas, [out]);
  return Array.from(out as Int8Array);
}

describe('CONCATENATION shape rule', () => {
  it('sums the axis extents, with negative axes counted from the end', () => {
    expect(concatenation.inferShapes(concatCtx([[1, 2, 3], [1, 5, 3]], 1, 'int8'))).toEqual([[1, 7, 3]]);
    expect(concatenation.inferShapes(concatCtx([[1, 2, 3], [1, 2, 1], [1, 2, 4]], -1, 'int8'))).toEqual([[1, 2, 8]]);
    expect(concatenation.inferShapes(concatCtx([[2, 2]], -2, 'int8'))).toEqual([[2, 2]]);
  });

  it('rejects mismatched non-axis dims, rank mismatches and out-of-range axes', () => {
    expect(() => concatenation.inferShapes(concatCtx([[1, 2, 3], [1, 3, 3]], 2, 'int8'))).toThrow(/input 1/);
    expect(() => concatenation.inferShapes(concatCtx([[1, 2, 3], [2, 3]], 2, 'int8'))).toThrow(GraphError);
    expect(() => concatenation.inferShapes(concatCtx([[1, 2]], 2, 'int8'))).toThrow(/axis 2/);
    expect(() => concatenation.inferShapes(concatCtx([[1, 2]], -3, 'int8'))).toThrow(GraphError);
  });
});

describe('CONCATENATION reference', () => {
  it('concatenates along the innermost axis', () => {
    // [[1,2],[3,4]] ++ [[5],[6]] on axis 1 -> [[1,2,5],[3,4,6]]
    expect(run([[2, 2], [2, 1]], 1, 'int8', [Int8Array.from([1, 2, 3, 4]), Int8Array.from([5, 6])])).toEqual([1, 2, 5, 3, 4, 6]);
  });

  it('concatenates along the outermost axis and a middle axis', () => {
    expect(run([[1, 2], [2, 2]], 0, 'int16', [Int16Array.from([1, 2]), Int16Array.from([3, 4, 5, 6])])).toEqual([1, 2, 3, 4, 5, 6]);
    // [2,1,2] ++ [2,2,2] on axis -2 -> per batch: a-row then two b-rows.
    const a = Int32Array.from([1, 2, 3, 4]);
    const b = Int32Array.from([10, 11, 12, 13, 20, 21, 22, 23]);
    expect(run([[2, 1, 2], [2, 2, 2]], -2, 'int32', [a, b])).toEqual([1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23]);
  });

  it('handles three inputs and float32', () => {
    const got = run([[1, 1], [1, 2], [1, 1]], 1, 'float32', [Float32Array.of(0.5), Float32Array.of(-1, 2.25), Float32Array.of(3)]);
    expect(got).toEqual([0.5, -1, 2.25, 3]);
  });

  it('copies int8 values unchanged when all quantization matches', () => {
    const q = { scale: 0.1, zeroPoint: -3 };
    const ctx = concatCtx([[1, 2], [1, 1]], 1, 'int8', { outShape: [1, 3], quants: [q, q], outQuant: q });
    const out = new Int8Array(3);
    concatenation.evaluate(concatenation.prepare(ctx), [Int8Array.of(-128, 127), Int8Array.of(0)], [out]);
    expect(Array.from(out)).toEqual([-128, 127, 0]);
  });

  it('accepts int8 scales equal as float32 but different as double (TFLite compares float scales)', () => {
    const ctx = concatCtx([[2], [2]], 0, 'int8', { outShape: [4], quants: [{ scale: 0.1, zeroPoint: 0 }, { scale: 0.1 + 1e-12, zeroPoint: 0 }], outQuant: { scale: 0.1, zeroPoint: 0 } });
    expect(() => concatenation.prepare(ctx)).not.toThrow();
  });

  it('rejects int8 inputs whose scale or zero point differs from the output (TFLite Micro does not requantize)', () => {
    const out = { scale: 0.1, zeroPoint: 0 };
    const badScale = concatCtx([[2], [2]], 0, 'int8', { outShape: [4], quants: [out, { scale: 0.2, zeroPoint: 0 }], outQuant: out });
    expect(() => concatenation.prepare(badScale)).toThrow(UnsupportedOpError);
    expect(() => concatenation.prepare(badScale)).toThrow(/input 1.*without requantizing/);
    const badZp = concatCtx([[2], [2]], 0, 'int8', { outShape: [4], quants: [{ scale: 0.1, zeroPoint: 1 }, out], outQuant: out });
    expect(() => concatenation.prepare(badZp)).toThrow(UnsupportedOpError);
  });

  it('int16: requires zero points of 0 but tolerates different scales (copied as is, like TFLite Micro)', () => {
    const ok = concatCtx([[2], [2]], 0, 'int16', { outShape: [4], quants: [{ scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 0 }], outQuant: { scale: 0.2, zeroPoint: 0 } });
    const out = new Int16Array(4);
    concatenation.evaluate(concatenation.prepare(ok), [Int16Array.of(1000, -1000), Int16Array.of(32767, -32768)], [out]);
    expect(Array.from(out)).toEqual([1000, -1000, 32767, -32768]);
    const bad = concatCtx([[2], [2]], 0, 'int16', { outShape: [4], quants: [{ scale: 0.1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 2 }], outQuant: { scale: 0.1, zeroPoint: 0 } });
    expect(() => concatenation.prepare(bad)).toThrow(UnsupportedOpError);
  });

  it('rejects fused activations, mixed dtypes, uint8 and a wrong declared output shape', () => {
    expect(() => concatenation.prepare(concatCtx([[2], [2]], 0, 'float32', { outShape: [4], activation: 'RELU' }))).toThrow(/RELU/);
    const mixed = singleOpContext('CONCATENATION', { axis: 0, activation: 'NONE' }, [{ shape: [2], dtype: 'int8' }, { shape: [2], dtype: 'int16' }], [{ shape: [4], dtype: 'int8' }]);
    expect(() => concatenation.prepare(mixed)).toThrow(UnsupportedOpError);
    expect(() => concatenation.prepare(concatCtx([[2], [2]], 0, 'uint8', { outShape: [4] }))).toThrow(UnsupportedOpError);
    expect(() => concatenation.prepare(concatCtx([[2], [2]], 0, 'int8', { outShape: [5] }))).toThrow(GraphError);
  });
});

describe('CONCATENATION C kernel', () => {
  it('matches evaluate byte for byte on random shapes, axes, input counts and dtypes', () => {
    const rand = rng(99);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const dtypes: DType[] = ['int8', 'int16', 'int32', 'float32'];
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 30; k++) {
      const dtype = dtypes[k % 4];
      const rank = int(1, 5);
      const base = Array.from({ length: rank }, () => int(1, 4));
      const axis = int(-rank, rank - 1);
      const ax = axis < 0 ? axis + rank : axis;
      const count = int(1, 5);
      const shapes = Array.from({ length: count }, () => base.map((d, j) => (j === ax ? int(1, 4) : d)));
      const probe = concatCtx(shapes, axis, dtype);
      const [outShape] = concatenation.inferShapes(probe);
      const q = dtype === 'int8' ? { scale: 0.25, zeroPoint: int(-20, 20) } : dtype === 'int16' ? { scale: 0.01, zeroPoint: 0 } : undefined;
      const ctx = concatCtx(shapes, axis, dtype, { outShape, quants: shapes.map(() => q), outQuant: q });
      const datas = shapes.map((s) => {
        const n = elementCount(s);
        return dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : dtype === 'int32' ? randomInt32(n, rand, -(2 ** 31), 2 ** 31 - 1) : Float32Array.from({ length: n }, () => rand() * 4 - 2);
      });
      cases.push({ ctx, params: concatenation.prepare(ctx), inputs: datas });
    }
    const got = runOpCasesInC(concatenation, cases);
    const want = runOpCasesInTs(concatenation, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
