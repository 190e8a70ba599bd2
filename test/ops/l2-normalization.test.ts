/**
 * L2_NORMALIZATION: the int8 reference (rows scaled by TFLite's fixed-point 1/sqrt into 1/128
 * steps), float32, the C kernel against the reference, and the errors. Bit-exactness with
 * TensorFlow Lite Micro is pinned by the ops_b_l2_normalization fixture (test/golden/ops-b-golden).
 */
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { DType } from '../../src/ir/types.js';
import { l2Normalization } from '../../src/ops/l2-normalization.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

function ctxOf(shape: number[], inZp: number, dtype: DType = 'int8', out: [number, number] = [1 / 128, 0], activation: FusedActivation = 'NONE') {
  const q = (scale: number, zp: number) => (dtype === 'int8' ? { quant: { scale: [Math.fround(scale)], zeroPoint: [zp], quantizedDimension: 0 } } : {});
  return singleOpContext('L2_NORMALIZATION', { activation }, [{ shape, dtype, ...q(0.05, inZp) }], [{ shape, dtype, ...q(out[0], out[1]) }]);
}

function run(shape: number[], inZp: number, values: number[]): number[] {
  const ctx = ctxOf(shape, inZp);
  const out = new Int8Array(values.length);
  l2Normalization.evaluate(l2Normalization.prepare(ctx), [Int8Array.from(values)], [out]);
  return Array.from(out);
}

describe('L2_NORMALIZATION reference', () => {
  it('scales each row of the last axis to unit length in 1/128 steps', () => {
    // (3, 4) / 5 = (0.6, 0.8) -> 76.8, 102.4; the zero point is removed first.
    expect(run([2, 2], 10, [13, 14, 10, 0])).toEqual([77, 102, 0, -128]);
    // A single positive element is 1.0, which saturates at 127/128.
    expect(run([1, 1], 0, [5])).toEqual([127]);
  });

  it('leaves a row of zero points at zero (no epsilon in the int8 kernel)', () => {
    expect(run([1, 3], -7, [-7, -7, -7])).toEqual([0, 0, 0]);
  });

  it('computes float32 as x / max(sqrt(sum x^2), 1e-6)', () => {
    const ctx = ctxOf([2, 2], 0, 'float32');
    const out = new Float32Array(4);
    l2Normalization.evaluate(l2Normalization.prepare(ctx), [Float32Array.from([3, 4, 0, 0])], [out]);
    expect(Array.from(out)).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0]);
  });

  it('refuses a fused activation, an output quantization other than 1/128 and 0, and other types', () => {
    expect(() => l2Normalization.prepare(ctxOf([1, 4], 0, 'int8', [1 / 128, 0], 'RELU'))).toThrow(UnsupportedOpError);
    expect(() => l2Normalization.prepare(ctxOf([1, 4], 0, 'int8', [1 / 64, 0]))).toThrow(/1\/128/);
    expect(() => l2Normalization.prepare(ctxOf([1, 4], 0, 'int16'))).toThrow(UnsupportedOpError);
    expect(() => l2Normalization.prepare(ctxOf([1, 1, 1, 1, 4], 0))).toThrow(GraphError);
  });
});

describe('L2_NORMALIZATION C kernel', () => {
  it('matches the reference byte for byte on random shapes, zero points and values (ASan/UBSan)', () => {
    const rand = rng(11);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 24; k++) {
      const shape = [...Array.from({ length: int(0, 3) }, () => int(1, 4)), int(1, k < 4 ? 300 : 24)];
      const zp = int(-128, 127);
      const ctx = ctxOf(shape, zp);
      const n = shape.reduce((a, b) => a * b, 1);
      // Some cases sit near the zero point, where the sum of squares is small (v <= 1 included).
      const data = k % 3 === 0 ? randomInt8(n, rand, Math.max(-128, zp - 1), Math.min(127, zp + 1)) : randomInt8(n, rand);
      cases.push({ ctx, params: l2Normalization.prepare(ctx), inputs: [data] });
    }
    const got = runOpCasesInC(l2Normalization, cases, { sanitize: true });
    const want = runOpCasesInTs(l2Normalization, cases);
    got.forEach((o, i) => expect(Array.from(o[0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
  });
});
