import type { KernelVariant } from '../kernel-variants.js';

export const SUBBYTE_DSP_VARIANTS: KernelVariant[] = [];
