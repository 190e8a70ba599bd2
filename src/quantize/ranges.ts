/**
 * Calibration statistics of one tensor and the four ways to turn them into a quantization range:
 *
 * - `minmax`: the observed minimum and maximum;
 * - `percentile`: the p-th percentile at the top and the (100 - p)-th at the bottom (of |x| for
 *   symmetric quantization), dropping rare outliers;
 * - `mse`: the clipping range minimizing the expected squared quantization error (rounding noise
 *   step^2 / 12 inside the range, squared distance to the range outside it), searched over the
 *   histogram's bin edges;
 * - `entropy`: TensorRT's KL-divergence method: the |x| threshold whose quantized distribution
 *   (128 levels for signed tensors, 256 for non-negative ones) is closest to the clipped one.
 *
 * Every range returned contains 0.
 */
import type { ActivationDType, Range } from './qparams.js';
import { QRANGE, withZero } from './qparams.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'mse' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'mse', 'entropy'];

/** How the range will be quantized: asymmetric int8, or symmetric int8 / int16. */
export interface RangeMode {
  dtype: ActivationDType;
  symmetric: boolean;
}

/** Histograms of one tensor over the calibration set (built in a second pass once min/max are known). */
export interface Histograms {
  /** Signed histogram over [lo, hi] = [min(min,0), max(max,0)]. */
  lo: number;
  hi: number;
  counts: Float64Array;
  /**
   * Histogram of |x| over [0, absMax], exact zeros left out (counted in `zeros`): zero is always
   * exactly representable, so it carries no quantization error, and ReLU outputs' spike of zeros
   * would otherwise dominate the entropy method's distributions.
   */
  absMax: number;
  absCounts: Float64Array;
  zeros: number;
}

export interface TensorStats {
  min: number;
  max: number;
  count: number;
  hist?: Histograms;
}

export function newStats(): TensorStats {
  return { min: Infinity, max: -Infinity, count: 0 };
}

export function updateMinMax(s: TensorStats, data: ArrayLike<number>): void {
  let mn = s.min;
  let mx = s.max;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  s.min = mn;
  s.max = mx;
  s.count += data.length;
}

/** Allocates the histograms once the min/max pass is done. */
export function initHistograms(s: TensorStats, bins: number): void {
  const r = withZero(s.count > 0 ? { min: s.min, max: s.max } : { min: 0, max: 0 });
  s.hist = {
    lo: r.min,
    hi: r.max,
    counts: new Float64Array(bins),
    absMax: Math.max(-r.min, r.max),
    absCounts: new Float64Array(bins),
    zeros: 0,
  };
}

export function updateHistograms(s: TensorStats, data: ArrayLike<number>): void {
  const h = s.hist!;
  const n = h.counts.length;
  const span = h.hi - h.lo;
  const k = span > 0 ? n / span : 0;
  const ka = h.absMax > 0 ? n / h.absMax : 0;
  const counts = h.counts;
  const absCounts = h.absCounts;
  let zeros = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    let b = Math.floor((v - h.lo) * k);
    if (b >= n) b = n - 1;
    else if (b < 0) b = 0;
    counts[b] += 1;
    if (v === 0) {
      zeros++;
      continue;
    }
    let a = Math.floor(Math.abs(v) * ka);
    if (a >= n) a = n - 1;
    absCounts[a] += 1;
  }
  h.zeros += zeros;
}

export interface RangeOptions {
  method: CalibrationMethod;
  /** For `percentile`, e.g. 99.99. */
  percentile: number;
}

/** The quantization range of a tensor from its statistics. */
export function chooseRange(s: TensorStats, mode: RangeMode, opts: RangeOptions): Range {
  const full = withZero(s.count > 0 ? { min: s.min, max: s.max } : { min: 0, max: 0 });
  if (opts.method === 'minmax' || !s.hist || full.max - full.min <= 0) return full;
  const h = s.hist;
  let r: Range;
  switch (opts.method) {
    case 'percentile':
      r = percentileRange(h, full, mode, opts.percentile);
      break;
    case 'mse':
      r = mseRange(h, full, mode);
      break;
    case 'entropy':
      r = entropyRange(h, full, mode);
      break;
  }
  return withZero({ min: Math.max(full.min, r.min), max: Math.min(full.max, r.max) });
}

