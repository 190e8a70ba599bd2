/**
 * Shared by the DSP-extension kernel variants (Cortex-M4/M7/M33/M55): generation-time
 * requantization constants, bias folding, accumulator bounds, offline weight layouts as C
 * arrays, and the scratch argument. The C side is firmware/kernels/arm/tinyml_dsp.h.
 */
import { multiplyByQuantizedMultiplier } from '../../fixedpoint.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import { scratchArg } from '../scratch.js';

/** The kernels' requantization modes (TINYML_RQ_* in tinyml_dsp.h). */
export const RQ_FAST = 0;
export const RQ_FAST_FOLDED = 1;
export const RQ_REF = 2;
/** Per-channel shifts of both signs, offset folded (the sub-byte kernels only; tinyml_dsp.h). */
export const RQ_FAST_MIXED = 3;

const TWO_30 = 2 ** 30;

/**
 * Flag on a FAST, FOLDED or FAST_MIXED mode (TINYML_RQ_NOFIX): the kernels leave out the sign
 * correction (acc < 0 ? -1 : 0), which the layer's clamp makes dead (rqSignFixDead).
 */
export const RQ_NOFIX = 4;

/**
 * Generation knobs. `fold`: allow the FOLDED mode (tests turn it off to cover FAST's own path).
 * `nofix`: the variants without the sign correction where rqSignFixDead holds (tests turn it off
 * to compare). `forceNofix`: those variants on every FAST layer, dead or not: for tests only, to
 * show that a layer whose clamp minimum is below its output offset then goes wrong.
 */
export const planOptions = { fold: true, nofix: true, forceNofix: false };

/**
 * Whether the requantization's sign correction is dead for a layer (tinyml_dsp.h,
 * TINYML_RQ_NOFIX, has the proof): a FAST mode (FAST, FOLDED, FAST_MIXED: multipliers >= 0)
 * and a clamp minimum at or above the output offset, so that every negative accumulator, with
 * or without the correction, lands at or below the offset and the clamp gives its minimum. With
 * no fused activation (the whole int8 range, SSAT alone) that is an output offset of -128, as
 * ReLU6 outputs quantized over [0, 6] have. One below the offset is not enough: the corrected
 * and uncorrected values can then differ (-1 vs 0 above the offset, both inside the range).
 */
export function rqSignFixDead(mode: number, outputOffset: number, activationMin: number): boolean {
  const fast = mode === RQ_FAST || mode === RQ_FAST_FOLDED || mode === RQ_FAST_MIXED;
  return fast && activationMin >= outputOffset;
}

/** Whether a layer takes the kernels without the sign correction (rqSignFixDead, or forced by a test). */
export function rqNofix(mode: number, outputOffset: number, activationMin: number): boolean {
  const fast = mode === RQ_FAST || mode === RQ_FAST_FOLDED || mode === RQ_FAST_MIXED;
  if (planOptions.forceNofix) return fast;
  return planOptions.nofix && rqSignFixDead(mode, outputOffset, activationMin);
}

/** The mode as the kernels' params carry it: plan.mode, with TINYML_RQ_NOFIX when rqNofix. */
export function cMode(mode: number, outputOffset: number, activationMin: number): number {
  return rqNofix(mode, outputOffset, activationMin) ? mode | RQ_NOFIX : mode;
}

/** True for targets the DSP variants run on (host tests force one with dsp: true). */
export function dspTarget(target: TargetInfo): boolean {
  return target.dsp === true;
}

export interface AccBounds {
  min: number;
  max: number;
}

/**
 * One output channel's accumulator range over every possible int8 input, given its weights
 * (whatever their order) and the folded bias'. Padded taps read the input zero point, which is an
 * int8 value too, so they are covered.
 */
export function accBounds(biasPrime: number, weights: ArrayLike<number>, start: number, count: number, stride = 1): AccBounds {
  let hi = biasPrime;
  let lo = biasPrime;
  for (let k = 0; k < count; k++) {
    const w = weights[start + k * stride];
    if (w > 0) {
      hi += 127 * w;
      lo -= 128 * w;
    } else {
      hi -= 128 * w;
      lo += 127 * w;
    }
  }
  return { min: lo, max: hi };
}

