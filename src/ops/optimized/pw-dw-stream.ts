/**
 * A pointwise CONV_2D and the DEPTHWISE_CONV_2D that alone reads its output, run row by row on
 * the DSP kernels (firmware/kernels/arm/pw_dw_stream_dsp.c, issue #20): the pointwise output is
 * never stored whole, only the depthwise window's rows of it (a ring in the pair's scratch). The
 * pair's output may overwrite the pointwise layer's input when no output row overtakes an input
 * row still to be read (the row-window rule of ops/conv-rows-in-place.ts, with the pointwise
 * input's rows). Both layers keep their kernels and weight layouts; the pair adds one call per
 * depthwise output row and a shift of the ring.
 */
import type { Conv2DParams, Conv2DQuantParams } from '../conv2d.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, OptimizeGoal, TargetInfo } from '../op-def.js';
import { conv2dDspVariant, convScratchBytes } from './conv2d.js';
import { depthwiseConv2dDspVariant, dwScratchBytes } from './depthwise-conv2d.js';
import { hasConstantOperands } from './common.js';
import { rowWindowBytes, rowWindowInPlaceOk } from '../conv-rows-in-place.js';

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
  if (!conv2dDspVariant.accepts(pw, target, optimize) || !depthwiseConv2dDspVariant.accepts(dw, target, optimize)) return false;
  if (!hasConstantOperands(pw, constants.pw) || !hasConstantOperands(dw, constants.dw)) return false;
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

/** Scratch of the pair: the ring (the depthwise filter's rows of the pointwise output), then the larger kernel scratch. */
export function streamPairScratchBytes(pw: Conv2DQuantParams, dw: DepthwiseConv2DQuantParams): number {
  return rowWindowBytes(dw) + Math.max(convScratchBytes(pw), dwScratchBytes(dw));
}

/** Whether the pair's output may overwrite the pointwise layer's input (see the file comment). */
export function streamPairInPlaceOk(pw: Conv2DQuantParams, dw: DepthwiseConv2DQuantParams): boolean {
  return rowWindowInPlaceOk({ ...dw, inputDepth: pw.inputDepth });
}

/**
 * The pair's C: each layer's declarations as its own DSP emitter writes them (prefixes
 * `pwPrefix`, `dwPrefix`), and one call reading `input` (the pointwise input) and writing `output`.
 */
export function emitStreamPair(
  pw: Conv2DQuantParams,
  dw: DepthwiseConv2DQuantParams,
  names: { input: string; output: string; scratch: string },
  ctx: { pwPrefix: string; dwPrefix: string; target: TargetInfo; optimize: OptimizeGoal; pwConstants: (TensorData | undefined)[]; dwConstants: (TensorData | undefined)[] },
): CEmission {
  const base: Omit<EmitContext, 'prefix' | 'constants'> = { target: ctx.target, optimize: ctx.optimize, scratch: names.scratch };
  const unused = '((int8_t *)0)';
  const a = conv2dDspVariant.emitC(pw, { inputs: [names.input], outputs: [unused] }, { ...base, prefix: ctx.pwPrefix, constants: ctx.pwConstants });
  const b = depthwiseConv2dDspVariant.emitC(dw, { inputs: [unused], outputs: [unused] }, { ...base, prefix: ctx.dwPrefix, constants: ctx.dwConstants, rowBands: true });
  const pwFn = /^\s*(\w+)\(/.exec(a.call)?.[1];
  const dwFn = /^\s*(\w+)\(/.exec(b.call)?.[1];
  if (pwFn !== 'tinyml_conv2d_s8_dsp' && pwFn !== 'tinyml_conv2d_s8_dsp_w16') throw new Error(`${ctx.pwPrefix}: the pointwise layer did not lower to the DSP convolution (${pwFn})`);
  if (!dwFn?.startsWith('tinyml_depthwise_conv2d_s8_dsp_')) throw new Error(`${ctx.dwPrefix}: the depthwise layer did not lower to the DSP depthwise kernel (${dwFn})`);
  const w16 = pwFn.endsWith('_w16') ? 1 : 0;
  return {
    kernels: [...new Set([...a.kernels, ...b.kernels, 'arm/pw_dw_stream_dsp.c', 'arm/pw_dw_stream_dsp.h', 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'])],
    includes: ['arm/pw_dw_stream_dsp.h'],
    decls: [a.decls, b.decls].join('\n'),
    call:
      `tinyml_pw_dw_s8_dsp_stream(&${ctx.pwPrefix}_params, ${ctx.pwPrefix}_w, ${w16}, &${ctx.dwPrefix}_params, ${dwFn}, ${ctx.dwPrefix}_w, ` +
      `${names.input}, ${names.output}, ${names.scratch});`,
  };
}
