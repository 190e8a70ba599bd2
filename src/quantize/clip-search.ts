/**
 * MSE-optimal clipping: for one output channel, the scale whose grid (int4, int2, ternary,
 * binary or int8) reproduces the channel's weights with the least squared error when each weight
 * is rounded to its nearest grid point. Scaling to the largest weight (plain round to nearest)
 * wastes most of a 4-bit grid on a few outliers; clipping them trades their error for finer steps
 * everywhere else.
 */
import { gridPoint, gridRange, scaleCandidates, type WeightWidth } from './subbyte-grid.js';

export interface RowQuantization {
  /** Grid points, one per weight of the row. */
  q: Int8Array;
  /** The row's scale: weight ≈ scale * q. */
  scale: number;
}

/** Round to nearest at scale `s` (saturating to the grid). */
export function roundRow(kind: WeightWidth, w: ArrayLike<number>, s: number): Int8Array {
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = gridPoint(kind, w[i], s);
  return q;
}

/** Σ (w - s q)². */
export function rowSquaredError(w: ArrayLike<number>, q: ArrayLike<number>, s: number): number {
  let e = 0;
  for (let i = 0; i < w.length; i++) {
    const d = w[i] - s * q[i];
    e += d * d;
  }
  return e;
}

/** Largest and mean magnitude of a row. */
export function rowMagnitudes(w: ArrayLike<number>): { maxAbs: number; meanAbs: number } {
  let maxAbs = 0;
  let sum = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]);
    sum += a;
    if (a > maxAbs) maxAbs = a;
  }
  return { maxAbs, meanAbs: w.length > 0 ? sum / w.length : 0 };
}

/**
 * Minimizes `error(s)` over a coarse grid of candidate scales, then over a finer grid between
 * the best one's neighbours. Returns the best scale and what `error` returned for it.
 */
export function searchScale<T extends { error: number }>(candidates: readonly number[], error: (s: number) => T): { scale: number; result: T } {
  let best = 0;
  const results = candidates.map((s) => error(s));
  for (let k = 1; k < results.length; k++) if (results[k].error < results[best].error) best = k;
  let scale = candidates[best];
  let result = results[best];
  if (candidates.length > 1) {
    const lo = candidates[Math.max(0, best - 1)];
    const hi = candidates[Math.min(candidates.length - 1, best + 1)];
    const steps = 8;
    for (let k = 1; k < steps; k++) {
      const s = lo + ((hi - lo) * k) / steps;
      if (s === scale || !(s > 0)) continue;
      const r = error(s);
      if (r.error < result.error) {
        scale = s;
        result = r;
      }
    }
  }
  return { scale, result };
}

/** The plain round-to-nearest scale: the largest weight lands on the grid's end. */
export function maxScale(kind: WeightWidth, w: ArrayLike<number>): number {
  const { maxAbs, meanAbs } = rowMagnitudes(w);
  if (!(maxAbs > 0)) return 1;
  if (kind === 'binary') return meanAbs;
  return maxAbs / gridRange(kind).max;
}

/**
 * The row's MSE-optimal scale (searched) with its rounded values. The scale is then refitted in
 * closed form for the chosen grid points (s = Σ w q / Σ q², the least-squares scale), which can
 * only lower the error further.
 */
export function clipSearchRow(kind: WeightWidth, w: ArrayLike<number>): RowQuantization {
  const { maxAbs, meanAbs } = rowMagnitudes(w);
  if (!(maxAbs > 0)) return { q: new Int8Array(w.length), scale: 1 };
  const { result } = searchScale(scaleCandidates(kind, maxAbs, meanAbs), (s) => {
    const q = roundRow(kind, w, s);
    const fit = leastSquaresScale(w, q) ?? s;
    return { error: rowSquaredError(w, q, fit), q, scale: fit };
  });
  return { q: result.q, scale: result.scale };
}

/** argmin_s Σ (w - s q)² for fixed q, or undefined when it is not positive. */
export function leastSquaresScale(w: ArrayLike<number>, q: ArrayLike<number>): number | undefined {
  let wq = 0;
  let qq = 0;
  for (let i = 0; i < w.length; i++) {
    wq += w[i] * q[i];
    qq += q[i] * q[i];
  }
  const s = qq > 0 ? wq / qq : 0;
  return s > 0 ? s : undefined;
}
