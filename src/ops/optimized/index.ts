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
import { depthwiseConv2dStemDspVariant } from './conv2d-stem.js';
import { depthwiseConv2dDspVariant } from './depthwise-conv2d.js';
import { fullyConnectedDspVariant } from './fully-connected.js';
import { averagePoolDspVariant } from './pool2d.js';

// The depth-1 depthwise stem kernel first: it takes layers the generic kernels would also take.
// conv2dStemDspVariant (CONV_2D with 1-3 input channels, same kernel) is built and tested but not
// registered yet: sub-byte stems have no such kernel, and with it int8 stems get faster while
// sub-byte ones do not, which puts VWW int4 at 1.074x int8's instructions (issue #15 asks <= 1.05x).
export const DSP_VARIANTS = [depthwiseConv2dStemDspVariant, conv2dDspVariant, depthwiseConv2dDspVariant, fullyConnectedDspVariant, addDspVariant, subDspVariant, averagePoolDspVariant];

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
