import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { softmax, type SoftmaxParams } from '../../src/ops/softmax.js';
import { singleOpContext, rng, randomInt8, randomInt16 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

const OUT_Q: Record<string, { scale: number; zeroPoint: number }> = {
  int8: { scale: 1 / 256, zeroPoint: -128 },
  int16_from_int8: { scale: 1 / 65536, zeroPoint: -32768 },
  int16: { scale: 1 / 32768, zeroPoint: 0 },
};

function ctxFor(inDtype: DType, outDtype: DType, shape: number[], scale: number, zeroPoint: number, beta = 1) {
  const oq = outDtype === 'int8' ? OUT_Q.int8 : inDtype === 'int8' ? OUT_Q.int16_from_int8 : OUT_Q.int16;
  const quant = inDtype === 'float32' ? undefined : { scale, zeroPoint };
  return singleOpContext('SOFTMAX', { beta }, [{ shape, dtype: inDtype, quant }], [{ shape, dtype: outDtype, quant: outDtype === 'float32' ? undefined : oq }]);
}

function run(ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(softmax, [{ ctx, params: softmax.prepare(ctx), inputs: [x] }])[0][0]);
}

describe('SOFTMAX hand-checked', () => {
  it('a uniform row gives 1/n; a lone element gives 1.0, saturating at 127', () => {
    expect(run(ctxFor('int8', 'int8', [1, 4], 0.1, 0, 0.5), Int8Array.from([5, 5, 5, 5]))).toEqual([-64, -64, -64, -64]);
    expect(run(ctxFor('int8', 'int8', [3, 1], 0.1, 0), Int8Array.from([-128, 0, 127]))).toEqual([127, 127, 127]);
    expect(run(ctxFor('int8', 'int16', [1, 2], 0.1, 3), Int8Array.from([9, 9]))).toEqual([0, 0]);
  });
  it('differences beyond diff_min output the minimum', () => {
    // With scale 1 the scaled difference -255 is far below exp's range: only the max survives.
    const p = softmax.prepare(ctxFor('int8', 'int8', [1, 2], 1, 0)) as Extract<SoftmaxParams, { kind: 'int8' }>;
    expect(p.diffMin).toBeLessThan(0);
    expect(run(ctxFor('int8', 'int8', [1, 2], 1, 0), Int8Array.from([-128, 127]))).toEqual([-128, 127]);
  });
  // Expected outputs below were produced by TFLite Micro's reference kernels (same inputs).
  it('matches TFLite Micro outputs, int8 -> int8 and int8 -> int16', () => {
    const x = Int8Array.from([10, 20, 30, 40, -128, 127, 0, 0, 0, 0, -100, -99]);
    expect(run(ctxFor('int8', 'int8', [2, 6], 0.0625, 0), x)).toEqual([-128, -128, -127, -127, -128, 126, -64, -64, -64, -64, -128, -128]);
    expect(run(ctxFor('int8', 'int16', [2, 6], 0.0625, 0), x)).toEqual([
      -32725, -32687, -32617, -32485, -32768, 32210, -16400, -16400, -16400, -16400, -32736, -32734,
    ]);
  });
  it('matches TFLite Micro outputs and lookup tables, int16', () => {
    const x = Int16Array.from([1000, 2000, 3000, 4000, -32768, 32767, 0, 0, 0, 0, -5000, -4000]);
    const ctx = ctxFor('int16', 'int16', [2, 6], 0.0005, 0);
    expect(run(ctx, x)).toEqual([2, 2, 2, 2, 2, 32757, 7770, 7770, 7770, 7770, 638, 1052]);
    const p = softmax.prepare(ctx) as Extract<SoftmaxParams, { kind: 'int16' }>;
    expect([p.expLut[0], p.expLut[1], p.expLut[256], p.expLut[511], p.expLut[512]]).toEqual([2, 2, 221, 32133, 32767]);
    expect([p.oneOverOnePlusXLut[0], p.oneOverOnePlusXLut[1], p.oneOverOnePlusXLut[256], p.oneOverOnePlusXLut[511], p.oneOverOnePlusXLut[512]]).toEqual([
      32767, 32704, 21845, 16400, 16384,
    ]);
  });
  it('float32 softmax with beta', () => {
    const out = run(ctxFor('float32', 'float32', [1, 3], 0, 0, 2), Float32Array.from([0, Math.log(2) / 2, 0]));
    expect(out[0]).toBeCloseTo(0.25, 6);
    expect(out[1]).toBeCloseTo(0.5, 6);
    expect(out[2]).toBeCloseTo(0.25, 6);
  });
  it('rejects output quantization TFLite Micro does not support, and other dtypes', () => {
    const bad = singleOpContext('SOFTMAX', { beta: 1 }, [{ shape: [1, 4], dtype: 'int8', quant: { scale: 0.1, zeroPoint: 0 } }], [{ shape: [1, 4], dtype: 'int8', quant: { scale: 1 / 128, zeroPoint: 0 } }]);
    expect(() => softmax.prepare(bad)).toThrow(UnsupportedOpError);
    const u8 = singleOpContext('SOFTMAX', { beta: 1 }, [{ shape: [4], dtype: 'uint8', quant: { scale: 0.1, zeroPoint: 0 } }], [{ shape: [4], dtype: 'uint8', quant: { scale: 1 / 256, zeroPoint: 0 } }]);
    expect(() => softmax.prepare(u8)).toThrow(/uint8/);
    const scalar = singleOpContext('SOFTMAX', { beta: 1 }, [{ shape: [], dtype: 'int8' }], [{ shape: [], dtype: 'int8' }]);
    expect(() => softmax.inferShapes(scalar)).toThrow(GraphError);
  });
});

describe('SOFTMAX C kernels match evaluate', () => {
  it('int8 -> int8, int8 -> int16 and int16 -> int16 on random rows', () => {
    const rand = rng(99);
    const cases: CKernelCase[] = [];
    const kinds: [DType, DType][] = [
      ['int8', 'int8'],
      ['int8', 'int16'],
      ['int16', 'int16'],
    ];
    for (let k = 0; k < 90; k++) {
      const [inDt, outDt] = kinds[k % 3];
      const depth = 1 + Math.floor(rand() * (rand() < 0.2 ? 200 : 16));
      const shape = [1 + Math.floor(rand() * 3), depth];
      const scale = inDt === 'int16' ? 10 ** (-5 + rand() * 4) : 10 ** (-3 + rand() * 3.5);
      const zp = inDt === 'int16' ? 0 : Math.floor(rand() * 256) - 128;
      const ctx = ctxFor(inDt, outDt, shape, scale, zp, rand() < 0.5 ? 1 : 0.1 + rand() * 3);
      const n = shape[0] * depth;
      const x = inDt === 'int8' ? randomInt8(n, rand, rand() < 0.3 ? 100 : -128, 127) : randomInt16(n, rand, rand() < 0.3 ? 30000 : -32768, 32767);
      cases.push({ ctx, params: softmax.prepare(ctx), inputs: [x] });
    }
    // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
    for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
    const c = runOpCasesInC(softmax, cases);
    const ts = runOpCasesInTs(softmax, cases);
    for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
  });
});
