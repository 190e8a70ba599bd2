/**
 * CUMSUM: the running sums (plain, exclusive, reversed) on TFLite Micro's own test cases, the
 * int8 arithmetic including TFLite Micro's starting offset, errors, and the C kernel against
 * the reference on random cases. Bit-exactness with TensorFlow Lite Micro itself is pinned by
 * the ops_c_cumsum* fixtures (test/golden/ops-c-golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { cumsum } from '../../src/ops/cumsum.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

function ctxOf(shape: number[], axis: number, exclusive: boolean, reverse: boolean, dtype: DType = 'float32', qi?: [number, number], qo?: [number, number]) {
  const quant = (q?: [number, number]) => (q ? { scale: Math.fround(q[0]), zeroPoint: q[1] } : undefined);
  return singleOpContext(
    'CUMSUM',
    { exclusive, reverse },
    [{ shape, dtype, quant: quant(qi) }, { shape: [], dtype: 'int32', data: Int32Array.from([axis]) }],
    [{ shape, dtype, quant: quant(qo) }],
  );
}

function run(ctx: ReturnType<typeof ctxOf>, x: TensorData): number[] {
  const out = allocTensorData(ctx.outputs[0].dtype, elementCount(ctx.outputs[0].shape));
  cumsum.evaluate(cumsum.prepare(ctx), [x, ctx.inputs[1]!.data], [out]);
  return Array.from(out as Float32Array);
}

describe('CUMSUM float32 (cumsum_test.cc)', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

  it('sums along axis 1 of a 2x4, plain, exclusive, reversed and both', () => {
    expect(run(ctxOf([2, 4], 1, false, false), x)).toEqual([1, 3, 6, 10, 5, 11, 18, 26]);
    expect(run(ctxOf([2, 4], 1, true, false), x)).toEqual([0, 1, 3, 6, 0, 5, 11, 18]);
    expect(run(ctxOf([2, 4], 1, false, true), x)).toEqual([10, 9, 7, 4, 26, 21, 15, 8]);
    expect(run(ctxOf([2, 4], -1, true, true), x)).toEqual([9, 7, 4, 0, 21, 15, 8, 0]);
  });

  it('sums along axis 0', () => {
    expect(run(ctxOf([2, 4], 0, false, false), x)).toEqual([1, 2, 3, 4, 6, 8, 10, 12]);
  });

  it('rejects a non-constant or out-of-range axis and other types', () => {
    expect(() => cumsum.prepare(ctxOf([2, 4], 2, false, false))).toThrow(GraphError);
    const dynamic = singleOpContext('CUMSUM', { exclusive: false, reverse: false }, [{ shape: [4], dtype: 'float32' }, { shape: [], dtype: 'int32' }], [{ shape: [4], dtype: 'float32' }]);
    expect(() => cumsum.prepare(dynamic)).toThrow(/must be a constant int32 tensor/);
    expect(() => cumsum.prepare(ctxOf([4], 0, false, false, 'int16', [1, 0], [1, 0]))).toThrow(UnsupportedOpError);
  });
});

describe('CUMSUM int8', () => {
  it('requantizes the running sum, starting (as TFLite Micro does) from -input_zero_point', () => {
    // Input scale 0.5, zero point 4; output scale 1, zero point 0. Values 1, 2, 3 (raw 6, 8, 10):
    // the sums 1, 3, 6 plus TFLM's start of -4 * 0.5 = -2.
    const ctx = ctxOf([3], 0, false, false, 'int8', [0.5, 4], [1, 0]);
    expect(run(ctx, Int8Array.from([6, 8, 10]))).toEqual([-1, 1, 4]);
    // With zero point 0 there is no offset: the plain running sum.
    const sym = ctxOf([3], 0, true, false, 'int8', [0.5, 0], [1, 0]);
    expect(run(sym, Int8Array.from([2, 4, 6]))).toEqual([0, 1, 3]);
  });

  it('refuses an output scale too small for the requantization', () => {
    expect(() => cumsum.prepare(ctxOf([3], 0, false, false, 'int8', [1, 0], [2 ** -20, 0]))).toThrow(/output scale/);
  });
});

describe('CUMSUM C kernel', () => {
  it('matches the reference byte for byte: int8 (long rows that wrap the int32 sum too) and float32 (ASan/UBSan)', () => {
    const rand = rng(1371);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 24; k++) {
      const rank = 1 + Math.floor(rand() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 5));
      const axis = Math.floor(rand() * rank);
      if (k === 0) shape[axis] = 40;
      const n = elementCount(shape);
      const [excl, rev] = [rand() < 0.5, rand() < 0.5];
      if (k % 3 === 2) {
        const ctx = ctxOf(shape, axis, excl, rev);
        cases.push({ ctx, params: cumsum.prepare(ctx), inputs: [Float32Array.from({ length: n }, () => rand() * 8 - 4), ctx.inputs[1]!.data] });
      } else {
        const si = 2 ** (rand() * 6 - 6);
        const zp = k === 0 ? -128 : Math.floor(rand() * 256) - 128;
        const ctx = ctxOf(shape, axis, excl, rev, 'int8', [si, zp], [si * 2 ** (rand() * 6), Math.floor(rand() * 256) - 128]);
        // Case 0: 40 values of 127 at zero point -128 add 40 x 255 x 2^19 > 2^31.
        const data = k === 0 ? new Int8Array(n).fill(127) : randomInt8(n, rand);
        cases.push({ ctx, params: cumsum.prepare(ctx), inputs: [data, ctx.inputs[1]!.data] });
      }
    }
    const got = runOpCasesInC(cumsum, cases, { sanitize: true });
    const want = runOpCasesInTs(cumsum, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
