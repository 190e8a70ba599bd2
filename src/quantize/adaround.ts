/**
 * AdaRound-style learned rounding (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training
 * Quantization", 2020) on the layer's exact quadratic objective: each weight of a channel chooses
 * between the two grid points around it through a continuous variable h ∈ [0, 1] (a rectified
 * sigmoid of V), optimized by Adam on
 *
 *   (w - s q(h))ᵀ H (w - s q(h)) / (s² · mean diag H) + λ Σ (1 - |2h - 1|^β),
 *
 * where the regularizer, its exponent β annealed from 20 to 2, drives every h to 0 or 1. With H
 * known (src/quantize/layer-hessian.ts) the reconstruction term and its gradient are exact, with
 * no pass over the data per step. The channel's scale is the one whose round to nearest has the
 * least output error; after rounding it is refitted in closed form, as for GPTQ.
 */
import { rowMagnitudes, searchScale, type RowQuantization } from './clip-search.js';
import { bilinear, quadForm } from './linalg.js';
import { gridPoint, gridRange, scaleCandidates, type WeightWidth } from './subbyte-grid.js';

const ZETA = 1.1;
const GAMMA = -0.1;

export interface AdaRoundOptions {
  iterations?: number;
  /** Weight of the rounding regularizer. */
  lambda?: number;
  learningRate?: number;
}

/** The two grid points around w/s: the lower one and the distance to the upper (0 when saturated). */
function bracket(kind: WeightWidth, v: number): { lo: number; step: number } {
  if (kind === 'binary') return v <= -1 ? { lo: -1, step: 0 } : v >= 1 ? { lo: 1, step: 0 } : { lo: -1, step: 2 };
  const { min, max } = gridRange(kind);
  if (v <= min) return { lo: min, step: 0 };
  if (v >= max) return { lo: max, step: 0 };
  const lo = Math.floor(v);
  return { lo, step: 1 };
}

/** One channel `w` rounded to `kind` against input statistics `h` (n x n). */
export function adaroundRow(kind: WeightWidth, w: ArrayLike<number>, h: Float64Array, opts: AdaRoundOptions = {}): RowQuantization {
  const n = w.length;
  const { maxAbs, meanAbs } = rowMagnitudes(w);
  if (!(maxAbs > 0)) return { q: new Int8Array(n), scale: 1 };
  const d = new Float64Array(n);
  // Scale: the one whose plain rounding has the least output error.
  const { scale: s } = searchScale(scaleCandidates(kind, maxAbs, meanAbs, 24), (sc) => {
    for (let i = 0; i < n; i++) d[i] = w[i] - sc * gridPoint(kind, w[i], sc);
    return { error: quadForm(h, n, d) };
  });
  const iterations = opts.iterations ?? 1000;
  const lambda = opts.lambda ?? 0.1;
  const lr = opts.learningRate ?? 0.2;
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += h[i * n + i];
  meanDiag = meanDiag / n || 1;
  const norm = 1 / (s * s * meanDiag);

  const lo = new Float64Array(n);
  const step = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = bracket(kind, w[i] / s);
    lo[i] = b.lo;
    step[i] = b.step;
    if (b.step > 0) {
      // Start where h equals the weight's fractional position between its two grid points.
      const rest = Math.min(0.99, Math.max(0.01, (w[i] / s - b.lo) / b.step));
      v[i] = -Math.log((ZETA - GAMMA) / (rest - GAMMA) - 1);
    }
  }
  const hv = new Float64Array(n);
  const grad = new Float64Array(n);
  const m1 = new Float64Array(n);
  const m2 = new Float64Array(n);
  const hd = new Float64Array(n);
  const warmup = Math.floor(iterations * 0.2);
  for (let t = 0; t < iterations; t++) {
    for (let i = 0; i < n; i++) {
      const sig = 1 / (1 + Math.exp(-v[i]));
      hv[i] = Math.min(1, Math.max(0, sig * (ZETA - GAMMA) + GAMMA));
      d[i] = w[i] - s * (lo[i] + step[i] * hv[i]);
    }
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) acc += h[row + j] * d[j];
      hd[i] = acc;
    }
    const beta = t < warmup ? 0 : 20 + ((2 - 20) * (t - warmup)) / Math.max(1, iterations - warmup - 1);
    for (let i = 0; i < n; i++) {
      if (step[i] === 0) {
        grad[i] = 0;
        continue;
      }
      let g = -2 * s * step[i] * hd[i] * norm;
      if (beta > 0) {
        const u = 2 * hv[i] - 1;
        g += lambda * -beta * Math.pow(Math.abs(u), beta - 1) * Math.sign(u) * 2;
      }
      const sig = 1 / (1 + Math.exp(-v[i]));
      const raw = sig * (ZETA - GAMMA) + GAMMA;
      grad[i] = raw > 0 && raw < 1 ? g * (ZETA - GAMMA) * sig * (1 - sig) : 0;
    }
    // Adam.
    const b1 = 0.9;
    const b2 = 0.999;
    for (let i = 0; i < n; i++) {
      m1[i] = b1 * m1[i] + (1 - b1) * grad[i];
      m2[i] = b2 * m2[i] + (1 - b2) * grad[i] * grad[i];
      const mh = m1[i] / (1 - Math.pow(b1, t + 1));
      const vh = m2[i] / (1 - Math.pow(b2, t + 1));
      v[i] -= (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const sig = 1 / (1 + Math.exp(-v[i]));
    const hh = sig * (ZETA - GAMMA) + GAMMA;
    q[i] = lo[i] + (hh >= 0.5 ? step[i] : 0);
  }
  const qHw = bilinear(h, n, q, w);
  const qHq = quadForm(h, n, q);
  return { q, scale: qHq > 0 && qHw > 0 ? qHw / qHq : s };
}
