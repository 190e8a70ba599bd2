/**
 * The memory plan of a model for a target: its activations plus the scratch of the kernels the
 * generator picks for that target (which differ per core), so the arena is everything the model
 * needs at run time.
 */
import type { PreparedGraph } from '../interp/interpreter.js';
import type { TensorData } from '../ir/types.js';
import type { OptimizeGoal, TargetInfo } from '../ops/op-def.js';
import { HOST_TARGET } from '../ops/op-def.js';
import type { MemoryPlan, PlanOptions, StreamedPair } from '../plan/memory-plan.js';
import { growScratchIntoRoom, inPlaceAllowed, planMemory, streamedView } from '../plan/memory-plan.js';
import type { Conv2DQuantParams } from '../ops/conv2d.js';
import type { DepthwiseConv2DQuantParams } from '../ops/depthwise-conv2d.js';
import { streamPairInPlaceOk, streamPairOk, streamPairScratchBytes } from './pw-dw-stream.js';
import { layerInPlaceScratchBytes, layerScratchBytes, layerScratchRoomBytes, layerTightInPlace } from './select-kernel.js';
import { lutInPlaceScratchBytes, stepLutEncoding } from './lut-layer.js';
import { isRowWindowStep } from '../ops/conv-rows-in-place.js';
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

/**
 * Pointwise convolutions whose output only a depthwise layer reads, the two able to run row by
 * row as one (codegen/pw-dw-stream.ts) on `target`: MobileNet's expand-then-depthwise pairs.
 */
export function streamCandidates(prepared: PreparedGraph, target: TargetInfo = HOST_TARGET, optimize: OptimizeGoal = 'speed'): StreamedPair[] {
  const { graph, steps } = prepared;
  const pairs: StreamedPair[] = [];
  steps.forEach((step, consumer) => {
    if (step.op.type !== 'DEPTHWISE_CONV_2D' || stepLutEncoding(prepared, consumer)) return;
    const mid = step.op.inputs[0];
    const producer = steps.findIndex((s) => s.op.outputs.includes(mid));
    if (producer < 0 || steps[producer].op.type !== 'CONV_2D' || stepLutEncoding(prepared, producer)) return;
    if (graph.outputs.includes(mid) || steps.some((s, k) => k !== consumer && s.op.inputs.includes(mid))) return;
    const constants = { pw: stepConstants(prepared, producer), dw: stepConstants(prepared, consumer) };
    if (streamPairOk(steps[producer].params, step.params, target, optimize, constants)) pairs.push({ producer, consumer });
  });
  return pairs;
}

/**
 * The plan for `target` and the optimization goal the generator will be given (`optimize`,
 * default speed). With `inPlace`, layers whose kernel on `target` can write their output over
 * their input as it is (depthwise convolutions, depthwise-in-place.ts; pointwise ones; ADD), and
 * with `rowWindow` the convolutions that can through a window of input rows
 * (conv-rows-in-place.ts), where the graph allows it, do so when that makes the arena smaller
 * (`plan.inPlace`), their scratch being the in-place kernel's. `streamed` pairs run as one op at
 * the consumer (codegen/pw-dw-stream.ts), in place over the producer's input when they can.
 * With `tight`, layers whose kernel has a tight in-place form (no scratch at all: a stem,
 * ops/stem-in-place.ts) run in place in that form (`plan.tightInPlace`), row-window step or not.
 * All in-place layers first (layers that tie at the peak only lower it together); then each is
 * dropped again if the arena does not grow without it (an in-place layer off the peak saves
 * nothing and its longer-lived merged buffer can fragment the placement); none when the arena is
 * no smaller.
 */
