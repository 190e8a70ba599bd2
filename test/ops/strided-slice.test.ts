import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { StridedSliceAttrs } from '../../src/ops/strided-slice.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { stridedSlice } from '../../src/ops/strided-slice.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import type { TensorSpec } from '../helpers/op-graph.js';
import { randomInt16, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

interface SCase {
  shape: number[];
  begin: number[];
  end: number[];
  strides?: number[];
  masks?: Partial<StridedSliceAttrs>;
  dtype?: DType;
  outShape?: number[];
}

const vec = (v: number[]): TensorSpec => ({ shape: [v.length], dtype: 'int32', data: Int32Array.from(v) });

function ctxOf(c: SCase, outShape: number[]) {
  const attrs: StridedSliceAttrs = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false, ...c.masks };
  const dtype = c.dtype ?? 'int8';
  const strides = c.strides ?? c.begin.map(() => 1);
  return singleOpContext('STRIDED_SLICE', attrs, [{ shape: c.shape, dtype }, vec(c.begin), vec(c.end), vec(strides)], [{ shape: outShape, dtype }]);
}

function shapeOf(c: SCase): number[] {
  return stridedSlice.inferShapes(ctxOf(c, []))[0];
}

/** Output shape and values, for an input holding 1, 2, 3, ... */
function run(c: SCase): { shape: number[]; values: number[] } {
  const shape = c.outShape ?? shapeOf(c);
  const ctx = ctxOf(c, shape);
  const params = stridedSlice.prepare(ctx);
  const dtype = c.dtype ?? 'int8';
  const input = allocTensorData(dtype, elementCount(c.shape));
  for (let i = 0; i < input.length; i++) (input as Int8Array)[i] = i + 1;
  const out = allocTensorData(dtype, elementCount(shape));
  stridedSlice.evaluate(params, [input, undefined, undefined, undefined], [out]);
  return { shape, values: Array.from(out as Int8Array) };
}

describe('STRIDED_SLICE 1-D semantics', () => {
  it('slices [begin, end)', () => {
    expect(run({ shape: [4], begin: [1], end: [3] })).toEqual({ shape: [2], values: [2, 3] });
  });

  it('wraps negative begin/end once and clamps out-of-range indices', () => {
    expect(run({ shape: [4], begin: [-3], end: [3] }).values).toEqual([2, 3]);
    expect(run({ shape: [4], begin: [-5], end: [5] }).values).toEqual([1, 2, 3, 4]);
    expect(run({ shape: [4], begin: [-9], end: [-7] }).values).toEqual([]);
  });

  it('begin_mask and end_mask select the full range', () => {
    expect(run({ shape: [4], begin: [1], end: [3], masks: { beginMask: 1 } }).values).toEqual([1, 2, 3]);
    expect(run({ shape: [4], begin: [1], end: [3], masks: { endMask: 1 } }).values).toEqual([2, 3, 4]);
  });

  it('steps by stride and sizes the output with ceil', () => {
    expect(run({ shape: [8], begin: [0], end: [8], strides: [3] })).toEqual({ shape: [3], values: [1, 4, 7] });
    expect(run({ shape: [8], begin: [1], end: [8], strides: [2] }).values).toEqual([2, 4, 6, 8]);
  });

  it('walks backwards with negative strides', () => {
    expect(run({ shape: [4], begin: [-1], end: [-4], strides: [-1] }).values).toEqual([4, 3, 2]);
    expect(run({ shape: [4], begin: [3], end: [0], strides: [-1], masks: { endMask: 1 } }).values).toEqual([4, 3, 2, 1]);
    expect(run({ shape: [4], begin: [0], end: [0], strides: [-1], masks: { beginMask: 1, endMask: 1 } }).values).toEqual([4, 3, 2, 1]);
    expect(run({ shape: [5], begin: [10], end: [-10], strides: [-2] }).values).toEqual([5, 3, 1]);
  });

  it('gives an empty output when the range is empty for the direction', () => {
    expect(run({ shape: [4], begin: [3], end: [1] })).toEqual({ shape: [0], values: [] });
  });

  it('offset: end is relative to begin', () => {
    expect(run({ shape: [6], begin: [1], end: [3], masks: { offset: true } })).toEqual({ shape: [3], values: [2, 3, 4] });
  });

  it('rejects a zero stride', () => {
    expect(() => shapeOf({ shape: [4], begin: [0], end: [4], strides: [0] })).toThrow(/stride 0 is 0/);
  });
});

