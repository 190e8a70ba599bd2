/**
 * What the hybrid (dynamic-range) layers share: recognising one (float activations, int8
 * weights), the weights' scales, and the C declarations of their float constants.
 */
import { GraphError, UnsupportedOpError } from '../../errors.js';
import type { Tensor } from '../../ir/types.js';
import { filterScales, opLabel } from '../layer-params.js';
import type { EmitContext, OpContext } from '../op-def.js';

/**
 * The op's portable emitC given hybrid params: a bug in the caller, since hybrid layers lower
 * through their kernel variant (registered by ops/hybrid/index.ts, which codegen imports).
 */
export function noPortableHybridKernel(ctx: EmitContext): never {
  throw new Error(`${ctx.prefix}: a hybrid layer has no portable kernel; its C comes from the hybrid kernel variant (import ops/hybrid/index.js)`);
}

/** Float input and output with int8 weights (input 1): TFLite's hybrid kernels take these. */
export function isHybridLayer(ctx: OpContext): boolean {
  const [input, weights] = ctx.inputs;
  return input?.dtype === 'float32' && weights?.dtype === 'int8' && ctx.outputs[0]?.dtype === 'float32';
}

/**
 * The weights' float32 scales (one, or one per output channel along `channelDim`) after checking
 * the bias is float32 or absent.
 */
export function hybridWeightScales(ctx: OpContext, weights: Tensor, bias: Tensor | undefined, channelDim: number, channels: number): number[] {
  if (bias && bias.dtype !== 'float32') {
    throw new UnsupportedOpError(`${opLabel(ctx)}: a hybrid layer (float input, int8 weights) needs a float32 bias, got ${bias.dtype}`);
  }
  const scales = filterScales(ctx, weights, channelDim, channels).map((s) => Math.fround(s));
  if (scales.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new GraphError(`${opLabel(ctx)}: weights '${weights.name}' have a scale that is not a positive finite number`);
  }
  const zp = weights.quant?.zeroPoint ?? [];
  if (zp.some((z) => z !== 0)) {
    throw new UnsupportedOpError(`${opLabel(ctx)}: hybrid weights '${weights.name}' must be symmetric (zero point 0), as TFLite's hybrid kernels assume`);
  }
  return scales;
}
