/**
 * Error-minimizing clustering of one layer's weights on the calibration data: the objective is
 * each output channel's output error on the layer's inputs, (w - s q)ᵀ H (w - s q) with H the
 * input's second moment (src/quantize/layer-hessian.ts), not the weights' own squared error that
 * plain k-means (src/quantize/cluster.ts) minimizes.
 *
 * Alternating, a few rounds:
 * - assignment: every channel's weights are mapped to table levels one at a time in GPTQ's order,
 *   each rounding error fed back into the weights not yet assigned (src/quantize/gptq.ts), then
 *   the channel's scale refitted in closed form, s = qᵀHw / qᵀHq;
 * - table refit: with the assignments fixed the summed output error is quadratic in the table's
 *   K entries, solved exactly (a K x K system), the table then rescaled to span int8 and rounded.
 * The round with the least error wins. The table starts from k-means on w / s, each weight
 * weighted by its input's energy relative to its channel's (H's diagonal), when asked.
 *
 * Channels' errors are summed relative to their own output energy wᵀHw: in absolute units the
 * channels with large outputs would take the shared table for themselves (the same starvation as
 * weighting k-means by scale², see cluster.ts).
 */
import { bilinear, quadForm, solveSpd } from './linalg.js';
import { kmeans1d, int8Levels } from './cluster.js';
import { roundWithFeedback, type PreparedHessian } from './gptq.js';

export interface ClusterRowsInput {
  /** Each output channel's weights (the values to reproduce), in the columns' original order. */
  rows: readonly Float64Array[];
  /** Each row's prepared input statistics (rows may share one). */
  hessian: (r: number) => PreparedHessian;
  /** Levels per table. */
  clusters: number;
  /** Rows sharing one table: every row ('tensor') or each row alone ('channel'). */
  scope: 'tensor' | 'channel';
  seed?: number;
  /** Alternating rounds (default 6). */
  rounds?: number;
  /** Weigh k-means' initial table by H's diagonal (default true). */
  importance?: boolean;
}

export interface ClusteredRows {
  /** Per table: its sorted distinct int8 levels (at most `clusters`). */
  tables: number[][];
  /** Per row: index into its table of each weight (original column order). */
  indices: Uint8Array[];
  /** Per row: scale, weight ≈ scale * table[index]. */
  scales: number[];
  /** Summed relative output error of the result, Σ_r err_r / (w_rᵀ H w_r). */
  error: number;
}

