/**
 * Per-group scales along the input dimension (`--group-size N`), stored so that the int8
 * contract of src/ir/weight-encoding.ts stays exact: a group's scale is the channel's scale times
 * a small integer multiplier, and the int8 value is the grid point times that multiplier.
 *
 * Each group's own MSE-optimal scale is found first; the channel scale is the largest of them
 * divided by the width's largest multiplier, and each group takes the nearest multiplier (at
 * least 1). The rounding (GPTQ or nearest) then runs with those per-column scales, and the
 * channel scale is refitted to the rounded values.
 */
import { MAX_GROUP_MULTIPLIER, type SubByteKind } from '../ir/weight-encoding.js';
import { clipSearchRow, leastSquaresScale, type RowQuantization } from './clip-search.js';
import { gridPoint } from './subbyte-grid.js';

export interface GroupScales {
  /** The channel's starting scale. */
  base: number;
  /** One multiplier per group. */
  multipliers: Uint8Array;
  /** The multiplier of each weight of the row. */
  perColumn: Float64Array;
}

/** Group multipliers for one row of `w.length` weights in groups of `size` (which divides it). */
export function groupScales(kind: SubByteKind, w: ArrayLike<number>, size: number): GroupScales {
  const groups = w.length / size;
  const own = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const part = Array.from({ length: size }, (_, k) => w[g * size + k]);
    own[g] = part.some((v) => v !== 0) ? clipSearchRow(kind, part).scale : 0;
  }
  const top = Math.max(...own);
  const mmax = MAX_GROUP_MULTIPLIER[kind];
  const base = top > 0 ? top / mmax : 1;
  const multipliers = Uint8Array.from(own, (s) => Math.min(mmax, Math.max(1, Math.round(s / base))));
  const perColumn = new Float64Array(w.length);
  for (let k = 0; k < w.length; k++) perColumn[k] = multipliers[Math.floor(k / size)];
  return { base, multipliers, perColumn };
}

/** Scale candidates around the channel's starting scale. */
export function groupScaleCandidates(base: number): number[] {
  return Array.from({ length: 12 }, (_, k) => base * (0.7 + (0.5 * k) / 11));
}

/** Round to nearest with group multipliers; values are grid point times multiplier. */
export function roundGroupsNearest(kind: SubByteKind, w: ArrayLike<number>, gs: GroupScales): RowQuantization {
  const q = new Int8Array(w.length);
  for (let k = 0; k < w.length; k++) {
    const m = gs.perColumn[k];
    q[k] = gridPoint(kind, w[k], gs.base * m) * m;
  }
  return { q, scale: leastSquaresScale(w, q) ?? gs.base };
}
