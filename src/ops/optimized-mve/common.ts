/**
 * Shared by the Helium (MVE) kernel variants (Cortex-M55/M85): the per-group-of-four
 * requantization records (firmware/kernels/mve/tinyml_mve.h) and the target predicate.
 */
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import { type ChannelWeights, cArray, foldChannelBias, wrap32 } from '../optimized/common.js';
import { type GeometryOf, convGeometry, cStructInit } from '../c-emit.js';

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

/** The quantized conv-shaped layer an MVE kernel runs (CONV_2D and DEPTHWISE_CONV_2D params). */
export type MveLayer = GeometryOf<'packed'> & {
  outputDepth: number;
  inputOffset: number;
  outputOffset: number;
  outputMultiplier: readonly number[];
  outputShift: readonly number[];
  perChannel: boolean;
  activationMin: number;
  activationMax: number;
};

/** The MVE kernels: the params struct each fills, and its entry point and files. */
const MVE_KERNELS = {
  conv2d: { params: 'conv2d', fn: 'tinyml_conv2d_s8_mve', files: ['mve/conv2d_mve.c', 'mve/conv2d_mve.h'] },
  depthwise_conv2d: { params: 'depthwise_conv2d', fn: 'tinyml_depthwise_conv2d_s8_mve', files: ['mve/depthwise_conv2d_mve.c', 'mve/depthwise_conv2d_mve.h'] },
  depthwise_taps: {
    params: 'depthwise_taps',
    fn: 'tinyml_depthwise_conv2d_s8_mve_taps',
    files: ['mve/depthwise_taps_mve.c', 'mve/depthwise_taps_mve.h'],
  },
} as const;

export type MveKernel = keyof typeof MVE_KERNELS;

/**
 * The C of an MVE kernel: the weights in its layout, one rq4 record per four channels (the
 * input offset folded into the bias), and its params struct: the geometry, `fields` (the
 * kernel's own), the padding value, output offset and clamp.
 */
export function emitMve(
  kernel: MveKernel,
  p: MveLayer,
  weights: Int8Array,
  bias: TensorData | undefined,
  at: ChannelWeights,
  layout: Int8Array,
  fields: Record<string, number>,
  names: EmitNames,
  ctx: EmitContext,
  scratch: string,
): CEmission {
  const k = MVE_KERNELS[kernel];
  const biasPrime = foldChannelBias(bias, weights, p.outputDepth, p.inputOffset, at);
  const pre = ctx.prefix;
  const decls = [
    cArray('int8_t', `${pre}_w`, layout),
    cRq4Array(`${pre}_rq`, rq4Records(p.outputMultiplier, p.outputShift, p.perChannel, biasPrime)),
    cStructInit(`tinyml_${k.params}_mve_params`, `${pre}_params`, {
      ...convGeometry('packed', p),
      ...fields,
      pad_value: -p.inputOffset,
      output_offset: p.outputOffset,
      activation_min: p.activationMin,
      activation_max: p.activationMax,
      rq: `${pre}_rq`,
    }),
  ].join('\n');
  return {
    kernels: [...k.files, 'mve/tinyml_mve.h'],
    includes: [k.files[1]],
    decls,
    call: `${k.fn}(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`,
  };
}
