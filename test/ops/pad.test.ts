import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { pad } from '../../src/ops/pad.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import type { TensorSpec } from '../helpers/op-graph.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

interface PadCase {
  inShape: number[];
  paddings: number[][];
  dtype: DType;
  zp?: number;
  int64?: boolean;
  constant?: TensorSpec;
  outShape?: number[];
}

function padCtx(c: PadCase) {
  const flat = c.paddings.flat();
  const paddings: TensorSpec = c.int64
    ? { shape: [c.paddings.length, 2], dtype: 'int64', data: BigInt64Array.from(flat.map(BigInt)) }
    : { shape: [c.paddings.length, 2], dtype: 'int32', data: Int32Array.from(flat) };
  const quant = c.dtype === 'int8' || c.dtype === 'int16' ? { scale: 0.05, zeroPoint: c.zp ?? 0 } : undefined;
  const outShape = c.outShape ?? c.inShape.map((d, i) => d + c.paddings[i][0] + c.paddings[i][1]);
  const inputs: (TensorSpec | undefined)[] = [{ shape: c.inShape, dtype: c.dtype, quant }, paddings];
  if (c.constant) inputs.push(c.constant);
  return singleOpContext('PAD', {}, inputs, [{ shape: outShape, dtype: c.dtype, quant }]);
}

function run(c: PadCase, data: TensorData): number[] {
  const ctx = padCtx(c);
  const params = pad.prepare(ctx);
  const out = allocTensorData(c.dtype, elementCount(ctx.outputs[0].shape));
  pad.evaluate(params, [data, ctx.inputs[1]!.data, ctx.inputs[2]?.data], [out]);
  return Array.from(out as Int8Array);
}

describe('PAD shape rule', () => {
  it('adds before/after paddings per dimension', () => {
    expect(pad.inferShapes(padCtx({ inShape: [1, 2, 3, 4], paddings: [[0, 0], [1, 1], [2, 0], [0, 3]], dtype: 'int8' }))).toEqual([[1, 4, 5, 7]]);
    expect(pad.inferShapes(padCtx({ inShape: [3], paddings: [[2, 1]], dtype: 'int8', int64: true }))).toEqual([[6]]);
  });

  it('rejects wrong paddings shapes, negative paddings, non-constant paddings and >5-D inputs', () => {
    expect(() => pad.inferShapes(padCtx({ inShape: [2, 2], paddings: [[1, 1]], dtype: 'int8', outShape: [4, 2] }))).toThrow(GraphError);
    expect(() => pad.inferShapes(padCtx({ inShape: [2], paddings: [[-1, 1]], dtype: 'int8', outShape: [2] }))).toThrow(/negative/);
    const dyn = singleOpContext('PAD', {}, [{ shape: [2], dtype: 'int8' }, { shape: [1, 2], dtype: 'int32' }], [{ shape: [4], dtype: 'int8' }]);
    expect(() => pad.inferShapes(dyn)).toThrow(UnsupportedOpError);
    const six = [1, 1, 1, 1, 1, 2];
    expect(() => pad.inferShapes(padCtx({ inShape: six, paddings: six.map(() => [0, 0]), dtype: 'int8' }))).toThrow(UnsupportedOpError);
    expect(() => pad.prepare(padCtx({ inShape: [2], paddings: [[1, 1]], dtype: 'int8', outShape: [5] }))).toThrow(GraphError);
  });
});

