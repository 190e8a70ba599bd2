/**
 * Registers the Helium (MVE) kernel variants ahead of the DSP ones (codegen imports this module
 * once): on cores with MVE they win; elsewhere they decline and the DSP or portable kernels
 * run.
 */
import { registerKernelVariants } from '../kernel-variants.js';
import { addMveVariant, subMveVariant } from './add-sub.js';
import { conv2dMveVariant } from './conv2d.js';
import { depthwiseConv2dMveVariant } from './depthwise-conv2d.js';
import { fullyConnectedMveVariant } from './fully-connected.js';
import { averagePool2dMveVariant, maxPool2dMveVariant } from './pool2d.js';

export const MVE_VARIANTS = [conv2dMveVariant, depthwiseConv2dMveVariant, fullyConnectedMveVariant, addMveVariant, subMveVariant, averagePool2dMveVariant, maxPool2dMveVariant];

registerKernelVariants(MVE_VARIANTS, { first: true });
