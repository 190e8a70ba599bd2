/**
 * LOG_SOFTMAX: TFLite's fixed-point log (log_x_for_x_greater_than_or_equal_to_1) against ln,
 * the int8 kernel's results on rows whose answer is known, the float32 path, errors, and the C
 * kernel against the reference on random cases. Bit-exactness with TensorFlow Lite Micro itself
 * is pinned by the ops_c_log_softmax(_float) fixtures (test/golden/ops-c-golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { logSoftmax, logXForXGreaterThanOrEqualTo1 } from '../../src/ops/log-softmax.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

function ctxOf(shape: number[], inScale: number, inZp: number, out: [number, number] = [16 / 256, 127]) {
  return singleOpContext(
    'LOG_SOFTMAX',
    {},
    [{ shape, dtype: 'int8', quant: { scale: Math.fround(inScale), zeroPoint: inZp } }],
    [{ shape, dtype: 'int8', quant: { scale: out[0], zeroPoint: out[1] } }],
  );
}

function run(shape: number[], inScale: number, data: number[]): number[] {
  const ctx = ctxOf(shape, inScale, 0);
  const out = new Int8Array(data.length);
  logSoftmax.evaluate(logSoftmax.prepare(ctx), [Int8Array.from(data)], [out]);
  return Array.from(out);
}

describe('LOG_SOFTMAX fixed-point log', () => {
  it('is within 2^-20 of ln(x) for x from 1 to 4096 (Q12.19 in, Q5.26 out)', () => {
    for (let k = 0; k < 2000; k++) {
      const x = 1 + (k * k * 4095) / 2000 ** 2;
      const raw = Math.round(x * 2 ** 19);
      const got = logXForXGreaterThanOrEqualTo1(raw, 12, 5) / 2 ** 26;
      expect(Math.abs(got - Math.log(raw / 2 ** 19)), `x=${x}`).toBeLessThan(2 ** -20);
    }
  });
});

describe('LOG_SOFTMAX int8 reference', () => {
  it('gives ln(1/n) for a uniform row and 0 (127) for a dominant element', () => {
    // ln(1/4) = -1.386 -> -22.2 steps of 1/16 -> 127 - 22 = 105.
    expect(run([1, 4], 0.1, [5, 5, 5, 5])).toEqual([105, 105, 105, 105]);
    // A difference of 12.7 (scale 0.1): the others are e^-12.7 ~ 3e-6 of the sum.
    expect(run([1, 3], 0.1, [127, 0, 0])).toEqual([127, 127 - 203, 127 - 203].map((v) => Math.max(v, -128)));
  });

  it('cuts off differences below diff_min to -128 at large input scales', () => {
    // Scale 1: a difference of -40 is far beyond Q5.26's range; it contributes nothing and gives -128.
    expect(run([1, 2], 1, [40, 0])).toEqual([127, -128]);
  });

  it('computes float32 as x - max - logf(sum of expf)', () => {
    const ctx = singleOpContext('LOG_SOFTMAX', {}, [{ shape: [1, 3], dtype: 'float32' }], [{ shape: [1, 3], dtype: 'float32' }]);
    const out = new Float32Array(3);
    logSoftmax.evaluate(logSoftmax.prepare(ctx), [Float32Array.from([1, 1, 1])], [out]);
    expect(Array.from(out)).toEqual([1, 1, 1].map(() => Math.fround(-Math.fround(Math.log(3)))));
  });

  it('refuses an int8 output other than 16/256 at 127, and other types', () => {
    expect(() => logSoftmax.prepare(ctxOf([1, 4], 0.1, 0, [1 / 256, -128]))).toThrow(/scale 16\/256 and zero point 127/);
    const i16 = singleOpContext('LOG_SOFTMAX', {}, [{ shape: [4], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } }], [{ shape: [4], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } }]);
    expect(() => logSoftmax.prepare(i16)).toThrow(UnsupportedOpError);
  });
});

describe('LOG_SOFTMAX C kernel', () => {
  it('matches the reference byte for byte: int8 at random scales and row lengths, float32 within 1 ulp (ASan/UBSan)', () => {
    const rand = rng(1366);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 20; k++) {
      const depth = 1 + Math.floor(rand() * 40);
      const shape = [1 + Math.floor(rand() * 4), depth];
      const ctx = ctxOf(shape, 2 ** (rand() * 12 - 9), Math.floor(rand() * 256) - 128);
      const n = shape[0] * depth;
      cases.push({ ctx, params: logSoftmax.prepare(ctx), inputs: [randomInt8(n, rand)] });
    }
    const got = runOpCasesInC(logSoftmax, cases, { sanitize: true });
    const want = runOpCasesInTs(logSoftmax, cases);
    got.forEach((o, i) => expect(Array.from(o[0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
    const fcases: CKernelCase[] = [5, 33, 100].map((depth) => {
      const ctx = singleOpContext('LOG_SOFTMAX', {}, [{ shape: [3, depth], dtype: 'float32' }], [{ shape: [3, depth], dtype: 'float32' }]);
      return { ctx, params: logSoftmax.prepare(ctx), inputs: [Float32Array.from({ length: 3 * depth }, () => rand() * 20 - 10)] };
    });
    const fgot = runOpCasesInC(logSoftmax, fcases, { sanitize: true });
    const fwant = runOpCasesInTs(logSoftmax, fcases);
    fgot.forEach((o, i) => {
      const g = o[0] as Float32Array;
      const w = fwant[i][0] as Float32Array;
      for (let k = 0; k < w.length; k++) expect(Math.abs(g[k] - w[k]), `float case ${i} element ${k}`).toBeLessThanOrEqual(Math.abs(w[k]) * 2 ** -23);
    });
  });
});
