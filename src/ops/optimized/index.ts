/**
 * Registers the optimized kernel variants with the kernel selection seam (codegen imports this
 * module once). Every variant accepts only targets with the DSP extension, so Cortex-M3 and host
 * builds keep the portable kernels.
 */
import { registerKernelVariants } from '../kernel-variants.js';
import type { OpType } from '../../ir/attrs.js';
import type { DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import type { FullyConnectedQuantParams } from '../fully-connected.js';
import type { Conv2DQuantParams } from '../conv2d.js';
import type { OptimizeGoal, TargetInfo } from '../op-def.js';
import { addDspVariant, subDspVariant } from './add-sub.js';
import { conv2dDspVariant, convScratchBytes } from './conv2d.js';
import { depthwiseConv2dDspVariant, dwAsConv, dwScratchBytes } from './depthwise-conv2d.js';
import { FC_MAX_ROW_SCRATCH, fcScratchBytes, fullyConnectedDspVariant } from './fully-connected.js';

export const DSP_VARIANTS = [conv2dDspVariant, depthwiseConv2dDspVariant, fullyConnectedDspVariant, addDspVariant, subDspVariant];

registerKernelVariants(DSP_VARIANTS);

/**
 * Bytes of scratch the DSP variant for this layer needs (0 when no DSP variant takes it or it
 * needs none), for a generator that plans scratch itself and passes it as `scratch` (a C
 * expression, word aligned) in the EmitContext. Without that, the variants share one static
 * buffer in tinyml_invoke.
 */
export function dspScratchBytes(op: OpType, params: unknown, target: TargetInfo, optimize?: OptimizeGoal): number {
  const variant = DSP_VARIANTS.find((v) => v.op === op && v.accepts(params, target, optimize));
  if (!variant) return 0;
  switch (op) {
    case 'CONV_2D':
      return convScratchBytes(params as Conv2DQuantParams);
    case 'DEPTHWISE_CONV_2D': {
      const p = params as DepthwiseConv2DQuantParams;
      return p.inputDepth === 1 ? convScratchBytes(dwAsConv(p)) : dwScratchBytes(p);
    }
    case 'FULLY_CONNECTED': {
      // Enough for either weight layout.
      const p = params as FullyConnectedQuantParams;
      const nibble = fcScratchBytes(p.inputDepth, p.outputDepth, true);
      return Math.max(fcScratchBytes(p.inputDepth, p.outputDepth, false), nibble <= FC_MAX_ROW_SCRATCH ? nibble : 0);
    }
    default:
      return 0;
  }
}
