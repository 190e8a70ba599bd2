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
import { inPlaceAllowed, planMemory } from '../plan/memory-plan.js';
import { layerInPlaceScratchBytes, layerScratchBytes } from './select-kernel.js';
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
  return prepared.steps.map((step, k) => layerScratchBytes(step, target, stepConstants(prepared, k), optimize, { lut: stepLutEncoding(prepared, k) }));
}

/** The plan for `target` and the optimization goal the generator will be given (`optimize`, default speed). */
/**
 * The plan for `target` and the optimization goal the generator will be given (`optimize`,
 * default speed). With `inPlace`, layers whose kernel on `target` can write their output over
 * their input (depthwise convolutions, depthwise-in-place.ts), where the graph allows it, do so
 * when that makes the arena smaller (`plan.inPlace`), their scratch being the in-place kernel's.
 * All of them first (layers that tie at the peak only lower it together); then each is dropped
 * again if the arena does not grow without it (an in-place layer off the peak saves nothing and
 * its longer-lived merged buffer can fragment the placement); none when the arena is no smaller.
 */
export function planModelMemory(
  prepared: PreparedGraph,
  target: TargetInfo = HOST_TARGET,
  options: Omit<PlanOptions, 'scratch' | 'inPlace'> & { optimize?: OptimizeGoal; inPlace?: boolean } = {},
): MemoryPlan {
  const { optimize, inPlace, ...planOptions } = options;
  const candidates = inPlace
    ? // Clustered (LUT) layers have no in-place kernel.
      prepared.steps.map((step, k) => (!stepLutEncoding(prepared, k) && layerInPlaceScratchBytes(step, target, stepConstants(prepared, k), optimize) !== undefined ? k : -1)).filter((k) => k >= 0)
    : [];
  const allowed = inPlaceAllowed(prepared.graph, candidates);
  const plain = modelScratchBytes(prepared, target, optimize);
  const withInPlace = (ops: ReadonlySet<number>): MemoryPlan => {
    const scratch = plain.map((bytes, k) => (ops.has(k) ? layerScratchBytes(prepared.steps[k], target, stepConstants(prepared, k), optimize, { inPlace: true }) : bytes));
    return planMemory(prepared.graph, { ...planOptions, scratch, inPlace: [...ops] });
  };
  const base = withInPlace(new Set());
  let best = withInPlace(allowed);
  if (best.arenaBytes >= base.arenaBytes) return base;
  for (const k of allowed) {
    const tried = withInPlace(new Set([...best.inPlace].filter((j) => j !== k)));
    if (tried.arenaBytes <= best.arenaBytes) best = tried;
  }
  return best;
}
