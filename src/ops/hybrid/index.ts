/**
 * Registers the hybrid (dynamic-range) kernels with the kernel selection seam: they take the
 * layers whose params have kind 'hybrid' (float activations, int8 weights) on every target.
 * Codegen imports this module once, as it does ops/optimized/.
 */
import { registerKernelVariants } from '../kernel-variants.js';
import { hybridConv2dVariant } from './conv2d.js';
import { hybridDepthwiseConv2dVariant } from './depthwise-conv2d.js';
import { hybridFullyConnectedVariant } from './fully-connected.js';

export const HYBRID_VARIANTS = [hybridConv2dVariant, hybridDepthwiseConv2dVariant, hybridFullyConnectedVariant];

registerKernelVariants(HYBRID_VARIANTS);
