/**
 * Weight clustering (non-linear quantization): every weight of a layer becomes the index of one
 * of K levels, and a small int8 table maps indices back to values.
 *
 * The levels are found by 1-D k-means (k-means++ initialisation from a fixed seed, then Lloyd
 * iterations) on the weights expressed in int8 units, `w / scale[channel]`, with the scales the
 * plain int8 quantizer chose. The centroids are then rounded to int8 and every weight is mapped
 * to its nearest rounded centroid. So a clustered layer is an ordinary per-channel int8 layer
 * whose weights take at most K distinct values (per channel for scope 'channel', per tensor for
 * scope 'tensor'): TFLite's integer arithmetic, and tinyml's int8 kernels, apply unchanged.
 */
import { InputError } from '../errors.js';
import type { LutEncoding } from '../ir/weight-encoding.js';
import { channelLayout } from './qparams.js';
import { mulberry32 } from '../random.js';

export type ClusterScope = 'tensor' | 'channel';

export interface ClusterOptions {
  /** Number of levels, 2..256. */
  clusters: number;
  scope: ClusterScope;
  /** Seed of the k-means++ draws (default 1): the same inputs always give the same clusters. */
  seed?: number;
  /** Lloyd iterations at most (default 50). */
  maxIterations?: number;
}

export interface ClusteredWeights {
  /** The decoded int8 weights (table lookups), in the tensor's layout. */
  data: Int8Array;
  encoding: LutEncoding;
}

/** Index width for K levels: ceil(log2 K), at least 1. */
export function indexBits(clusters: number): number {
  let bits = 1;
  while (1 << bits < clusters) bits++;
  return bits;
}

export function checkClusterCount(k: number, what = '--clusters'): void {
  if (!Number.isInteger(k) || k < 2 || k > 256) throw new InputError(`${what} must be an integer from 2 to 256, got '${k}'`);
}


/**
 * Weighted 1-D k-means of `values` into at most `k` centroids (fewer when there are fewer distinct
 * values), returned sorted ascending. `weights` (default all 1) weighs each value's squared error.
 */
export function kmeans1d(values: Float64Array, k: number, seed = 1, maxIterations = 50, weights?: Float64Array): number[] {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b]);
  const sorted = Float64Array.from(order, (i) => values[i]);
  const wt = Float64Array.from(order, (i) => (weights ? weights[i] : 1));
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
  if (distinct.length <= k) return distinct;
  const n = sorted.length;
  // k-means++ seeding must not depend on Math.random.
  const rand = mulberry32(seed);
  // k-means++: the first centre uniformly, each next one with probability ~ weighted squared distance.
  const centres: number[] = [sorted[Math.min(n - 1, Math.floor(rand() * n))]];
  const d2 = new Float64Array(n).fill(Infinity);
  while (centres.length < k) {
    const c = centres[centres.length - 1];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = wt[i] * (sorted[i] - c) ** 2;
      if (d < d2[i]) d2[i] = d;
      total += d2[i];
    }
    if (total === 0) break;
    let r = rand() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= d2[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
    centres.push(sorted[pick]);
  }
  centres.sort((a, b) => a - b);
  // Lloyd on sorted data: each cluster is a contiguous run between midpoints of adjacent centres.
  for (let it = 0; it < maxIterations; it++) {
    const sums = new Float64Array(centres.length);
    const counts = new Float64Array(centres.length);
    let j = 0;
    for (let i = 0; i < n; i++) {
      while (j + 1 < centres.length && sorted[i] > (centres[j] + centres[j + 1]) / 2) j++;
      sums[j] += wt[i] * sorted[i];
      counts[j] += wt[i];
    }
    let moved = false;
    for (let c = 0; c < centres.length; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its centre
      const m = sums[c] / counts[c];
      if (m !== centres[c]) moved = true;
      centres[c] = m;
    }
    centres.sort((a, b) => a - b);
    if (!moved) break;
  }
  return centres;
}

