/**
 * Random sub-byte kernel cases: the optimized kernels' random int8 cases (shapes, strides,
 * padding, zero points, scales, requantization modes) with their weights redrawn inside a
 * sub-byte width and the weights tensor marked with that encoding, then prepared again.
 */
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import { SUB_BYTE_RANGE } from '../../src/ir/weight-encoding.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { rng } from '../helpers/op-graph.js';
import type { VariantCase } from '../optimized/harness.js';

export const SUB_BYTE_KINDS: SubByteKind[] = ['int4', 'int2', 'ternary', 'binary'];

/** Random values of a width (binary: -1 / +1; the others uniform over their range). */
export function randomSubByte(kind: SubByteKind, n: number, seed: number): Int8Array {
  const r = rng(seed);
  const { min, max } = SUB_BYTE_RANGE[kind];
  return Int8Array.from({ length: n }, () => (kind === 'binary' ? (r() < 0.5 ? -1 : 1) : min + Math.floor(r() * (max - min + 1))));
}

/** `c` with sub-byte weights of `kind` (the weights tensor marked), prepared again. */
export function asSubByteCase(def: AnyOpDef, c: VariantCase, kind: SubByteKind, seed: number): VariantCase {
  const w = c.ctx.inputs[1]!;
  const data = randomSubByte(kind, (w.data as Int8Array).length, seed);
  w.data = data;
  w.weightEncoding = { kind };
  const params = def.prepare!(c.ctx as never);
  return { ...c, params, inputs: c.inputs.map((d, i) => (i === 1 ? data : d)) };
}
