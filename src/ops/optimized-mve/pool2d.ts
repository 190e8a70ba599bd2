/**
 * AVERAGE_POOL_2D and MAX_POOL_2D (int8) on cores with Helium: firmware/kernels/mve/pool2d_mve.c,
 * on the portable kernels' params (the same emission, another entry point). Average pooling
 * sums in int16 lanes, so it takes windows of at most TINYML_POOL_MVE_MAX_TAPS taps.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { OpType } from '../../ir/attrs.js';
import { averagePool2d, maxPool2d, type Pool2DParams } from '../pool2d.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import { mveTarget } from './common.js';

/** firmware/kernels/mve/pool2d_mve.h's TINYML_POOL_MVE_MAX_TAPS. */
export const POOL_MVE_MAX_TAPS = 256;

function variant(op: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'): KernelVariant {
  const def = op === 'AVERAGE_POOL_2D' ? averagePool2d : maxPool2d;
  const fn = op === 'AVERAGE_POOL_2D' ? 'tinyml_average_pool2d_s8' : 'tinyml_max_pool2d_s8';
  return {
    name: `${op === 'AVERAGE_POOL_2D' ? 'average' : 'max'}_pool2d_s8_mve`,
    op: op as OpType,
    accepts: (params: unknown, target: TargetInfo) => {
      const p = params as Pool2DParams;
      return mveTarget(target) && p.kind === 'int8' && (op === 'MAX_POOL_2D' || p.filterH * p.filterW <= POOL_MVE_MAX_TAPS);
    },
    emitC: (params: unknown, names: EmitNames, ctx: EmitContext): CEmission => {
      const portable = def.emitC!(params as Pool2DParams, names, ctx);
      return {
        kernels: ['mve/pool2d_mve.c', 'mve/pool2d_mve.h', 'mve/tinyml_mve.h'],
        includes: ['mve/pool2d_mve.h'],
        decls: portable.decls,
        call: portable.call.replace(`${fn}(`, `${fn}_mve(`),
      };
    },
  };
}

export const averagePool2dMveVariant = variant('AVERAGE_POOL_2D');
export const maxPool2dMveVariant = variant('MAX_POOL_2D');
