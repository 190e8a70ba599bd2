/**
 * GPTQ-style second-order rounding (Frantar et al., "GPTQ", 2022; Optimal Brain Quantization):
 * the weights of one output channel are rounded one at a time, and each rounding error is
 * compensated by adjusting the weights not yet rounded, in proportion to how the layer's inputs
 * correlate. The objective is the error of the channel's output on the calibration data,
 * ‖(w - s q) X‖² = (w - s q)ᵀ H (w - s q) with H = X Xᵀ (the layer input's second moment), not the
 * error of the weights themselves.
 *
 * On top of the published method, per channel: the scale is searched (several scales, each with
 * its full error-compensated rounding, scored by the output error), and once the grid points are
 * fixed the scale is refitted in closed form, s = qᵀHw / qᵀHq, which lowers the output error
 * further at no cost. Columns are processed in decreasing order of H's diagonal (GPTQ's
 * "act-order"): the inputs with most energy are rounded first, while there is most freedom left
 * to compensate them.
 */
import { rowMagnitudes, searchScale, type RowQuantization } from './clip-search.js';
import { bilinear, gptqFactor, quadForm } from './linalg.js';
import { gridPoint, scaleCandidates, type WeightWidth } from './subbyte-grid.js';

/** A layer input's statistics, prepared once and shared by every channel that reads that input. */
export interface PreparedHessian {
  n: number;
  /** Column order (decreasing diagonal). */
  order: Int32Array;
  /** H in that order (undamped: the objective). */
  h: Float64Array;
  /** Upper Cholesky factor of the damped H⁻¹, in that order. */
  u: Float64Array;
}

/** Prepares H (n x n, row major, symmetric) for `gptqRow`. */
export function prepareHessian(h: Float64Array, n: number, damp = 0.01): PreparedHessian {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => h[b * n + b] - h[a * n + a] || a - b);
  const hp = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) hp[i * n + j] = h[order[i] * n + order[j]];
  // An input that is always zero (dead channel, padding-only column) has no say in the output:
  // a unit diagonal keeps the factorization defined and its weight is rounded plainly.
  const hd = Float64Array.from(hp);
  for (let i = 0; i < n; i++) if (!(hd[i * n + i] > 0)) hd[i * n + i] = 1;
  return { n, order, h: hp, u: gptqFactor(hd, n, damp) };
}

/**
 * Error-compensated rounding of the permuted row `wp` into `q` (permuted): weight i, once the
 * feedback of the weights before it is added, becomes `s * pick(i, v)` (`pick` returns the
 * integer code nearest to v / s on whatever grid or table the caller has), and its error is
 * spread over the weights after it through `u`.
 */
export function roundWithFeedback(
  wp: Float64Array,
  s: number,
  u: Float64Array,
  n: number,
  work: Float64Array,
  q: Int8Array,
  pick: (i: number, v: number) => number,
): void {
  work.set(wp);
  for (let i = 0; i < n; i++) {
    const v = work[i];
    const qi = pick(i, v);
    q[i] = qi;
    const e = (v - s * qi) / u[i * n + i];
    if (e === 0) continue;
    const row = i * n;
    for (let j = i + 1; j < n; j++) work[j] -= e * u[row + j];
  }
}

/**
 * One output channel `w` (in the input's column order) quantized to `kind` against the prepared
 * input statistics. Returns the grid points in the original column order and the channel scale.
 * With `mult` (one integer per column: its group's scale multiplier) the values returned are
 * grid point times multiplier, and the scale is the channel's (group scale = scale * multiplier).
 */
export function gptqRow(
  kind: WeightWidth,
  w: ArrayLike<number>,
  hess: PreparedHessian,
  candidates?: readonly number[],
  mult?: ArrayLike<number>,
): RowQuantization {
  const { n, order, h, u } = hess;
  const { maxAbs, meanAbs } = rowMagnitudes(w);
  if (!(maxAbs > 0)) return { q: new Int8Array(n), scale: 1 };
  const wp = new Float64Array(n);
  for (let i = 0; i < n; i++) wp[i] = w[order[i]];
  const mp = mult ? Float64Array.from(order, (c) => mult[c]) : undefined;
  const wHw = quadForm(h, n, wp);
  const work = new Float64Array(n);
  const { result } = searchScale(candidates ?? scaleCandidates(kind, maxAbs, meanAbs, 24), (s) => {
    const q = new Int8Array(n);
    // With group multipliers the code is the grid point times the column's multiplier.
    roundWithFeedback(wp, s, u, n, work, q, mp ? (i, v) => gridPoint(kind, v, s * mp[i]) * mp[i] : (_, v) => gridPoint(kind, v, s));
    const qHw = bilinear(h, n, q, wp);
    const qHq = quadForm(h, n, q);
    // Closed-form best scale for these grid points; kept only when positive.
    const fit = qHq > 0 && qHw > 0 ? qHw / qHq : s;
    return { error: wHw - 2 * fit * qHw + fit * fit * qHq, q, scale: fit };
  });
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) q[order[i]] = result.q[i];
  return { q, scale: result.scale };
}

/** Output error (w - s q)ᵀ H (w - s q) of a quantized row, H unpermuted. */
export function outputError(h: Float64Array, n: number, w: ArrayLike<number>, r: RowQuantization): number {
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = w[i] - r.scale * r.q[i];
  return quadForm(h, n, d);
}
