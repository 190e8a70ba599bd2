/**
 * AVERAGE_POOL_2D (int8) on cores with the DSP extension: firmware/kernels/arm/pool2d_dsp.c, the
 * portable kernel's params, four channels' window sums per step in int16 halves.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { OpType } from '../../ir/attrs.js';
import { averagePool2d, type Pool2DParams } from '../pool2d.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import { dspTarget } from './common.js';

/** Most taps a window may have: their int8 sum must fit the kernel's int16 halves (256 * -128). */
export const POOL_DSP_MAX_TAPS = 256;

/** Not with --optimize size: the portable kernel, already linked for other layers, is smaller. */
function accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  const p = params as Pool2DParams;
  return dspTarget(target) && optimize !== 'size' && p.kind === 'int8' && p.filterH * p.filterW <= POOL_DSP_MAX_TAPS;
}

function emitC(params: unknown, names: EmitNames, ctx: EmitContext): CEmission {
  const portable = averagePool2d.emitC!(params as Pool2DParams, names, ctx);
  return {
    kernels: ['arm/pool2d_dsp.c', 'arm/pool2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/pool2d_dsp.h'],
    decls: portable.decls,
    call: portable.call.replace('tinyml_average_pool2d_s8(', 'tinyml_average_pool2d_s8_dsp('),
  };
}

export const averagePoolDspVariant: KernelVariant = { name: 'average_pool2d_s8_dsp', op: 'AVERAGE_POOL_2D' as OpType, accepts, emitC };
