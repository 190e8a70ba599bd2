/**
 * Kernel selection: the seam between an op and the C that runs it. Optimized variants (per op,
 * per core) register here with a predicate over the op's params and the target; the first that
 * accepts wins, and the op's own portable `emitC` is the fallback. Every variant must compute
 * exactly what the portable kernel computes from the same params.
 */
import { UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { PreparedStep } from '../interp/interpreter.js';
import type { TensorData } from '../ir/types.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../ops/op-def.js';

export interface KernelVariant {
  /** Short name shown in reports, e.g. "conv2d_1x1_s8_dsp". */
  name: string;
  op: OpType;
  accepts(params: unknown, target: TargetInfo): boolean;
  emitC(params: unknown, names: EmitNames, ctx: EmitContext): CEmission;
  /**
   * Bytes of scratch `emitC` will ask for (`ctx.scratch`) given the same constant operands (0:
   * none). Without `constants`, what the optimized kernel needs whatever the weights.
   */
  scratchBytes?(params: unknown, constants?: (TensorData | undefined)[]): number;
}

const VARIANTS: KernelVariant[] = [];

export function registerKernelVariants(variants: KernelVariant[]): void {
  VARIANTS.push(...variants);
}

/** Which kernel a step lowers to for `target`: a variant's name, or "portable". */
export function selectedKernelName(step: PreparedStep, target: TargetInfo): string {
  return VARIANTS.find((v) => v.op === step.op.type && v.accepts(step.params, target))?.name ?? 'portable';
}

/**
 * Bytes of scratch the kernel `emitLayer` picks for this step needs while the step runs (0:
 * none), given the constant operands by input position. The memory planner places that much in
 * the arena for the step alone and the generator passes it as `ctx.scratch`.
 */
export function layerScratchBytes(step: PreparedStep, target: TargetInfo, constants: (TensorData | undefined)[]): number {
  const variant = VARIANTS.find((v) => v.op === step.op.type && v.accepts(step.params, target));
  if (variant) return variant.scratchBytes?.(step.params, constants) ?? 0;
  return step.def.scratchBytes?.(step.params) ?? 0;
}

export function emitLayer(step: PreparedStep, names: EmitNames, ctx: EmitContext & { target: TargetInfo }): CEmission {
  const variant = VARIANTS.find((v) => v.op === step.op.type && v.accepts(step.params, ctx.target));
  if (variant) return variant.emitC(step.params, names, ctx);
  if (!step.def.emitC) throw new UnsupportedOpError(`op #${step.op.index} ${step.op.type}: no C kernel for this op`);
  return step.def.emitC(step.params, names, ctx);
}

