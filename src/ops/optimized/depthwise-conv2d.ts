/**
 * DEPTHWISE_CONV_2D (int8, depth multiplier 1) on cores with the DSP extension:
 * firmware/kernels/arm/depthwise_conv2d_dsp.c. Weights are pre-expanded to int16 halfword pairs
 * (doubled in the FAST requantization modes) in the order the kernel reads them; the input
 * offset is folded into the bias. Scratch: the zero-point-padded input rows of one output row.
 * Input depth 1 (any multiplier) is a plain convolution and runs on conv2d_dsp.c.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import { depthwiseConv2d } from '../depthwise-conv2d.js';
import type { Conv2DQuantParams } from '../conv2d.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import { CONV_MAX_SCRATCH, convScratchBytes, emitConvDsp } from './conv2d.js';
import type { TensorData } from '../../ir/types.js';
import { cArray, dspTarget, emitWithConstants, foldChannelBias, hasConstantOperands,
  modeSuffix, planLayerRequant, scratchFor, scratchWithConstants } from './common.js';
import { convGeometry, cStructInit } from '../c-emit.js';
import { depthwiseInPlaceOk, depthwiseInPlaceRowBytes } from '../depthwise-in-place.js';

/** Largest row scratch the variant takes (bytes); bigger layers keep the portable kernel. */
export const DW_MAX_SCRATCH = 16384;

/** Width of the zero-point-padded input rows the kernel works on. */
export function dwPaddedWidth(p: DepthwiseConv2DQuantParams): number {
  return (p.outputWidth - 1) * p.strideWidth + (p.filterWidth - 1) * p.dilationWidth + 1;
}

/** Bytes of scratch: filter_height padded rows. */
export function dwScratchBytes(p: DepthwiseConv2DQuantParams): number {
  return p.filterHeight * dwPaddedWidth(p) * p.outputDepth;
}

/**
 * A depthwise layer with input depth 1 is a plain convolution with depth_multiplier output
 * channels (output channel m reads weights [.., .., m]): it runs on the convolution kernel.
 */
export function dwAsConv(p: DepthwiseConv2DQuantParams): Conv2DQuantParams {
  return {
    ...p,
    filterInputDepth: 1,
    groups: 1,
  };
}

function accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  const p = params as DepthwiseConv2DParams;
  if (!dspTarget(target) || p.kind !== 'int8') return false;
  // Weights with a zero point (legacy uint8 models) are stored minus it, as int16: the channel
  // kernel's layout anyway, the conv path's only when not optimizing for size.
  if (p.inputDepth === 1) return (p.weightsOffset === 0 || optimize !== 'size') && convScratchBytes(dwAsConv(p)) <= CONV_MAX_SCRATCH;
  return p.depthMultiplier === 1 && dwScratchBytes(p) <= DW_MAX_SCRATCH;
}

const scratchBytes = scratchWithConstants<DepthwiseConv2DQuantParams>((p) => (p.inputDepth === 1 ? convScratchBytes(dwAsConv(p)) : dwScratchBytes(p)));

/**
 * int16 weights in kernel order (see depthwise_conv2d_dsp.h), from TFLite's [1, fh, fw, C].
 */
export function dwWeightLayout(weights: Int8Array | Int16Array, taps: number, c: number, scale: number): Int16Array {
  const out = new Int16Array(taps * c);
  let o = 0;
  const groups = Math.floor(c / 4);
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < taps; t++) {
      const base = t * c + 4 * g;
      out[o++] = weights[base] * scale;
      out[o++] = weights[base + 2] * scale;
      out[o++] = weights[base + 1] * scale;
      out[o++] = weights[base + 3] * scale;
    }
  }
  for (let ch = groups * 4; ch < c; ch++) {
    for (let t = 0; t < taps; t++) out[o++] = weights[t * c + ch] * scale;
  }
  return out;
}

/**
 * Bias and requantization records in kernel order: per group of four channels the four biases
 * then {multiplier, t, e} of each; per remaining channel bias, multiplier, t, e.
 */
