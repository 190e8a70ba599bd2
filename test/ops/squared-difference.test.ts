/**
 * SQUARED_DIFFERENCE: the quantized arithmetic on hand-checked values, the float32 and int32
 * paths, errors, and the C kernel against the reference on random cases. Bit-exactness with
 * TensorFlow Lite Micro itself is pinned by the ops_c_squared_difference(_broadcast) fixtures
 * (test/golden/ops-c-golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { squaredDifference } from '../../src/ops/squared-difference.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

type Q = [number, number] | undefined;

function ctxOf(dtype: DType, a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q) {
  const quant = (q: Q) => (q ? { scale: Math.fround(q[0]), zeroPoint: q[1] } : undefined);
  return singleOpContext('SQUARED_DIFFERENCE', {}, [{ shape: a, dtype, quant: quant(qa) }, { shape: b, dtype, quant: quant(qb) }], [{ shape: out, dtype, quant: quant(qo) }]);
}

function run(ctx: ReturnType<typeof ctxOf>, x: TensorData, y: TensorData): number[] {
  const out = allocTensorData(ctx.outputs[0].dtype, elementCount(ctx.outputs[0].shape));
  squaredDifference.evaluate(squaredDifference.prepare(ctx), [x, y], [out]);
  return Array.from(out as Int32Array);
}

describe('SQUARED_DIFFERENCE reference', () => {
  it('int8: (x - y)^2 through the shifted, rescaled difference, clamped to the type', () => {
    // Scales 0.1 and 0.05, output 0.02: real 1.0 - 0.25 -> 0.5625 -> 28.125 -> 28 (+ zp -128).
    const ctx = ctxOf('int8', [4], [4], [4], [0.1, 0], [0.05, 10], [0.02, -128]);
    const got = run(ctx, Int8Array.from([10, 0, -20, 127]), Int8Array.from([15, 10, 30, -128]));
    // 1.0-0.25=0.75 -> 0.5625/0.02=28.1; 0-0=0; -2-1=-3 -> 9/0.02 = 450 -> clamp 127; 12.7+6.9 -> clamp.
    expect(got).toEqual([28 - 128, -128, 127, 127]);
  });

  it('float32 squares the single-precision difference; int32 wraps', () => {
    const f = ctxOf('float32', [3], [1], [3], undefined, undefined, undefined);
    expect(run(f, Float32Array.from([1.5, -2, 0.1]), Float32Array.from([0.5]))).toEqual([1, 6.25, Math.fround(Math.fround(Math.fround(0.1) - 0.5) ** 2)]);
    const i = ctxOf('int32', [2], [2], [2], undefined, undefined, undefined);
    expect(run(i, Int32Array.from([7, 65536]), Int32Array.from([-3, 0]))).toEqual([100, 0]);
  });

  it('refuses int16 with non-zero zero points, mixed and unsupported types', () => {
    expect(() => squaredDifference.prepare(ctxOf('int16', [2], [2], [2], [0.01, 1], [0.01, 0], [0.01, 0]))).toThrow(/zero points 0/);
    const mixed = singleOpContext('SQUARED_DIFFERENCE', {}, [{ shape: [2], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 } }, { shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 } }]);
    expect(() => squaredDifference.prepare(mixed)).toThrow(UnsupportedOpError);
    expect(() => squaredDifference.prepare(ctxOf('uint8', [2], [2], [2], [1, 0], [1, 0], [1, 0]))).toThrow(UnsupportedOpError);
    expect(() => squaredDifference.inferShapes(ctxOf('int8', [2, 3], [4], [], [1, 0], [1, 0], [1, 0]))).toThrow(/not broadcast-compatible/);
  });
});

describe('SQUARED_DIFFERENCE C kernel', () => {
  it('matches the reference byte for byte: int8, int16, int32, float32, flat and broadcast (ASan/UBSan)', () => {
    const rand = rng(1351);
    const cases: CKernelCase[] = [];
    const shapes: [number[], number[], number[]][] = [
      [[2, 3, 4], [2, 3, 4], [2, 3, 4]],
      [[1, 3, 4, 5], [1, 1, 4, 1], [1, 3, 4, 5]],
      [[5, 1], [1, 7], [5, 7]],
      [[6], [1], [6]],
    ];
    const sc = () => 2 ** (rand() * 10 - 8);
    for (let k = 0; k < 16; k++) {
      const dtype: DType = (['int8', 'int16', 'int32', 'float32'] as const)[k % 4];
      const [a, b, o] = shapes[Math.floor(k / 4)];
      const zp = () => (dtype === 'int8' ? Math.floor(rand() * 256) - 128 : 0);
      const quantized = dtype === 'int8' || dtype === 'int16';
      const ctx = ctxOf(dtype, a, b, o, quantized ? [sc(), zp()] : undefined, quantized ? [sc(), zp()] : undefined, quantized ? [sc(), zp()] : undefined);
      const fill = (n: number): TensorData =>
        dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : dtype === 'int32' ? randomInt32(n, rand, -1e6, 1e6) : Float32Array.from({ length: n }, () => rand() * 20 - 10);
      cases.push({ ctx, params: squaredDifference.prepare(ctx), inputs: [fill(elementCount(a)), fill(elementCount(b))] });
    }
    const got = runOpCasesInC(squaredDifference, cases, { sanitize: true });
    const want = runOpCasesInTs(squaredDifference, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
