/**
 * A pointwise CONV_2D and the DEPTHWISE_CONV_2D that alone reads its output, run row by row
 * (issue #20): the pointwise output is never stored whole, only the depthwise window's rows of it
 * (a ring in the pair's scratch). The pair's output may overwrite the pointwise layer's input
 * when no output row overtakes an input row still to be read (the row-window rule of
 * ops/conv-rows-in-place.ts, with the pointwise input's rows).
 *
 * On DSP cores (firmware/kernels/arm/pw_dw_stream_dsp.c) both layers keep the DSP kernels and
 * weight layouts they have on their own: the int8 ones, or for sub-byte weights the sub-byte ones
 * (packed weights, their requantization modes; ops/subbyte/dsp.ts). The pair adds one call of
 * each kernel per band of depthwise output rows (dspBandRows) and a shift of the ring.
 *
 * On cores with Helium, an int8 pair whose pointwise layer the MVE convolution takes runs on the
 * kernels the layers pick on their own there (firmware/kernels/mve/pw_dw_stream_mve.c): the
 * pointwise layer on conv2d_mve.c, the depthwise one on the MVE depthwise variant when it takes
 * the layer (the taps kernel then runs two output rows per call when it transposes two rows' input
 * at once, the ring holding their rows), else on the DSP kernel. Sub-byte pairs keep the DSP pair.
 */
import { isUnitWindow, type Conv2DParams, type Conv2DQuantParams } from '../ops/conv2d.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../ops/depthwise-conv2d.js';
import type { TensorData } from '../ir/types.js';
import type { CEmission, EmitContext, OptimizeGoal, TargetInfo } from '../ops/op-def.js';
import type { KernelVariant } from '../ops/kernel-variants.js';
import { conv2dDspVariant, convScratchBytes } from '../ops/optimized/conv2d.js';
import { depthwiseConv2dDspVariant, dwScratchBytes } from '../ops/optimized/depthwise-conv2d.js';
import { hasConstantOperands } from '../ops/optimized/common.js';
import { subByteParamsKind } from '../ops/subbyte/common.js';
import { convSubByteDspVariant, dwSubByteDspVariant, dwSubByteFits } from '../ops/subbyte/dsp.js';

import { rowWindowInPlaceOk } from '../ops/conv-rows-in-place.js';
import { BAND_NAMES, BAND_SCRATCH, bandFunction, geometryBandFunction } from '../ops/optimized/band-function.js';
import { mveTarget } from '../ops/optimized-mve/common.js';
import { conv2dMveVariant } from '../ops/optimized-mve/conv2d.js';
import { depthwiseConv2dMveVariant, dwMveScratchBytes, dwTapsCell } from '../ops/optimized-mve/depthwise-conv2d.js';

/** The DSP kernel each layer of a pair runs: the sub-byte one for sub-byte weights (as on its own), else the int8 one. */
function pwVariant(p: unknown): KernelVariant {
  return subByteParamsKind(p) ? convSubByteDspVariant : conv2dDspVariant;
}
function dwVariant(p: unknown): KernelVariant {
  return subByteParamsKind(p) ? dwSubByteDspVariant : depthwiseConv2dDspVariant;
}

/**
 * The Helium pair's kernels on `target` (see the file comment), or undefined for the DSP pair: the
 * depthwise layer on its MVE variant or else the DSP one, `dwRows` its output rows per call.
 */
interface MvePair {
  dw: KernelVariant;
  dwMve: boolean;
  dwRows: 1 | 2;
}
function mvePair(pw: Conv2DParams, dw: DepthwiseConv2DParams, target: TargetInfo | undefined, optimize: OptimizeGoal): MvePair | undefined {
  if (!target || !mveTarget(target) || subByteParamsKind(pw) || subByteParamsKind(dw)) return undefined;
  if (!conv2dMveVariant.accepts(pw, target, optimize)) return undefined;
  if (depthwiseConv2dMveVariant.accepts(dw, target, optimize)) {
    return { dw: depthwiseConv2dMveVariant, dwMve: true, dwRows: dwTapsCell(dw as DepthwiseConv2DQuantParams)?.rows ?? 1 };
  }
  return { dw: depthwiseConv2dDspVariant, dwMve: false, dwRows: 1 };
}

