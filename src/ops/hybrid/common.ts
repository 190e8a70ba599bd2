/**
 * What the hybrid (dynamic-range) layers share: recognising one (float activations, int8
 * weights), the weights' scales, and the C declarations of their float constants.
 */
import { GraphError, UnsupportedOpError } from '../../errors.js';
import type { Tensor, TensorData } from '../../ir/types.js';
import { filterScales, floatActivationRange, opLabel } from '../layer-params.js';
import type { KernelVariant } from '../kernel-variants.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from '../op-def.js';
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

type HybridOp = 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED';
type Kernel<P> = (params: P, inputs: (TensorData | undefined)[], outputs: TensorData[]) => void;

/**
 * prepare, evaluate, reference and emitC of a layer TFLite also runs hybrid: hybrid layers
 * (isHybridLayer) go to their ops/hybrid/ form, whose C comes from the hybrid kernel variant;
 * all others to the layer's own int and float forms.
 */
export function withHybridForm<T extends HybridOp, P extends object, H extends { kind: 'hybrid' }>(
  own: { prepare(ctx: OpContext<T>): P; evaluate: Kernel<P>; reference: Kernel<P>; emitC(params: P, names: EmitNames, ctx: EmitContext): CEmission },
  hybrid: { prepare(ctx: OpContext<T>): H; evaluate: Kernel<H> },
): Pick<OpDef<T, P | H>, 'prepare' | 'evaluate' | 'reference' | 'emitC'> {
  const isHybrid = (p: P | H): p is H => (p as { kind?: string }).kind === 'hybrid';
  return {
    prepare: (ctx) => (isHybridLayer(ctx) ? hybrid.prepare(ctx) : own.prepare(ctx)),
    evaluate: (p, inputs, outputs) => (isHybrid(p) ? hybrid.evaluate(p, inputs, outputs) : own.evaluate(p, inputs, outputs)),
    reference: (p, inputs, outputs) => (isHybrid(p) ? hybrid.evaluate(p, inputs, outputs) : own.reference(p, inputs, outputs)),
    emitC: (p, names, ctx) => (isHybrid(p) ? noPortableHybridKernel(ctx) : own.emitC(p, names, ctx)),
  };
}

/** A hybrid layer's kernel variant: it takes the layers whose params have kind 'hybrid', on every target. */
export function hybridVariant<P>(
  kernel: 'conv2d' | 'depthwise_conv2d' | 'fully_connected',
  op: HybridOp,
  emitC: (params: P, names: EmitNames, ctx: EmitContext) => CEmission,
  scratchBytes: (params: P) => number,
): KernelVariant {
  return {
    name: `hybrid_${kernel}`,
    op,
    accepts: (params) => (params as { kind?: string }).kind === 'hybrid',
    emitC: (params, names, ctx) => emitC(params as P, names, ctx),
    scratchBytes: (params) => scratchBytes(params as P),
  };
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

/**
 * The float fields every hybrid layer's params have: the weights' scales (checked by
 * hybridWeightScales, along `channelDim`) and the fused activation's float clamp.
 */
export function hybridFloatFields(
  ctx: OpContext<HybridOp>,
  channelDim: number,
  channels: number,
): { weightScales: number[]; activationMin: number; activationMax: number } {
  const [, weights, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  const weightScales = hybridWeightScales(ctx, weights, bias, channelDim, channels);
  const r = floatActivationRange(ctx.op.attrs.activation);
  return { weightScales, activationMin: r.min, activationMax: r.max };
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
