/**
 * FULLY_CONNECTED (int8) on cores with the DSP extension: firmware/kernels/arm/fully_connected_dsp.c.
 * Weights are interleaved four rows at a time at generation time (rows padded to a multiple of
 * 4), the input offset is folded into the bias and requantization constants precomputed.
 */
import type { KernelVariant } from '../../codegen/select-kernel.js';
import type { FullyConnectedParams, FullyConnectedQuantParams } from '../fully-connected.js';
import { fullyConnected } from '../fully-connected.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import { accBounds, modeSuffix, cArray, cRqArray, cStruct, dspTarget, foldBias, planRequant, SCRATCH_NAME, scratchCallPrefix, scratchDecl } from './common.js';

function accepts(params: unknown, target: TargetInfo): boolean {
  const p = params as FullyConnectedParams;
  return dspTarget(target) && p.kind === 'int8' && p.weightsOffset === 0;
}

/** Rows in groups of four, word-interleaved; the remaining rows after them, each contiguous. */
export function fcWeightLayout(weights: Int8Array, n: number, k: number, k4: number): Int8Array {
  const out = new Int8Array(n * k4 * 4);
  const groups = Math.floor(n / 4);
  let o = 0;
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < k4; j++) {
      for (let r = 0; r < 4; r++) {
        const row = 4 * g + r;
        for (let i = 0; i < 4; i++) {
          const col = 4 * j + i;
          out[o++] = col < k ? weights[row * k + col] : 0;
        }
      }
    }
  }
  for (let row = groups * 4; row < n; row++) {
    for (let col = 0; col < k4 * 4; col++) out[o++] = col < k ? weights[row * k + col] : 0;
  }
  return out;
}

function emitC(params: unknown, names: EmitNames, ctx: EmitContext): CEmission {
  const p = params as FullyConnectedQuantParams;
  const weights = ctx.constants?.[1] as Int8Array | undefined;
  const bias = p.hasBias ? ctx.constants?.[2] : undefined;
  if (!weights || (p.hasBias && !bias)) return fullyConnected.emitC!(p, names, ctx);
  const n = p.outputDepth;
  const k = p.inputDepth;
  const k4 = Math.ceil(k / 4);
  const rowSum = (c: number): number => {
    let s = 0;
    for (let i = 0; i < k; i++) s += weights[c * k + i];
    return s;
  };
  const biasPrime = foldBias(bias, n, p.inputOffset, rowSum);
  const bounds = biasPrime.map((b, c) => accBounds(b, weights, c * k, k));
  const plan = planRequant(p.outputMultiplier, p.outputShift, p.perChannel, p.outputOffset, biasPrime, bounds);
  const pre = ctx.prefix;
  const fn = modeSuffix(plan.mode, p.activationMin, p.activationMax);
  const decls = [
    cArray('int8_t', `${pre}_w`, fcWeightLayout(weights, n, k, k4)),
    cArray('int32_t', `${pre}_bias`, plan.bias),
    cRqArray(`${pre}_rq`, plan.records),
    cStruct('tinyml_fully_connected_dsp_params', `${pre}_params`, {
      batches: p.batches,
      input_depth: k,
      output_depth: n,
      k4,
      per_channel: plan.records.length > 1 ? 1 : 0,
      output_offset: p.outputOffset,
      activation_min: p.activationMin,
      activation_max: p.activationMax,
      bias: `${pre}_bias`,
      rq: `${pre}_rq`,
    }),
    scratchDecl(k4 * 8),
  ].join('\n');
  return {
    kernels: ['arm/fully_connected_dsp.c', 'arm/fully_connected_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/fully_connected_dsp.h'],
    decls,
    call: `${scratchCallPrefix()}\ntinyml_fully_connected_s8_dsp_${fn}(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${SCRATCH_NAME});`,
  };
}

export const fullyConnectedDspVariant: KernelVariant = {
  name: 'fully_connected_s8_dsp',
  op: 'FULLY_CONNECTED',
  accepts,
  emitC,
};
