/**
 * DEPTHWISE_CONV_2D (int8, depth multiplier 1, input depth > 1) on cores with Helium:
 * firmware/kernels/mve/depthwise_conv2d_mve.c. Weights are regrouped per four channels
 * ([group][tap][4]); the input offset is folded into the bias. No
 * scratch. Other depthwise layers fall through to the DSP variant.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import { depthwiseConv2d } from '../depthwise-conv2d.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import type { TensorData } from '../../ir/types.js';
import { emitWithConstants, scratchFor, scratchWithConstants } from '../optimized/common.js';
import { DW_MAX_SCRATCH, dwPaddedWidth } from '../optimized/depthwise-conv2d.js';
import { emitMve, mveTarget } from './common.js';

/** Weights [taps][C] as [ceil(C / 4)][taps][4], channels past C zero. */
export function dwMveWeightLayout(weights: ArrayLike<number>, taps: number, c: number): Int8Array {
  const groups = Math.ceil(c / 4);
  const out = new Int8Array(groups * taps * 4);
  for (let t = 0; t < taps; t++) for (let ch = 0; ch < c; ch++) out[((ch >> 2) * taps + t) * 4 + (ch & 3)] = weights[t * c + ch];
  return out;
}

/** Scratch: filter_height padded rows of 4 bytes per column and group of four channels. */
export function dwMveScratchBytes(p: DepthwiseConv2DQuantParams): number {
  return p.filterHeight * dwPaddedWidth(p) * Math.ceil(p.outputDepth / 4) * 4;
}

/**
 * Narrowest output rows the variant takes. The kernel works in blocks of four pixels along a
 * row; on narrower rows most pixels fall into the one-to-three-pixel tail and the DSP kernel
 * takes fewer instructions (measured on qemu-m55: KWS's 5-wide rows 256k vs 232k instructions
 * per layer, VWW's 6-wide 148k vs 129k; 12-wide 200k vs 259k).
 */
export const DW_MVE_MIN_OUTPUT_WIDTH = 8;

function accepts(params: unknown, target: TargetInfo): boolean {
  const p = params as DepthwiseConv2DParams;
  return (
    mveTarget(target) &&
    p.kind === 'int8' &&
    p.weightsOffset === 0 &&
    p.depthMultiplier === 1 &&
    p.inputDepth > 1 &&
    p.outputWidth >= DW_MVE_MIN_OUTPUT_WIDTH &&
    dwMveScratchBytes(p) <= DW_MAX_SCRATCH
  );
}

function emitDepthwiseMve(p: DepthwiseConv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const taps = p.filterHeight * p.filterWidth;
  const c = p.outputDepth;
  const scratch = scratchFor(ctx, dwMveScratchBytes(p), 'depthwise_conv2d_s8_mve');
  const channel = { step: 1, count: taps, stride: c };
  return emitMve('depthwise_conv2d', p, weights, bias, channel, dwMveWeightLayout(weights, taps, c), {}, names, ctx, scratch);
}

export const depthwiseConv2dMveVariant: KernelVariant = {
  name: 'depthwise_conv2d_s8_mve',
  op: 'DEPTHWISE_CONV_2D',
  accepts,
  emitC: emitWithConstants(depthwiseConv2d, emitDepthwiseMve),
  scratchBytes: scratchWithConstants(dwMveScratchBytes),
};