describe('STRIDED_SLICE multi-dimensional semantics', () => {
  // 2x3: [[1,2,3],[4,5,6]]
  it('shrink_axis drops the axis and takes the element at begin', () => {
    expect(run({ shape: [2, 3], begin: [1, 0], end: [2, 3], masks: { shrinkAxisMask: 1 } })).toEqual({ shape: [3], values: [4, 5, 6] });
    // The end value of a shrunk axis is ignored (TFLite issue 19260): -1 .. 0 still takes row 1.
    expect(run({ shape: [2, 3], begin: [-1, 0], end: [0, 3], masks: { shrinkAxisMask: 1 } }).values).toEqual([4, 5, 6]);
    expect(run({ shape: [2, 3], begin: [0, -1], end: [2, 0], masks: { shrinkAxisMask: 2 } })).toEqual({ shape: [2], values: [3, 6] });
    expect(run({ shape: [2, 3], begin: [1, 2], end: [2, 3], masks: { shrinkAxisMask: 3 } })).toEqual({ shape: [], values: [6] });
  });

  it('slices every axis of a 3-D tensor', () => {
    // 2x3x2 = 1..12; [1:, ::2, 1]
    expect(run({ shape: [2, 3, 2], begin: [1, 0, 1], end: [2, 3, 2], strides: [1, 2, 1], masks: { shrinkAxisMask: 4 } })).toEqual({ shape: [1, 2], values: [8, 12] });
  });

  it('fills missing trailing specs with full ranges', () => {
    expect(run({ shape: [2, 3], begin: [1], end: [2] })).toEqual({ shape: [1, 3], values: [4, 5, 6] });
  });

  it('ellipsis expands to the unspecified middle dims', () => {
    // [2,3,4][..., 1:3] -> [2,3,2]
    const r = run({ shape: [2, 3, 4], begin: [0, 1], end: [0, 3], masks: { ellipsisMask: 1 } });
    expect(r.shape).toEqual([2, 3, 2]);
    expect(r.values.slice(0, 4)).toEqual([2, 3, 6, 7]);
    // [2,3,4][1, ..., ::-2] with shrink on the first spec -> [3,2]
    const s = run({ shape: [2, 3, 4], begin: [1, 0, 0], end: [2, 0, 0], strides: [1, 1, -2], masks: { ellipsisMask: 2, shrinkAxisMask: 1, beginMask: 4, endMask: 4 } });
    expect(s).toEqual({ shape: [3, 2], values: [16, 14, 20, 18, 24, 22] });
  });

  it('new_axis inserts size-1 dims', () => {
    // [2,3][:, newaxis, 0:2] -> [2,1,2]
    expect(run({ shape: [2, 3], begin: [0, 0, 0], end: [0, 0, 2], masks: { newAxisMask: 2, beginMask: 1, endMask: 1 } })).toEqual({ shape: [2, 1, 2], values: [1, 2, 4, 5] });
    // [2,3][newaxis] -> [1,2,3]
    expect(run({ shape: [2, 3], begin: [0], end: [0], masks: { newAxisMask: 1 } })).toEqual({ shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6] });
  });

  it('new_axis on the ellipsis position has no effect', () => {
    expect(shapeOf({ shape: [2, 3], begin: [0], end: [0], masks: { newAxisMask: 1, ellipsisMask: 1 } })).toEqual([2, 3]);
  });

  it('handles 5-D inputs', () => {
    const r = run({ shape: [2, 1, 2, 1, 3], begin: [1, 0, 0, 0, -1], end: [2, 1, 2, 1, -4], strides: [1, 1, 1, 1, -1] });
    expect(r).toEqual({ shape: [1, 1, 2, 1, 3], values: [9, 8, 7, 12, 11, 10] });
  });

  it('rejects more than 5 effective dims, bad spec lengths, run-time indices and a wrong output shape', () => {
    expect(() => shapeOf({ shape: [1, 1, 1, 1, 2], begin: [0], end: [0], masks: { newAxisMask: 1 } })).toThrow(UnsupportedOpError);
    expect(() => shapeOf({ shape: [2, 3], begin: [0, 0], end: [1] })).toThrow(GraphError);
    const dyn = singleOpContext('STRIDED_SLICE', { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false }, [{ shape: [4], dtype: 'int8' }, { shape: [1], dtype: 'int32' }, vec([2]), vec([1])], [{ shape: [2], dtype: 'int8' }]);
    expect(() => stridedSlice.inferShapes(dyn)).toThrow(UnsupportedOpError);
    expect(() => stridedSlice.prepare(ctxOf({ shape: [4], begin: [0], end: [2] }, [3]))).toThrow(GraphError);
  });

  it('rejects slices that would leave output unwritten (shrink with a negative stride)', () => {
    expect(() => stridedSlice.prepare(ctxOf({ shape: [4], begin: [1], end: [2], strides: [-1], masks: { shrinkAxisMask: 1 } }, []))).toThrow(/unwritten/);
  });
});

