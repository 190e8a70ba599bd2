/**
 * ADD and SUB (int8, no broadcasting) on cores with Helium: firmware/kernels/mve/add_sub_mve.c.
 * The inputs' rescaling is tabulated per byte as for the DSP kernel (`rescaleTable`); the kernel
 * gathers four elements' entries at once and rescales the sums on four lanes.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { OpType } from '../../ir/attrs.js';
import type { AddSubParams, AddSubQuantParams } from '../add-sub.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import { cArray } from '../optimized/common.js';
import { rescaleTable } from '../optimized/add-sub.js';
import { cStructInit } from '../c-emit.js';
import { mveTarget } from './common.js';

/**
 * Not when optimizing for size (the two tables take 2 KB of flash per layer), and only with the
 * output shift TFLite's int8 ADD computes (<= 0: MultiplyByQuantizedMultiplierSmallerThanOneExp).
 */
function accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  const p = params as AddSubParams;
  return mveTarget(target) && optimize !== 'size' && p.kind === 'int8' && !p.broadcast && p.outputShift <= 0;
}

function makeEmit(type: 'ADD' | 'SUB') {
  return (params: unknown, names: EmitNames, ctx: EmitContext): CEmission => {
    const p = params as AddSubQuantParams;
    const pre = ctx.prefix;
    const decls = [
      cArray('int32_t', `${pre}_t1`, rescaleTable(p.input1Offset, p.leftShift, p.input1Multiplier, p.input1Shift, 1)),
      cArray('int32_t', `${pre}_t2`, rescaleTable(p.input2Offset, p.leftShift, p.input2Multiplier, p.input2Shift, type === 'ADD' ? 1 : -1)),
      cStructInit('tinyml_add_sub_mve_params', `${pre}_params`, {
        size: p.size,
        output_offset: p.outputOffset,
        activation_min: p.activationMin,
        activation_max: p.activationMax,
        output_multiplier: p.outputMultiplier,
        output_shift: p.outputShift,
        table1: `${pre}_t1`,
        table2: `${pre}_t2`,
      }),
    ].join('\n');
    return {
      kernels: ['mve/add_sub_mve.c', 'mve/add_sub_mve.h', 'mve/tinyml_mve.h'],
      includes: ['mve/add_sub_mve.h'],
      decls,
      call: `tinyml_add_sub_s8_mve(&${pre}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
    };
  };
}

function variant(op: 'ADD' | 'SUB'): KernelVariant {
  return { name: `${op.toLowerCase()}_s8_mve`, op: op as OpType, accepts, emitC: makeEmit(op) };
}

export const addMveVariant = variant('ADD');
export const subMveVariant = variant('SUB');
