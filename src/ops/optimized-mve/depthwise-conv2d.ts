/**
 * DEPTHWISE_CONV_2D (int8) on cores with Helium. Depth multiplier 1 with input depth > 1: with
 * windows that span at most 16 bytes once transposed and no horizontal dilation,
 * firmware/kernels/mve/depthwise_taps_mve.c (one VMLADAVA per output value; weights [C][16]); else
 * depthwise_conv2d_mve.c, weights regrouped per four channels ([group][tap][4]). Input depth 1 (any multiplier, e.g. micro_speech's first layer): output
 * channel m is then a full convolution of the one input channel with filter m, so the layer runs
 * the CONV_2D kernel (conv2d_mve.c) with K = the filter's taps. The input offset is folded into
 * the bias. Other depthwise layers fall through to the DSP variant.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import { depthwiseConv2d } from '../depthwise-conv2d.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import type { TensorData } from '../../ir/types.js';
import { emitWithConstants, scratchFor, scratchWithConstants } from '../optimized/common.js';
import { DW_MAX_SCRATCH, dwPaddedWidth } from '../optimized/depthwise-conv2d.js';
import { emitMve, mveTarget } from './common.js';
import { CONV_MVE_MAX_SCRATCH, mveWeightLayout } from './conv2d.js';

/** Weights [taps][C] as [ceil(C / 4)][taps][4], channels past C zero. */
export function dwMveWeightLayout(weights: ArrayLike<number>, taps: number, c: number): Int8Array {
  const groups = Math.ceil(c / 4);
  const out = new Int8Array(groups * taps * 4);
  for (let t = 0; t < taps; t++) for (let ch = 0; ch < c; ch++) out[((ch >> 2) * taps + t) * 4 + (ch & 3)] = weights[t * c + ch];
  return out;
}

/** Input depth 1: the layer is a CONV_2D with one input channel (see above). */
export function dwMveAsConv(p: DepthwiseConv2DQuantParams): boolean {
  return p.inputDepth === 1;
}

/**
 * The taps kernel's transposed cells (depthwise_taps_mve.h): `cell` input rows per column for
 * `rows` output rows, two when the window still spans at most 16 bytes, else one; undefined
 * when even one row's window does not fit (or the layer is not one the kernel takes).
 */
export function dwTapsCell(p: DepthwiseConv2DQuantParams): { cell: number; rows: 1 | 2 } | undefined {
  if (dwMveAsConv(p) || p.depthMultiplier !== 1 || p.dilationWidth !== 1) return undefined;
  const span = (p.filterHeight - 1) * p.dilationHeight + 1;
  const fits = (cell: number) => (p.filterWidth - 1) * cell + span <= 16;
  if (p.outputHeight >= 2 && fits(span + p.strideHeight)) return { cell: span + p.strideHeight, rows: 2 };
  return fits(span) ? { cell: span, rows: 1 } : undefined;
}

/** The layer runs on the taps kernel. */
export function dwMveTaps(p: DepthwiseConv2DQuantParams): boolean {
  return dwTapsCell(p) !== undefined;
}

/** Weights [taps][C] as [C][16]: channel c's tap (fy, fx) at byte fx * cell + fy * dilation, zeros elsewhere. */
export function dwMveTapsLayout(weights: ArrayLike<number>, p: DepthwiseConv2DQuantParams, cell: number): Int8Array {
  const c = p.outputDepth;
  const out = new Int8Array(c * 16);
  for (let ch = 0; ch < c; ch++) {
    for (let fy = 0; fy < p.filterHeight; fy++) {
      for (let fx = 0; fx < p.filterWidth; fx++) out[ch * 16 + fx * cell + fy * p.dilationHeight] = weights[(fy * p.filterWidth + fx) * c + ch];
    }
  }
  return out;
}

/**
 * Scratch: the taps kernel, depth planes of padded_width cells and the 16 bytes its last
 * window loads read past them; the other kernel, filter_height padded rows of 4 bytes per column and group of
 * four channels; as a convolution, two windows of taps bytes rounded up to a multiple of 16 (none
 * for an unpadded 1x1 filter).
 */
export function dwMveScratchBytes(p: DepthwiseConv2DQuantParams): number {
  if (dwMveAsConv(p)) return p.filterHeight === 1 && p.filterWidth === 1 && p.padHeight === 0 && p.padWidth === 0 ? 0 : 2 * Math.ceil((p.filterHeight * p.filterWidth) / 16) * 16;
  const taps = dwTapsCell(p);
  if (taps) return p.outputDepth * ((p.outputWidth - 1) * p.strideWidth + p.filterWidth) * taps.cell + 16;
  return p.filterHeight * dwPaddedWidth(p) * Math.ceil(p.outputDepth / 4) * 4;
}

/**
 * Narrowest output rows the variant takes for depthwise_conv2d_mve.c (the taps kernel takes any
 * width). That kernel works in blocks of four pixels along a
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
    (dwMveAsConv(p)
      ? dwMveScratchBytes(p) <= CONV_MVE_MAX_SCRATCH
      : p.depthMultiplier === 1 && (dwMveTaps(p) || p.outputWidth >= DW_MVE_MIN_OUTPUT_WIDTH) && dwMveScratchBytes(p) <= DW_MAX_SCRATCH)
  );
}

function emitDepthwiseMve(p: DepthwiseConv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const taps = p.filterHeight * p.filterWidth;
  const c = p.outputDepth;
  const channel = { step: 1, count: taps, stride: c };
  if (dwMveAsConv(p)) {
    const bytes = dwMveScratchBytes(p);
    const scratch = bytes > 0 ? scratchFor(ctx, bytes, 'conv2d_s8_mve') : '((void *)0)';
    // Conv weights: row m holds filter m's taps ([taps][C] transposed).
    const rows = new Int8Array(c * taps);
    for (let m = 0; m < c; m++) for (let t = 0; t < taps; t++) rows[m * taps + t] = weights[t * c + m];
    return emitMve('conv2d', p, weights, bias, channel, mveWeightLayout(rows, c, taps), { output_depth: c, k: taps }, names, ctx, scratch);
  }
  const cells = dwTapsCell(p);
  if (cells) {
    const scratch = scratchFor(ctx, dwMveScratchBytes(p), 'depthwise_conv2d_s8_mve_taps');
    return emitMve('depthwise_taps', p, weights, bias, channel, dwMveTapsLayout(weights, p, cells.cell), { ...cells }, names, ctx, scratch);
  }
  const scratch = scratchFor(ctx, dwMveScratchBytes(p), 'depthwise_conv2d_s8_mve');
  return emitMve('depthwise_conv2d', p, weights, bias, channel, dwMveWeightLayout(weights, taps, c), {}, names, ctx, scratch);
}

export const depthwiseConv2dMveVariant: KernelVariant = {
  name: 'depthwise_conv2d_s8_mve',
  op: 'DEPTHWISE_CONV_2D',
  accepts,
  emitC: emitWithConstants(depthwiseConv2d, emitDepthwiseMve),
  scratchBytes: scratchWithConstants(dwMveScratchBytes),
};
