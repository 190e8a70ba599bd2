/**
 * ADD and SUB (int8, no broadcasting) on cores with the DSP extension:
 * firmware/kernels/arm/add_sub_dsp.c. Each input's rescaling (re-centre, shift left, multiply,
 * round) depends on its byte alone, so it is tabulated here for all 256 bytes; the kernel adds
 * two table entries and requantizes once.
 */
import type { KernelVariant } from '../kernel-variants.js';
import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../../fixedpoint.js';
import type { OpType } from '../../ir/attrs.js';
import type { AddSubParams, AddSubQuantParams } from '../add-sub.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import { cArray, dspTarget, modeSuffix, planRequant } from './common.js';
import { cStructInit } from '../c-emit.js';

/** Not when optimizing for size: the two tables take 2 KB of flash per layer. */
function accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  const p = params as AddSubParams;
  return dspTarget(target) && optimize !== 'size' && p.kind === 'int8' && !p.broadcast;
}

/** Rescaled input value for every byte, indexed by the unsigned byte (as the kernel reads it). */
export function rescaleTable(offset: number, leftShift: number, multiplier: number, shift: number, sign: number): number[] {
  const table: number[] = [];
  for (let u = 0; u < 256; u++) {
    const q = u < 128 ? u : u - 256;
    const v = roundingDivideByPOT(saturatingRoundingDoublingHighMul((q + offset) * 2 ** leftShift, multiplier), -shift);
    table.push(sign * v);
  }
  return table;
}

function makeEmit(type: 'ADD' | 'SUB') {
  return (params: unknown, names: EmitNames, ctx: EmitContext): CEmission => {
    const p = params as AddSubQuantParams;
    const t1 = rescaleTable(p.input1Offset, p.leftShift, p.input1Multiplier, p.input1Shift, 1);
    const t2 = rescaleTable(p.input2Offset, p.leftShift, p.input2Multiplier, p.input2Shift, type === 'ADD' ? 1 : -1);
    const ext = (t: number[]) => ({ min: Math.min(...t), max: Math.max(...t) });
    const b1 = ext(t1);
    const b2 = ext(t2);
    const plan = planRequant([p.outputMultiplier], [p.outputShift], false, p.outputOffset, [0], [{ min: b1.min + b2.min, max: b1.max + b2.max }], {
      min: p.activationMin,
      max: p.activationMax,
    });
    const scale = plan.doubled ? 2 : 1;
    const pre = ctx.prefix;
    const [m, t, e] = plan.records[0];
    const decls = [
      cArray('int32_t', `${pre}_t1`, t1.map((v) => v * scale)),
      cArray('int32_t', `${pre}_t2`, t2.map((v) => v * scale)),
      cStructInit('tinyml_add_sub_dsp_params', `${pre}_params`, {
        size: p.size,
        output_offset: p.outputOffset,
        activation_min: p.activationMin,
        activation_max: p.activationMax,
        rq: `{${m}, ${t}, ${e}}`,
        table1: `${pre}_t1`,
        table2: `${pre}_t2`,
      }),
    ].join('\n');
    const fn = `tinyml_add_sub_s8_dsp_${modeSuffix(plan.mode, p.activationMin, p.activationMax, p.outputOffset)}`;
    return {
      kernels: ['arm/add_sub_dsp.c', 'arm/add_sub_dsp.h', 'arm/tinyml_dsp.h'],
      includes: ['arm/add_sub_dsp.h'],
      decls,
      call: `${fn}(&${pre}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
    };
  };
}

/**
 * The kernel reads element i of both inputs before it writes element i of the output and walks
 * forward, so the output may share input 0's buffer (same offset, no scratch): a residual ADD
 * then needs no third tensor (issue #20).
 */
const inPlaceScratchBytes = (): number => 0;

function variant(op: 'ADD' | 'SUB'): KernelVariant {
  return { name: `${op.toLowerCase()}_s8_dsp`, op: op as OpType, accepts, emitC: makeEmit(op), inPlaceScratchBytes };
}

export const addDspVariant = variant('ADD');
export const subDspVariant = variant('SUB');