export function planModelMemory(
  prepared: PreparedGraph,
  target: TargetInfo = HOST_TARGET,
  options: Omit<PlanOptions, 'scratch' | 'inPlace'> & { optimize?: OptimizeGoal; inPlace?: boolean; rowWindow?: boolean; tight?: boolean } = {},
): MemoryPlan {
  const { optimize, inPlace, rowWindow, tight, streamed = [], ...planOptions } = options;
  const producers = new Set(streamed.map((p) => p.producer));
  const consumers = new Map(streamed.map((p) => [p.consumer, p.producer]));
  const params = (k: number) => prepared.steps[k].params;
  // Clustered (LUT) layers: their kernel's in-place form (lut-layer.ts: pointwise and whole-plane
  // 3x3 depthwise layers; none through a row window).
  const inPlaceScratch = (k: number): number | undefined => {
    const lut = stepLutEncoding(prepared, k);
    return lut ? lutInPlaceScratchBytes(prepared.steps[k], lut, target, optimize) : layerInPlaceScratchBytes(prepared.steps[k], target, stepConstants(prepared, k), optimize);
  };
  // The layers taking their tight form (no scratch), when asked to.
  const tightOps = new Set<number>();
  if (tight) {
    prepared.steps.forEach((step, k) => {
      if (!producers.has(k) && !consumers.has(k) && !stepLutEncoding(prepared, k) && layerTightInPlace(step, target, stepConstants(prepared, k), optimize) !== undefined) tightOps.add(k);
    });
  }
  // `inPlace`: the layers whose kernel runs in place as it is; `rowWindow`: the convolutions that
  // run in place through a window of input rows (extra copies, ops/conv-rows-in-place.ts).
  const candidates =
    inPlace || rowWindow || tight
      ? prepared.steps
          .map((step, k) =>
            !producers.has(k) &&
            !consumers.has(k) &&
            inPlaceScratch(k) !== undefined &&
            (tightOps.has(k) || (isRowWindowStep(step) ? rowWindow : inPlace))
              ? k
              : -1,
          )
          .filter((k) => k >= 0)
      : [];
  for (const [k, j] of consumers) if (streamPairInPlaceOk(params(j) as Conv2DQuantParams, params(k) as DepthwiseConv2DQuantParams)) candidates.push(k);
  const allowed = inPlaceAllowed(streamedView(prepared.graph, streamed), candidates);
  const plain = modelScratchBytes(prepared, target, optimize).map((bytes, k) => {
    if (producers.has(k)) return 0;
    const j = consumers.get(k);
    return j === undefined ? bytes : streamPairScratchBytes(params(j) as Conv2DQuantParams, params(k) as DepthwiseConv2DQuantParams, target, optimize);
  });
  const withInPlace = (ops: ReadonlySet<number>): MemoryPlan => {
    const scratch = plain.map((bytes, k) =>
      ops.has(k) && !consumers.has(k) ? layerScratchBytes(prepared.steps[k], target, stepConstants(prepared, k), optimize, { inPlace: true, lut: stepLutEncoding(prepared, k), tight: tightOps.has(k) }) : bytes,
    );
    const plan = planMemory(prepared.graph, { ...planOptions, scratch, inPlace: [...ops], streamed });
    const tightTaken = [...plan.inPlace].filter((k) => tightOps.has(k));
    return tightTaken.length ? { ...plan, tightInPlace: new Set(tightTaken) } : plan;
  };
  // Last, the layers whose kernel has a faster form with more scratch get the arena's free bytes
  // at their step (growScratchIntoRoom: same arena, every other offset unchanged).
  const withRoom = (plan: MemoryPlan): MemoryPlan => {
    let out = plan;
    prepared.steps.forEach((step, k) => {
      if (producers.has(k) || consumers.has(k) || stepLutEncoding(prepared, k) || plan.tightInPlace?.has(k)) return;
      const most = layerScratchRoomBytes(step, target, stepConstants(prepared, k), optimize, plan.inPlace.has(k));
      if (most !== undefined) out = growScratchIntoRoom(out, k, most);
    });
    return out;
  };
  const base = withInPlace(new Set());
  let best = withInPlace(allowed);
  if (best.arenaBytes >= base.arenaBytes) return withRoom(base);
  for (const k of allowed) {
    const tried = withInPlace(new Set([...best.inPlace].filter((j) => j !== k)));
    if (tried.arenaBytes <= best.arenaBytes) best = tried;
  }
  return withRoom(best);
}
