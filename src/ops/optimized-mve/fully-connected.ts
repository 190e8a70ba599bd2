/**
 * FULLY_CONNECTED (int8) on cores with Helium: each input row is one pixel of a 1x1 convolution
 * with K = input depth, so the layer runs firmware/kernels/mve/conv2d_mve.c's direct path (four
 * output units per step, VMLADAVA over 16 inputs, vector requantization; no scratch). The
 * reference's requantization is the same as CONV_2D's (MultiplyByQuantizedMultiplier, output
 * offset, clamp), so the conv kernel computes it bit for bit.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { FullyConnectedParams, FullyConnectedQuantParams } from '../fully-connected.js';
import { fullyConnected } from '../fully-connected.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../op-def.js';
import { emitWithConstants, weightRows } from '../optimized/common.js';
import { type MveLayer, emitMve, mveTarget } from './common.js';
import { mveWeightLayout } from './conv2d.js';

/** The layer as a 1x1 convolution over a column of `batches` pixels of depth K. */
export function fcAsPointwise(p: FullyConnectedQuantParams): MveLayer {
  return {
    ...p,
    batches: 1,
    inputHeight: p.batches,
    inputWidth: 1,
    inputDepth: p.inputDepth,
    filterHeight: 1,
    filterWidth: 1,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padHeight: 0,
    padWidth: 0,
    outputHeight: p.batches,
    outputWidth: 1,
  };
}

function accepts(params: unknown, target: TargetInfo): boolean {
  const p = params as FullyConnectedParams;
  return mveTarget(target) && p.kind === 'int8' && p.weightsOffset === 0;
}

function emitFullyConnectedMve(p: FullyConnectedQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const k = p.inputDepth;
  const n = p.outputDepth;
  return emitMve('conv2d', fcAsPointwise(p), weights, bias, weightRows(k), mveWeightLayout(weights, n, k), { output_depth: n, k }, names, ctx, '((void *)0)');
}

export const fullyConnectedMveVariant: KernelVariant = {
  name: 'fully_connected_s8_mve',
  op: 'FULLY_CONNECTED',
  accepts,
  emitC: emitWithConstants(fullyConnected, emitFullyConnectedMve),
  scratchBytes: () => 0,
};
