/**
 * CONV_2D on cores with the DSP extension: firmware/kernels/arm/conv2d_dsp.c (im2col of four
 * output pixels, 1x4-blocked SMLAD matrix multiply; 1x1 stride-1 convolutions read the pixels
 * directly). Weights are laid out offline (rows padded to a multiple of 4), the input offset is
 * folded into the bias and the requantization constants are precomputed here.
 */
import type { KernelVariant } from '../../codegen/select-kernel.js';
import type { Conv2DParams, Conv2DQuantParams } from '../conv2d.js';
import { conv2d } from '../conv2d.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import {
  accBounds,
  cArray,
  cRqArray,
  cStruct,
  dspTarget,
  foldBias,
  planRequant,
  SCRATCH_NAME,
  scratchCallPrefix,
  scratchDecl,
} from './common.js';

/** Largest im2col scratch the variant takes (bytes); bigger layers keep the portable kernel. */
export const CONV_MAX_SCRATCH = 16384;

export function convK4(p: Conv2DQuantParams): number {
  return Math.ceil((p.filterHeight * p.filterWidth * p.filterInputDepth) / 4);
}

/** Bytes of scratch the kernel needs for this layer. */
export function convScratchBytes(p: Conv2DQuantParams): number {
  return convK4(p) * 32;
}

function accepts(params: unknown, target: TargetInfo): boolean {
  const p = params as Conv2DParams;
  return dspTarget(target) && p.kind === 'int8' && p.groups === 1 && convScratchBytes(p) <= CONV_MAX_SCRATCH;
}

function emitC(params: unknown, names: EmitNames, ctx: EmitContext): CEmission {
  const p = params as Conv2DQuantParams;
  const weights = ctx.constants?.[1] as Int8Array | undefined;
  const bias = p.hasBias ? ctx.constants?.[2] : undefined;
  if (!weights || (p.hasBias && !bias)) return conv2d.emitC!(p, names, ctx);
  const k = p.filterHeight * p.filterWidth * p.filterInputDepth;
  const k4 = convK4(p);
  const n = p.outputDepth;
  const rowSum = (c: number): number => {
    let s = 0;
    for (let i = 0; i < k; i++) s += weights[c * k + i];
    return s;
  };
  const biasPrime = foldBias(bias, n, p.inputOffset, rowSum);
  const bounds = biasPrime.map((b, c) => accBounds(b, weights, c * k, k));
  const plan = planRequant(p.outputMultiplier, p.outputShift, p.perChannel, p.outputOffset, biasPrime, bounds, {
    min: p.activationMin,
    max: p.activationMax,
  });
  const w = new Int8Array(n * k4 * 4);
  for (let c = 0; c < n; c++) w.set(weights.subarray(c * k, (c + 1) * k), c * k4 * 4);
  const pre = ctx.prefix;
  const scratch = convScratchBytes(p);
  const decls = [
    cArray('int8_t', `${pre}_w`, w),
    cArray('int32_t', `${pre}_bias`, plan.bias),
    cRqArray(`${pre}_rq`, plan.records),
    cStruct('tinyml_conv2d_dsp_params', `${pre}_params`, {
      batches: p.batches,
      input_height: p.inputHeight,
      input_width: p.inputWidth,
      input_depth: p.inputDepth,
      filter_height: p.filterHeight,
      filter_width: p.filterWidth,
      stride_height: p.strideHeight,
      stride_width: p.strideWidth,
      dilation_height: p.dilationHeight,
      dilation_width: p.dilationWidth,
      pad_height: p.padHeight,
      pad_width: p.padWidth,
      output_height: p.outputHeight,
      output_width: p.outputWidth,
      output_depth: n,
      k4,
      pad_value: -p.inputOffset,
      mode: plan.mode,
      per_channel: plan.records.length > 1 ? 1 : 0,
      output_offset: p.outputOffset,
      activation_min: p.activationMin,
      activation_max: p.activationMax,
      bias: `${pre}_bias`,
      rq: `${pre}_rq`,
    }),
    scratchDecl(scratch),
  ].join('\n');
  const call = `${scratchCallPrefix()}\ntinyml_conv2d_s8_dsp(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${SCRATCH_NAME});`;
  return {
    kernels: ['arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/conv2d_dsp.h'],
    decls,
    call,
  };
}

export const conv2dDspVariant: KernelVariant = {
  name: 'conv2d_s8_dsp',
  op: 'CONV_2D',
  accepts,
  emitC,
};
