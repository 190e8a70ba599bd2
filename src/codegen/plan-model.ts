/**
 * The memory plan of a model for a target: its activations plus the scratch of the kernels the
 * generator picks for that target (which differ per core), so the arena is everything the model
 * needs at run time.
 */
import type { PreparedGraph } from '../interp/interpreter.js';
import type { TensorData } from '../ir/types.js';
import type { OptimizeGoal, TargetInfo } from '../ops/op-def.js';
import { HOST_TARGET } from '../ops/op-def.js';
import type { MemoryPlan, PlanOptions } from '../plan/memory-plan.js';
import { planMemory } from '../plan/memory-plan.js';
import { layerScratchBytes } from './select-kernel.js';
import { stepLutEncoding } from './lut-layer.js';
// Registers the optimized per-core kernel variants (their scratch differs from the portable kernels').
import '../ops/optimized/index.js';
import '../ops/optimized-mve/index.js';
import '../ops/hybrid/index.js';
import '../ops/subbyte/index.js';

/** Constant operands of op `k` by input position (undefined for activations), as emitters get them. */
export function stepConstants(prepared: PreparedGraph, k: number): (TensorData | undefined)[] {
  const { graph } = prepared;
  return prepared.steps[k].op.inputs.map((i) => (i >= 0 ? graph.tensors[i].data : undefined));
}

/** Bytes of kernel scratch each layer needs on `target`, by op index. */
export function modelScratchBytes(prepared: PreparedGraph, target: TargetInfo = HOST_TARGET, optimize: OptimizeGoal = 'speed'): number[] {
  return prepared.steps.map((step, k) => layerScratchBytes(step, target, stepConstants(prepared, k), optimize, stepLutEncoding(prepared, k)));
}

/** The plan for `target` and the optimization goal the generator will be given (`optimize`, default speed). */
export function planModelMemory(
  prepared: PreparedGraph,
  target: TargetInfo = HOST_TARGET,
  options: Omit<PlanOptions, 'scratch'> & { optimize?: OptimizeGoal } = {},
): MemoryPlan {
  const { optimize, ...planOptions } = options;
  return planMemory(prepared.graph, { ...planOptions, scratch: modelScratchBytes(prepared, target, optimize) });
}
