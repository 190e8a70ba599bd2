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
import { cArray, foldBias, constantOperands,
  hasConstantOperands, scratchFor } from '../optimized/common.js';
import { convGeometry, cStructInit } from '../c-emit.js';
import { cRq4Array, mveTarget, rq4Records } from './common.js';

/** Largest window (K bytes of scratch) the variant takes; bigger layers keep the other kernels. */
export const CONV_MVE_MAX_SCRATCH = 32768;

/** 1x1 convolutions without padding read the input directly (no scratch). */
export function convMveDirect(p: Conv2DQuantParams): boolean {
  return p.filterHeight === 1 && p.filterWidth === 1 && p.padHeight === 0 && p.padWidth === 0;
}

export function convMveScratchBytes(p: Conv2DQuantParams): number {
  return convMveDirect(p) ? 0 : p.filterHeight * p.filterWidth * p.inputDepth;
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

function emitC(params: unknown, names: EmitNames, ctx: EmitContext): CEmission {
  const p = params as Conv2DQuantParams;
  const operands = constantOperands(p, ctx.constants);
  if (!operands) return conv2d.emitC!(p, names, ctx);
  const { weights, bias } = operands;
  return emitConvMve(p, weights, bias, names, ctx);
}

function scratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number {
  const p = params as Conv2DQuantParams;
  return constants && !hasConstantOperands(p, constants) ? 0 : convMveScratchBytes(p);
}

export function emitConvMve(p: Conv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const k = p.filterHeight * p.filterWidth * p.filterInputDepth;
  const n = p.outputDepth;
  const rowSum = (c: number): number => {
    let s = 0;
    for (let i = 0; i < k; i++) s += weights[c * k + i];
    return s;
  };
  const biasPrime = foldBias(bias, n, p.inputOffset, rowSum);
  const pre = ctx.prefix;
  const bytes = convMveScratchBytes(p);
  const scratch = bytes > 0 ? scratchFor(ctx, bytes, 'conv2d_s8_mve') : '((void *)0)';
  const decls = [
    cArray('int8_t', `${pre}_w`, mveWeightLayout(weights, n, k)),
    cRq4Array(`${pre}_rq`, rq4Records(p.outputMultiplier, p.outputShift, p.perChannel, biasPrime)),
    cStructInit('tinyml_conv2d_mve_params', `${pre}_params`, {
      ...convGeometry('packed', p),
      output_depth: n,
      k,
      pad_value: -p.inputOffset,
      output_offset: p.outputOffset,
      activation_min: p.activationMin,
      activation_max: p.activationMax,
      rq: `${pre}_rq`,
    }),
  ].join('\n');
  return {
    kernels: ['mve/conv2d_mve.c', 'mve/conv2d_mve.h', 'mve/tinyml_mve.h'],
    includes: ['mve/conv2d_mve.h'],
    decls,
    call: `tinyml_conv2d_s8_mve(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`,
  };
}

export const conv2dMveVariant: KernelVariant = {
  name: 'conv2d_s8_mve',
  op: 'CONV_2D',
  accepts,
  emitC,
  scratchBytes,
};