describe('PAD reference', () => {
  it('pads int8 with the output zero point (a real 0.0)', () => {
    // [[1,2,3],[4,5,6]] padded one row above and two columns after, zp -5.
    const got = run({ inShape: [2, 3], paddings: [[1, 0], [0, 2]], dtype: 'int8', zp: -5 }, Int8Array.from([1, 2, 3, 4, 5, 6]));
    expect(got).toEqual([-5, -5, -5, -5, -5, 1, 2, 3, -5, -5, 4, 5, 6, -5, -5]);
  });

  it('pads a 4-D NHWC image spatially', () => {
    // 1x2x2x1 -> 1x4x4x1 with one pixel of padding all around, zp 3.
    const got = run({ inShape: [1, 2, 2, 1], paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], dtype: 'int8', zp: 3 }, Int8Array.from([10, 20, 30, 40]));
    expect(got).toEqual([3, 3, 3, 3, 3, 10, 20, 3, 3, 30, 40, 3, 3, 3, 3, 3]);
  });

  it('pads the channel and batch dims too', () => {
    const got = run({ inShape: [1, 1, 1, 2], paddings: [[1, 0], [0, 0], [0, 0], [1, 1]], dtype: 'int8', zp: 0 }, Int8Array.from([7, 8]));
    expect(got).toEqual([0, 0, 0, 0, 0, 7, 8, 0]);
  });

  it('pads int16 with 0 even for a nonzero zero point, as TFLite Micro does', () => {
    const got = run({ inShape: [2], paddings: [[1, 1]], dtype: 'int16', zp: 12 }, Int16Array.from([-300, 300]));
    expect(got).toEqual([0, -300, 300, 0]);
  });

  it('pads float32 and int32 with 0', () => {
    expect(run({ inShape: [1, 2], paddings: [[0, 1], [1, 0]], dtype: 'float32' }, Float32Array.from([1.5, -2.25]))).toEqual([0, 1.5, -2.25, 0, 0, 0]);
    expect(run({ inShape: [3], paddings: [[0, 2]], dtype: 'int32', int64: true }, Int32Array.from([-1, 1 << 30, 7]))).toEqual([-1, 1 << 30, 7, 0, 0]);
  });

  it('pads 5-D inputs', () => {
    const got = run({ inShape: [1, 1, 1, 1, 1], paddings: [[1, 0], [0, 1], [0, 0], [0, 0], [0, 0]], dtype: 'int8', zp: -1 }, Int8Array.from([9]));
    // Output [2,2,1,1,1]: batch 0 all padding, batch 1 = [9, pad].
    expect(got).toEqual([-1, -1, 9, -1]);
  });

  it('uses a constant pad-value input (PADV2) when given', () => {
    const constant: TensorSpec = { shape: [], dtype: 'int8', quant: { scale: 0.05, zeroPoint: 4 }, data: Int8Array.from([-100]) };
    expect(run({ inShape: [2], paddings: [[1, 1]], dtype: 'int8', zp: 4, constant }, Int8Array.from([1, 2]))).toEqual([-100, 1, 2, -100]);
    const misq: TensorSpec = { ...constant, quant: { scale: 0.1, zeroPoint: 4 } };
    expect(() => pad.prepare(padCtx({ inShape: [2], paddings: [[1, 1]], dtype: 'int8', zp: 4, constant: misq }))).toThrow(UnsupportedOpError);
  });

  it('rejects unsupported dtypes', () => {
    expect(() => pad.prepare(padCtx({ inShape: [2], paddings: [[1, 1]], dtype: 'uint8' }))).toThrow(UnsupportedOpError);
    const mixed = singleOpContext('PAD', {}, [{ shape: [2], dtype: 'int8' }, { shape: [1, 2], dtype: 'int32', data: Int32Array.from([0, 0]) }], [{ shape: [2], dtype: 'int16' }]);
    expect(() => pad.prepare(mixed)).toThrow(/int8.*int16/);
  });
});

describe('PAD C kernel', () => {
  it('matches evaluate byte for byte on random shapes, ranks, paddings and dtypes', () => {
    const rand = rng(1234);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const dtypes: DType[] = ['int8', 'int16', 'int32', 'float32'];
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 40; k++) {
      const dtype = dtypes[k % 4];
      const rank = int(1, 5);
      const inShape = Array.from({ length: rank }, () => int(1, 4));
      const paddings = inShape.map(() => [rand() < 0.4 ? 0 : int(0, 3), rand() < 0.4 ? 0 : int(0, 3)]);
      const ctx = padCtx({ inShape, paddings, dtype, zp: int(-128, 127), int64: rand() < 0.3 });
      const n = elementCount(inShape);
      const data =
        dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : dtype === 'int32' ? randomInt32(n, rand, -(2 ** 31), 2 ** 31 - 1) : Float32Array.from({ length: n }, () => rand() * 10 - 5);
      cases.push({ ctx, params: pad.prepare(ctx), inputs: [data] }); // constant operands are baked into params
    }
    const got = runOpCasesInC(pad, cases);
    const want = runOpCasesInTs(pad, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
