/**
 * The integer grids of the sub-byte weight widths (src/ir/weight-encoding.ts): which integer a
 * real weight rounds to at a given scale. int4 is [-8, 7], int2 [-2, 1] and ternary {-1, 0, 1}
 * with round to nearest (halves away from zero, as the int8 weights) and saturation; binary is {-1, +1} by sign (0 goes to +1).
 */
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import { SUB_BYTE_RANGE, type SubByteKind } from '../ir/weight-encoding.js';

export type WeightWidth = SubByteKind | 'int8';

/** int8 weights follow the TFLite spec: symmetric, [-127, 127]. */
export function gridRange(kind: WeightWidth): { min: number; max: number } {
  return kind === 'int8' ? { min: -127, max: 127 } : SUB_BYTE_RANGE[kind];
}

/** Bits one weight of `kind` occupies when packed. */
export function widthBits(kind: WeightWidth): number {
  return kind === 'int8' ? 8 : kind === 'int4' ? 4 : kind === 'binary' ? 1 : 2;
}

/** The grid point for real value `w` at scale `s` (> 0). */
export function gridPoint(kind: WeightWidth, w: number, s: number): number {
  if (kind === 'binary') return w >= 0 ? 1 : -1;
  const { min, max } = gridRange(kind);
  const q = roundHalfAwayFromZero(w / s) + 0;
  return q < min ? min : q > max ? max : q;
}

/**
 * The scales worth trying for one channel with largest magnitude `maxAbs` and mean magnitude
 * `meanAbs`: from clipping hard (a small fraction of the range) to not at all. A coarse grid; the
 * callers refine around the best.
 */
export function scaleCandidates(kind: WeightWidth, maxAbs: number, meanAbs: number, count = 40): number[] {
  if (!(maxAbs > 0)) return [1];
  const out: number[] = [];
  if (kind === 'binary') {
    // The MSE-optimal binary scale is the mean magnitude; error feedback moves it a little.
    for (let k = 0; k < count; k++) out.push(meanAbs * (0.5 + (1.5 * k) / (count - 1)));
    return out;
  }
  const { max } = gridRange(kind);
  // int2's largest level is 1, but -2 reaches further: its range is covered up to maxAbs/1.
  const full = maxAbs / max;
  const lo = kind === 'int8' ? 0.5 : kind === 'int4' ? 0.25 : 0.08;
  for (let k = 0; k < count; k++) out.push(full * (lo + ((1.05 - lo) * k) / (count - 1)));
  return out;
}
