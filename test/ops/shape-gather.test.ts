/**
 * SHAPE and GATHER: the shape ops the converter emits under an unfixed batch. Both are folded to
 * constants at import (test/passes/shape-fold.test.ts); these pin their reference semantics,
 * and GATHER's C kernel against that reference.
 */
import { describe, expect, it } from 'vitest';
import { GraphError, InputError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { gather } from '../../src/ops/gather.js';
import { shape } from '../../src/ops/shape.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

describe('SHAPE', () => {
  it('writes the input dimensions as int32 or int64', () => {
    const ctx = singleOpContext('SHAPE', { outType: 'int32' }, [{ shape: [1, 7, 7, 16], dtype: 'int8' }], [{ shape: [4], dtype: 'int32' }]);
    expect(shape.inferShapes(ctx)).toEqual([[4]]);
    const out = new Int32Array(4);
    shape.evaluate(shape.prepare(ctx), [undefined], [out]);
    expect(Array.from(out)).toEqual([1, 7, 7, 16]);
    const ctx64 = singleOpContext('SHAPE', { outType: 'int64' }, [{ shape: [3, 5], dtype: 'float32' }], [{ shape: [2], dtype: 'int64' }]);
    const out64 = new BigInt64Array(2);
    shape.evaluate(shape.prepare(ctx64), [undefined], [out64]);
    expect(Array.from(out64)).toEqual([3n, 5n]);
  });

  it('gives a scalar input an empty shape and rejects an out_type unlike the output tensor', () => {
    const scalar = singleOpContext('SHAPE', { outType: 'int32' }, [{ shape: [], dtype: 'int8' }], [{ shape: [0], dtype: 'int32' }]);
    expect(shape.inferShapes(scalar)).toEqual([[0]]);
    const bad = singleOpContext('SHAPE', { outType: 'int64' }, [{ shape: [2], dtype: 'int8' }], [{ shape: [1], dtype: 'int32' }]);
    expect(() => shape.prepare(bad)).toThrow(UnsupportedOpError);
  });
});

function gatherRun(inShape: number[], dtype: DType, data: TensorData, coordsShape: number[], coords: number[], axis: number, batchDims = 0) {
  const spec = (outShape: number[]) =>
    singleOpContext('GATHER', { axis, batchDims }, [{ shape: inShape, dtype }, { shape: coordsShape, dtype: 'int32', data: Int32Array.from(coords) }], [{ shape: outShape, dtype }]);
  const [outShape] = gather.inferShapes(spec([]));
  const ctx = spec(outShape);
  const out = allocTensorData(dtype, elementCount(outShape));
  gather.evaluate(gather.prepare(ctx), [data, Int32Array.from(coords)], [out]);
  return { shape: outShape, values: Array.from(out as Int32Array) };
}

describe('GATHER', () => {
  it('picks elements of a shape vector (axis 0, scalar and vector positions)', () => {
    expect(gatherRun([4], 'int32', Int32Array.from([1, 7, 7, 16]), [], [0], 0)).toEqual({ shape: [], values: [1] });
    expect(gatherRun([4], 'int32', Int32Array.from([1, 7, 7, 16]), [2], [3, 1], 0)).toEqual({ shape: [2], values: [16, 7] });
  });

  it('gathers rows and columns of a matrix (int8, float32)', () => {
    const m = Int8Array.from([1, 2, 3, 4, 5, 6]); // [[1, 2, 3], [4, 5, 6]]
    expect(gatherRun([2, 3], 'int8', m, [3], [1, 0, 1], 0)).toEqual({ shape: [3, 3], values: [4, 5, 6, 1, 2, 3, 4, 5, 6] });
    expect(gatherRun([2, 3], 'int8', m, [2], [2, 0], 1)).toEqual({ shape: [2, 2], values: [3, 1, 6, 4] });
    expect(gatherRun([2, 3], 'float32', Float32Array.from([0.5, 1, 2, 4, 8, 16]), [1], [2], -1).values).toEqual([2, 16]);
  });

  it('honours batch_dims (one set of positions per batch)', () => {
    // input [2, 3], positions [2, 1]: batch 0 takes column 2, batch 1 column 0.
    expect(gatherRun([2, 3], 'int8', Int8Array.from([1, 2, 3, 4, 5, 6]), [2, 1], [2, 0], 1, 1)).toEqual({ shape: [2, 1], values: [3, 4] });
  });

  it('rejects out-of-range positions, non-int32 positions, bad axes and unsupported dtypes', () => {
    expect(() => gatherRun([4], 'int32', new Int32Array(4), [1], [4], 0)).toThrow(GraphError);
    const ctx = (coordsDtype: DType, axis: number, dtype: DType = 'int8') =>
      singleOpContext('GATHER', { axis, batchDims: 0 }, [{ shape: [4], dtype }, { shape: [1], dtype: coordsDtype }], [{ shape: [1], dtype }]);
    expect(() => gather.inferShapes(ctx('int64', 0))).toThrow(UnsupportedOpError);
    expect(() => gather.inferShapes(ctx('int32', 1))).toThrow(/axis 1/);
    expect(() => gather.prepare(ctx('int32', 0, 'int16'))).toThrow(UnsupportedOpError);
    // Positions only known at run time are checked when the kernel runs.
    const live = ctx('int32', 0);
    expect(() => gather.evaluate(gather.prepare(live), [new Int8Array(4), Int32Array.from([-1])], [new Int8Array(1)])).toThrow(InputError);
  });
});

describe('GATHER C kernel', () => {
  it('matches the reference byte for byte on random shapes, axes, batch_dims and kinds (ASan/UBSan)', () => {
    const rand = rng(1313);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const dtypes: DType[] = ['int8', 'float32', 'int32'];
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 30; k++) {
      const dtype = dtypes[k % 3];
      const inShape = Array.from({ length: int(1, 4) }, () => int(1, 4));
      const axis = int(0, inShape.length - 1);
      const batchDims = int(0, Math.min(axis, 1));
      const coordsShape = [...inShape.slice(0, batchDims), ...Array.from({ length: int(0, 2) }, () => int(1, 3))];
      const coords = randomInt32(elementCount(coordsShape), rand, 0, inShape[axis] - 1);
      // Half the cases take the positions as a constant, half as an activation (no data in the graph).
      const constant = k % 2 === 0;
      const spec = (outShape: number[]) =>
        singleOpContext('GATHER', { axis: rand() < 0.3 ? axis - inShape.length : axis, batchDims }, [{ shape: inShape, dtype }, { shape: coordsShape, dtype: 'int32', ...(constant ? { data: coords } : {}) }], [{ shape: outShape, dtype }]);
      const ctx = spec(gather.inferShapes(spec([]))[0]);
      const n = elementCount(inShape);
      const data: TensorData = dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int32' ? randomInt32(n, rand, -1e9, 1e9) : Float32Array.from({ length: n }, () => rand() * 8 - 4);
      cases.push({ ctx, params: gather.prepare(ctx), inputs: [data, coords] });
    }
    const got = runOpCasesInC(gather, cases, { sanitize: true });
    const want = runOpCasesInTs(gather, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });

  it('writes a zero slice for a run-time position outside the axis instead of reading past the input', () => {
    const ctx = singleOpContext('GATHER', { axis: 0, batchDims: 0 }, [{ shape: [3, 2], dtype: 'int8' }, { shape: [3], dtype: 'int32' }], [{ shape: [3, 2], dtype: 'int8' }]);
    const [out] = runOpCasesInC(gather, [{ ctx, params: gather.prepare(ctx), inputs: [Int8Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([2, 3, -1])] }], { sanitize: true })[0];
    expect(Array.from(out as Int8Array)).toEqual([5, 6, 0, 0, 0, 0]);
  });
});