/** Value below which `fraction` of the histogram's mass lies (linear within a bin). */
function quantile(counts: Float64Array, lo: number, hi: number, fraction: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return lo;
  const target = fraction * total;
  const width = (hi - lo) / counts.length;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (acc + c >= target) {
      const within = c > 0 ? (target - acc) / c : 0;
      return lo + (i + within) * width;
    }
    acc += c;
  }
  return hi;
}

function percentileRange(h: Histograms, full: Range, mode: RangeMode, p: number): Range {
  const frac = Math.min(100, Math.max(0, p)) / 100;
  if (mode.symmetric || mode.dtype === 'int16') {
    const withZeros = Float64Array.from(h.absCounts);
    withZeros[0] += h.zeros;
    const t = quantile(withZeros, 0, h.absMax, frac);
    return { min: -t, max: t };
  }
  if (full.min >= 0) return { min: 0, max: quantile(h.counts, h.lo, h.hi, frac) };
  if (full.max <= 0) return { min: quantile(h.counts, h.lo, h.hi, 1 - frac), max: 0 };
  return { min: quantile(h.counts, h.lo, h.hi, 1 - frac), max: quantile(h.counts, h.lo, h.hi, frac) };
}

/**
 * Prefix sums over bins of n, n*c and n*c^2 (c = bin center), so the clipping error of any
 * candidate range is O(1).
 */
class Moments {
  readonly n: Float64Array;
  readonly nc: Float64Array;
  readonly ncc: Float64Array;
  constructor(
    counts: Float64Array,
    readonly lo: number,
    readonly width: number,
  ) {
    const len = counts.length;
    this.n = new Float64Array(len + 1);
    this.nc = new Float64Array(len + 1);
    this.ncc = new Float64Array(len + 1);
    for (let i = 0; i < len; i++) {
      const c = lo + (i + 0.5) * width;
      const k = counts[i];
      this.n[i + 1] = this.n[i] + k;
      this.nc[i + 1] = this.nc[i] + k * c;
      this.ncc[i + 1] = this.ncc[i] + k * c * c;
    }
  }
  /** Σ n (c - x)^2 over bins [a, b). */
  sq(a: number, b: number, x: number): number {
    const n = this.n[b] - this.n[a];
    const nc = this.nc[b] - this.nc[a];
    const ncc = this.ncc[b] - this.ncc[a];
    return ncc - 2 * x * nc + x * x * n;
  }
  count(a: number, b: number): number {
    return this.n[b] - this.n[a];
  }
}

