/**
 * The registry of optimized kernel variants. Variants (per op, per core; ops/optimized/) register
 * here with a predicate over the op's params and the target; the first that accepts wins, and
 * the op's own portable `emitC` is the fallback (codegen/select-kernel.ts makes that choice).
 * It lives with the ops, not in codegen, because the variants are op code: codegen reads this
 * registry, the ops never import codegen. Every variant must compute exactly what the portable
 * kernel computes from the same params.
 */
import type { OpType } from '../ir/attrs.js';
import type { TensorData } from '../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from './op-def.js';

export interface KernelVariant {
  /** Short name shown in reports, e.g. "conv2d_1x1_s8_dsp". */
  name: string;
  op: OpType;
  /** Whether the variant takes this layer; with optimize 'size', only if that costs no flash. */
  accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean;
  emitC(params: unknown, names: EmitNames, ctx: EmitContext): CEmission;
  /**
   * Bytes of scratch `emitC` will ask for (`ctx.scratch`) given the same constant operands and
   * optimize goal (0: none). Without `constants`, what the optimized kernel needs whatever the
   * weights.
   */
  scratchBytes?(params: unknown, constants?: (TensorData | undefined)[], optimize?: OptimizeGoal): number;
  /**
   * When the variant can write the layer's output over its input 0 (`ctx.inPlace`): the scratch
   * it then needs, given the same constant operands; undefined (or absent) when it cannot.
   */
  inPlaceScratchBytes?(params: unknown, constants?: (TensorData | undefined)[]): number | undefined;
  /**
   * The most scratch a faster form of the kernel can put to use (more than it announces) running
   * in place or not (`inPlace`), where the arena has free bytes at that layer: the planner gives
   * the layer up to that much of its step's slack and no more (plan/memory-plan.ts
   * growScratchIntoRoom, never growing the arena), and `emitC` sees what it got as
   * `ctx.scratchBytes`. Absent or undefined: the announced scratch is all it uses.
   */
  scratchRoomBytes?(params: unknown, constants: (TensorData | undefined)[] | undefined, optimize: OptimizeGoal | undefined, inPlace: boolean): number | undefined;
  /**
   * Whether the variant can also run in place with no scratch at all (`ctx.tightInPlace`), at a
   * cost in instructions (`tightInPlaceExtraInstructions`, modelled): absent when it cannot.
   */
  tightInPlaceOk?(params: unknown, constants?: (TensorData | undefined)[]): boolean;
  /** Modelled extra instructions of that tight form over the in-place one. */
  tightInPlaceExtraInstructions?(params: unknown): number;
}

const VARIANTS: KernelVariant[] = [];

export function registerKernelVariants(variants: KernelVariant[], options: { first?: boolean } = {}): void {
  if (options.first) VARIANTS.unshift(...variants);
  else VARIANTS.push(...variants);
}

/** The first registered variant of `op` that accepts these params on `target`, if any. */
export function findKernelVariant(op: OpType, params: unknown, target: TargetInfo, optimize: OptimizeGoal = 'speed'): KernelVariant | undefined {
  return VARIANTS.find((v) => v.op === op && v.accepts(params, target, optimize));
}
