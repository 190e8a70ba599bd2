import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { mirrorPad, type MirrorPadAttrs } from '../../src/ops/mirror-pad.js';
import { singleOpContext, rng, randomInt8 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

function ctxFor(dtype: DType, shape: number[], pads: number[][], mode: MirrorPadAttrs['mode'], outShape?: number[]) {
  const padSpec = { shape: [pads.length, 2], dtype: 'int32' as const, data: Int32Array.from(pads.flat()) };
  const quant = dtype === 'int8' ? { scale: 0.1, zeroPoint: 2 } : undefined;
  const probe = singleOpContext('MIRROR_PAD', { mode }, [{ shape, dtype }, padSpec], [{ shape: [], dtype }]);
  const out = outShape ?? mirrorPad.inferShapes(probe)[0];
  return singleOpContext('MIRROR_PAD', { mode }, [{ shape, dtype, quant }, padSpec], [{ shape: out, dtype, quant }]);
}

function run(ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(mirrorPad, [{ ctx, params: mirrorPad.prepare(ctx), inputs: [x, undefined] }])[0][0]);
}

const x23 = Int8Array.from([1, 2, 3, 4, 5, 6]);

describe('MIRROR_PAD hand-checked (the examples of tf.pad)', () => {
  it('REFLECT leaves the edge out of the mirror', () => {
    const ctx = ctxFor('int8', [2, 3], [[1, 1], [2, 2]], 'REFLECT');
    expect(ctx.outputs[0].shape).toEqual([4, 7]);
    expect(run(ctx, x23)).toEqual([6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1]);
  });
  it('SYMMETRIC repeats it (float32)', () => {
    const ctx = ctxFor('float32', [2, 3], [[1, 1], [2, 2]], 'SYMMETRIC');
    expect(run(ctx, Float32Array.from(x23))).toEqual([2, 1, 1, 2, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 5, 4, 4, 5, 6, 6, 5, 5, 4, 4, 5, 6, 6, 5]);
  });
  it('refuses paddings beyond the mirror, int16, 7-D inputs and a wrong output shape', () => {
    expect(() => ctxFor('int8', [2, 3], [[0, 0], [3, 0]], 'REFLECT')).toThrow(/between 0 and 2/);
    expect(() => ctxFor('int8', [2, 3], [[0, 0], [3, 0]], 'SYMMETRIC')).not.toThrow();
    expect(() => ctxFor('int8', [2, 3], [[0, -1], [0, 0]], 'SYMMETRIC')).toThrow(GraphError);
    expect(() => mirrorPad.prepare(ctxFor('int16', [2, 3], [[0, 1], [0, 0]], 'SYMMETRIC'))).toThrow(/int8 or float32/);
    expect(() => ctxFor('int8', [1, 1, 1, 1, 1, 1, 1], Array(7).fill([0, 0]), 'SYMMETRIC')).toThrow(UnsupportedOpError);
    expect(() => mirrorPad.prepare(ctxFor('int8', [2, 3], [[1, 0], [0, 0]], 'SYMMETRIC', [2, 3]))).toThrow(/gives \[3, 3\]/);
  });
});

describe('MIRROR_PAD C kernel matches the reference', () => {
  it('random shapes, paddings and modes, int8 and float32 (ASan/UBSan)', () => {
    const rand = rng(31);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 60; k++) {
      const mode = k % 2 ? 'REFLECT' : 'SYMMETRIC';
      const rank = 1 + Math.floor(rand() * 6);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 4));
      const pads = shape.map((d) => {
        const limit = mode === 'REFLECT' ? d - 1 : d;
        return [Math.floor(rand() * (limit + 1)), Math.floor(rand() * (limit + 1))];
      });
      const n = shape.reduce((p, d) => p * d, 1);
      const dtype: DType = k % 3 ? 'int8' : 'float32';
      const x = dtype === 'int8' ? randomInt8(n, rand) : Float32Array.from({ length: n }, () => rand() * 10 - 5);
      const ctx = ctxFor(dtype, shape, pads, mode);
      cases.push({ ctx, params: mirrorPad.prepare(ctx), inputs: [x, undefined] });
    }
    const c = runOpCasesInC(mirrorPad, cases, { sanitize: true });
    const ts = runOpCasesInTs(mirrorPad, cases);
    for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
  });
});