/** [1, fh, fw, M] depthwise weights as the OHWI [M, fh, fw, 1] weights of dwAsConv(p)'s convolution. */
export function dwWeightsAsConv(weights: Int8Array, p: DepthwiseConv2DQuantParams): Int8Array {
  const taps = p.filterHeight * p.filterWidth;
  const m = p.outputDepth;
  const ohwi = new Int8Array(taps * m);
  for (let t = 0; t < taps; t++) for (let o = 0; o < m; o++) ohwi[o * taps + t] = weights[t * m + o];
  return ohwi;
}

/**
 * The DSP depthwise kernels' params (int8 and sub-byte), pointing at the records `q` (default
 * `${pre}_q`; NULL for the sub-byte kernel, which reads them from its weight stream).
 * Depth multiplier 1: the packed geometry's input depth is the channel count.
 */
export function dwParamsDecl(pre: string, p: DepthwiseConv2DQuantParams, q = `${pre}_q`): string {
  return cStructInit('tinyml_depthwise_conv2d_dsp_params', `${pre}_params`, {
    ...convGeometry('packed', p),
    padded_width: dwPaddedWidth(p),
    pad_value: -p.inputOffset,
    output_offset: p.outputOffset,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
    q,
  });
}

export function dwRecords(bias: readonly number[], records: readonly [number, number, number][], c: number): number[] {
  const rec = (ch: number) => records[records.length > 1 ? ch : 0];
  const out: number[] = [];
  const groups = Math.floor(c / 4);
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < 4; k++) out.push(bias[4 * g + k]);
    for (let k = 0; k < 4; k++) out.push(...rec(4 * g + k));
  }
  for (let ch = groups * 4; ch < c; ch++) out.push(bias[ch], ...rec(ch));
  return out;
}

function emitDepthwiseDsp(p: DepthwiseConv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  if (ctx.inPlace && inPlaceScratchBytes(p, ctx.constants) === undefined) throw new Error(`${ctx.prefix}: this depthwise layer cannot run in place`);
  if (p.inputDepth === 1) return emitConvDsp(dwAsConv(p), dwWeightsAsConv(weights, p), bias, names, ctx);
  const c = p.outputDepth;
  const taps = p.filterHeight * p.filterWidth;
  // The weights the kernel multiplies: minus their zero point when they have one (legacy uint8).
  const wOff = p.weightsOffset ?? 0;
  const eff = wOff === 0 ? weights : Int16Array.from(weights, (v) => v + wOff);
  const channel = { step: 1, count: taps, stride: c };
  const biasPrime = foldChannelBias(bias, eff, c, p.inputOffset, channel);
  const plan = planLayerRequant(p, eff, biasPrime, channel);
  const w = dwWeightLayout(eff, taps, c, plan.doubled ? 2 : 1);
  const pre = ctx.prefix;
  const scratch = scratchFor(ctx, dwScratchBytes(p), 'depthwise_conv2d_s8_dsp');
  const decls = [
    cArray('int16_t', `${pre}_w`, w),
    cArray('int32_t', `${pre}_q`, dwRecords(plan.bias, plan.records, c)),
    dwParamsDecl(pre, p),
  ].join('\n');
  const fn = `tinyml_depthwise_conv2d_s8_dsp_${modeSuffix(plan.mode, p.activationMin, p.activationMax)}`;
  return {
    kernels: ['arm/depthwise_conv2d_dsp.c', 'arm/depthwise_conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/depthwise_conv2d_dsp.h'],
    decls,
    call: `${fn}(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`,
  };
}

/**
 * In place, the kernel is called with the same buffer as input and output: its padded rows move
 * down in scratch and each input row is read once (fill_rows), so the scratch is the usual one.
 * The input-depth-1 layers (convolution kernel) do not run in place; without constant weights
 * the portable in-place kernel runs.
 */
function inPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = params as DepthwiseConv2DQuantParams;
  if (p.inputDepth === 1 || !depthwiseInPlaceOk(p)) return undefined;
  if (constants && !hasConstantOperands(p, constants)) return depthwiseInPlaceRowBytes(p);
  return dwScratchBytes(p);
}

export const depthwiseConv2dDspVariant: KernelVariant = {
  name: 'depthwise_conv2d_s8_dsp',
  op: 'DEPTHWISE_CONV_2D',
  accepts,
  emitC: emitWithConstants(depthwiseConv2d, emitDepthwiseDsp),
  scratchBytes,
  inPlaceScratchBytes,
};
