/**
 * Registers the sub-byte weight kernels (layers whose params carry `weightEncoding`, set by
 * prepare when the constant weights are stored int4, int2, ternary or binary) ahead of every
 * other variant: the int8 variants would read the weights as int8 arrays. Codegen imports this
 * module once, as it does ops/optimized/.
 */
import { registerKernelVariants, type KernelVariant } from '../kernel-variants.js';
import type { OpType } from '../../ir/attrs.js';
import { conv2d } from '../conv2d.js';
import { depthwiseConv2d } from '../depthwise-conv2d.js';
import { fullyConnected } from '../fully-connected.js';
import type { OpDef } from '../op-def.js';
import { emitPortableSubByte } from './portable.js';
import { SUBBYTE_DSP_VARIANTS } from './dsp.js';
import { SUBBYTE_STEM_VARIANTS } from './stem.js';
import { subByteParamsKind } from './common.js';

export { subByteParamsKind } from './common.js';

function portableVariant(op: OpType, def: OpDef<OpType, unknown>, name: string): KernelVariant {
  return {
    name,
    op,
    accepts: (params) => subByteParamsKind(params) !== undefined,
    emitC: (params, names, ctx) => emitPortableSubByte(def, subByteParamsKind(params)!, params, names, ctx),
    scratchBytes: () => 0,
  };
}

// The stem twins first: they take first layers the generic sub-byte kernels would also take.
export const SUBBYTE_VARIANTS: KernelVariant[] = [
  ...SUBBYTE_STEM_VARIANTS,
  ...SUBBYTE_DSP_VARIANTS,
  portableVariant('CONV_2D', conv2d as unknown as OpDef<OpType, unknown>, 'conv2d_s8_subbyte'),
  portableVariant('DEPTHWISE_CONV_2D', depthwiseConv2d as unknown as OpDef<OpType, unknown>, 'depthwise_conv2d_s8_subbyte'),
  portableVariant('FULLY_CONNECTED', fullyConnected as unknown as OpDef<OpType, unknown>, 'fully_connected_s8_subbyte'),
];

registerKernelVariants(SUBBYTE_VARIANTS, { first: true });
