import { describe, expect, it } from 'vitest';
import type { FusedActivation, Padding } from '../../src/ir/attrs.js';
import type { Pool2DAttrs } from '../../src/ops/pool2d.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { averagePool2d, maxPool2d, type Pool2DParams } from '../../src/ops/pool2d.js';
import { singleOpContext, rng, randomInt8, randomInt16 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type PoolDef = typeof averagePool2d | typeof maxPool2d;

function attrs(padding: Padding, filterH: number, filterW: number, strideH: number, strideW: number, activation: FusedActivation = 'NONE'): Pool2DAttrs {
  return { padding, filterH, filterW, strideH, strideW, activation };
}

function ctxFor(def: PoolDef, a: Pool2DAttrs, shape: number[], dtype: DType, q?: { scale: number; zeroPoint: number }, qOut = q) {
  const probe = singleOpContext(def.type, a, [{ shape, dtype }], [{ shape: [], dtype }]);
  const outShape = def.inferShapes(probe as never)[0];
  return singleOpContext(def.type, a, [{ shape, dtype, quant: q }], [{ shape: outShape, dtype, quant: qOut }]);
}

function run(def: PoolDef, ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(def, [{ ctx: ctx as never, params: def.prepare(ctx as never), inputs: [x] }])[0][0]);
}

const q = { scale: 0.1, zeroPoint: 0 };