function mseRange(h: Histograms, full: Range, mode: RangeMode): Range {
  const bins = h.counts.length;
  const levels = QRANGE[mode.dtype].qmax - QRANGE[mode.dtype].qmin; // steps across the range
  if (mode.symmetric || mode.dtype === 'int16') {
    // Search the threshold T over |x| bin edges: range [-T, T], step 2T / levels.
    const m = new Moments(h.absCounts, 0, h.absMax / bins);
    let best = h.absMax;
    let bestErr = Infinity;
    for (let i = 1; i <= bins; i++) {
      const t = i * m.width;
      const step = (2 * t) / levels;
      const err = (m.count(0, i) * step * step) / 12 + m.sq(i, bins, t);
      if (err < bestErr) {
        bestErr = err;
        best = t;
      }
    }
    return { min: -best, max: best };
  }
  const width = (h.hi - h.lo) / bins;
  const m = new Moments(h.counts, h.lo, width);
  // Bin edge index of 0 (lo <= 0 <= hi): candidates are edges [a, b] with a <= z <= b.
  const z = Math.min(bins, Math.max(0, Math.round(-h.lo / width)));
  const err = (a: number, b: number): number => {
    const lo = h.lo + a * width;
    const hi = h.lo + b * width;
    const step = (hi - lo) / levels;
    return (m.count(a, b) * step * step) / 12 + m.sq(0, a, lo) + m.sq(b, bins, hi);
  };
  // Coarse-to-fine grid over (a, b): every 8th edge first, then every edge around the best.
  let bestA = 0;
  let bestB = bins;
  let bestErr = err(0, bins);
  const search = (a0: number, a1: number, b0: number, b1: number, stride: number): void => {
    for (let a = Math.max(0, a0); a <= Math.min(z, a1); a += stride) {
      for (let b = Math.max(z, b0); b <= Math.min(bins, b1); b += stride) {
        if (b === a) continue;
        const e = err(a, b);
        if (e < bestErr) {
          bestErr = e;
          bestA = a;
          bestB = b;
        }
      }
    }
  };
  search(0, z, z, bins, 8);
  search(bestA - 8, bestA + 8, bestB - 8, bestB + 8, 1);
  return { min: Math.min(0, h.lo + bestA * width), max: Math.max(0, h.lo + bestB * width) };
}

/**
 * TensorRT's entropy calibration on the |x| histogram: for each candidate threshold bin i, the
 * reference distribution P is the histogram clipped at i (outliers added to the last bin), Q is
 * P's first i bins merged into `levels` bins and spread back over their non-empty bins; the
 * threshold minimizing KL(P || Q) wins.
 */
function entropyRange(h: Histograms, full: Range, mode: RangeMode): Range {
  const oneSided = !mode.symmetric && mode.dtype === 'int8' && (full.min >= 0 || full.max <= 0);
  // A one-sided asymmetric int8 tensor spends all 256 levels on [0, T]; a signed one 128 per side.
  const levels = mode.dtype === 'int16' ? 32768 : oneSided ? 256 : 128;
  const t = klThreshold(h.absCounts, h.absMax, levels);
  if (oneSided) return full.min >= 0 ? { min: 0, max: t } : { min: -t, max: 0 };
  return { min: -t, max: t };
}

export function klThreshold(hist: Float64Array, absMax: number, levels: number): number {
  const bins = hist.length;
  if (levels >= bins) return absMax;
  const width = absMax / bins;
  let total = 0;
  for (let i = 0; i < bins; i++) total += hist[i];
  if (total === 0) return absMax;
  // suffix[i] = Σ hist[i..]
  const suffix = new Float64Array(bins + 1);
  for (let i = bins - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + hist[i];
  let bestI = bins;
  let bestKl = Infinity;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  for (let i = levels; i <= bins; i++) {
    for (let j = 0; j < i; j++) p[j] = hist[j];
    p[i - 1] += suffix[i];
    // Merge hist[0..i) into `levels` bins (the last takes the remainder), spread over non-zeros.
    const merged = Math.floor(i / levels);
    for (let k = 0; k < levels; k++) {
      const start = k * merged;
      const stop = k === levels - 1 ? i : start + merged;
      let sum = 0;
      let nonZero = 0;
      for (let j = start; j < stop; j++) {
        sum += hist[j];
        if (p[j] !== 0) nonZero++;
      }
      const v = nonZero > 0 ? sum / nonZero : 0;
      for (let j = start; j < stop; j++) q[j] = p[j] !== 0 ? v : 0;
    }
    const kl = klDivergence(p, q, i);
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return Math.min(absMax, (bestI + 0.5) * width);
}

/** KL(P || Q) over the first n bins, both normalized; Q gets a tiny floor where P has mass. */
function klDivergence(p: Float64Array, q: Float64Array, n: number): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    sp += p[i];
    sq += q[i];
  }
  if (sp === 0 || sq === 0) return Infinity;
  const eps = 1e-12;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / sp;
    const qi = Math.max(q[i] / sq, eps);
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}