/** Sorted distinct int8 levels from real-valued centres (rounded, clamped to the weights' [-127, 127]). */
export function int8Levels(centres: readonly number[]): number[] {
  const set = new Set(centres.map((c) => Math.max(-127, Math.min(127, Math.round(c)))));
  return [...set].sort((a, b) => a - b);
}

/** Index of the level nearest to v (ties to the lower level), levels sorted ascending (unsorted: ties to the first). */
export function nearest(levels: readonly number[], v: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < levels.length; i++) {
    const d = Math.abs(levels[i] - v);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/**
 * Clusters float weights `w` of `shape`, quantized per channel along `axis` with `scales` (one
 * scale when `axis` is undefined), into `opts.clusters` int8 levels.
 *
 * With one table shared by several channels (scope 'tensor' on per-channel weights), the table
 * and the channel scales are fitted together: k-means on w / scale, then each channel's scale
 * refitted by least squares to its weights' levels, a few rounds (it lowers the weights' squared
 * error; on Fashion top-1 it is within noise). The returned `scales` replace the quantizer's.
 */
export function clusterWeights(
  w: Float32Array,
  shape: readonly number[],
  axis: number | undefined,
  scales: readonly number[],
  opts: ClusterOptions,
): ClusteredWeights & { scales: number[] } {
  checkClusterCount(opts.clusters);
  const k = opts.clusters;
  const { inner, channels } = axis === undefined || scales.length === 1 ? { inner: w.length, channels: 1 } : channelLayout(shape, axis);
  const chanOf = (i: number): number => (channels === 1 ? 0 : Math.floor(i / inner) % channels);
  const perChannel = opts.scope === 'channel' && channels > 1;
  const tables = perChannel ? channels : 1;
  const seed = opts.seed ?? 1;
  const iters = opts.maxIterations ?? 50;
  let sc = [...scales];
  const scaled = new Float64Array(w.length);
  const indices = new Uint8Array(w.length);
  let levels: number[][] = [];

  const assign = (): void => {
    for (let i = 0; i < w.length; i++) indices[i] = nearest(levels[perChannel ? chanOf(i) : 0], scaled[i]);
  };
  const rounds = !perChannel && channels > 1 ? 4 : 1;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < w.length; i++) scaled[i] = w[i] / sc[chanOf(i)];
    levels = [];
    if (perChannel) {
      for (let t = 0; t < tables; t++) {
        const picked: number[] = [];
        for (let i = 0; i < w.length; i++) if (chanOf(i) === t) picked.push(scaled[i]);
        levels.push(int8Levels(kmeans1d(Float64Array.from(picked), k, seed + t, iters)));
      }
    } else {
      // Unweighted, i.e. every channel's error relative to its own scale: weighing by scale²
      // (error in real units) starved the small-scale channels and cost 0.4 pt top-1 on Fashion.
      levels.push(int8Levels(kmeans1d(scaled, k, seed, iters)));
    }
    assign();
    if (round === rounds - 1) break;
    // Least-squares scale per channel for the assigned levels: sum(w q) / sum(q^2).
    const num = new Float64Array(channels);
    const den = new Float64Array(channels);
    for (let i = 0; i < w.length; i++) {
      const q = levels[0][indices[i]];
      num[chanOf(i)] += w[i] * q;
      den[chanOf(i)] += q * q;
    }
    sc = sc.map((s, c) => (den[c] > 0 && num[c] > 0 ? Math.fround(num[c] / den[c]) : s));
  }
  const table = new Int8Array(tables * k);
  levels.forEach((lv, t) => lv.forEach((v, e) => (table[t * k + e] = v)));
  const data = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) data[i] = levels[perChannel ? chanOf(i) : 0][indices[i]];
  return {
    data,
    scales: sc,
    encoding: { kind: 'lut', bits: indexBits(k), entries: k, scope: perChannel ? 'channel' : 'tensor', table, indices },
  };
}