describe('pooling hand-checked', () => {
  it('average rounds half away from zero on both signs', () => {
    // 1x1x4x1 input, 1x2 window, stride 2: sums 3, -3, then counts 2.
    const ctx = ctxFor(averagePool2d, attrs('VALID', 1, 2, 1, 2), [1, 1, 4, 1], 'int8', q);
    expect(run(averagePool2d, ctx, Int8Array.from([1, 2, -1, -2]))).toEqual([2, -2]);
    const ctx4 = ctxFor(averagePool2d, attrs('VALID', 1, 4, 1, 4), [1, 1, 8, 1], 'int8', q);
    // -5/4 = -1.25 -> -1 ; -6/4 = -1.5 -> -2.
    expect(run(averagePool2d, ctx4, Int8Array.from([-2, -1, -1, -1, -2, -2, -1, -1]))).toEqual([-1, -2]);
  });
  it('SAME padding averages only the valid taps', () => {
    // 3x3 input, 3x3 window, stride 1, SAME: corners see 4 taps, edges 6, centre 9.
    const ctx = ctxFor(averagePool2d, attrs('SAME', 3, 3, 1, 1), [1, 3, 3, 1], 'int8', q);
    expect(ctx.outputs[0].shape).toEqual([1, 3, 3, 1]);
    const x = Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // top-left: (1+2+4+5)/4 = 3; top-middle: (1+2+3+4+5+6)/6 = 3.5 -> 4; centre 45/9 = 5.
    expect(run(averagePool2d, ctx, x)).toEqual([3, 4, 4, 5, 5, 6, 6, 7, 7]);
  });
  it('SAME padding with stride 2 pads after the input (odd total padding)', () => {
    const ctx = ctxFor(maxPool2d, attrs('SAME', 2, 2, 2, 2), [1, 3, 3, 2], 'int8', q);
    expect(ctx.outputs[0].shape).toEqual([1, 2, 2, 2]);
    const p = maxPool2d.prepare(ctx as never) as Pool2DParams;
    expect([p.padH, p.padW]).toEqual([0, 0]);
    const x = Int8Array.from([1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8, 9, -9]);
    expect(run(maxPool2d, ctx, x)).toEqual([5, -1, 6, -3, 8, -7, 9, -9]);
  });
  it('fused RELU6 clamps on the output scale', () => {
    const ctx = ctxFor(maxPool2d, attrs('VALID', 2, 2, 2, 2, 'RELU6'), [1, 2, 4, 1], 'int8', { scale: 0.1, zeroPoint: -5 });
    // six = round(6 / 0.1) - 5 = 55, zero = -5.
    expect(run(maxPool2d, ctx, Int8Array.from([100, 0, -100, -90, 1, 2, -100, -80]))).toEqual([55, -5]);
    const avg = ctxFor(averagePool2d, attrs('VALID', 1, 1, 1, 1, 'RELU'), [1, 1, 2, 1], 'int16', { scale: 1, zeroPoint: 0 });
    expect(run(averagePool2d, avg, Int16Array.from([-300, 300]))).toEqual([0, 300]);
  });
  it('int16 average and max', () => {
    const ctx = ctxFor(averagePool2d, attrs('VALID', 2, 2, 1, 1), [1, 2, 2, 1], 'int16', { scale: 0.001, zeroPoint: 0 });
    expect(run(averagePool2d, ctx, Int16Array.from([32767, 32767, 32767, 32766]))).toEqual([32767]);
    const m = ctxFor(maxPool2d, attrs('VALID', 2, 2, 1, 1), [1, 2, 2, 1], 'int16', { scale: 0.001, zeroPoint: 0 });
    expect(run(maxPool2d, m, Int16Array.from([-32768, -32767, -32768, -32768]))).toEqual([-32767]);
  });
  it('float32 average and max', () => {
    const a = ctxFor(averagePool2d, attrs('SAME', 2, 2, 2, 2), [1, 3, 3, 1], 'float32');
    expect(run(averagePool2d, a, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toEqual([3, 4.5, 7.5, 9]);
    const m = ctxFor(maxPool2d, attrs('VALID', 2, 2, 1, 1, 'RELU'), [1, 2, 2, 1], 'float32');
    expect(run(maxPool2d, m, Float32Array.from([-1, -2, -3, -4]))).toEqual([0]);
  });
  it('rejects unsupported dtypes, mismatched quantization and bad geometry', () => {
    expect(() => averagePool2d.prepare(ctxFor(averagePool2d, attrs('VALID', 1, 1, 1, 1), [1, 1, 1, 1], 'int32', q) as never)).toThrow(UnsupportedOpError);
    expect(() => maxPool2d.prepare(ctxFor(maxPool2d, attrs('VALID', 1, 1, 1, 1), [1, 1, 1, 1], 'int8', q, { scale: 0.2, zeroPoint: 0 }) as never)).toThrow(UnsupportedOpError);
    const big = singleOpContext('MAX_POOL_2D', attrs('VALID', 5, 5, 1, 1), [{ shape: [1, 3, 3, 1], dtype: 'int8' }], [{ shape: [1, 1, 1, 1], dtype: 'int8' }]);
    expect(() => maxPool2d.inferShapes(big)).toThrow(GraphError);
    const rank3 = singleOpContext('MAX_POOL_2D', attrs('VALID', 1, 1, 1, 1), [{ shape: [3, 3, 1], dtype: 'int8' }], [{ shape: [3, 3, 1], dtype: 'int8' }]);
    expect(() => maxPool2d.inferShapes(rank3)).toThrow(/op #0 MAX_POOL_2D/);
  });
});

describe('pooling C kernels match evaluate', () => {
  for (const def of [averagePool2d, maxPool2d]) {
    it(`${def.type} int8 and int16, random geometry`, () => {
      const rand = rng(def === averagePool2d ? 11 : 12);
      const acts: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases: CKernelCase[] = [];
      for (let k = 0; k < 80; k++) {
        const dtype = k < 50 ? 'int8' : 'int16';
        const shape = [1 + Math.floor(rand() * 2), 1 + Math.floor(rand() * 9), 1 + Math.floor(rand() * 9), 1 + Math.floor(rand() * 5)];
        const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
        const fh = 1 + Math.floor(rand() * Math.min(4, shape[1]));
        const fw = 1 + Math.floor(rand() * Math.min(4, shape[2]));
        const a = attrs(padding, fh, fw, 1 + Math.floor(rand() * 3), 1 + Math.floor(rand() * 3), acts[Math.floor(rand() * 4)]);
        const quant = { scale: 0.01 + rand() * 0.1, zeroPoint: dtype === 'int8' ? Math.floor(rand() * 256) - 128 : 0 };
        const ctx = ctxFor(def, a, shape, dtype, quant);
        const n = shape.reduce((p, d) => p * d, 1);
        cases.push({ ctx: ctx as never, params: def.prepare(ctx as never), inputs: [dtype === 'int8' ? randomInt8(n, rand) : randomInt16(n, rand)] });
      }
      // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
      for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
      const c = runOpCasesInC(def, cases);
      const ts = runOpCasesInTs(def, cases);
      for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
    });
  }
});