/** Rows of the Helium pair's ring: those of `rows` depthwise output rows. */
function mveRingBytes(dw: DepthwiseConv2DQuantParams, rows: number): number {
  return Math.ceil((((rows - 1) * dw.strideHeight + dw.filterHeight) * dw.inputWidth * dw.inputDepth) / 16) * 16;
}

/**
 * Depthwise output rows per band of the DSP pair: three when the depthwise layer has stride 2
 * (VWW's 48x48x16 -> 24x24x16: each band's ring then holds 7 rows instead of 3, 3 KB more scratch
 * under VWW's arena peak, and 8 calls of each kernel and ring shifts instead of 24: qemu-m4 int8
 * 725,512 -> 716,857 instructions, int4 816,928 -> 806,433), else one (a stride-1 layer's ring
 * would grow a row per band row for one kept row less per call: KWS's pairs, whose arena is
 * tighter).
 */
export function dspBandRows(dw: DepthwiseConv2DParams): number {
  return dw.strideHeight === 2 ? Math.max(1, Math.min(3, dw.outputHeight)) : 1;
}

/** Ring bytes of the DSP pair (pw_dw_stream_dsp.h TINYML_PW_DW_RING_BYTES): the rows one band reads. */
function dspRingBytes(dw: DepthwiseConv2DQuantParams): number {
  const span = (dspBandRows(dw) - 1) * dw.strideHeight + dw.filterHeight;
  return Math.ceil((span * dw.inputWidth * dw.inputDepth) / 16) * 16;
}

/** Whether the two layers can run as a pair on `target` (constants: each layer's, by input position). */
export function streamPairOk(
  pwParams: unknown,
  dwParams: unknown,
  target: TargetInfo,
  optimize: OptimizeGoal,
  constants: { pw: readonly (TensorData | undefined)[]; dw: readonly (TensorData | undefined)[] },
): boolean {
  const pw = pwParams as Conv2DParams;
  const dw = dwParams as DepthwiseConv2DParams;
  if (pw.kind !== 'int8' || dw.kind !== 'int8') return false;
  const mve = mvePair(pw, dw, target, optimize);
  if (mve) {
    if (!mve.dw.accepts(dw, target, optimize)) return false;
  } else if (!pwVariant(pw).accepts(pw, target, optimize) || !dwVariant(dw).accepts(dw, target, optimize)) return false;
  if (!hasConstantOperands(pw, constants.pw) || !hasConstantOperands(dw, constants.dw)) return false;
  // A sub-byte depthwise layer whose sums could overflow the DSP kernel runs the portable one: no rows.
  if (subByteParamsKind(dw) && !dwSubByteFits(dw as DepthwiseConv2DQuantParams, constants.dw[1] as Int8Array)) return false;
  const pointwise = isUnitWindow(pw);
  return (
    pointwise &&
    pw.batches === 1 &&
    dw.batches === 1 &&
    dw.inputDepth > 1 &&
    dw.depthMultiplier === 1 &&
    dw.dilationHeight === 1 &&
    dw.inputHeight === pw.outputHeight &&
    dw.inputWidth === pw.outputWidth &&
    dw.inputDepth === pw.outputDepth
  );
}

/**
 * Scratch of the pair on `target` (default: a DSP core): the ring (the rows of the pointwise output
 * one band of depthwise output rows reads, dspBandRows on a DSP core), then the
 * larger kernel scratch (the sub-byte kernels take the int8 ones' scratch; the MVE pointwise
 * convolution takes none).
 */
export function streamPairScratchBytes(pw: Conv2DQuantParams, dw: DepthwiseConv2DQuantParams, target?: TargetInfo, optimize: OptimizeGoal = 'speed'): number {
  const mve = mvePair(pw, dw, target, optimize);
  if (mve) return mveRingBytes(dw, mve.dwRows) + (mve.dwMve ? dwMveScratchBytes(dw) : dwScratchBytes(dw));
  return dspRingBytes(dw) + Math.max(convScratchBytes(pw), dwScratchBytes(dw));
}

/** Whether the pair's output may overwrite the pointwise layer's input (see the file comment). */
export function streamPairInPlaceOk(pw: Conv2DQuantParams, dw: DepthwiseConv2DQuantParams): boolean {
  return rowWindowInPlaceOk({ ...dw, inputDepth: pw.inputDepth });
}

