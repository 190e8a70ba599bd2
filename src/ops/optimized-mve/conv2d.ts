/**
 * CONV_2D on cores with Helium: firmware/kernels/mve/conv2d_mve.c (four output channels x one
 * pixel per step, VMLADAVA over 16 K indices, vector requantization). Weights are interleaved
 * offline in groups of four channels x 16 K indices, the input offset is folded into the bias.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { Conv2DParams, Conv2DQuantParams } from '../conv2d.js';
import { conv2d } from '../conv2d.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import { emitWithConstants, scratchFor, scratchWithConstants, weightRows } from '../optimized/common.js';
import { emitMve, mveTarget } from './common.js';

/** Largest window (K bytes of scratch) the variant takes; bigger layers keep the other kernels. */
export const CONV_MVE_MAX_SCRATCH = 32768;

/** 1x1 convolutions without padding read the input directly (no scratch). */
export function convMveDirect(p: Conv2DQuantParams): boolean {
  return p.filterHeight === 1 && p.filterWidth === 1 && p.padHeight === 0 && p.padWidth === 0;
}

/** Two windows of K bytes rounded up to whole vectors of 16 (the kernel computes two pixels per step). */
export function convMveScratchBytes(p: Conv2DQuantParams): number {
  return convMveDirect(p) ? 0 : 2 * Math.ceil((p.filterHeight * p.filterWidth * p.inputDepth) / 16) * 16;
}

/**
 * Weights in kernel order: per group of four output channels and per 16 K indices, 16 bytes of
 * each channel; K padded to a multiple of 16 and channels to a multiple of 4 with zeros.
 */
export function mveWeightLayout(w: ArrayLike<number>, n: number, k: number): Int8Array {
  const k16 = Math.ceil(k / 16);
  const groups = Math.ceil(n / 4);
  const out = new Int8Array(groups * k16 * 64);
  for (let c = 0; c < n; c++) {
    const g = c >> 2;
    const lane = c & 3;
    for (let i = 0; i < k; i++) out[(g * k16 + (i >> 4)) * 64 + lane * 16 + (i & 15)] = w[c * k + i];
  }
  return out;
}

function accepts(params: unknown, target: TargetInfo): boolean {
  const p = params as Conv2DParams;
  return mveTarget(target) && p.kind === 'int8' && p.weightsOffset === 0 && p.groups === 1 && convMveScratchBytes(p) <= CONV_MVE_MAX_SCRATCH;
}

export function emitConvMve(p: Conv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const k = p.filterHeight * p.filterWidth * p.filterInputDepth;
  const n = p.outputDepth;
  const bytes = convMveScratchBytes(p);
  const scratch = bytes > 0 ? scratchFor(ctx, bytes, 'conv2d_s8_mve') : '((void *)0)';
  return emitMve('conv2d', p, weights, bias, weightRows(k), mveWeightLayout(weights, n, k), { output_depth: n, k }, names, ctx, scratch);
}

export const conv2dMveVariant: KernelVariant = {
  name: 'conv2d_s8_mve',
  op: 'CONV_2D',
  accepts,
  emitC: emitWithConstants(conv2d, emitConvMve),
  scratchBytes: scratchWithConstants(convMveScratchBytes),
};
