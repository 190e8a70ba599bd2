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

/** C[M,N] += A[M,K] · B[K,N]. */
export function gemmAB(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    const ci = i * n;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const a0 = a[ai + p];
      const a1 = a[ai + p + 1];
      const a2 = a[ai + p + 2];
      const a3 = a[ai + p + 3];
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
    for (; p < k; p++) {
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
    for (let p = 0; p < k; p++) {
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
