/**
 * PRELU: the quantized reference (two rescaling branches split at the input's zero point),
 * float32, broadcasting of alpha, the C kernel against the reference, and the errors.
 * Bit-exactness with TensorFlow Lite Micro is pinned by the ops_b_prelu fixture
 * (test/golden/ops-b-golden).
 */
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { prelu } from '../../src/ops/prelu.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

type Q = [number, number];

function ctxOf(dtype: DType, xShape: number[], aShape: number[], qx: Q, qa: Q, qo: Q, outShape = xShape) {
  const q = ([scale, zp]: Q) => (dtype === 'float32' ? {} : { quant: { scale: [Math.fround(scale)], zeroPoint: [zp], quantizedDimension: 0 } });
  return singleOpContext('PRELU', {}, [{ shape: xShape, dtype, ...q(qx) }, { shape: aShape, dtype, ...q(qa) }], [{ shape: outShape, dtype, ...q(qo) }]);
}

describe('PRELU reference', () => {
  it('keeps non-negative inputs (rescaled) and multiplies negative ones by alpha', () => {
    // Scales 0.5 everywhere, zero points 0: alpha 2 (real 1.0) and -2 (real -1.0) per channel.
    const ctx = ctxOf('int8', [2, 2], [2], [0.5, 0], [0.5, 0], [0.5, 0]);
    const out = new Int8Array(4);
    prelu.evaluate(prelu.prepare(ctx), [Int8Array.from([6, -6, -4, 4]), Int8Array.from([2, -2])], [out]);
    // -4 * 1.0 = -4 -> -4 (half-scale steps: -2.0 real); -6 with alpha -1.0 -> +6.
    expect(Array.from(out)).toEqual([6, 6, -4, 4]);
  });

  it('splits the branches at the input zero point and clamps to int8', () => {
    const ctx = ctxOf('int8', [3], [3], [1, 10], [1, 0], [1, -20]);
    const out = new Int8Array(3);
    prelu.evaluate(prelu.prepare(ctx), [Int8Array.from([10, 9, 127]), Int8Array.from([100, 100, 1])], [out]);
    // 10: re-centred 0 -> -20; 9: -1 * 100 = -100 -> -120; 127: 117 - 20 = 97.
    expect(Array.from(out)).toEqual([-20, -120, 97]);
  });

  it('computes float32 as x >= 0 ? x : x * alpha', () => {
    const ctx = ctxOf('float32', [1, 3], [3], [1, 0], [1, 0], [1, 0]);
    const out = new Float32Array(3);
    prelu.evaluate(prelu.prepare(ctx), [Float32Array.from([2, -2, -0.5]), Float32Array.from([9, 0.25, -4])], [out]);
    expect(Array.from(out)).toEqual([2, -0.5, 2]);
  });

  it('refuses mixed types, unsupported types, int16 zero points and a wrong output shape', () => {
    const mixed = singleOpContext('PRELU', {}, [{ shape: [2], dtype: 'int8', quant: { scale: [1], zeroPoint: [0], quantizedDimension: 0 } }, { shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'int8', quant: { scale: [1], zeroPoint: [0], quantizedDimension: 0 } }]);
    expect(() => prelu.prepare(mixed)).toThrow(UnsupportedOpError);
    expect(() => prelu.prepare(ctxOf('int16', [2], [2], [1, 3], [1, 0], [1, 0]))).toThrow(/zero points 0/);
    expect(() => prelu.prepare(ctxOf('int32', [2], [2], [1, 0], [1, 0], [1, 0]))).toThrow(/int32/);
    expect(() => prelu.prepare(ctxOf('int8', [2, 3], [3], [1, 0], [1, 0], [1, 0], [3, 3]))).toThrow(GraphError);
    expect(() => prelu.inferShapes(ctxOf('int8', [2, 3], [2], [1, 0], [1, 0], [1, 0]))).toThrow(GraphError);
  });
});

describe('PRELU C kernel', () => {
  it('matches the reference byte for byte on random shapes, broadcasts and quantizations (ASan/UBSan)', () => {
    const rand = rng(54);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const scale = () => 2 ** (rand() * 10 - 8);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 30; k++) {
      const dtype: DType = k % 3 === 2 ? 'int16' : 'int8';
      const xShape = Array.from({ length: int(1, 4) }, () => int(1, 5));
      // Alpha: the full shape, its trailing dims, or ones where the input is broadcast over.
      const aShape = k % 4 === 0 ? [...xShape] : xShape.slice(int(0, xShape.length - 1)).map((d) => (rand() < 0.5 ? 1 : d));
      const zp = () => (dtype === 'int16' ? 0 : int(-128, 127));
      const ctx = ctxOf(dtype, xShape, aShape, [scale(), zp()], [scale(), zp()], [scale(), zp()]);
      const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const gen = (m: number): TensorData => (dtype === 'int8' ? randomInt8(m, rand) : randomInt16(m, rand));
      cases.push({ ctx, params: prelu.prepare(ctx), inputs: [gen(n(xShape)), gen(n(aShape))] });
    }
    const got = runOpCasesInC(prelu, cases, { sanitize: true });
    const want = runOpCasesInTs(prelu, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
