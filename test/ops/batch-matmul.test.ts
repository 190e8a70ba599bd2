import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import { batchMatmul } from '../../src/ops/batch-matmul.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

interface BCase {
  x: number[];
  y: number[];
  adjX?: boolean;
  adjY?: boolean;
  out?: number[];
  xq?: { scale: number; zeroPoint: number };
  yq?: { scale: number; zeroPoint: number };
  oq?: { scale: number; zeroPoint: number };
  yConst?: Int8Array;
}

function ctxOf(c: BCase) {
  const xq = c.xq ?? { scale: 0.5, zeroPoint: 0 };
  const yq = c.yq ?? { scale: 0.5, zeroPoint: 0 };
  const oq = c.oq ?? { scale: 1, zeroPoint: 0 };
  const attrs = { adjX: c.adjX ?? false, adjY: c.adjY ?? false, asymmetricQuantizeInputs: false };
  const shapeCtx = singleOpContext('BATCH_MATMUL', attrs, [{ shape: c.x, dtype: 'int8', quant: xq }, { shape: c.y, dtype: 'int8', quant: yq }], [{ shape: [1], dtype: 'int8', quant: oq }]);
  const out = c.out ?? batchMatmul.inferShapes(shapeCtx)[0];
  return singleOpContext('BATCH_MATMUL', attrs, [{ shape: c.x, dtype: 'int8', quant: xq }, { shape: c.y, dtype: 'int8', quant: yq, ...(c.yConst ? { data: c.yConst } : {}) }], [{ shape: out, dtype: 'int8', quant: oq }]);
}

function run(c: BCase, x: number[], y: number[]): number[] {
  const ctx = ctxOf(c);
  const p = batchMatmul.prepare(ctx);
  const out = new Int8Array(elementCount(ctx.outputs[0].shape));
  batchMatmul.evaluate(p, [Int8Array.from(x), Int8Array.from(y)], [out]);
  return Array.from(out);
}

describe('BATCH_MATMUL reference', () => {
  it('multiplies, with the scales giving multiplier 0.25 (TFLite Micro test: 2x3 by 3x4)', () => {
    // real = 0.5 * 0.5 / 1 = 0.25 of the integer product; values chosen so products are multiples of 4.
    const x = [2, 4, 6, 8, 10, 12];
    const y = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24];
    // [[2,4,6],[8,10,12]] @ [[2,4,6,8],[10,12,14,16],[18,20,22,24]] = [[152,176,200,224],[332,392,452,512]], / 4.
    expect(run({ x: [1, 2, 3], y: [1, 3, 4] }, x, y)).toEqual([38, 44, 50, 56, 83, 98, 113, 127]);
  });

  it('reads x transposed with adj_x and y transposed with adj_y', () => {
    const x = [2, 4, 6, 8, 10, 12]; // [[2,4,6],[8,10,12]]
    const xt = [2, 8, 4, 10, 6, 12]; // the same matrix stored transposed
    const y = [2, 4, 6, 8, 10, 12]; // 3x2
    const yt = [2, 6, 10, 4, 8, 12]; // 2x3 = y transposed
    const want = run({ x: [2, 3], y: [3, 2] }, x, y);
    expect(run({ x: [3, 2], y: [3, 2], adjX: true }, xt, y)).toEqual(want);
    expect(run({ x: [2, 3], y: [2, 3], adjY: true }, x, yt)).toEqual(want);
    expect(run({ x: [3, 2], y: [2, 3], adjX: true, adjY: true }, xt, yt)).toEqual(want);
  });

  it('subtracts the zero points and adds the output one', () => {
    // (x - 1) * (y + 2) with x = 3, y = 0: 2 * 2 = 4 -> 4 * 0.25 = 1, + output zero point 5.
    expect(run({ x: [1, 1], y: [1, 1], xq: { scale: 0.5, zeroPoint: 1 }, yq: { scale: 0.5, zeroPoint: -2 }, oq: { scale: 1, zeroPoint: 5 } }, [3], [0])).toEqual([6]);
  });

  it('broadcasts batch dimensions of either side', () => {
    // x: 2 batches of 1x1, y: 1 batch of 1x2 -> 2 batches of 1x2.
    expect(run({ x: [2, 1, 1], y: [1, 1, 2] }, [4, 8], [4, 8])).toEqual([4, 8, 8, 16]);
    expect(run({ x: [1, 1, 1], y: [2, 1, 2] }, [4], [4, 8, 12, 16])).toEqual([4, 8, 12, 16]);
    expect(batchMatmul.inferShapes(ctxOf({ x: [3, 1, 2, 5], y: [4, 5, 6] }))).toEqual([[3, 4, 2, 6]]);
    expect(batchMatmul.inferShapes(ctxOf({ x: [2, 5], y: [2, 1, 5, 6] }))).toEqual([[2, 1, 2, 6]]);
  });
});

