import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { argMax } from '../../src/ops/arg-max.js';
import { singleOpContext, rng, randomInt8 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

function ctxFor(dtype: DType, shape: number[], axis: number, outDtype: DType = 'int32', outShape?: number[]) {
  const axisSpec = { shape: [1], dtype: 'int32' as const, data: Int32Array.of(axis) };
  const quant = dtype === 'int8' ? { scale: 0.1, zeroPoint: -4 } : undefined;
  const probe = singleOpContext('ARG_MAX', { outputType: 'int32' }, [{ shape, dtype }, axisSpec], [{ shape: [], dtype: outDtype }]);
  const out = outShape ?? argMax.inferShapes(probe)[0];
  return singleOpContext('ARG_MAX', { outputType: 'int32' }, [{ shape, dtype, quant }, axisSpec], [{ shape: out, dtype: outDtype }]);
}

function run(ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(argMax, [{ ctx, params: argMax.prepare(ctx), inputs: [x, undefined] }])[0][0]);
}

describe('ARG_MAX hand-checked', () => {
  it('the first largest index along the last and a middle axis (negative axes count from the end)', () => {
    const x = Int8Array.from([3, 7, 7, -1, 9, -128, 0, 9]);
    expect(run(ctxFor('int8', [2, 4], -1), x)).toEqual([1, 0]);
    const mid = ctxFor('int8', [2, 2, 2], 1);
    expect(mid.outputs[0].shape).toEqual([2, 2]);
    // [[3,7],[7,-1]] and [[9,-128],[0,9]] over the middle axis.
    expect(run(mid, x)).toEqual([1, 0, 0, 1]);
  });
  it('float32: a NaN never wins and any number beats a leading NaN; all NaN gives 0', () => {
    expect(run(ctxFor('float32', [3, 3], 1), Float32Array.from([NaN, -5, -6, 1, NaN, 2, NaN, NaN, NaN]))).toEqual([1, 2, 0]);
  });
  it('refuses a bad axis, int16 input, int64 output and a wrong output shape', () => {
    expect(() => ctxFor('int8', [2, 3], 2)).toThrow(/out of range/);
    expect(() => argMax.prepare(ctxFor('int16', [2, 3], 0))).toThrow(UnsupportedOpError);
    expect(() => argMax.prepare(ctxFor('int8', [2, 3], 0, 'int64'))).toThrow(/int32 out/);
    expect(() => argMax.prepare(ctxFor('int8', [2, 3], 0, 'int32', [2]))).toThrow(GraphError);
  });
});

describe('ARG_MAX C kernel matches the reference', () => {
  it('random shapes and axes, int8 (narrow ranges, so ties are common) and float32 with NaNs (ASan/UBSan)', () => {
    const rand = rng(17);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 60; k++) {
      const rank = 1 + Math.floor(rand() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 5));
      const axis = Math.floor(rand() * rank) - (rand() < 0.3 ? rank : 0);
      const n = shape.reduce((p, d) => p * d, 1);
      const int8 = k % 2 === 0;
      const x = int8 ? randomInt8(n, rand, -3, 3) : Float32Array.from({ length: n }, () => (rand() < 0.2 ? NaN : Math.round(rand() * 6) - 3));
      const ctx = ctxFor(int8 ? 'int8' : 'float32', shape, axis);
      cases.push({ ctx, params: argMax.prepare(ctx), inputs: [x, undefined] });
    }
    const c = runOpCasesInC(argMax, cases, { sanitize: true });
    const ts = runOpCasesInTs(argMax, cases);
    for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
  });
});
