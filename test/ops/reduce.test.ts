import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { quantizeMultiplier } from '../../src/fixedpoint.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { mean, sum } from '../../src/ops/reduce.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import type { TensorSpec } from '../helpers/op-graph.js';
import { randomInt16, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

type Q = { scale: number; zeroPoint: number };

interface RCase {
  op: 'MEAN' | 'SUM';
  shape: number[];
  axes: number[];
  keepDims: boolean;
  dtype: DType;
  inQ?: Q;
  outQ?: Q;
  outShape?: number[];
}

function ctxOf(c: RCase) {
  const axis: TensorSpec = { shape: [c.axes.length], dtype: 'int32', data: Int32Array.from(c.axes) };
  const probe = singleOpContext(c.op, { keepDims: c.keepDims }, [{ shape: c.shape, dtype: c.dtype, quant: c.inQ }, axis], [{ shape: [], dtype: c.dtype, quant: c.outQ }]);
  const def = c.op === 'MEAN' ? mean : sum;
  const outShape = c.outShape ?? def.inferShapes(probe as never)[0];
  return singleOpContext(c.op, { keepDims: c.keepDims }, [{ shape: c.shape, dtype: c.dtype, quant: c.inQ }, axis], [{ shape: outShape, dtype: c.dtype, quant: c.outQ }]);
}

function run(c: RCase, data: TensorData): number[] {
  const ctx = ctxOf(c);
  const def = c.op === 'MEAN' ? mean : sum;
  const params = def.prepare(ctx as never);
  const out = allocTensorData(c.dtype, elementCount(ctx.outputs[0].shape));
  def.evaluate(params, [data, ctx.inputs[1]!.data], [out]);
  return Array.from(out as Int8Array);
}

const unit: Q = { scale: 1, zeroPoint: 0 };

describe('MEAN/SUM shape rule', () => {
  const shapeOf = (shape: number[], axes: number[], keepDims: boolean) => mean.inferShapes(ctxOf({ op: 'MEAN', shape, axes, keepDims, dtype: 'int8', inQ: unit, outQ: unit, outShape: [] }) as never)[0];

  it('drops or keeps reduced dims', () => {
    expect(shapeOf([1, 4, 4, 8], [1, 2], true)).toEqual([1, 1, 1, 8]);
    expect(shapeOf([1, 4, 4, 8], [1, 2], false)).toEqual([1, 8]);
    expect(shapeOf([2, 3], [0, 1], false)).toEqual([]);
  });

  it('resolves negative and duplicate axes', () => {
    expect(shapeOf([1, 4, 4, 8], [-3, 2, -2, 1], false)).toEqual([1, 8]);
    expect(shapeOf([1, 4, 4, 8], [-1], true)).toEqual([1, 4, 4, 1]);
  });

  it('treats an empty axis list as no reduction and a scalar input as a scalar', () => {
    expect(shapeOf([2, 3], [], false)).toEqual([2, 3]);
    expect(shapeOf([], [0], false)).toEqual([]);
  });

  it('rejects out-of-range axes, non-constant axes and a wrong declared shape', () => {
    expect(() => shapeOf([2, 3], [2], false)).toThrow(GraphError);
    expect(() => shapeOf([2, 3], [-3], false)).toThrow(/axis -3/);
    const dyn = singleOpContext('MEAN', { keepDims: false }, [{ shape: [2], dtype: 'int8' }, { shape: [1], dtype: 'int32' }], [{ shape: [], dtype: 'int8' }]);
    expect(() => mean.inferShapes(dyn)).toThrow(UnsupportedOpError);
    expect(() => mean.prepare(ctxOf({ op: 'MEAN', shape: [2, 3], axes: [1], keepDims: false, dtype: 'int8', inQ: unit, outQ: unit, outShape: [3] }) as never)).toThrow(GraphError);
  });
});

describe('MEAN/SUM int8 reference (QuantizedMeanOrSum)', () => {
  it('SUM with equal quantization adds the values', () => {
    expect(run({ op: 'SUM', shape: [1, 2, 2, 1], axes: [1, 2], keepDims: true, dtype: 'int8', inQ: unit, outQ: unit }, Int8Array.from([1, 2, 3, 4]))).toEqual([10]);
  });

  it('SUM saturates at the int8 range', () => {
    expect(run({ op: 'SUM', shape: [2, 2], axes: [1], keepDims: false, dtype: 'int8', inQ: unit, outQ: unit }, Int8Array.from([127, 127, -128, -128]))).toEqual([127, -128]);
  });

  it('SUM removes the input zero point per element and rescales', () => {
    // zp_in 10, scale 0.5 -> real values (20-10)*0.5=5 and (30-10)*0.5=10; sum 15; out scale 1 zp -5 -> 10.
    expect(run({ op: 'SUM', shape: [2], axes: [0], keepDims: false, dtype: 'int8', inQ: { scale: 0.5, zeroPoint: 10 }, outQ: { scale: 1, zeroPoint: -5 } }, Int8Array.from([20, 30]))).toEqual([10]);
  });

  it('MEAN folds 1/count into the multiplier (count 4: multiplier 2^30, shift -1)', () => {
    const ctx = ctxOf({ op: 'MEAN', shape: [1, 2, 2, 1], axes: [1, 2], keepDims: true, dtype: 'int8', inQ: unit, outQ: unit });
    const p = mean.prepare(ctx as never);
    expect(p.multiplier).toBe(2 ** 30);
    expect(p.shift).toBe(-1);
    // 11/4 = 2.75 -> 3; -10/4 = -2.5 -> -3 (ties away from zero).
    expect(run({ op: 'MEAN', shape: [1, 2, 2, 1], axes: [1, 2], keepDims: true, dtype: 'int8', inQ: unit, outQ: unit }, Int8Array.from([1, 2, 3, 5]))).toEqual([3]);
    expect(run({ op: 'MEAN', shape: [1, 2, 2, 1], axes: [1, 2], keepDims: true, dtype: 'int8', inQ: unit, outQ: unit }, Int8Array.from([-1, -2, -3, -4]))).toEqual([-3]);
  });

  it('MEAN rounds twice like the reference: mean of [1,0,0,0] (0.25) is 1', () => {
    // SaturatingRoundingDoublingHighMul gives round(1 * 0.5) = 1, then the rounding shift by 1 gives round(0.5) = 1.
    expect(run({ op: 'MEAN', shape: [4], axes: [0], keepDims: false, dtype: 'int8', inQ: unit, outQ: unit }, Int8Array.from([1, 0, 0, 0]))).toEqual([1]);
  });

  it('MEAN over 3 elements divides the multiplier by 3 in integers', () => {
    const ctx = ctxOf({ op: 'MEAN', shape: [3], axes: [0], keepDims: false, dtype: 'int8', inQ: unit, outQ: unit });
    const p = mean.prepare(ctx as never);
    // quantizeMultiplier(1) = 2^30 * 2^1; s = floor(log2 3) = 1 -> (2^30 << 1) / 3 truncated, shift 0.
    expect(p.multiplier).toBe(Math.floor(2 ** 31 / 3));
    expect(p.shift).toBe(0);
    expect(run({ op: 'MEAN', shape: [3], axes: [0], keepDims: false, dtype: 'int8', inQ: unit, outQ: unit }, Int8Array.from([1, 1, 2]))).toEqual([1]);
    expect(run({ op: 'MEAN', shape: [3], axes: [0], keepDims: false, dtype: 'int8', inQ: unit, outQ: unit }, Int8Array.from([2, 2, 1]))).toEqual([2]);
  });

  it('MEAN clamps the fold shift to 31 + shift for tiny multipliers', () => {
    const inQ = { scale: 1e-6, zeroPoint: 0 };
    const ctx = ctxOf({ op: 'MEAN', shape: [8192], axes: [0], keepDims: false, dtype: 'int8', inQ, outQ: unit });
    const p = mean.prepare(ctx as never);
    const base = quantizeMultiplier(Math.fround(1e-6));
    const s = Math.min(13, 32, 31 + base.shift);
    expect(s).toBeLessThan(13);
    expect(p.shift).toBe(base.shift - s);
    expect(p.shift).toBeGreaterThanOrEqual(-31);
    expect(p.multiplier).toBe(Number((BigInt(base.multiplier) << BigInt(s)) / 8192n));
  });

  it('MEAN with requantization and zero points (global average pool of NHWC channels)', () => {
    // 1x2x2x2, channels interleaved: ch0 = [10, 20, 30, 40], ch1 = [-10, -10, -10, -6]; zp_in 2, scale 0.1; out scale 0.2 zp 1.
    const data = Int8Array.from([10, -10, 20, -10, 30, -10, 40, -6]);
    const got = run({ op: 'MEAN', shape: [1, 2, 2, 2], axes: [1, 2], keepDims: true, dtype: 'int8', inQ: { scale: 0.1, zeroPoint: 2 }, outQ: { scale: 0.2, zeroPoint: 1 } }, data);
    // ch0: mean(q - 2) = 23, *0.5 = 11.5 -> 12, +1 = 13. ch1: mean = -11.5, *0.5 = -5.75 -> -6, +1 = -5.
    expect(got).toEqual([13, -5]);
  });

  it('reduces non-adjacent axes and keeps output order', () => {
    // [2,3,2]: sum over axes 0 and 2 -> 3 outputs.
    const data = Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(run({ op: 'SUM', shape: [2, 3, 2], axes: [2, 0], keepDims: false, dtype: 'int8', inQ: unit, outQ: unit }, data)).toEqual([1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12]);
  });

  it('an empty axis list requantizes element-wise (ties of the high multiply round toward +inf)', () => {
    // 1.5 -> 2 but -1.5 -> -1: gemmlowp's SaturatingRoundingDoublingHighMul nudge is not symmetric.
    expect(run({ op: 'MEAN', shape: [3], axes: [], keepDims: false, dtype: 'int8', inQ: { scale: 0.5, zeroPoint: 0 }, outQ: unit }, Int8Array.from([3, -3, 100]))).toEqual([2, -1, 50]);
  });

  it('outputs 0 (not the zero point) for a zero-sized input, as TFLite does', () => {
    expect(run({ op: 'SUM', shape: [2, 0], axes: [1], keepDims: false, dtype: 'int8', inQ: unit, outQ: { scale: 1, zeroPoint: 7 } }, new Int8Array(0))).toEqual([0, 0]);
  });
});

describe('MEAN/SUM int16', () => {
  it('SUM wraps its int32 accumulator like the reference', () => {
    // 70000 elements of 32767 sum to 2293690000 > 2^31: the int32 sum wraps negative.
    const n = 70000;
    const data = new Int16Array(n).fill(32767);
    const q: Q = { scale: 1, zeroPoint: 0 };
    const outQ: Q = { scale: 2 ** 20, zeroPoint: 0 };
    const wrapped = (32767 * n) | 0;
    const got = run({ op: 'SUM', shape: [n], axes: [0], keepDims: false, dtype: 'int16', inQ: q, outQ }, data);
    expect(wrapped).toBeLessThan(0);
    expect(got).toEqual([Math.round(wrapped / 2 ** 20)]);
  });

  it('MEAN int16', () => {
    expect(run({ op: 'MEAN', shape: [2, 2], axes: [-1], keepDims: true, dtype: 'int16', inQ: { scale: 0.001, zeroPoint: 0 }, outQ: { scale: 0.001, zeroPoint: 0 } }, Int16Array.from([1000, 3001, -32768, 32767]))).toEqual([2001, 0]);
  });
});

describe('MEAN/SUM float32', () => {
  it('computes float sums and means (the 4-D H/W path and the generic path agree)', () => {
    const data = Float32Array.from([1, 2, 3, 4.5, -1, 0.25, 8, 2]);
    expect(run({ op: 'MEAN', shape: [1, 2, 2, 2], axes: [1, 2], keepDims: true, dtype: 'float32' }, data)).toEqual([2.75, 2.1875]);
    expect(run({ op: 'MEAN', shape: [1, 2, 2, 2], axes: [2, 1], keepDims: false, dtype: 'float32' }, data)).toEqual([2.75, 2.1875]);
    expect(run({ op: 'SUM', shape: [2, 4], axes: [0], keepDims: false, dtype: 'float32' }, data)).toEqual([0, 2.25, 11, 6.5]);
  });

  it('accumulates in float32 precision', () => {
    const data = Float32Array.from([16777216, 1, 1]);
    // In float32 16777216 + 1 == 16777216, so the sum stays 16777216.
    expect(run({ op: 'SUM', shape: [3], axes: [0], keepDims: false, dtype: 'float32' }, data)).toEqual([16777216]);
  });

});

describe('MEAN/SUM unsupported', () => {
  it('rejects other dtypes and mixed dtypes', () => {
    expect(() => sum.prepare(ctxOf({ op: 'SUM', shape: [2], axes: [0], keepDims: false, dtype: 'int32' }) as never)).toThrow(UnsupportedOpError);
    const axis: TensorSpec = { shape: [1], dtype: 'int32', data: Int32Array.of(0) };
    const mixed = singleOpContext('MEAN', { keepDims: false }, [{ shape: [2], dtype: 'int8', quant: unit }, axis], [{ shape: [], dtype: 'int16', quant: unit }]);
    expect(() => mean.prepare(mixed)).toThrow(/int8.*int16/);
  });
});

describe('MEAN/SUM C kernel', () => {
  it('matches evaluate byte for byte on random shapes, axes, scales and zero points', () => {
    const rand = rng(2024);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 60; k++) {
      const op = k % 2 === 0 ? 'MEAN' : 'SUM';
      const dtype: DType = k % 4 < 2 ? 'int8' : 'int16';
      const rank = int(1, 5);
      const shape = Array.from({ length: rank }, () => int(1, 5));
      const axes = Array.from({ length: int(0, rank + 1) }, () => int(-rank, rank - 1));
      const lim = dtype === 'int8' ? 127 : 0;
      const inQ = { scale: 0.001 + rand() * 0.2, zeroPoint: int(-lim, lim) };
      const outQ = { scale: 0.001 + rand() * (op === 'SUM' ? 2 : 0.2), zeroPoint: int(-lim, lim) };
      const c: RCase = { op, shape, axes, keepDims: rand() < 0.5, dtype, inQ, outQ };
      const ctx = ctxOf(c);
      const def = op === 'MEAN' ? mean : sum;
      const n = elementCount(shape);
      cases.push({ ctx, params: def.prepare(ctx as never), inputs: [dtype === 'int8' ? randomInt8(n, rand) : randomInt16(n, rand)] });
    }
    // Larger realistic case: global average pool 7x7x64.
    const gap = ctxOf({ op: 'MEAN', shape: [1, 7, 7, 64], axes: [1, 2], keepDims: true, dtype: 'int8', inQ: { scale: 0.05, zeroPoint: -12 }, outQ: { scale: 0.03, zeroPoint: 5 } });
    cases.push({ ctx: gap, params: mean.prepare(gap as never), inputs: [randomInt8(7 * 7 * 64, rand)] });
    // MEAN and SUM share params and kernels, so one def runs them all.
    const got = runOpCasesInC(mean, cases);
    const want = runOpCasesInTs(mean, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