export interface RequantPlan {
  mode: number;
  /** FAST modes: the kernels accumulate 2 * acc (bias doubled here; inputs or weights doubled). */
  doubled: boolean;
  /** One [multiplier, t, e] per channel, or one in all when the layer is per tensor. */
  records: [number, number, number][];
  /** Bias' as the kernel starts its accumulators from (doubled in the FAST modes), int32. */
  bias: number[];
}

/**
 * Chooses the requantization of a layer (see tinyml_dsp.h): FAST when the bounds prove
 * |acc| < 2^30 for every channel and no channel with a non-zero multiplier has shift >= 0;
 * FOLDED (the output offset folded into t) when moreover every such shift is >= -22; else REF.
 * `biasPrime` is the exact (unwrapped) bias + input_offset * sum(weights) per output channel.
 *
 * Shift 0 too where the sign correction is dead (rqSignFixDead's clamp, planOptions.nofix): a
 * channel with e = 0 and t = 0 (plus the offset when folded). TFLite computes srdhm(acc, m) with
 * no rounding shift after it, which is SMMLAR(2 * acc, m, t) exactly (tinyml_dsp.h, FAST_MIXED),
 * what the kernels without the correction compute; those with it give one less for acc < 0,
 * where both are <= the offset and the clamp makes them its minimum. Sub-byte layers whose
 * shifts are all <= 0 (multipliers near 1) then run FOLDED rather than FAST_MIXED, whose
 * per-channel test of the shift's sign they skip; int8 layers FOLDED rather than REF.
 */
export function planRequant(
  multipliers: readonly number[],
  shifts: readonly number[],
  perChannel: boolean,
  outputOffset: number,
  biasPrime: readonly number[],
  bounds: readonly AccBounds[],
  activation: { min: number; max: number } = { min: -128, max: 127 },
  allowMixed = false,
): RequantPlan {
  const channels = biasPrime.length;
  const q = (c: number) => (perChannel ? c : 0);
  // A channel whose output is the same for every input (typically a dead channel whose bias
  // dwarfs what the weights can add) is requantized as that constant; it needs no bound.
  const constant: (number | undefined)[] = bounds.map((b, c) => constantOutput(b, multipliers[q(c)], shifts[q(c)], outputOffset, activation));
  let fast = bounds.every((b, c) => constant[c] !== undefined || (b.min > -TWO_30 && b.max < TWO_30));
  let folded = planOptions.fold;
  const zeroShift = planOptions.nofix && activation.min >= outputOffset;
  for (let c = 0; c < channels; c++) {
    if (constant[c] !== undefined || multipliers[q(c)] === 0) continue;
    if (multipliers[q(c)] < 0 || shifts[q(c)] > 0 || (shifts[q(c)] === 0 && !zeroShift)) fast = false;
    if (shifts[q(c)] < -22) folded = false;
  }
  const nq = perChannel ? multipliers.length : 1;
  // A per-tensor layer keeps its single record when every channel's bound allows it, constant
  // channels included (one record per channel would cost 12 bytes of flash each).
  const noConstants = constant.map(() => undefined);
  const layer = { multipliers, shifts, perChannel, outputOffset, biasPrime, bounds };
  const mixed =
    !fast && allowMixed
      ? ((!perChannel ? planMixed(layer, noConstants) : undefined) ?? planMixed(layer, constant))
      : undefined;
  if (mixed) return mixed;
  if (!fast) {
    return {
      mode: RQ_REF,
      doubled: false,
      records: Array.from({ length: nq }, (_, c) => [multipliers[c], shifts[c], 0]),
      bias: biasPrime.map((b) => wrap32(b)),
    };
  }
  // Constant channels need records of their own, so a per-tensor layer with one becomes per channel.
  const perChannelRecords = perChannel || constant.some((k) => k !== undefined);
  const records: [number, number, number][] = [];
  for (let c = 0; c < (perChannelRecords ? channels : 1); c++) {
    const k = constant[c];
    if (k !== undefined) {
      // m = 0: SMMLAR returns t - [acc < 0]; with t = 2 * value + 1, >> 1 gives value either way.
      records.push([0, 2 * (folded ? k : k - outputOffset) + 1, 1]);
      continue;
    }
    const m = multipliers[q(c)];
    const e = m === 0 ? 1 : -shifts[q(c)];
    let t = e === 0 ? 0 : 2 ** (e - 1);
    if (folded) t += outputOffset * 2 ** e;
    records.push([m, t, e]);
  }
  return {
    mode: folded ? RQ_FAST_FOLDED : RQ_FAST,
    doubled: true,
    records,
    bias: biasPrime.map((b, c) => (constant[c] !== undefined ? 0 : 2 * b)),
  };
}

