/**
 * The two dense products every trainable layer reduces to, over row-major Float32Arrays:
 *
 *   gemmAB:  C[M,N] += A[M,K] · B[K,N]
 *   gemmAtB: C[K,N] += A[M,K]ᵀ · B[M,N]
 *
 * Forward passes are `cols · Wᵀ` (gemmAB with a transposed weight copy), input gradients `dY · W`
 * (gemmAB) and weight gradients `dYᵀ · cols` (gemmAtB). Both keep the innermost loop running
 * along a contiguous row of B and C, and take four rows of the outer operand at a time so that
 * each pass over a C row does four multiply-adds per load and store (V8 does not vectorize, so
 * memory traffic is what these loops are about). Zero rows of the outer operand, which ReLU makes
 * common in gradients and activations, are skipped.
 */

/**
 * The block both products are made of: two rows of C, at `co` and `co + n`, each gain four rows of
 * B (from `bo`, n apart) weighted by A(r, q) = a[ao + r·ar + q·aq] (r: the C row, q: the B row).
 * gemmAB walks A along its rows (ar = k, aq = 1), gemmAtB down its columns (ar = 1, aq = k).
 * Skipped when all eight weights are zero.
 */
function block2x4(a: Float32Array, ao: number, ar: number, aq: number, b: Float32Array, bo: number, c: Float32Array, co: number, n: number): void {
  const a0 = a[ao];
  const a1 = a[ao + aq];
  const a2 = a[ao + 2 * aq];
  const a3 = a[ao + 3 * aq];
  const e0 = a[ao + ar];
  const e1 = a[ao + ar + aq];
  const e2 = a[ao + ar + 2 * aq];
  const e3 = a[ao + ar + 3 * aq];
  if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0 && e0 === 0 && e1 === 0 && e2 === 0 && e3 === 0) return;
  const b0 = bo;
  const b1 = b0 + n;
  const b2 = b1 + n;
  const b3 = b2 + n;
  const c1 = co + n;
  for (let j = 0; j < n; j++) {
    const x0 = b[b0 + j];
    const x1 = b[b1 + j];
    const x2 = b[b2 + j];
    const x3 = b[b3 + j];
    c[co + j] += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
    c[c1 + j] += e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3;
  }
}

/** C[M,N] += A[M,K] · B[K,N]. */
export function gemmAB(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  let i = 0;
  // Two rows of C at a time: each B row loaded once feeds both.
  for (; i + 2 <= m; i += 2) {
    const ai = i * k;
    const aj = ai + k;
    const ci = i * n;
    const cj = ci + n;
    let p = 0;
    for (; p + 4 <= k; p += 4) block2x4(a, ai + p, k, 1, b, p * n, c, ci, n);
    for (; p < k; p++) {
      const av = a[ai + p];
      const ev = a[aj + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const x = b[bp + j];
        c[ci + j] += av * x;
        c[cj + j] += ev * x;
      }
    }
  }
  for (; i < m; i++) {
    const ai = i * k;
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[ai + p];
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
    }
  }
}

/** C[K,N] += A[M,K]ᵀ · B[M,N]. */
export function gemmAtB(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    const b0 = i * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    let p = 0;
    // Two rows of C at a time: each B element loaded once feeds both.
    for (; p + 2 <= k; p += 2) block2x4(a, a0 + p, 1, k, b, b0, c, p * n, n);
    for (; p < k; p++) {
      const x0 = a[a0 + p];
      const x1 = a[a1 + p];
      const x2 = a[a2 + p];
      const x3 = a[a3 + p];
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
      const cp = p * n;
      for (let j = 0; j < n; j++) c[cp + j] += x0 * b[b0 + j] + x1 * b[b1 + j] + x2 * b[b2 + j] + x3 * b[b3 + j];
    }
  }
  for (; i < m; i++) {
    const ai = i * k;
    const bi = i * n;
    for (let p = 0; p < k; p++) {
      const x = a[ai + p];
      if (x === 0) continue;
      const cp = p * n;
      for (let j = 0; j < n; j++) c[cp + j] += x * b[bi + j];
    }
  }
}

/** The transpose of a row-major [rows, cols] matrix. */
export function transpose(src: Float32Array, rows: number, cols: number, out = new Float32Array(rows * cols)): Float32Array {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}
