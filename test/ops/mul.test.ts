import { describe, expect, it } from 'vitest';
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { UnsupportedOpError, GraphError } from '../../src/errors.js';
import { mul } from '../../src/ops/mul.js';
import { singleOpContext, rng, randomInt8, randomInt16 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type Q = { scale: number; zeroPoint: number };

function ctxFor(dtype: DType, s1: number[], s2: number[], q1?: Q, q2?: Q, qo?: Q, activation: FusedActivation = 'NONE') {
  const probe = singleOpContext('MUL', { activation }, [{ shape: s1, dtype }, { shape: s2, dtype }], [{ shape: [], dtype }]);
  const outShape = mul.inferShapes(probe)[0];
  return singleOpContext('MUL', { activation }, [{ shape: s1, dtype, quant: q1 }, { shape: s2, dtype, quant: q2 }], [{ shape: outShape, dtype, quant: qo }]);
}

function run(ctx: ReturnType<typeof ctxFor>, a: TensorData, b: TensorData): number[] {
  return Array.from(runOpCasesInTs(mul, [{ ctx, params: mul.prepare(ctx), inputs: [a, b] }])[0][0]);
}

const h = { scale: 0.5, zeroPoint: 0 };

describe('MUL hand-checked', () => {
  it('rounds +7.5 up but -7.5 toward zero (the rounding doubling high multiply nudges ties upward)', () => {
    const ctx = ctxFor('int8', [4], [4], h, h, h);
    expect(run(ctx, Int8Array.from([3, -3, 2, 100]), Int8Array.from([5, 5, 2, 100]))).toEqual([8, -7, 2, 127]);
  });
  it('rounds ties of the final right shift away from zero', () => {
    const ctx = ctxFor('int8', [2], [2], h, h, { scale: 1, zeroPoint: 0 });
    // 6 * 0.25 = 1.5 -> 2 and -1.5 -> -2 (exact high multiply, then rounding shift).
    expect(run(ctx, Int8Array.from([2, -2]), Int8Array.from([3, 3]))).toEqual([2, -2]);
  });
  it('handles multipliers above 1, zero points and RELU', () => {
    const ctx = ctxFor('int8', [3], [1], { scale: 1, zeroPoint: 10 }, { scale: 1, zeroPoint: -3 }, { scale: 0.5, zeroPoint: 5 }, 'RELU');
    // (x - 10) * (y + 3) / 0.5 + 5, clamped at the zero point 5 from below.
    expect(run(ctx, Int8Array.from([12, 8, 127]), Int8Array.from([-1]))).toEqual([13, 5, 127]);
  });
  it('broadcasts [2,1,3] x [2,1]', () => {
    const one = { scale: 1, zeroPoint: 0 };
    const ctx = ctxFor('int8', [2, 1, 3], [2, 1], one, one, one);
    expect(ctx.outputs[0].shape).toEqual([2, 2, 3]);
    expect(run(ctx, Int8Array.from([1, 2, 3, 4, 5, 6]), Int8Array.from([1, 10]))).toEqual([1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60]);
  });
  it('int16 with power-of-two scales', () => {
    const q = { scale: 2 ** -12, zeroPoint: 0 };
    const ctx = ctxFor('int16', [3], [3], q, q, { scale: 2 ** -15, zeroPoint: 0 });
    // x * y * 2^-24 / 2^-15 = x * y / 512.
    expect(run(ctx, Int16Array.from([4096, -4096, 32767]), Int16Array.from([4096, 512, 32767]))).toEqual([32767, -4096, 32767]);
  });
  it('float32 multiplies with RELU6', () => {
    const ctx = ctxFor('float32', [3], [3], undefined, undefined, undefined, 'RELU6');
    expect(run(ctx, Float32Array.from([1.5, -2, 4]), Float32Array.from([2, 3, 4]))).toEqual([3, 0, 6]);
  });
  it('rejects int16 with zero points, unsupported dtypes and bad shapes', () => {
    const z = { scale: 0.1, zeroPoint: 1 };
    expect(() => mul.prepare(ctxFor('int16', [2], [2], z, z, z))).toThrow(UnsupportedOpError);
    expect(() => mul.prepare(ctxFor('uint8', [2], [2], z, z, z))).toThrow(UnsupportedOpError);
    const bad = singleOpContext('MUL', { activation: 'NONE' }, [{ shape: [3], dtype: 'int8' }, { shape: [2], dtype: 'int8' }], [{ shape: [3], dtype: 'int8' }]);
    expect(() => mul.inferShapes(bad)).toThrow(GraphError);
  });
});

describe('MUL C kernel matches evaluate', () => {
  it('int8 and int16, random shapes/broadcasts/quantization', () => {
    const rand = rng(7);
    const acts: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 120; k++) {
      const dtype = k < 70 ? 'int8' : 'int16';
      const rank = 1 + Math.floor(rand() * 5);
      const base = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 4));
      const s1 = base.map((d) => (rand() < 0.3 ? 1 : d));
      const s2 = base.map((d) => (rand() < 0.3 ? 1 : d)).slice(Math.floor(rand() * rank));
      const zp = () => (dtype === 'int8' ? Math.floor(rand() * 256) - 128 : 0);
      const sc = () => 0.0005 + rand() * 0.3;
      const ctx = ctxFor(dtype, s1, s2, { scale: sc(), zeroPoint: zp() }, { scale: sc(), zeroPoint: zp() }, { scale: sc() * (rand() < 0.3 ? 0.001 : 1), zeroPoint: zp() }, acts[Math.floor(rand() * 4)]);
      const n1 = s1.reduce((p, d) => p * d, 1);
      const n2 = s2.reduce((p, d) => p * d, 1);
      const gen = (m: number) => (dtype === 'int8' ? randomInt8(m, rand) : randomInt16(m, rand));
      cases.push({ ctx, params: mul.prepare(ctx), inputs: [gen(n1), gen(n2)] });
    }
    // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
    for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
    const c = runOpCasesInC(mul, cases);
    const ts = runOpCasesInTs(mul, cases);
    for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
  });
});

describe('MUL large int8 tensors (pair-table path of evaluate)', () => {
  it('match the C kernel', () => {
    const rand = rng(9);
    const ctx = ctxFor('int8', [1, 64, 64, 17], [1, 1, 64, 17], { scale: 0.05, zeroPoint: 3 }, { scale: 0.02, zeroPoint: -9 }, { scale: 0.01, zeroPoint: 1 }, 'RELU6');
    const c: CKernelCase = { ctx, params: mul.prepare(ctx), inputs: [randomInt8(64 * 64 * 17, rand), randomInt8(64 * 17, rand)] };
    expect(Array.from(runOpCasesInC(mul, [c])[0][0])).toEqual(Array.from(runOpCasesInTs(mul, [c])[0][0]));
  });
});