describe('STRIDED_SLICE dtypes', () => {
  it('slices int16, int32 and float32 the same way', () => {
    for (const dtype of ['int16', 'int32', 'float32', 'bool'] as DType[]) {
      const r = run({ shape: [4], begin: [3], end: [0], strides: [-2], dtype });
      expect(r.values).toEqual([4, 2]);
    }
  });

  it('rejects unsupported and mixed dtypes', () => {
    expect(() => stridedSlice.prepare(ctxOf({ shape: [4], begin: [0], end: [2], dtype: 'uint8' }, [2]))).toThrow(UnsupportedOpError);
    const mixed = singleOpContext('STRIDED_SLICE', { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false }, [{ shape: [4], dtype: 'int8' }, vec([0]), vec([2]), vec([1])], [{ shape: [2], dtype: 'int16' }]);
    expect(() => stridedSlice.prepare(mixed)).toThrow(/int8.*int16/);
  });
});

describe('STRIDED_SLICE C kernel', () => {
  it('matches evaluate byte for byte on random slices', () => {
    const rand = rng(5150);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const dtypes: DType[] = ['int8', 'int16', 'int32', 'float32'];
    const cases: CKernelCase[] = [];
    while (cases.length < 60) {
      const dtype = dtypes[cases.length % 4];
      const rank = int(1, 5);
      const shape = Array.from({ length: rank }, () => int(1, 5));
      const specLen = int(1, rank);
      const begin: number[] = [];
      const end: number[] = [];
      const strides: number[] = [];
      let shrinkAxisMask = 0;
      for (let i = 0; i < specLen; i++) {
        const st = rand() < 0.3 ? -int(1, 3) : int(1, 3);
        if (st > 0 && rand() < 0.15) {
          shrinkAxisMask |= 1 << i;
          begin.push(int(-shape[i], shape[i] - 1));
          end.push(int(-7, 7));
          strides.push(1);
          continue;
        }
        // Mostly ranges that run in the stride's direction, some written as negative indices,
        // some overshooting (clamped), some arbitrary.
        const size = shape[i];
        const b = int(0, size - 1);
        const e = b + Math.sign(st) * int(1, size + 1);
        const neg = (x: number) => (x >= 0 && x < size && rand() < 0.3 ? x - size : x);
        begin.push(rand() < 0.1 ? int(-7, 7) : neg(b));
        end.push(rand() < 0.1 ? int(-7, 7) : neg(e));
        strides.push(st);
      }
      const c: SCase = { shape, begin, end, strides, dtype, masks: { beginMask: int(0, 31), endMask: int(0, 31), shrinkAxisMask } };
      const outShape = shapeOf(c);
      const ctx = ctxOf(c, outShape);
      const n = elementCount(shape);
      const data: TensorData = dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : dtype === 'int32' ? Int32Array.from({ length: n }, () => int(-1e9, 1e9)) : Float32Array.from({ length: n }, () => rand());
      cases.push({ ctx, params: stridedSlice.prepare(ctx), inputs: [data] });
    }
    expect(cases.filter((c) => elementCount(c.ctx.outputs[0].shape) > 1).length).toBeGreaterThan(30);
    const got = runOpCasesInC(stridedSlice, cases);
    const want = runOpCasesInTs(stridedSlice, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