/** planRequant's inputs, as planMixed takes them. */
interface RequantLayerInputs {
  multipliers: readonly number[];
  shifts: readonly number[];
  perChannel: boolean;
  outputOffset: number;
  biasPrime: readonly number[];
  bounds: readonly AccBounds[];
}

/**
 * The FAST_MIXED plan (tinyml_dsp.h), when every live channel has a multiplier in [0, 2^31) and
 * either a shift s in [0, 30] with |acc| < 2^(30 - s) (record [m, off, -s]: the doubled
 * accumulator shifted left by s stays inside int32) or a shift in [-22, -1] with |acc| < 2^30
 * (record [m, 2^(e-1) + off * 2^e, e], e = -s, as FOLDED); else undefined. A constant channel's
 * record is [0, value, 0] (SMMLAR by 0 leaves t).
 */
function planMixed(layer: RequantLayerInputs, constant: readonly (number | undefined)[]): RequantPlan | undefined {
  const { multipliers, shifts, perChannel, outputOffset, biasPrime, bounds } = layer;
  const channels = biasPrime.length;
  const q = (c: number) => (perChannel ? c : 0);
  for (let c = 0; c < channels; c++) {
    if (constant[c] !== undefined) continue;
    const m = multipliers[q(c)];
    const s = shifts[q(c)];
    if (!Number.isInteger(m) || m < 0 || m >= 2 ** 31) return undefined;
    if (m === 0) continue;
    if (!Number.isInteger(s) || s < -22 || s > 30) return undefined;
    const lim = 2 ** (30 - Math.max(s, 0));
    if (!(bounds[c].min > -lim && bounds[c].max < lim)) return undefined;
  }
  const perChannelRecords = perChannel || constant.some((k) => k !== undefined);
  const records: [number, number, number][] = [];
  for (let c = 0; c < (perChannelRecords ? channels : 1); c++) {
    const k = constant[c];
    const m = multipliers[q(c)];
    const s = shifts[q(c)];
    if (k !== undefined) records.push([0, k, 0]);
    else if (m === 0) records.push([0, outputOffset, 0]);
    else if (s >= 0) records.push([m, outputOffset, -s]);
    else records.push([m, 2 ** (-s - 1) + outputOffset * 2 ** -s, -s]);
  }
  return { mode: RQ_FAST_MIXED, doubled: true, records, bias: biasPrime.map((b, c) => (constant[c] !== undefined ? 0 : 2 * b)) };
}

/**
 * The clamped output when it is the same at both ends of the accumulator range (the reference
 * requantization is monotonic in the accumulator), else undefined. Only for ranges inside int32,
 * where the reference's int32 accumulator cannot wrap.
 */
export function constantOutput(b: AccBounds, multiplier: number, shift: number, outputOffset: number, activation: { min: number; max: number }): number | undefined {
  if (b.min < -2147483648 || b.max > 2147483647 || multiplier < 0) return undefined;
  // A left shift must not wrap either (the reference multiplies in int32).
  if (shift > 0 && (b.min * 2 ** shift < -2147483648 || b.max * 2 ** shift > 2147483647)) return undefined;
  const at = (acc: number) => {
    const v = multiplyByQuantizedMultiplier(acc, multiplier, shift) + outputOffset;
    return Math.min(Math.max(v, activation.min), activation.max);
  };
  const lo = at(b.min);
  return lo === at(b.max) ? lo : undefined;
}

