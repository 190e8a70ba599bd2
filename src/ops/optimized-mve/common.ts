/**
 * Shared by the Helium (MVE) kernel variants (Cortex-M55/M85): the per-group-of-four
 * requantization records (firmware/kernels/mve/tinyml_mve.h) and the target predicate.
 */
import type { TensorData } from '../../ir/types.js';
import type { TargetInfo } from '../op-def.js';
import { wrap32 } from '../optimized/common.js';

/** True for targets with Helium (host tests never run these kernels: there is no portable fallback). */
export function mveTarget(target: TargetInfo): boolean {
  return target.mve === true;
}

/**
 * `tinyml_mve_rq4` records, one per group of four output channels (the last group padded with
 * zero multipliers): multiplier, left shift, right shift as a negative count, bias'. Per-tensor
 * layers repeat their one multiplier and shift in every lane. `biasPrime` is exact; it is wrapped
 * to int32 like the reference accumulator.
 */
export function rq4Records(multipliers: readonly number[], shifts: readonly number[], perChannel: boolean, biasPrime: readonly number[]): number[][] {
  const n = biasPrime.length;
  const groups: number[][] = [];
  for (let g = 0; g < Math.ceil(n / 4); g++) {
    const m: number[] = [];
    const l: number[] = [];
    const r: number[] = [];
    const b: number[] = [];
    for (let lane = 0; lane < 4; lane++) {
      const c = g * 4 + lane;
      const q = perChannel ? c : 0;
      if (c >= n) {
        m.push(0);
        l.push(0);
        r.push(0);
        b.push(0);
        continue;
      }
      const shift = shifts[q];
      m.push(multipliers[q]);
      l.push(shift > 0 ? shift : 0);
      r.push(shift > 0 ? 0 : shift);
      b.push(wrap32(biasPrime[c]));
    }
    groups.push([...m, ...l, ...r, ...b]);
  }
  return groups;
}

export function cRq4Array(name: string, records: readonly number[][]): string {
  const fmt = (v: number) => (v === -2147483648 ? 'INT32_MIN' : String(v));
  const lines = records.map((r) => `  {{${r.slice(0, 4).map(fmt).join(', ')}}, {${r.slice(4, 8).join(', ')}}, {${r.slice(8, 12).join(', ')}}, {${r.slice(12, 16).map(fmt).join(', ')}}},`);
  return `static const tinyml_mve_rq4 ${name}[${Math.max(1, records.length)}] __attribute__((aligned(16))) = {\n${lines.join('\n')}\n};`;
}

/** A bias tensor's value at c (0 without one), as a number. */
export function biasAt(bias: TensorData | undefined, c: number): number {
  return bias ? Number((bias as ArrayLike<number | bigint>)[c]) : 0;
}
