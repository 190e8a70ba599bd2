/**
 * The little dense linear algebra the error-minimizing weight rounding needs: Cholesky
 * factorization of a symmetric positive-definite matrix and the upper Cholesky factor of its
 * inverse (GPTQ's update coefficients). Row-major Float64Array, n x n.
 */

/** Lower Cholesky factor L (H = L Lᵀ), or undefined when H is not positive definite. */
export function cholesky(h: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = h[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  return l;
}

/** x with H x = b for a symmetric positive-definite H, or undefined when H does not factor. */
export function solveSpd(h: Float64Array, n: number, b: ArrayLike<number>): Float64Array | undefined {
  const l = cholesky(h, n);
  if (!l) return undefined;
  // L y = b, then Lᵀ x = y.
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k];
    x[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** H⁻¹ from its lower Cholesky factor: (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹. */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // M = L⁻¹ (lower triangular), by forward substitution column by column.
  const m = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * m[k * n + c];
      m[i * n + c] = s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += m[k * n + i] * m[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/**
 * Upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ U) for a damped H: GPTQ's row i of U holds how the
 * rounding error of weight i is spread over the weights after it. The damping (a fraction of the
 * mean diagonal, raised tenfold until the factorization succeeds) keeps a rank-deficient H (few
 * calibration positions, dead inputs) invertible.
 */
export function gptqFactor(h: Float64Array, n: number, damp = 0.01): Float64Array {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += h[i * n + i];
  mean = mean / n || 1;
  for (let d = damp, tries = 0; tries < 12; d *= 10, tries++) {
    const hd = Float64Array.from(h);
    for (let i = 0; i < n; i++) hd[i * n + i] += d * mean;
    const l = cholesky(hd, n);
    if (!l) continue;
    const inv = inverseFromCholesky(l, n);
    const lInv = cholesky(inv, n);
    if (!lInv) continue;
    // U = Lᵀ of the inverse's lower factor.
    const u = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = lInv[j * n + i];
    return u;
  }
  // Not even a heavily damped H factors (non-finite statistics): no error feedback, which makes
  // the caller's rounding plain round-to-nearest.
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) u[i * n + i] = 1;
  return u;
}

/** xᵀ H x for a symmetric H. */
export function quadForm(h: Float64Array, n: number, x: ArrayLike<number>): number {
  return bilinear(h, n, x, x);
}

/** xᵀ H y for a symmetric H. */
export function bilinear(h: Float64Array, n: number, x: ArrayLike<number>, y: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += h[row + j] * y[j];
    total += xi * s;
  }
  return total;
}
