/**
 * Registers the optimized kernel variants with the kernel selection seam. Importing this module
 * once (from codegen) is all it takes; every variant accepts only targets with the DSP extension,
 * so Cortex-M3 and host builds keep the portable kernels.
 */
import { registerKernelVariants } from '../../codegen/select-kernel.js';
import { addDspVariant, subDspVariant } from './add-sub.js';
import { conv2dDspVariant } from './conv2d.js';
import { depthwiseConv2dDspVariant } from './depthwise-conv2d.js';
import { fullyConnectedDspVariant } from './fully-connected.js';

export const DSP_VARIANTS = [conv2dDspVariant, depthwiseConv2dDspVariant, fullyConnectedDspVariant, addDspVariant, subDspVariant];

let registered = false;
if (!registered) {
  registered = true;
  registerKernelVariants(DSP_VARIANTS);
}
