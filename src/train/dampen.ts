/**
 * Oscillation dampening (Nagel et al. 2022, "Overcoming Oscillations in Quantization-Aware
 * Training"): with few levels, a latent weight near a rounding threshold flips between two codes
 * step after step, and the model it ends on is a coin toss. A regularizer pulls each latent weight
 * towards the code it rounds to:
 *
 *   λ · mean over the layer of (c − code(c))²,  c = clamp(w / s, qmin, qmax)
 *
 * summed over the sub-byte layers (int8 and clustered layers have enough levels not to need it),
 * with the step size s held constant (no gradient into it, as in the paper: the term would
 * otherwise shrink s to move the grid onto the weights). λ rises from 0 to its final value along a
 * half cosine over the run, so the start trains freely and the end settles.
 */
import type { WeightParam } from './network.js';
import { weightCode, weightRange, type WeightKind, type WeightLayout } from './fake-quant.js';

/** λ at `step` (steps taken so far) of `total`: lambda · (1 − cos(π · step / total)) / 2. */
export function dampeningWeight(lambda: number, step: number, total: number): number {
  return lambda * 0.5 * (1 - Math.cos((Math.PI * step) / Math.max(1, total)));
}

/** True for the layers the term applies to: sub-byte uniform grids. */
export function isDampened(p: Pick<WeightParam, 'kind' | 'levels'>): boolean {
  return p.kind !== 'int8' && p.levels === undefined;
}

/**
 * The term λ · mean((c − code(c))²) of one layer's weights; with `dw`, its gradient with respect
 * to w is added there: 2λ(c − code(c)) / (s · N) where w / s lies inside the clamp, 0 outside.
 */
export function dampeningLoss(w: Float32Array, scales: Float32Array, layout: WeightLayout, kind: WeightKind, lambda: number, dw?: Float32Array): number {
  const { qmin, qmax } = weightRange(kind);
  // Binary's codes are ±1: its clamp is [-1, 1], its code the sign.
  const lo = kind === 'binary' ? -1 : qmin;
  const hi = kind === 'binary' ? 1 : qmax;
  const { inner, channels } = layout;
  const g = (2 * lambda) / w.length;
  let sum = 0;
  // c = floor(i / inner) % channels, counted rather than divided.
  for (let i = 0, c = 0, j = 0; i < w.length; i++) {
    const s = scales[c];
    const v = w[i] / s;
    const x = v < lo ? lo : v > hi ? hi : v;
    const e = x - weightCode(x, kind, qmin, qmax);
    sum += e * e;
    if (dw && v > lo && v < hi) dw[i] += (g * e) / s;
    if (++j === inner) {
      j = 0;
      if (++c === channels) c = 0;
    }
  }
  return (lambda * sum) / w.length;
}

/** Adds the term's gradient (weight λ) to a layer's dw, when the layer is dampened; returns the term. */
export function addDampeningGradient(p: WeightParam, lambda: number): number {
  if (!isDampened(p) || lambda === 0) return 0;
  return dampeningLoss(p.w, p.scales, p.layout, p.kind, lambda, p.dw);
}
