/**
 * Registers the optimized kernel variants with the kernel selection seam (codegen imports this
 * module once). Every variant accepts only targets with the DSP extension, so Cortex-M3 and host
 * builds keep the portable kernels.
 */
import { registerKernelVariants } from '../kernel-variants.js';
import type { OpType } from '../../ir/attrs.js';
import type { TensorData } from '../../ir/types.js';
import type { OptimizeGoal, TargetInfo } from '../op-def.js';
import { addDspVariant, subDspVariant } from './add-sub.js';
import { conv2dDspVariant } from './conv2d.js';
import { conv2dStemDspVariant, depthwiseConv2dStemDspVariant } from './conv2d-stem.js';
import { depthwiseConv2dDspVariant } from './depthwise-conv2d.js';
import { fullyConnectedDspVariant } from './fully-connected.js';
import { averagePoolDspVariant } from './pool2d.js';

// The stem kernels first (CONV_2D with 1-3 input channels, DEPTHWISE_CONV_2D with input depth 1):
// they take layers the generic kernels would also take. Sub-byte first layers run the same kernel
// on weights decoded once per call (ops/subbyte/stem.ts), so the sub-byte-vs-int8 ratios of
// issue #15 hold with it.
export const DSP_VARIANTS = [depthwiseConv2dStemDspVariant, conv2dStemDspVariant, conv2dDspVariant, depthwiseConv2dDspVariant, fullyConnectedDspVariant, addDspVariant, subDspVariant, averagePoolDspVariant];

registerKernelVariants(DSP_VARIANTS);

/**
 * Bytes of scratch the DSP variant for this layer needs (0 when no DSP variant takes it or it
 * needs none): what the memory planner places in the arena for the layer and the generator
 * passes as `ctx.scratch`. With the layer's constant operands it is exact; without them it is
 * what the DSP kernel needs whatever the weights (for the fully connected layer: either layout).
 */
export function dspScratchBytes(op: OpType, params: unknown, target: TargetInfo, constants?: (TensorData | undefined)[], optimize?: OptimizeGoal): number {
  const variant = DSP_VARIANTS.find((v) => v.op === op && v.accepts(params, target, optimize));
  return variant?.scratchBytes?.(params, constants, optimize) ?? 0;
}
