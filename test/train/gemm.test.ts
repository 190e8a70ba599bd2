/**
 * The training GEMMs against the textbook triple loop, on shapes that exercise the 4x4 blocks and
 * every remainder (rows and inner dimension not multiples of 4), with zero blocks that are skipped.
 */
import { describe, expect, it } from 'vitest';
import { gemmAB, gemmAtB } from '../../src/train/gemm.js';
import { mulberry32 } from '../../src/random.js';

function matrix(rows: number, cols: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  // Half zeros, some whole zero rows: the skipping paths must add nothing and skip nothing else.
  return Float32Array.from({ length: rows * cols }, (_, i) => (Math.floor(i / cols) % 5 === 2 || r() < 0.5 ? 0 : r() * 2 - 1));
}

describe('training GEMMs', () => {
  for (const [m, k, n] of [[1, 1, 1], [4, 4, 3], [7, 6, 5], [9, 13, 8], [16, 8, 1]]) {
    it(`AB and AᵀB equal the plain sums, m=${m} k=${k} n=${n}`, () => {
      const a = matrix(m, k, m * 100 + k);
      const b = matrix(k, n, n + 7);
      const c = Float32Array.from({ length: m * n }, (_, i) => i * 0.25);
      const want = c.map((v, idx) => {
        const i = Math.floor(idx / n);
        const j = idx % n;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        return v + s;
      });
      gemmAB(a, b, c, m, k, n);
      for (let i = 0; i < c.length; i++) expect(c[i]).toBeCloseTo(want[i], 5);

      const bm = matrix(m, n, 3);
      const d = new Float32Array(k * n).fill(1);
      gemmAtB(a, bm, d, m, k, n);
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < n; j++) {
          let s = 1;
          for (let i = 0; i < m; i++) s += a[i * k + p] * bm[i * n + j];
          expect(d[p * n + j]).toBeCloseTo(s, 5);
        }
      }
    });
  }

  it('gives each row of AB the same bits wherever it sits in A (a sample is batch-independent)', () => {
    for (const [m, k, n] of [[7, 13, 5], [6, 25, 10]]) {
      const a = matrix(m, k, 11 + m);
      const b = matrix(k, n, 5);
      const c = new Float32Array(m * n);
      gemmAB(a, b, c, m, k, n);
      for (let i = 0; i < m; i++) {
        const row = new Float32Array(n);
        gemmAB(a.subarray(i * k, (i + 1) * k), b, row, 1, k, n);
        expect(Array.from(row)).toEqual(Array.from(c.subarray(i * n, (i + 1) * n)));
      }
    }
  });
});
