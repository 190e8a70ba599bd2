/**
 * CONV_2D on cores with the DSP extension: firmware/kernels/arm/conv2d_dsp.c (im2col of four
 * output pixels, 1x4-blocked SMLAD matrix multiply; 1x1 stride-1 convolutions read the pixels
 * directly). Weights are laid out offline (rows padded to a multiple of 4; int16 for layers with
 * many output pixels), the input offset is folded into the bias and the requantization constants
 * are precomputed here. Weights with a zero point (legacy uint8 models) are stored with it
 * subtracted, as int16 (w - z lies in [-255, 255]), so the kernel is unchanged.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { Conv2DParams, Conv2DQuantParams } from '../conv2d.js';
import { conv2d } from '../conv2d.js';
import { pointwiseInPlaceOk } from '../pointwise-in-place.js';
import { rowInPlaceBytes, rowInPlaceMode } from '../conv-rows-in-place.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import {
  cArray,
  cRequantDecls,
  dspTarget,
  emitWithConstants,
  foldChannelBias,
  planLayerRequant,
  requantFields,
  scratchFor,
  hasConstantOperands,
  scratchWithConstants,
  weightRows,
} from './common.js';
import { convGeometry, cStructInit } from '../c-emit.js';

/** Largest im2col scratch the variant takes (bytes); bigger layers keep the portable kernel. */
export const CONV_MAX_SCRATCH = 32768;

export function convK4(p: Conv2DQuantParams): number {
  return Math.ceil((p.filterHeight * p.filterWidth * p.filterInputDepth) / 4);
}

/** Bytes of scratch the kernel needs for this layer. */
export function convScratchBytes(p: Conv2DQuantParams): number {
  return convK4(p) * (p.inputDepth % 4 === 0 ? 32 : 36);
}

/**
 * Output pixels from which a layer's weights are stored pre-expanded to int16 (twice their flash,
 * about 15% fewer instructions in the inner loop): layers that reuse each weight many times.
 * Never when optimizing for size.
 */
export const CONV_W16_MIN_PIXELS = 96;

/** int16 weights in kernel order: per row and group of four K indices (w0, w2), (w1, w3). */
export function convW16Layout(w: Int8Array | Int16Array, n: number, k4: number): Int16Array {
  const out = new Int16Array(n * k4 * 4);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k4; j++) {
      const src = (r * k4 + j) * 4;
      out[src] = w[src];
      out[src + 1] = w[src + 2];
      out[src + 2] = w[src + 1];
      out[src + 3] = w[src + 3];
    }
  }
  return out;
}

function accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  const p = params as Conv2DParams;
  // Weights with a zero point (legacy uint8 models) need the int16 layout: not when optimizing for size.
  if (p.kind === 'int8' && p.weightsOffset !== 0 && optimize === 'size') return false;
  return dspTarget(target) && p.kind === 'int8' && p.groups === 1 && convScratchBytes(p) <= CONV_MAX_SCRATCH;
}

/**
 * The DSP convolution of an int8 CONV_2D-shaped layer (groups 1) with OHWI `weights`; also used
 * for depthwise layers that are plain convolutions (input depth 1).
 */
export function emitConvDsp(p: Conv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const k = p.filterHeight * p.filterWidth * p.filterInputDepth;
  const k4 = convK4(p);
  const n = p.outputDepth;
  // The weights the kernel multiplies: minus their zero point when they have one (legacy uint8).
  const wOff = p.weightsOffset ?? 0;
  const eff = wOff === 0 ? weights : Int16Array.from(weights, (v) => v + wOff);
  const biasPrime = foldChannelBias(bias, eff, n, p.inputOffset, weightRows(k));
  const plan = planLayerRequant(p, eff, biasPrime, weightRows(k));
  // Rows padded with zero weights to a multiple of 4.
  const w = wOff === 0 ? new Int8Array(n * k4 * 4) : new Int16Array(n * k4 * 4);
  for (let c = 0; c < n; c++) w.set(eff.subarray(c * k, (c + 1) * k), c * k4 * 4);
  const pre = ctx.prefix;
  // In place through a row window (ops/conv-rows-in-place.ts): the window, then the kernel's scratch.
  const windowed = ctx.inPlace === true && !pointwiseInPlaceOk(p);
  const mode = windowed ? rowInPlaceMode(p) : undefined;
  if (windowed && !mode) throw new Error(`${pre}: this convolution cannot run in place`);
  const scratch = scratchFor(ctx, (windowed ? rowInPlaceBytes(p)! : 0) + convScratchBytes(p), windowed ? 'conv2d_s8_dsp_in_place' : 'conv2d_s8_dsp');
  const w16 = wOff !== 0 || (ctx.optimize !== 'size' && p.batches * p.outputHeight * p.outputWidth >= CONV_W16_MIN_PIXELS);
  const decls = [
    w16 ? cArray('int16_t', `${pre}_w`, convW16Layout(w, n, k4)) : cArray('int8_t', `${pre}_w`, w),
    ...cRequantDecls(pre, plan),
    cStructInit('tinyml_conv2d_dsp_params', `${pre}_params`, {
      ...convGeometry('packed', p),
      output_depth: n,
      k4,
      pad_value: -p.inputOffset,
      mode: plan.mode,
      ...requantFields(pre, p, plan),
    }),
  ].join('\n');
  if (windowed) {
    return {
      // The row driver also dispatches to the stem kernel (conv2d-stem.ts), so it links with it.
      kernels: ['arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h', 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'],
      includes: ['arm/conv2d_dsp_in_place.h'],
      decls,
      call: `tinyml_conv2d_s8_dsp_in_place${mode === 'stage' ? '_staged' : ''}(&${pre}_params, ${names.outputs[0]}, ${pre}_w, ${w16 ? 1 : 0}, ${scratch});`,
    };
  }
  const call = `tinyml_conv2d_s8_dsp${w16 ? '_w16' : ''}(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`;
  return {
    kernels: ['arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/conv2d_dsp.h'],
    decls,
    call,
  };
}

/**
 * Pointwise layers no wider out than in run in place with their usual scratch
 * (ops/pointwise-in-place.ts); other convolutions the row rules accept with a window of input
 * rows, or a one-row output stage, before it (ops/conv-rows-in-place.ts).
 */
function inPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = params as Conv2DQuantParams;
  if (p.kind !== 'int8' || p.groups !== 1 || (constants && !hasConstantOperands(p, constants))) return undefined;
  if (pointwiseInPlaceOk(p)) return convScratchBytes(p);
  const rows = rowInPlaceBytes(p);
  return rows === undefined ? undefined : rows + convScratchBytes(p);
}

export const conv2dDspVariant: KernelVariant = {
  name: 'conv2d_s8_dsp',
  op: 'CONV_2D',
  accepts,
  emitC: emitWithConstants(conv2d, emitConvDsp),
  scratchBytes: scratchWithConstants(convScratchBytes),
  inPlaceScratchBytes,
};
