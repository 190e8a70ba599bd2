/**
 * Classification metrics: a tally per runner (mutable, owned by one worker), a pure merge of
 * tallies from several runners, and the summary reported to users.
 */

export interface EvalTally {
  classes: number;
  samples: number;
  /** Samples whose top-scoring class is the label. */
  top1: number;
  /** Samples whose label is among the 5 top-scoring classes. */
  top5: number;
  /** confusion[label][predicted]. */
  confusion: number[][];
  /** Per-sample latencies in `latencyUnit`, in completion order. */
  latencies: number[];
  latencyUnit: string;
}

export interface LatencyStats {
  unit: string;
  min: number;
  median: number;
  p99: number;
  mean: number;
}

export interface EvalSummary {
  samples: number;
  classes: number;
  /** Fraction correct, 0..1. */
  top1: number;
  /** Fraction with the label in the top 5; null when there are 5 classes or fewer. */
  top5: number | null;
  confusion: number[][];
  /** null when nothing was measured. */
  latency: LatencyStats | null;
}

export function emptyTally(classes: number, latencyUnit: string): EvalTally {
  return {
    classes,
    samples: 0,
    top1: 0,
    top5: 0,
    confusion: Array.from({ length: classes }, () => new Array<number>(classes).fill(0)),
    latencies: [],
    latencyUnit,
  };
}

/** Index of the highest score (the first one on ties). */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

/** 0-based rank of class `label`: classes scoring higher, or equal with a lower index, come first. */
export function rankOf(scores: ArrayLike<number>, label: number): number {
  const s = scores[label];
  let rank = 0;
  for (let j = 0; j < scores.length; j++) if (scores[j] > s || (scores[j] === s && j < label)) rank++;
  return rank;
}

/** Adds one sample to a tally (mutates it). */
export function recordSample(t: EvalTally, scores: ArrayLike<number>, label: number, latency?: number): void {
  if (!(label >= 0 && label < t.classes)) {
    throw new RangeError(`label ${label} is outside the model's ${t.classes} classes (0..${t.classes - 1})`);
  }
  const predicted = argmax(scores);
  const rank = rankOf(scores, label);
  t.samples++;
  if (rank === 0) t.top1++;
  if (rank < 5) t.top5++;
  t.confusion[label][predicted]++;
  if (latency !== undefined) t.latencies.push(latency);
}

/** Combines tallies of the same model from several runners (pure). */
export function mergeTallies(parts: readonly EvalTally[]): EvalTally {
  if (parts.length === 0) throw new Error('mergeTallies needs at least one tally');
  const { classes, latencyUnit } = parts[0];
  for (const p of parts) {
    if (p.classes !== classes) throw new Error(`cannot merge tallies over ${classes} and ${p.classes} classes`);
    if (p.latencyUnit !== latencyUnit && p.latencies.length > 0 && parts[0].latencies.length > 0) {
      throw new Error(`cannot merge latencies in ${latencyUnit} and ${p.latencyUnit}`);
    }
  }
  const out = emptyTally(classes, parts.find((p) => p.latencies.length > 0)?.latencyUnit ?? latencyUnit);
  for (const p of parts) {
    out.samples += p.samples;
    out.top1 += p.top1;
    out.top5 += p.top5;
    for (let i = 0; i < classes; i++) for (let j = 0; j < classes; j++) out.confusion[i][j] += p.confusion[i][j];
    out.latencies.push(...p.latencies);
  }
  return out;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, k) - 1];
}

export function latencyStats(values: readonly number[], unit: string): LatencyStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  return { unit, min: sorted[0], median, p99: percentile(sorted, 99), mean };
}

export function summarize(t: EvalTally): EvalSummary {
  return {
    samples: t.samples,
    classes: t.classes,
    top1: t.samples ? t.top1 / t.samples : 0,
    top5: t.classes > 5 ? (t.samples ? t.top5 / t.samples : 0) : null,
    confusion: t.confusion.map((r) => [...r]),
    latency: latencyStats(t.latencies, t.latencyUnit),
  };
}
