/**
 * What the hybrid (dynamic-range) layers share: recognising one (float activations, int8
 * weights), the weights' scales, and the C declarations of their float constants.
 */
import { GraphError, UnsupportedOpError } from '../../errors.js';
import type { Tensor } from '../../ir/types.js';
import { filterScales, opLabel } from '../layer-params.js';
import type { CEmission, EmitContext, EmitNames, OpContext } from '../op-def.js';
import { cFloat } from '../elementwise-util.js';
import { cFloatArray, cPointer, cStructInit } from '../c-emit.js';
import { scratchArg } from '../scratch.js';

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

/** What every hybrid layer's emission needs besides its geometry. */
export interface HybridEmitParams {
  weightScales: readonly number[];
  hasBias: boolean;
  activationMin: number;
  activationMax: number;
}

/**
 * One hybrid layer's C: its weight scales, `tinyml_hybrid_<kernel>_params` (the geometry fields,
 * then the scales and the float clamp), and the call `tinyml_hybrid_<kernel>(&params, input,
 * weights, bias or NULL, output, scratch)` with the planned scratch.
 */
export function emitHybridLayer(
  kernel: 'conv2d' | 'depthwise_conv2d' | 'fully_connected',
  p: HybridEmitParams,
  geometry: Record<string, string | number>,
  scratchBytes: number,
  extraFiles: readonly string[],
  names: EmitNames,
  ctx: EmitContext,
): CEmission {
  const scratch = scratchArg(ctx, 'void', scratchBytes, `hybrid_${kernel}`);
  const decls = [
    cFloatArray(`${ctx.prefix}_wscale`, p.weightScales),
    cStructInit(`tinyml_hybrid_${kernel}_params`, `${ctx.prefix}_params`, {
      ...geometry,
      weight_scales: `${ctx.prefix}_wscale`,
      activation_min: cFloat(p.activationMin),
      activation_max: cFloat(p.activationMax),
    }),
  ].join('\n');
  const args = [`&${ctx.prefix}_params`, names.inputs[0], names.inputs[1], cPointer(p.hasBias ? names.inputs[2] : undefined), names.outputs[0], scratch];
  return {
    kernels: [`hybrid_${kernel}.c`, 'hybrid_quantize.c', ...extraFiles],
    includes: [`hybrid_${kernel}.h`],
    decls,
    call: `  tinyml_hybrid_${kernel}(${args.join(', ')});`,
  };
}
