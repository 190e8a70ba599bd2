import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { transpose } from '../../src/ops/transpose.js';
import { singleOpContext, rng, randomInt8, randomInt16 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

const q = { scale: 0.5, zeroPoint: 3 };

function ctxFor(dtype: DType, shape: number[], perm: number[], outShape?: number[]) {
  const permSpec = { shape: [perm.length], dtype: 'int32' as const, data: Int32Array.from(perm) };
  const probe = singleOpContext('TRANSPOSE', {}, [{ shape, dtype }, permSpec], [{ shape: [], dtype }]);
  const out = outShape ?? transpose.inferShapes(probe)[0];
  const quant = dtype === 'float32' ? undefined : q;
  return singleOpContext('TRANSPOSE', {}, [{ shape, dtype, quant }, permSpec], [{ shape: out, dtype, quant }]);
}

function run(ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(transpose, [{ ctx, params: transpose.prepare(ctx), inputs: [x, undefined] }])[0][0]);
}

describe('TRANSPOSE hand-checked', () => {
  it('swaps the axes of a 2x3 matrix', () => {
    const ctx = ctxFor('int8', [2, 3], [1, 0]);
    expect(ctx.outputs[0].shape).toEqual([3, 2]);
    expect(run(ctx, Int8Array.from([1, 2, 3, 4, 5, 6]))).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it('moves channels first on a [1,2,2,2] int16 tensor (NHWC -> NCHW) and keeps float bits', () => {
    const ctx = ctxFor('int16', [1, 2, 2, 2], [0, 3, 1, 2]);
    // Element (h, w, c) = 100c + 10h + w.
    expect(run(ctx, Int16Array.from([0, 100, 1, 101, 10, 110, 11, 111]))).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
    expect(run(ctxFor('float32', [3], [0]), Float32Array.from([-0, 1.5, -2]))).toEqual([-0, 1.5, -2]);
  });
  it('refuses non-permutations, 7-D inputs, unsupported dtypes and a wrong output shape', () => {
    expect(() => ctxFor('int8', [2, 3], [1, 1])).toThrow(/not a permutation/);
    expect(() => ctxFor('int8', [2, 3], [0, 1, 2])).toThrow(GraphError);
    expect(() => ctxFor('int8', [1, 1, 1, 1, 1, 1, 2], [0, 1, 2, 3, 4, 5, 6])).toThrow(UnsupportedOpError);
    expect(() => transpose.prepare(ctxFor('int32', [2, 3], [1, 0]))).toThrow(/int8, int16 or float32/);
    expect(() => transpose.prepare(ctxFor('int8', [2, 3], [1, 0], [2, 3]))).toThrow(/gives \[3, 2\]/);
  });
});

describe('TRANSPOSE C kernel matches the reference', () => {
  it('random 1-D to 6-D shapes and permutations, every dtype (ASan/UBSan)', () => {
    const rand = rng(21);
    const dtypes: DType[] = ['int8', 'int16', 'float32'];
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 60; k++) {
      const dtype = dtypes[k % 3];
      const rank = 1 + Math.floor(rand() * 6);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 4));
      const perm = Array.from({ length: rank }, (_, i) => i);
      for (let i = rank - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const ctx = ctxFor(dtype, shape, perm);
      const n = shape.reduce((p, d) => p * d, 1);
      const x = dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : Float32Array.from({ length: n }, () => (rand() - 0.5) * 1e3);
      cases.push({ ctx, params: transpose.prepare(ctx), inputs: [x, undefined] });
    }
    const c = runOpCasesInC(transpose, cases, { sanitize: true });
    const ts = runOpCasesInTs(transpose, cases);
    for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
  });
});
