/**
 * A pointwise CONV_2D and the DEPTHWISE_CONV_2D that alone reads its output, run row by row on
 * the DSP kernels (firmware/kernels/arm/pw_dw_stream_dsp.c, issue #20): the pointwise output is
 * never stored whole, only the depthwise window's rows of it (a ring in the pair's scratch). The
 * pair's output may overwrite the pointwise layer's input when no output row overtakes an input
 * row still to be read (the row-window rule of ops/conv-rows-in-place.ts, with the pointwise
 * input's rows). Both layers keep the DSP kernels and weight layouts they have on their own:
 * the int8 ones, or for sub-byte weights the sub-byte ones (packed weights, their requantization
 * modes; ops/subbyte/dsp.ts). The pair adds one call per depthwise output row and a shift of the ring.
 */
import type { Conv2DParams, Conv2DQuantParams } from '../ops/conv2d.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../ops/depthwise-conv2d.js';
import type { TensorData } from '../ir/types.js';
import type { CEmission, EmitContext, OptimizeGoal, TargetInfo } from '../ops/op-def.js';
import type { KernelVariant } from '../ops/kernel-variants.js';
import { conv2dDspVariant, convScratchBytes } from '../ops/optimized/conv2d.js';
import { depthwiseConv2dDspVariant, dwScratchBytes } from '../ops/optimized/depthwise-conv2d.js';
import { hasConstantOperands } from '../ops/optimized/common.js';
import { subByteParamsKind } from '../ops/subbyte/common.js';
import { convSubByteDspVariant, dwSubByteDspVariant, dwSubByteFits } from '../ops/subbyte/dsp.js';

/** The DSP kernel each layer of a pair runs: the sub-byte one for sub-byte weights (as on its own), else the int8 one. */
function pwVariant(p: unknown): KernelVariant {
  return subByteParamsKind(p) ? convSubByteDspVariant : conv2dDspVariant;
}
function dwVariant(p: unknown): KernelVariant {
  return subByteParamsKind(p) ? dwSubByteDspVariant : depthwiseConv2dDspVariant;
}
import { rowWindowBytes, rowWindowInPlaceOk } from '../ops/conv-rows-in-place.js';
import { BAND_NAMES, BAND_SCRATCH, bandFunction } from '../ops/optimized/band-function.js';

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
  if (!pwVariant(pw).accepts(pw, target, optimize) || !dwVariant(dw).accepts(dw, target, optimize)) return false;
  if (!hasConstantOperands(pw, constants.pw) || !hasConstantOperands(dw, constants.dw)) return false;
  // A sub-byte depthwise layer whose sums could overflow the DSP kernel runs the portable one: no rows.
  if (subByteParamsKind(dw) && !dwSubByteFits(dw as DepthwiseConv2DQuantParams, constants.dw[1] as Int8Array)) return false;
  const pointwise = pw.filterHeight === 1 && pw.filterWidth === 1 && pw.strideHeight === 1 && pw.strideWidth === 1 && pw.padHeight === 0 && pw.padWidth === 0;
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
 * Scratch of the pair: the ring (the depthwise filter's rows of the pointwise output), then the
 * larger kernel scratch (the sub-byte kernels take the int8 ones' scratch).
 */
export function streamPairScratchBytes(pw: Conv2DQuantParams, dw: DepthwiseConv2DQuantParams): number {
  return rowWindowBytes(dw) + Math.max(convScratchBytes(pw), dwScratchBytes(dw));
}

/** Whether the pair's output may overwrite the pointwise layer's input (see the file comment). */
export function streamPairInPlaceOk(pw: Conv2DQuantParams, dw: DepthwiseConv2DQuantParams): boolean {
  return rowWindowInPlaceOk({ ...dw, inputDepth: pw.inputDepth });
}

/**
 * The pair's C: each layer's declarations as its own DSP emitter writes them (prefixes
 * `pwPrefix`, `dwPrefix`), a function per layer running that emitter's kernel call on a band
 * (`<prefix>_band`), and one call reading `input` (the pointwise input) and writing `output`.
 */
export function emitStreamPair(
  pw: Conv2DQuantParams,
  dw: DepthwiseConv2DQuantParams,
  names: { input: string; output: string; scratch: string },
  ctx: { pwPrefix: string; dwPrefix: string; target: TargetInfo; optimize: OptimizeGoal; pwConstants: (TensorData | undefined)[]; dwConstants: (TensorData | undefined)[] },
): CEmission {
  const base: Omit<EmitContext, 'prefix' | 'constants'> = { target: ctx.target, optimize: ctx.optimize, scratch: BAND_SCRATCH };
  const band = BAND_NAMES;
  const a = pwVariant(pw).emitC(pw, band, { ...base, prefix: ctx.pwPrefix, constants: ctx.pwConstants });
  const b = dwVariant(dw).emitC(dw, band, { ...base, prefix: ctx.dwPrefix, constants: ctx.dwConstants, rowBands: true });
  const pwFn = bandFunction(a.call, ctx.pwPrefix, 'tinyml_conv2d_dsp_params', /^tinyml_conv2d_s8_dsp(_w16|_sb\w+)?(_nf)?$/, 'the DSP convolution');
  const dwFn = bandFunction(b.call, ctx.dwPrefix, 'tinyml_depthwise_conv2d_dsp_params', /^tinyml_depthwise_conv2d_s8_dsp_\w+$/, 'the DSP depthwise kernel');
  return {
    kernels: [...new Set([...a.kernels, ...b.kernels, 'arm/pw_dw_stream_dsp.c', 'arm/pw_dw_stream_dsp.h', 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'])],
    includes: ['arm/pw_dw_stream_dsp.h'],
    decls: [a.decls, b.decls, pwFn, dwFn].join('\n'),
    call: `tinyml_pw_dw_s8_dsp_stream(&${ctx.pwPrefix}_params, ${ctx.pwPrefix}_band, &${ctx.dwPrefix}_params, ${ctx.dwPrefix}_band, ${names.input}, ${names.output}, ${names.scratch});`,
  };
}
