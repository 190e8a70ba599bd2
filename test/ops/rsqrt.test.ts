/**
 * RSQRT: TFLite's fixed-point 1/sqrt (GetInvSqrtQuantizedMultiplierExp) and the quantized
 * kernel around it, the C kernel against the reference, and the errors. Bit-exactness with
 * TensorFlow Lite Micro itself is pinned by the ops_b_rsqrt fixture (test/golden/ops-b-golden).
 */
import { describe, expect, it } from 'vitest';
import { InputError, UnsupportedOpError } from '../../src/errors.js';
import type { DType } from '../../src/ir/types.js';
import { invSqrtQuantizedMultiplierExp, rsqrt, rsqrtQuantized } from '../../src/ops/rsqrt.js';
import type { RsqrtQuantParams } from '../../src/ops/rsqrt.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { rng, singleOpContext } from '../helpers/op-graph.js';

function ctxOf(dtype: DType, shape: number[], inQ: [number, number], outQ: [number, number]) {
  return singleOpContext(
    'RSQRT',
    {},
    [{ shape, dtype, quant: { scale: [Math.fround(inQ[0])], zeroPoint: [inQ[1]], quantizedDimension: 0 } }],
    [{ shape, dtype, quant: { scale: [Math.fround(outQ[0])], zeroPoint: [outQ[1]], quantizedDimension: 0 } }],
  );
}

describe('RSQRT fixed-point 1/sqrt', () => {
  it('is within 2^-19 (relative) of 1/sqrt(v) for every v of the int16 range (five Newton steps from 1)', () => {
    for (let v = 2; v <= 65535; v++) {
      const { multiplier, shift } = invSqrtQuantizedMultiplierExp(v);
      const got = (multiplier / 2 ** 31) * 2 ** shift;
      expect(Math.abs(got * Math.sqrt(v) - 1), `v=${v}`).toBeLessThan(2 ** -19);
    }
  });

  it('returns the largest multiplier for 0 and 1, and normalises large values by pairs of bits', () => {
    expect(invSqrtQuantizedMultiplierExp(0)).toEqual({ multiplier: 2147483647, shift: 0 });
    expect(invSqrtQuantizedMultiplierExp(1)).toEqual({ multiplier: 2147483647, shift: 0 });
    const big = invSqrtQuantizedMultiplierExp(2 ** 30);
    expect((big.multiplier / 2 ** 31) * 2 ** big.shift).toBeCloseTo(2 ** -15, 12);
  });
});

describe('RSQRT reference', () => {
  const p: RsqrtQuantParams = { ...(rsqrt.prepare(ctxOf('int8', [1], [0.04, -128], [0.02, -128])) as RsqrtQuantParams) };

  it('gives the int8 maximum at the zero point and follows 1/sqrt above it', () => {
    expect(rsqrtQuantized(p, -128)).toBe(127);
    // x = -28: real 4.0 -> 0.5 -> 0.5 / 0.02 - 128 = -103.
    expect(rsqrtQuantized(p, -28)).toBe(-103);
    // x = 97: real 9.0 -> 1/3 -> 16.67 - 128 -> -111.
    expect(rsqrtQuantized(p, 97)).toBe(-111);
  });

  it('refuses inputs below the zero point at run time, as TFLite Micro does', () => {
    const ctx = ctxOf('int8', [2], [0.04, 0], [0.02, -128]);
    expect(() => rsqrt.evaluate(rsqrt.prepare(ctx), [Int8Array.from([3, -1])], [new Int8Array(2)])).toThrow(InputError);
  });

  it('computes float32 as 1.f / sqrtf(x)', () => {
    const ctx = singleOpContext('RSQRT', {}, [{ shape: [3], dtype: 'float32' }], [{ shape: [3], dtype: 'float32' }]);
    const out = new Float32Array(3);
    rsqrt.evaluate(rsqrt.prepare(ctx), [Float32Array.from([4, 0.25, 2])], [out]);
    expect(Array.from(out)).toEqual([0.5, 2, Math.fround(1 / Math.fround(Math.sqrt(2)))]);
  });

  it('rejects int16 with non-zero zero points, mixed types and unsupported types', () => {
    expect(() => rsqrt.prepare(ctxOf('int16', [2], [0.001, 5], [0.001, 0]))).toThrow(UnsupportedOpError);
    const mixed = singleOpContext('RSQRT', {}, [{ shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'int8' }]);
    expect(() => rsqrt.prepare(mixed)).toThrow(UnsupportedOpError);
    const i32 = singleOpContext('RSQRT', {}, [{ shape: [2], dtype: 'int32' }], [{ shape: [2], dtype: 'int32' }]);
    expect(() => rsqrt.prepare(i32)).toThrow(/int32/);
  });
});

describe('RSQRT C kernel', () => {
  it('matches the reference byte for byte: every int8 value at random scales, random int16 (ASan/UBSan)', () => {
    const rand = rng(76);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 12; k++) {
      const zp = -128 + Math.floor(rand() * 40);
      const ctx = ctxOf('int8', [256 - (zp + 128)], [2 ** (rand() * 16 - 12), zp], [2 ** (rand() * 16 - 12), Math.floor(rand() * 256) - 128]);
      const data = Int8Array.from({ length: 256 - (zp + 128) }, (_, i) => zp + i);
      cases.push({ ctx, params: rsqrt.prepare(ctx), inputs: [data] });
    }
    for (let k = 0; k < 6; k++) {
      const ctx = ctxOf('int16', [500], [2 ** (rand() * 16 - 20), 0], [2 ** (rand() * 16 - 20), 0]);
      const data = Int16Array.from({ length: 500 }, (_, i) => (i < 4 ? [0, 1, 2, 32767][i] : Math.floor(rand() * 32768)));
      cases.push({ ctx, params: rsqrt.prepare(ctx), inputs: [data] });
    }
    const got = runOpCasesInC(rsqrt, cases, { sanitize: true });
    const want = runOpCasesInTs(rsqrt, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