/**
 * The pair's C: each layer's declarations as its own emitter writes them (prefixes `pwPrefix`,
 * `dwPrefix`; the DSP ones, or on the Helium pair the MVE ones), a function per layer running that
 * emitter's kernel call on a band (`<prefix>_band`), and one call reading `input` (the pointwise
 * input) and writing `output`.
 */
export function emitStreamPair(
  pw: Conv2DQuantParams,
  dw: DepthwiseConv2DQuantParams,
  names: { input: string; output: string; scratch: string },
  ctx: { pwPrefix: string; dwPrefix: string; target: TargetInfo; optimize: OptimizeGoal; pwConstants: (TensorData | undefined)[]; dwConstants: (TensorData | undefined)[] },
): CEmission {
  const base: Omit<EmitContext, 'prefix' | 'constants'> = { target: ctx.target, optimize: ctx.optimize, scratch: BAND_SCRATCH };
  const band = BAND_NAMES;
  const mve = mvePair(pw, dw, ctx.target, ctx.optimize);
  if (mve) {
    const a = conv2dMveVariant.emitC(pw, band, { ...base, prefix: ctx.pwPrefix, constants: ctx.pwConstants });
    const b = mve.dw.emitC(dw, band, { ...base, prefix: ctx.dwPrefix, constants: ctx.dwConstants, rowBands: true });
    const pwFn = geometryBandFunction(a.call, ctx.pwPrefix, 'tinyml_conv2d_mve_params', /^tinyml_conv2d_s8_mve$/, 'the MVE convolution');
    const dwFn = mve.dwMve
      ? geometryBandFunction(b.call, ctx.dwPrefix, dwTapsCell(dw) ? 'tinyml_depthwise_taps_mve_params' : 'tinyml_depthwise_conv2d_mve_params', /^tinyml_depthwise_conv2d_s8_mve(_taps)?$/, 'an MVE depthwise kernel')
      : geometryBandFunction(b.call, ctx.dwPrefix, 'tinyml_depthwise_conv2d_dsp_params', /^tinyml_depthwise_conv2d_s8_dsp_\w+$/, 'the DSP depthwise kernel');
    return {
      kernels: [...new Set([...a.kernels, ...b.kernels, 'mve/pw_dw_stream_mve.c', 'mve/pw_dw_stream_mve.h', 'mve/tinyml_mve.h'])],
      includes: [...new Set([...a.includes, ...b.includes, 'mve/pw_dw_stream_mve.h'])],
      decls: [a.decls, b.decls, pwFn, dwFn].join('\n'),
      call: `tinyml_pw_dw_s8_mve_stream(&${ctx.pwPrefix}_params.geo, ${ctx.pwPrefix}_band, &${ctx.dwPrefix}_params.geo, ${ctx.dwPrefix}_band, ${mve.dwRows}, ${names.input}, ${names.output}, ${names.scratch});`,
    };
  }
  const a = pwVariant(pw).emitC(pw, band, { ...base, prefix: ctx.pwPrefix, constants: ctx.pwConstants });
  const b = dwVariant(dw).emitC(dw, band, { ...base, prefix: ctx.dwPrefix, constants: ctx.dwConstants, rowBands: true });
  const pwFn = bandFunction(a.call, ctx.pwPrefix, 'tinyml_conv2d_dsp_params', /^tinyml_conv2d_s8_dsp(_w16|_sb\w+)?(_nf)?$/, 'the DSP convolution');
  const dwFn = bandFunction(b.call, ctx.dwPrefix, 'tinyml_depthwise_conv2d_dsp_params', /^tinyml_depthwise_conv2d_s8_dsp_\w+$/, 'the DSP depthwise kernel');
  return {
    kernels: [...new Set([...a.kernels, ...b.kernels, 'arm/pw_dw_stream_dsp.c', 'arm/pw_dw_stream_dsp.h', 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'])],
    includes: ['arm/pw_dw_stream_dsp.h'],
    decls: [a.decls, b.decls, pwFn, dwFn].join('\n'),
    call: `tinyml_pw_dw_s8_dsp_stream(&${ctx.pwPrefix}_params, ${ctx.pwPrefix}_band, &${ctx.dwPrefix}_params, ${ctx.dwPrefix}_band, ${dspBandRows(dw)}, ${names.input}, ${names.output}, ${names.scratch});`,
  };
}
