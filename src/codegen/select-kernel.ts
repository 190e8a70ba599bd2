/**
 * Kernel selection: the seam between an op and the C that runs it. The first registered
 * optimized variant (ops/kernel-variants.ts) that accepts the op's params on the target wins;
 * the op's own portable `emitC` is the fallback.
 */
import { UnsupportedOpError } from '../errors.js';
import type { PreparedStep } from '../interp/interpreter.js';
import type { TensorData } from '../ir/types.js';
import type { LutEncoding } from '../ir/weight-encoding.js';
import { findKernelVariant } from '../ops/kernel-variants.js';
import { emitLutLayer, lutInPlaceScratchBytes, lutScratchBytes } from './lut-layer.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../ops/op-def.js';

export type { KernelVariant } from '../ops/kernel-variants.js';
export { registerKernelVariants } from '../ops/kernel-variants.js';

/** Which kernel a step lowers to for `target`: a variant's name, or "portable". */
export function selectedKernelName(step: PreparedStep, target: TargetInfo, optimize: OptimizeGoal = 'speed'): string {
  return findKernelVariant(step.op.type, step.params, target, optimize)?.name ?? 'portable';
}

/**
 * Bytes of scratch the kernel `emitLayer` picks for this step needs while the step runs (0:
 * none), given the constant operands by input position. The memory planner places that much in
 * the arena for the step alone and the generator passes it as `ctx.scratch`.
 */
export function layerScratchBytes(
  step: PreparedStep,
  target: TargetInfo,
  constants: (TensorData | undefined)[],
  optimize: OptimizeGoal = 'speed',
  opts: { lut?: LutEncoding; inPlace?: boolean; tight?: boolean } = {},
): number {
  if (opts.inPlace && opts.tight) return 0; // the tight in-place form takes no scratch (layerTightInPlace)
  if (opts.lut && !opts.inPlace) return lutScratchBytes(step, opts.lut, target, optimize); // the LUT kernels decode in place
  if (opts.inPlace) {
    if (opts.lut) {
      const bytes = lutInPlaceScratchBytes(step, opts.lut, target, optimize);
      if (bytes === undefined) throw new Error(`op #${step.op.index} ${step.op.type}: its LUT kernel cannot run in place`);
      return bytes;
    }
    const bytes = layerInPlaceScratchBytes(step, target, constants, optimize);
    if (bytes === undefined) throw new Error(`op #${step.op.index} ${step.op.type}: its kernel cannot run in place`);
    return bytes;
  }
  const variant = findKernelVariant(step.op.type, step.params, target, optimize);
  if (variant) return variant.scratchBytes?.(step.params, constants, optimize) ?? 0;
  return step.def.scratchBytes?.(step.params) ?? 0;
}

/**
 * Bytes of scratch the kernel `emitLayer` picks needs to write this step's output over its input
 * 0 (`ctx.inPlace`), or undefined when that kernel cannot run in place.
 */
export function layerInPlaceScratchBytes(step: PreparedStep, target: TargetInfo, constants: (TensorData | undefined)[], optimize: OptimizeGoal = 'speed'): number | undefined {
  const variant = findKernelVariant(step.op.type, step.params, target, optimize);
  if (variant) return variant.inPlaceScratchBytes?.(step.params, constants);
  return step.def.inPlaceScratchBytes?.(step.params);
}

/**
 * The most scratch the kernel `emitLayer` picks for this step can put to use where the arena has
 * room (`KernelVariant.scratchRoomBytes`), or undefined: what it announces is all it uses.
 */
export function layerScratchRoomBytes(step: PreparedStep, target: TargetInfo, constants: (TensorData | undefined)[], optimize: OptimizeGoal = 'speed', inPlace = false): number | undefined {
  return findKernelVariant(step.op.type, step.params, target, optimize)?.scratchRoomBytes?.(step.params, constants, optimize, inPlace);
}

/**
 * Modelled extra instructions of the kernel `emitLayer` picks running this step in place with no
 * scratch (`ctx.tightInPlace`), or undefined when it cannot.
 */
export function layerTightInPlace(step: PreparedStep, target: TargetInfo, constants: (TensorData | undefined)[], optimize: OptimizeGoal = 'speed'): number | undefined {
  const variant = findKernelVariant(step.op.type, step.params, target, optimize);
  if (!variant?.tightInPlaceOk?.(step.params, constants)) return undefined;
  return variant.tightInPlaceExtraInstructions?.(step.params) ?? 0;
}

/** `lut`: the layer's clustered weights (codegen/lut-layer.ts's `stepLutEncoding`), which select the LUT kernel. */
export function emitLayer(step: PreparedStep, names: EmitNames, ctx: EmitContext & { target: TargetInfo }, lut?: LutEncoding): CEmission {
  if (lut) return emitLutLayer(step, lut, names, ctx);
  const variant = findKernelVariant(step.op.type, step.params, ctx.target, ctx.optimize);
  if (variant) return variant.emitC(step.params, names, ctx);
  if (!step.def.emitC) throw new UnsupportedOpError(`op #${step.op.index} ${step.op.type}: no C kernel for this op`);
  return step.def.emitC(step.params, names, ctx);
}