describe('BATCH_MATMUL errors', () => {
  it('rejects mismatched depths, batches that do not broadcast and ranks above 5', () => {
    expect(() => batchMatmul.inferShapes(ctxOf({ x: [2, 3], y: [4, 2], out: [2, 2] }))).toThrow(/summed dimension/);
    expect(() => batchMatmul.inferShapes(ctxOf({ x: [2, 2, 3], y: [3, 3, 2], out: [2, 2] }))).toThrow(/broadcast/);
    expect(() => batchMatmul.inferShapes(ctxOf({ x: [1, 1, 1, 1, 2, 3], y: [3, 2], out: [2, 2] }))).toThrow(GraphError);
    expect(() => batchMatmul.prepare(ctxOf({ x: [2, 3], y: [3, 2], out: [2, 3] }))).toThrow(GraphError);
  });

  it('refuses int16, mixed types and per-channel operands', () => {
    const attrs = { adjX: false, adjY: false, asymmetricQuantizeInputs: false };
    const s16 = singleOpContext('BATCH_MATMUL', attrs, [{ shape: [2, 3], dtype: 'int16' }, { shape: [3, 2], dtype: 'int16' }], [{ shape: [2, 2], dtype: 'int16' }]);
    expect(() => batchMatmul.prepare(s16)).toThrow(UnsupportedOpError);
    const hybrid = singleOpContext('BATCH_MATMUL', attrs, [{ shape: [2, 3], dtype: 'float32' }, { shape: [3, 2], dtype: 'int8', quant: { scale: 0.5, zeroPoint: 0 } }], [{ shape: [2, 2], dtype: 'float32' }]);
    expect(() => batchMatmul.prepare(hybrid)).toThrow(/x float32, y int8/);
    const pc = singleOpContext(
      'BATCH_MATMUL',
      { adjX: false, adjY: false, asymmetricQuantizeInputs: false },
      [
        { shape: [2, 3], dtype: 'int8', quant: { scale: 0.5, zeroPoint: 0 } },
        { shape: [3, 2], dtype: 'int8', quant: { scale: [0.5, 0.25], zeroPoint: [0, 0], quantizedDimension: 1 }, data: new Int8Array(6) },
      ],
      [{ shape: [2, 2], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 } }],
    );
    expect(() => batchMatmul.prepare(pc)).toThrow(/per channel/);
  });
});

describe('BATCH_MATMUL C kernel', () => {
  it('matches evaluate byte for byte on random shapes, adjoints, broadcasts and quantizations', () => {
    const rand = rng(1313);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    for (let t = 0; t < 40; t++) {
      const m = int(1, 7);
      const k = int(1, 9);
      const n = int(1, 7);
      const adjX = rand() < 0.5;
      const adjY = rand() < 0.5;
      const nb = int(0, 3);
      const xb: number[] = [];
      const yb: number[] = [];
      for (let i = 0; i < nb; i++) {
        const d = int(1, 3);
        const r = rand();
        xb.push(r < 0.25 ? 1 : d);
        yb.push(r > 0.75 ? 1 : d);
      }
      const xRank = rand() < 0.3 ? xb.slice(int(0, nb)) : xb;
      const x = [...xRank, ...(adjX ? [k, m] : [m, k])];
      const y = [...yb, ...(adjY ? [n, k] : [k, n])];
      const c: BCase = {
        x,
        y,
        adjX,
        adjY,
        xq: { scale: 0.01 + rand() * 0.05, zeroPoint: int(-20, 20) },
        yq: { scale: 0.01 + rand() * 0.05, zeroPoint: int(-20, 20) },
        oq: { scale: 0.02 + rand() * 0.2, zeroPoint: int(-10, 10) },
      };
      const ctx = ctxOf(c);
      const inputs: TensorData[] = [randomInt8(elementCount(x), rand), randomInt8(elementCount(y), rand)];
      cases.push({ ctx, params: batchMatmul.prepare(ctx), inputs });
    }
    const got = runOpCasesInC(batchMatmul, cases);
    const want = runOpCasesInTs(batchMatmul, cases);
    got.forEach((o, i) => expect(Array.from(o[0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
  });
});

describe('BATCH_MATMUL float32', () => {
  it('multiplies in float32, and the C kernel matches bit for bit on random cases (same summation order)', () => {
    const attrs = { adjX: false, adjY: true, asymmetricQuantizeInputs: false };
    const ctx = singleOpContext('BATCH_MATMUL', attrs, [{ shape: [1, 2, 2], dtype: 'float32' }, { shape: [2, 1, 2], dtype: 'float32' }], [{ shape: [2, 2, 1], dtype: 'float32' }]);
    const out = new Float32Array(4);
    batchMatmul.evaluate(batchMatmul.prepare(ctx), [Float32Array.from([1, 2, 3, 4]), Float32Array.from([0.5, 1, -1, 2])], [out]);
    // x [[1,2],[3,4]] times y[b] transposed: y0 = [0.5, 1] -> [2.5, 5.5]; y1 = [-1, 2] -> [3, 5].
    expect(Array.from(out)).toEqual([2.5, 5.5, 3, 5]);

    const rand = rng(2626);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    for (let t = 0; t < 20; t++) {
      const [m, k, n] = [int(1, 6), int(1, 9), int(1, 6)];
      const adjX = rand() < 0.5;
      const adjY = rand() < 0.5;
      const b = int(1, 3);
      const x = [b, ...(adjX ? [k, m] : [m, k])];
      const y = [rand() < 0.5 ? 1 : b, ...(adjY ? [n, k] : [k, n])];
      const c = singleOpContext('BATCH_MATMUL', { adjX, adjY, asymmetricQuantizeInputs: false }, [{ shape: x, dtype: 'float32' }, { shape: y, dtype: 'float32' }], [{ shape: [b, m, n], dtype: 'float32' }]);
      const f = (len: number) => Float32Array.from({ length: len }, () => rand() * 4 - 2);
      cases.push({ ctx: c, params: batchMatmul.prepare(c), inputs: [f(elementCount(x)), f(elementCount(y))] });
    }
    const got = runOpCasesInC(batchMatmul, cases);
    const want = runOpCasesInTs(batchMatmul, cases);
    got.forEach((o, i) => expect(Array.from(new Uint32Array((o[0] as Float32Array).buffer)), `case ${i}`).toEqual(Array.from(new Uint32Array((want[i][0] as Float32Array).buffer))));
  });
});