/**
 * Entry-point suffix of the kernels that have one per mode and clamp: fast, folded_full, ref...;
 * with `outputOffset`, the FAST and FOLDED ones get `_nf` where rqNofix (TINYML_DSP_MODE_NF_ENTRIES).
 */
export function modeSuffix(mode: number, activationMin: number, activationMax: number, outputOffset?: number): string {
  const name = mode === RQ_FAST ? 'fast' : mode === RQ_FAST_FOLDED ? 'folded' : 'ref';
  const full = activationMin === -128 && activationMax === 127 ? `${name}_full` : name;
  const nf = outputOffset !== undefined && mode !== RQ_FAST_MIXED && rqNofix(mode, outputOffset, activationMin);
  return nf ? `${full}_nf` : full;
}

export function wrap32(x: number): number {
  // Exact for |x| < 2^53.
  const m = ((x % 4294967296) + 4294967296) % 4294967296;
  return m >= 2147483648 ? m - 4294967296 : m;
}

/**
 * Whether a conv / depthwise / dense layer's weights (input 1) and bias (input 2, when it has
 * one) are constants: the DSP kernels lay them out offline, so without them the variants emit
 * the portable kernel instead.
 */
export function hasConstantOperands(p: { hasBias: boolean }, constants: readonly (TensorData | undefined)[] | undefined): boolean {
  return constants?.[1] !== undefined && (!p.hasBias || constants[2] !== undefined);
}

/**
 * The constant weights (int8, input 1) and bias (input 2, when the layer has one) the offline
 * layouts need, or undefined when either is not a constant (the variant then emits the portable
 * kernel). The same test as `hasConstantOperands`, with the operands.
 */
export function constantOperands(
  p: { hasBias: boolean },
  constants: readonly (TensorData | undefined)[] | undefined,
): { weights: Int8Array; bias: TensorData | undefined } | undefined {
  if (!hasConstantOperands(p, constants)) return undefined;
  return { weights: constants![1] as Int8Array, bias: p.hasBias ? constants![2] : undefined };
}

/** bias[c] + inputOffset * sum of row c's weights, exact. */
export function foldBias(bias: TensorData | undefined, channels: number, inputOffset: number, rowSum: (c: number) => number): number[] {
  const out: number[] = [];
  for (let c = 0; c < channels; c++) out.push((bias ? Number((bias as ArrayLike<number | bigint>)[c]) : 0) + inputOffset * rowSum(c));
  return out;
}

/**
 * Where each output channel's weights lie in a flat weight array: channel c has `count` weights,
 * weights[c * step + i * stride] for i < count. Rows of [N, K] or OHWI weights are
 * `weightRows(K)`; depthwise [taps, C] weights are { step: 1, count: taps, stride: C }.
 */
export interface ChannelWeights {
  step: number;
  count: number;
  stride: number;
}

/** Channel c is row c of K contiguous weights. */
export function weightRows(k: number): ChannelWeights {
  return { step: k, count: k, stride: 1 };
}

/** foldBias over the channels' weights as `at` places them. */
export function foldChannelBias(bias: TensorData | undefined, weights: ArrayLike<number>, channels: number, inputOffset: number, at: ChannelWeights): number[] {
  return foldBias(bias, channels, inputOffset, (c) => {
    let s = 0;
    for (let i = 0; i < at.count; i++) s += weights[c * at.step + i * at.stride];
    return s;
  });
}

/** The requantized layer's constants planRequant needs (conv, depthwise and dense params have them). */
export interface RequantParams {
  outputMultiplier: readonly number[];
  outputShift: readonly number[];
  perChannel: boolean;
  outputOffset: number;
  activationMin: number;
  activationMax: number;
}

/**
 * planRequant for a layer with these weights (placed as `at`) and folded bias': each channel's
 * accumulator bounds come from its weights.
 */
export function planLayerRequant(p: RequantParams, weights: ArrayLike<number>, biasPrime: readonly number[], at: ChannelWeights, allowMixed = false): RequantPlan {
  const bounds = biasPrime.map((b, c) => accBounds(b, weights, c * at.step, at.count, at.stride));
  return planRequant(p.outputMultiplier, p.outputShift, p.perChannel, p.outputOffset, biasPrime, bounds, { min: p.activationMin, max: p.activationMax }, allowMixed);
}