/** Index of the level nearest to v (levels sorted ascending; ties to the lower). */
function nearestIndex(levels: readonly number[], v: number): number {
  // Levels are few (<= 256) and sorted: a binary search for the first level above v.
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (levels[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  if (lo === levels.length) return lo - 1;
  return v - levels[lo - 1] <= levels[lo] - v ? lo - 1 : lo;
}

/** Per-row working state in the row's Hessian (permuted) order. */
interface RowState {
  wp: Float64Array;
  /** w ᵀ H w (the row's output energy; 0 for an all-zero row). */
  energy: number;
  /** Table index of each permuted weight. */
  idx: Uint8Array;
  scale: number;
}

export function clusterRowsGptq(input: ClusterRowsInput): ClusteredRows {
  const { rows, clusters: k, scope } = input;
  const rounds = input.rounds ?? 6;
  const tableOf = (r: number): number => (scope === 'channel' ? r : 0);
  const tableCount = scope === 'channel' ? rows.length : 1;
  const state: RowState[] = rows.map((w, r) => {
    const p = input.hessian(r);
    const wp = Float64Array.from(p.order, (c) => w[c]);
    let maxAbs = 0;
    for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
    return { wp, energy: quadForm(p.h, p.n, wp), idx: new Uint8Array(p.n), scale: maxAbs > 0 ? maxAbs / 127 : 1 };
  });

  // Initial tables: k-means on w / s (int8 units), optionally weighted by each input's energy
  // relative to the row's mean (so every row still counts alike).
  let tables: number[][] = [];
  for (let t = 0; t < tableCount; t++) {
    const members = scope === 'channel' ? [t] : rows.map((_, r) => r);
    const values: number[] = [];
    const weights: number[] = [];
    for (const r of members) {
      const p = input.hessian(r);
      const st = state[r];
      let trace = 0;
      for (let i = 0; i < p.n; i++) trace += p.h[i * p.n + i];
      const mean = trace / p.n;
      for (let i = 0; i < p.n; i++) {
        values.push(st.wp[i] / st.scale);
        const d = p.h[i * p.n + i];
        weights.push(input.importance === false || !(mean > 0) ? 1 : Math.max(d / mean, 1e-3));
      }
    }
    tables.push(int8Levels(kmeans1d(Float64Array.from(values), k, (input.seed ?? 1) + (scope === 'channel' ? t : 0), 50, Float64Array.from(weights))));
  }

  let best: ClusteredRows | undefined;
  for (let round = 0; round < rounds; round++) {
    // Assignment with error feedback, then each row's closed-form scale.
    let total = 0;
    rows.forEach((_, r) => {
      const p = input.hessian(r);
      const st = state[r];
      const lv = tables[tableOf(r)];
      const q = new Int8Array(p.n);
      const s = st.scale;
      roundWithFeedback(st.wp, s, p.u, p.n, new Float64Array(p.n), q, (i, v) => {
        const j = nearestIndex(lv, v / s);
        st.idx[i] = j;
        return lv[j];
      });
      const qHw = bilinear(p.h, p.n, q, st.wp);
      const qHq = quadForm(p.h, p.n, q);
      if (qHq > 0 && qHw > 0) st.scale = qHw / qHq;
      const err = st.energy - 2 * st.scale * qHw + st.scale * st.scale * qHq;
      total += st.energy > 0 ? err / st.energy : 0;
    });
    if (!best || total < best.error) best = snapshot(tables, state, input, total);
    if (round === rounds - 1) break;
    tables = refitTables(tables, state, input, tableOf);
  }
  return best!;
}

/** The result in the rows' original column order. */
function snapshot(tables: number[][], state: RowState[], input: ClusterRowsInput, error: number): ClusteredRows {
  return {
    tables: tables.map((t) => [...t]),
    indices: state.map((st, r) => {
      const { order } = input.hessian(r);
      const out = new Uint8Array(order.length);
      for (let i = 0; i < order.length; i++) out[order[i]] = st.idx[i];
      return out;
    }),
    scales: state.map((st) => st.scale),
    error,
  };
}

/**
 * Least-squares tables for the current assignments: per table, minimize
 * Σ_r (w_r - s_r A_r T)ᵀ H_r (w_r - s_r A_r T) / e_r over T (A_r: row r's one-hot assignment),
 * i.e. (Σ s_r² A_rᵀ H_r A_r / e_r) T = Σ s_r A_rᵀ H_r w_r / e_r. The result is scaled to span
 * int8 (the scales take the factor back) and rounded; entries no weight uses keep their value.
 */
function refitTables(tables: number[][], state: RowState[], input: ClusterRowsInput, tableOf: (r: number) => number): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < tables.length; t++) {
    const old = tables[t];
    const k = old.length;
    const m = new Float64Array(k * k);
    const b = new Float64Array(k);
    const used = new Uint8Array(k);
    const members: number[] = [];
    state.forEach((_, r) => tableOf(r) === t && members.push(r));
    for (const r of members) {
      const st = state[r];
      if (!(st.energy > 0)) continue;
      const { h, n } = input.hessian(r);
      const s = st.scale;
      const f = 1 / st.energy;
      for (let i = 0; i < n; i++) {
        const a = st.idx[i];
        used[a] = 1;
        const row = i * n;
        let hw = 0;
        for (let j = 0; j < n; j++) {
          m[a * k + st.idx[j]] += f * s * s * h[row + j];
          hw += h[row + j] * st.wp[j];
        }
        b[a] += f * s * hw;
      }
    }
    // A small ridge towards the old table keeps unused or degenerate entries where they were.
    let trace = 0;
    for (let a = 0; a < k; a++) trace += m[a * k + a];
    const ridge = (trace / k || 1) * 1e-6;
    for (let a = 0; a < k; a++) {
      m[a * k + a] += used[a] ? ridge : 1;
      b[a] += (used[a] ? ridge : 1) * old[a];
    }
    const sol = solveSpd(m, k, b) ?? Float64Array.from(old);
    let maxAbs = 0;
    for (const v of sol) maxAbs = Math.max(maxAbs, Math.abs(v));
    const c = maxAbs > 0 ? maxAbs / 127 : 1;
    for (const r of members) state[r].scale *= c;
    out.push(int8Levels([...sol].map((v) => v / c)));
  }
  return out;
}
