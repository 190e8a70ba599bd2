/**
 * Kernel selection: the seam between an op and the C that runs it. Optimized variants (per op,
 * per core) register here with a predicate over the op's params and the target; the first that
 * accepts wins, and the op's own portable `emitC` is the fallback. Every variant must compute
 * exactly what the portable kernel computes from the same params.
 */
import { UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { PreparedStep } from '../interp/interpreter.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../ops/op-def.js';

export interface KernelVariant {
  /** Short name shown in reports, e.g. "conv2d_1x1_s8_dsp". */
  name: string;
  op: OpType;
  /** Whether the variant takes this layer; with optimize 'size', only if that costs no flash. */
  accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean;
  emitC(params: unknown, names: EmitNames, ctx: EmitContext): CEmission;
}

const VARIANTS: KernelVariant[] = [];

export function registerKernelVariants(variants: KernelVariant[]): void {
  VARIANTS.push(...variants);
}

/** Which kernel a step lowers to for `target`: a variant's name, or "portable". */
export function selectedKernelName(step: PreparedStep, target: TargetInfo, optimize: OptimizeGoal = 'speed'): string {
  return VARIANTS.find((v) => v.op === step.op.type && v.accepts(step.params, target, optimize))?.name ?? 'portable';
}

export function emitLayer(step: PreparedStep, names: EmitNames, ctx: EmitContext & { target: TargetInfo }): CEmission {
  const variant = VARIANTS.find((v) => v.op === step.op.type && v.accepts(step.params, ctx.target, ctx.optimize));
  if (variant) return variant.emitC(step.params, names, ctx);
  if (!step.def.emitC) throw new UnsupportedOpError(`op #${step.op.index} ${step.op.type}: no C kernel for this op`);
  return step.def.emitC(step.params, names, ctx);
}

