/**
 * The row products of the fast host path: gemmF64 (2 x 4 blocks, an odd last row) and the
 * monomorphic copies of one dotRows body (f64, int8 and float32 weights) against plain sums,
 * with every remainder of the 4-unit blocking and non-zero offsets.
 */
import { describe, expect, it } from 'vitest';
import { dotRowsF64, dotRowsFloat, dotRowsInt8, gemmF64 } from '../../src/ops/gemm-f64.js';
import { monomorphicCopy } from '../../src/ops/monomorphic.js';
import { rng } from '../helpers/op-graph.js';

function plainRows(x: ArrayLike<number>, xOff: number, depth: number, w: ArrayLike<number>, wOff: number, units: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < units; o++) {
    let s = 0;
    for (let d = 0; d < depth; d++) s += x[xOff + d] * w[wOff + o * depth + d];
    out.push(s);
  }
  return out;
}

describe('row products', () => {
  it('dotRows copies equal plain sums for f64, int8 and float32 weights (units 0..9, offsets)', () => {
    const next = rng(7);
    for (let units = 0; units <= 9; units++) {
      for (const depth of [1, 5, 16]) {
        const x = Array.from({ length: depth + 3 }, () => next() * 255 - 128);
        const w8 = Int8Array.from({ length: 2 + units * depth }, () => Math.floor(next() * 256) - 128);
        const wf = Float32Array.from({ length: 2 + units * depth }, () => next() * 4 - 2);
        const wd = Array.from(w8, (v) => v + 0.5);
        const want8 = plainRows(x, 3, depth, w8, 2, units);
        const acc = Array.from({ length: units + 1 }, () => 0.5);
        dotRowsInt8(x, 3, depth, w8, 2, units, acc, 1);
        expect(acc.slice(1)).toEqual(want8);
        dotRowsFloat(x, 3, depth, wf, 2, units, acc, 1);
        expect(acc.slice(1)).toEqual(plainRows(x, 3, depth, wf, 2, units));
        dotRowsF64(x, 3, depth, wd, 2, units, acc, 1);
        expect(acc.slice(1)).toEqual(plainRows(x, 3, depth, wd, 2, units));
      }
    }
  });

  it('gemmF64 equals plain sums for every row and column remainder of its 2 x 4 blocks', () => {
    const next = rng(11);
    for (let rows = 1; rows <= 5; rows++) {
      for (let cols = 1; cols <= 9; cols++) {
        const depth = 7;
        const A = Array.from({ length: rows * (depth + 2) }, () => Math.floor(next() * 255) - 128 + 0.5);
        const W = Array.from({ length: cols * depth }, () => Math.floor(next() * 255) - 128 + 0.5);
        const acc = Array.from({ length: rows * (cols + 1) }, () => 0.5);
        gemmF64(A, 0, depth + 2, rows, W, 0, depth, cols, acc, 0, cols + 1);
        for (let r = 0; r < rows; r++) expect(acc.slice(r * (cols + 1), r * (cols + 1) + cols)).toEqual(plainRows(A, r * (depth + 2), depth, W, 0, cols));
      }
    }
  });

  it('monomorphicCopy gives a distinct function computing the same, named in stack traces', () => {
    const square = (v: number): number => {
      if (v < 0) throw new Error('negative');
      return v * v;
    };
    const copy = monomorphicCopy(square, 'square');
    expect(copy).not.toBe(square);
    expect(copy(12)).toBe(144);
    expect(() => copy(-1)).toThrow(/negative/);
    try {
      copy(-1);
    } catch (e) {
      expect((e as Error).stack).toContain('tinyml-monomorphic/square.js');
    }
  });
});
