/**
 * Random sub-byte kernel cases: the optimized kernels' random int8 cases (shapes, strides,
 * padding, zero points, scales, requantization modes) with their weights redrawn inside a
 * sub-byte width and the weights tensor marked with that encoding, then prepared again.
 */
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import { SUB_BYTE_RANGE } from '../../src/ir/weight-encoding.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { rng, singleOpContext } from '../helpers/op-graph.js';
import { conv2d } from '../../src/ops/conv2d.js';
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

/**
 * A 3x3 convolution over 40 channels (K = 360) whose first output channel's weights are all the
 * width's minimum: 2^(16 - bits) times its possible (doubled) sums overflow int32, so the DSP
 * kernel must keep the offset-field layout (conv2d_dsp.c `_sb4` / `_sb2`) for it. No fused
 * activation and small scales: the FAST requantization and the assembly loop.
 */
export function wideConvCase(kind: 'int4' | 'int2', seed: number): VariantCase {
  const r = rng(seed);
  const [inH, inW, inC, outC] = [5, 6, 40, 6];
  const weights = randomSubByte(kind, outC * 9 * inC, seed + 1);
  weights.fill(SUB_BYTE_RANGE[kind].min, 0, 9 * inC);
  const scales = Array.from({ length: outC }, () => 0.0005 + r() * 0.002);
  const bias = Int32Array.from({ length: outC }, () => Math.floor(r() * 6000) - 3000);
  const inSpec = { shape: [1, inH, inW, inC], dtype: 'int8' as const, quant: { scale: 0.05, zeroPoint: -3 } };
  const wSpec = { shape: [outC, 3, 3, inC], dtype: 'int8' as const, quant: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 }, data: weights };
  const bSpec = { shape: [outC], dtype: 'int32' as const, data: bias };
  const attrs = { padding: 'SAME' as const, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' as const };
  const ctx = singleOpContext('CONV_2D', attrs, [inSpec, wSpec, bSpec], [{ shape: [1, inH, inW, outC], dtype: 'int8', quant: { scale: 0.5, zeroPoint: 7 } }]);
  ctx.inputs[1]!.weightEncoding = { kind };
  const input = Int8Array.from({ length: inH * inW * inC }, () => Math.floor(r() * 256) - 128);
  return { ctx, params: conv2d.prepare(ctx), inputs: [input, weights, bias] };
}
