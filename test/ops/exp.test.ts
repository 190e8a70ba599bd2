/**
 * EXP: float32 e^x, the refusal of other types (TFLite Micro runs EXP on float32 only), and the
 * C kernel against the reference. Agreement with TensorFlow Lite Micro itself is pinned by the
 * ops_c_exp_float fixture (test/golden/ops-c-golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { exp } from '../../src/ops/exp.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { rng, singleOpContext } from '../helpers/op-graph.js';

const ctxOf = (n: number, dtype: 'float32' | 'int8' = 'float32') =>
  singleOpContext('EXP', {}, [{ shape: [n], dtype, quant: dtype === 'int8' ? { scale: 0.1, zeroPoint: 0 } : undefined }], [{ shape: [n], dtype, quant: dtype === 'int8' ? { scale: 0.1, zeroPoint: 0 } : undefined }]);

describe('EXP', () => {
  it('computes e^x rounded to float32, overflowing to infinity and underflowing to 0', () => {
    const out = new Float32Array(5);
    exp.evaluate(exp.prepare(ctxOf(5)), [Float32Array.from([0, 1, -1, 100, -200])], [out]);
    expect(Array.from(out)).toEqual([1, Math.fround(Math.E), Math.fround(1 / Math.E), Infinity, 0]);
  });

  it('refuses int8 with the reason (TFLite Micro has no quantized EXP)', () => {
    expect(() => exp.prepare(ctxOf(3, 'int8'))).toThrow(UnsupportedOpError);
    expect(() => exp.prepare(ctxOf(3, 'int8'))).toThrow(/float32 only/);
  });

  it('C kernel (host libm expf) is within 1 ulp of the reference on random inputs, most values identical', () => {
    const rand = rng(33);
    const cases: CKernelCase[] = [64, 7, 300].map((n) => {
      const ctx = ctxOf(n);
      return { ctx, params: exp.prepare(ctx), inputs: [Float32Array.from({ length: n }, () => rand() * 40 - 20)] };
    });
    const got = runOpCasesInC(exp, cases, { sanitize: true });
    const want = runOpCasesInTs(exp, cases);
    // The reference rounds a double exp to float32 (correctly rounded in practice); glibc's expf
    // is within 0.502 ulp, so it rounds a rare value the other way.
    let same = 0;
    let total = 0;
    got.forEach((o, i) => {
      const g = o[0] as Float32Array;
      const w = want[i][0] as Float32Array;
      for (let k = 0; k < w.length; k++) {
        total++;
        if (Object.is(g[k], w[k])) same++;
        else expect(Math.abs(g[k] - w[k]), `case ${i} element ${k}`).toBeLessThanOrEqual(Math.abs(w[k]) * 2 ** -23);
      }
    });
    expect(same / total).toBeGreaterThan(0.98);
  });
});