/**
 * A variant's emitC for layers whose constant weights (and bias) it lays out offline: `emit` with
 * them, else the portable op's kernel (the weights are then computed at run time).
 */
export function emitWithConstants<P extends { hasBias: boolean }>(
  portable: { emitC?(params: P, names: EmitNames, ctx: EmitContext): CEmission },
  emit: (p: P, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext) => CEmission,
): (params: unknown, names: EmitNames, ctx: EmitContext) => CEmission {
  return (params, names, ctx) => {
    const p = params as P;
    const operands = constantOperands(p, ctx.constants);
    return operands ? emit(p, operands.weights, operands.bias, names, ctx) : portable.emitC!(p, names, ctx);
  };
}

/** The scratch of such a variant: `bytes(p)`, or none when the constants show the portable kernel runs. */
export function scratchWithConstants<P extends { hasBias: boolean }>(bytes: (p: P) => number): (params: unknown, constants?: (TensorData | undefined)[]) => number {
  return (params, constants) => {
    const p = params as P;
    return constants && !hasConstantOperands(p, constants) ? 0 : bytes(p);
  };
}

// ---------------------------------------------------------------------------------------------
// C emission
// ---------------------------------------------------------------------------------------------

function body(values: ArrayLike<number>, perLine: number): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const chunk: string[] = [];
    for (let j = i; j < Math.min(values.length, i + perLine); j++) {
      const v = values[j];
      chunk.push(v === -2147483648 ? 'INT32_MIN' : v > 0x7fffffff ? `0x${v.toString(16)}u` : String(v));
    }
    lines.push(`  ${chunk.join(', ')}`);
  }
  return lines.join(',\n');
}

export function cArray(ctype: 'int8_t' | 'uint8_t' | 'int16_t' | 'int32_t' | 'uint16_t' | 'uint32_t', name: string, values: ArrayLike<number>): string {
  const perLine = ctype === 'int8_t' || ctype === 'uint8_t' ? 32 : ctype === 'int16_t' || ctype === 'uint16_t' ? 16 : 8;
  return `static const ${ctype} ${name}[${Math.max(1, values.length)}] __attribute__((aligned(4))) = {\n${values.length ? body(values, perLine) : '  0'}\n};`;
}

export function cRqArray(name: string, records: readonly [number, number, number][]): string {
  const lines = records.map(([m, t, e]) => `  {${m}, ${t === -2147483648 ? 'INT32_MIN' : t}, ${e}},`);
  return `static const tinyml_dsp_rq ${name}[${records.length}] = {\n${lines.join('\n')}\n};`;
}

/** A DSP kernel's bias' (`<pre>_bias`) and requantization records (`<pre>_rq`) as C arrays. */
export function cRequantDecls(pre: string, plan: RequantPlan): string[] {
  return [cArray('int32_t', `${pre}_bias`, plan.bias), cRqArray(`${pre}_rq`, plan.records)];
}

/** The params fields that point a DSP kernel at those arrays, with its output offset and clamp. */
export function requantFields(pre: string, p: RequantParams, plan: RequantPlan): Record<string, string | number> {
  return {
    per_channel: plan.records.length > 1 ? 1 : 0,
    output_offset: p.outputOffset,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
    bias: `${pre}_bias`,
    rq: `${pre}_rq`,
  };
}

/**
 * The layer's scratch buffer (planned into the arena, alive during the layer only; see
 * src/ops/scratch.ts) as the kernel's `void *scratch` argument.
 */
export function scratchFor(ctx: EmitContext, bytes: number, kernel: string): string {
  return scratchArg(ctx, 'void', bytes, kernel);
}

/** A clustered layer's table as the 4-bit LUT kernels read it: 16 entries, a shorter table padded (unused entries). */
export function lutTable16(table: ArrayLike<number>): Int8Array {
  const t = new Int8Array(16);
  for (let i = 0; i < Math.min(16, table.length); i++) t[i] = table[i];
  return t;
}
