import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { UnsupportedOpError, GraphError } from '../../src/errors.js';
import { hardSwish, leakyRelu, relu, relu6 } from '../../src/ops/activations.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { singleOpContext, rng, randomInt8, randomInt16 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type Q = { scale: number; zeroPoint: number };

function ctxFor(def: AnyOpDef, dtype: DType, n: number, qi?: Q, qo?: Q, alpha = 0.2) {
  const attrs = def.type === 'LEAKY_RELU' ? { alpha } : {};
  return singleOpContext(def.type, attrs as never, [{ shape: [n], dtype, quant: qi }], [{ shape: [n], dtype, quant: qo }]);
}

function run(def: AnyOpDef, ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(def, [{ ctx, params: def.prepare(ctx), inputs: [x] }])[0][0]);
}

describe('activations hand-checked', () => {
  it('RELU requantizes, then clamps at the output zero point', () => {
    // multiplier 0.1 / 0.05 = 2, zero point -10.
    const ctx = ctxFor(relu, 'int8', 4, { scale: 0.1, zeroPoint: 0 }, { scale: 0.05, zeroPoint: -10 });
    expect(run(relu, ctx, Int8Array.from([-5, 3, 0, 127]))).toEqual([-10, -4, -10, 127]);
    // multiplier 0.5: 1.5 -> 2, 2.5 -> 3 (the high multiply rounds ties up).
    const half = ctxFor(relu, 'int16', 3, { scale: 0.1, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 0 });
    expect(run(relu, half, Int16Array.from([3, 5, -32768]))).toEqual([2, 3, 0]);
  });
  it('RELU6 clamps the raw input on the input scale and ignores the output quantization', () => {
    const ctx = ctxFor(relu6, 'int8', 3, { scale: 0.1, zeroPoint: -5 }, { scale: 0.7, zeroPoint: 9 });
    // six = round(6 / 0.1) - 5 = 55; zero = -5.
    expect(run(relu6, ctx, Int8Array.from([100, -100, 20]))).toEqual([55, -5, 20]);
    const big = ctxFor(relu6, 'int8', 1, { scale: 0.01, zeroPoint: 0 }, { scale: 0.01, zeroPoint: 0 });
    expect(run(relu6, big, Int8Array.from([127]))).toEqual([127]); // quantized 6.0 saturates to 127
  });
  it('LEAKY_RELU: identity for x >= 0, alpha (even negative) below', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    // alpha 0.5: -1.5 -> -1, -2.5 -> -2 (ties rounded up by the high multiply).
    expect(run(leakyRelu, ctxFor(leakyRelu, 'int8', 4, q, q, 0.5), Int8Array.from([-3, -5, 4, -128]))).toEqual([-1, -2, 4, -64]);
    expect(run(leakyRelu, ctxFor(leakyRelu, 'int8', 2, q, q, -0.5), Int8Array.from([-4, 4]))).toEqual([2, 4]);
    const zp = ctxFor(leakyRelu, 'int16', 2, { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, 2);
    expect(run(leakyRelu, zp, Int16Array.from([-20000, 20000]))).toEqual([-32768, 20000]);
  });
  // Expected HARD_SWISH outputs below were produced by TFLite Micro's reference kernel.
  it('HARD_SWISH matches TFLite Micro', () => {
    const a = ctxFor(hardSwish, 'int8', 12, { scale: 0.05, zeroPoint: 10 }, { scale: 0.03, zeroPoint: -20 });
    expect(run(hardSwish, a, Int8Array.from([-128, -100, -60, -50, -30, 0, 10, 20, 40, 70, 100, 127]))).toEqual([
      -20, -20, -20, -20, -31, -27, -20, -10, 18, 80, 127, 127,
    ]);
    const b = ctxFor(hardSwish, 'int8', 8, { scale: 0.5, zeroPoint: 0 }, { scale: 0.25, zeroPoint: -128 });
    // hard_swish(1.5) = 1.125 = 4.5 steps -> -123; hard_swish(3) = 3 -> -116.
    expect(run(hardSwish, b, Int8Array.from([-128, -7, -6, -3, 0, 3, 6, 127]))).toEqual([-128, -128, -128, -128, -128, -123, -116, 126]);
  });
  it('float32 variants', () => {
    const x = Float32Array.from([-2, -0.5, 0, 1, 4, 8]);
    expect(run(relu, ctxFor(relu, 'float32', 6), x)).toEqual([0, 0, 0, 1, 4, 8]);
    expect(run(relu6, ctxFor(relu6, 'float32', 6), x)).toEqual([0, 0, 0, 1, 4, 6]);
    expect(run(leakyRelu, ctxFor(leakyRelu, 'float32', 6, undefined, undefined, 0.25), x)).toEqual([-0.5, -0.125, 0, 1, 4, 8]);
    expect(run(hardSwish, ctxFor(hardSwish, 'float32', 6), x)).toEqual([Math.fround(-2 / 6), Math.fround((-0.5 * 2.5) / 6), 0, Math.fround(4 / 6), 4, 8]);
  });
  it('rejects unsupported combinations', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    expect(() => hardSwish.prepare(ctxFor(hardSwish, 'int16', 2, q, q))).toThrow(UnsupportedOpError);
    expect(() => relu.prepare(ctxFor(relu, 'int16', 2, { scale: 0.1, zeroPoint: 3 }, q))).toThrow(UnsupportedOpError);
    expect(() => relu6.prepare(ctxFor(relu6, 'uint8', 2, q, q))).toThrow(/uint8/);
    const mixed = singleOpContext('RELU', {} as never, [{ shape: [2], dtype: 'int8', quant: q }], [{ shape: [2], dtype: 'int16', quant: q }]);
    expect(() => relu.prepare(mixed)).toThrow(UnsupportedOpError);
    const twoIn = singleOpContext('RELU', {} as never, [{ shape: [2], dtype: 'int8' }, { shape: [2], dtype: 'int8' }], [{ shape: [2], dtype: 'int8' }]);
    expect(() => relu.inferShapes(twoIn)).toThrow(GraphError);
  });
});

describe('activation C kernels match evaluate', () => {
  const defs: AnyOpDef[] = [relu, relu6, leakyRelu, hardSwish];
  for (const def of defs) {
    it(`${def.type} on random quantization`, () => {
      const rand = rng(def.type.length * 7);
      const cases: CKernelCase[] = [];
      const dtypes: DType[] = def === hardSwish ? ['int8'] : ['int8', 'int16'];
      for (let k = 0; k < 50; k++) {
        const dtype = dtypes[k % dtypes.length];
        const n = 1 + Math.floor(rand() * 300);
        const zp = () => (dtype === 'int8' ? Math.floor(rand() * 256) - 128 : 0);
        const qi = { scale: 10 ** (-3 + rand() * 3), zeroPoint: zp() };
        const qo = def === hardSwish ? { scale: Math.max(qi.scale / 100, 10 ** (-3 + rand() * 3)), zeroPoint: zp() } : { scale: 10 ** (-3 + rand() * 3), zeroPoint: zp() };
        const ctx = ctxFor(def, dtype, n, qi, qo, rand() < 0.2 ? -rand() : rand() * 1.5);
        const x = dtype === 'int8' ? randomInt8(n, rand) : randomInt16(n, rand);
        cases.push({ ctx, params: def.prepare(ctx), inputs: [x] });
      }
      // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
      for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
      const c = runOpCasesInC(def, cases);
      const ts = runOpCasesInTs(def, cases);
      for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
    });
  }
});
