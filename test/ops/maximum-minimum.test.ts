import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { maximum, minimum } from '../../src/ops/maximum-minimum.js';
import { singleOpContext, rng, randomInt8, randomInt16, randomInt32 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type Q = { scale: number; zeroPoint: number };
type Def = typeof maximum | typeof minimum;

function ctxFor(def: Def, dtype: DType, s1: number[], s2: number[], q?: Q, q2: Q | undefined = q) {
  const probe = singleOpContext(def.type, {}, [{ shape: s1, dtype }, { shape: s2, dtype }], [{ shape: [], dtype }]);
  const outShape = def.inferShapes(probe)[0];
  return singleOpContext(def.type, {}, [{ shape: s1, dtype, quant: q }, { shape: s2, dtype, quant: q2 }], [{ shape: outShape, dtype, quant: q }]);
}

function run(def: Def, ctx: ReturnType<typeof ctxFor>, a: TensorData, b: TensorData): number[] {
  return Array.from(runOpCasesInTs(def, [{ ctx, params: def.prepare(ctx), inputs: [a, b] }])[0][0]);
}

const q = { scale: 0.25, zeroPoint: -7 };

describe('MAXIMUM / MINIMUM hand-checked', () => {
  it('pick the larger / smaller stored int8 value, broadcasting [2,1,3] against [2,1]', () => {
    const m = ctxFor(maximum, 'int8', [2, 1, 3], [2, 1], q);
    expect(m.outputs[0].shape).toEqual([2, 2, 3]);
    const a = Int8Array.from([-128, 0, 127, 5, -5, 9]);
    const b = Int8Array.from([1, -6]);
    expect(run(maximum, m, a, b)).toEqual([1, 1, 127, -6, 0, 127, 5, 1, 9, 5, -5, 9]);
    expect(run(minimum, ctxFor(minimum, 'int8', [2, 1, 3], [2, 1], q), a, b)).toEqual([-128, 0, 1, -128, -6, -6, 1, -5, 1, -6, -6, -6]);
  });
  it('int16, int32 and float32 (a NaN first operand yields the second, as TFLite Micro compares)', () => {
    const z = { scale: 2 ** -10, zeroPoint: 0 };
    expect(run(maximum, ctxFor(maximum, 'int16', [3], [3], z), Int16Array.from([-32768, 300, 7]), Int16Array.from([32767, -300, 7]))).toEqual([32767, 300, 7]);
    expect(run(minimum, ctxFor(minimum, 'int32', [2], [1]), Int32Array.from([-2147483648, 5]), Int32Array.from([3]))).toEqual([-2147483648, 3]);
    expect(run(maximum, ctxFor(maximum, 'float32', [3], [3]), Float32Array.from([NaN, -1.5, 2]), Float32Array.from([4, -2.5, NaN]))).toEqual([4, -1.5, NaN]);
    expect(run(minimum, ctxFor(minimum, 'float32', [3], [3]), Float32Array.from([NaN, -1.5, 2]), Float32Array.from([4, -2.5, NaN]))).toEqual([4, -2.5, NaN]);
  });
  it('refuses inputs quantized unlike the output, unsupported dtypes and incompatible shapes', () => {
    expect(() => maximum.prepare(ctxFor(maximum, 'int8', [2], [2], q, { scale: 0.5, zeroPoint: -7 }))).toThrow(/quantized unlike the output/);
    expect(() => minimum.prepare(ctxFor(minimum, 'int8', [2], [2], q, { scale: 0.25, zeroPoint: 0 }))).toThrow(UnsupportedOpError);
    expect(() => maximum.prepare(ctxFor(maximum, 'uint8', [2], [2], q))).toThrow(UnsupportedOpError);
    const bad = singleOpContext('MINIMUM', {}, [{ shape: [3], dtype: 'int8' }, { shape: [2], dtype: 'int8' }], [{ shape: [3], dtype: 'int8' }]);
    expect(() => minimum.inferShapes(bad)).toThrow(GraphError);
  });
});

describe('MAXIMUM / MINIMUM C kernels match the reference', () => {
  it('every dtype, random shapes and broadcasts (ASan/UBSan)', () => {
    const rand = rng(13);
    const dtypes: DType[] = ['int8', 'int16', 'int32', 'float32'];
    for (const def of [maximum, minimum]) {
      const cases: CKernelCase[] = [];
      for (let k = 0; k < 48; k++) {
        const dtype = dtypes[k % 4];
        const rank = 1 + Math.floor(rand() * 5);
        const base = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 4));
        const s1 = base.map((d) => (rand() < 0.3 ? 1 : d));
        const s2 = base.map((d) => (rand() < 0.3 ? 1 : d)).slice(Math.floor(rand() * rank));
        const qq = dtype === 'int8' ? { scale: 0.1, zeroPoint: 3 } : dtype === 'int16' ? { scale: 0.001, zeroPoint: 0 } : undefined;
        const ctx = ctxFor(def, dtype, s1, s2, qq);
        const gen = (m: number): TensorData => {
          if (dtype === 'int8') return randomInt8(m, rand);
          if (dtype === 'int16') return randomInt16(m, rand);
          if (dtype === 'int32') return randomInt32(m, rand, -2147483648, 2147483647);
          return Float32Array.from({ length: m }, () => (rand() - 0.5) * 100);
        };
        const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
        cases.push({ ctx, params: def.prepare(ctx), inputs: [gen(n(s1)), gen(n(s2))] });
      }
      const c = runOpCasesInC(def, cases, { sanitize: true });
      const ts = runOpCasesInTs(def, cases);
      for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `${def.type} case ${i}`).toEqual(Array.from(ts[i][0]));
    }
  });
});
