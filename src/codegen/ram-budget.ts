/**
 * RAM below the tensor floor under a budget (issue #20): the planner applies its techniques in a
 * fixed order — in-place layers (an output written over its dead input), then the op order with
 * the smallest peak, then convolutions in place through a window of input rows, then pointwise ->
 * depthwise pairs run row by row, then layers in place with no scratch at all (a stem's tight
 * form, ops/stem-in-place.ts) (each later technique's plan also uses the earlier ones not
 * forced off, which may only pay together with it) — and reports what each saved against the plain plan of the model's own op
 * order, whose largest live set is the "op-order lower bound" no plain plan can go under.
 *
 * Without a budget it takes every technique whose modelled instruction cost stays within
 * `DEFAULT_MAX_EXTRA` of the model's instructions (the smallest arena at no more than 10% extra
 * instructions); with a budget in bytes it applies them in order until the arena fits, and says
 * by how many bytes it misses when even all of them do not; `'min'` applies all of them.
 */
import { InputError, RamBudgetError } from '../errors.js';
import type { PreparedGraph } from '../interp/interpreter.js';
import { prepareGraph } from '../interp/interpreter.js';
import type { Graph } from '../ir/types.js';
import { DTYPE_BYTES, elementCount } from '../ir/types.js';
import { layerTightInPlace } from './select-kernel.js';
import type { OptimizeGoal, TargetInfo } from '../ops/op-def.js';
import { modelScratchBytes, planModelMemory, stepConstants, streamCandidates } from './plan-model.js';
import type { MemoryPlan, StreamedPair } from '../plan/memory-plan.js';
import { memoryOrder, withOpOrder } from '../plan/op-order.js';
import { summarizeModel } from '../analysis/summary.js';
import type { Conv2DParams, Conv2DQuantParams } from '../ops/conv2d.js';
import { pointwiseExpandInPlaceOk, pointwiseExpandRuns } from '../ops/pointwise-in-place.js';
import { isRowWindowStep, rowInPlaceMode, rowsRead } from '../ops/conv-rows-in-place.js';
import type { DepthwiseConv2DQuantParams } from '../ops/depthwise-conv2d.js';

/** A budget in bytes, or the smallest arena the techniques reach. */
export type RamBudget = number | 'min';

/** Largest modelled extra-instruction share a technique may cost when no budget is given. */
export const DEFAULT_MAX_EXTRA = 0.1;

export type RamTechniqueName = 'in-place' | 'reorder' | 'row-window' | 'row-stream' | 'tight-in-place';

export interface RamTechnique {
  technique: RamTechniqueName;
  /** Whether the plan uses it. */
  applied: boolean;
  /** Arena bytes it saved over the plan before it (0 when not applied). */
  savedBytes: number;
  /**
   * Modelled extra instructions per inference (0: the same instructions run; in place on a DSP
   * core the kernel is the same code, on other cores the row buffer's byte copies are counted).
   */
  extraInstructions: number;
}

export interface RamReport {
  /** The arena of the plan taken (activations and every kernel's scratch). */
  arenaBytes: number;
  /** Largest live set (scratch included) of the model's own op order: the plain plan's floor. */
  lowerBound: number;
  /** The arena of the plain plan (no technique). */
  plainArenaBytes: number;
  /** The budget asked for, if any. */
  budget?: RamBudget;
  /** Every technique in the order tried. */
  techniques: RamTechnique[];
  /** Modelled extra instructions of the techniques applied over MACs/2 (a floor of the model's instructions). */
  extraInstructionShare: number;
}

export interface RamPlanOptions {
  optimize?: OptimizeGoal;
  ramBudget?: RamBudget;
  /** Force a technique on (true) or off (false); undefined: the budget decides. */
  inPlace?: boolean;
  reorder?: boolean;
  rowWindow?: boolean;
  rowStream?: boolean;
  tightInPlace?: boolean;
}

export interface RamPlan {
  graph: Graph;
  prepared: PreparedGraph;
  plan: MemoryPlan;
  ram: RamReport;
}

/**
 * Modelled extra instructions of running `ops` in place on `target`: none on a DSP core (the DSP
 * depthwise kernel already streams rows through its scratch; measured 3,494,640 -> 3,471,348 on
 * KWS) but for widening pointwise layers, called once per run of pixels (ops/pointwise-in-place.ts),
 * counted at 1,200 instructions a run (the call and a partial block of pixels: VWW's 24x24x16 ->
 * 24x24x32, then 11 runs, measured 359,705 -> 373,039; now one run, the kernel walking the
 * pixels from the last down: 316,329 plain, 316,597 in place). The portable kernel copies each input row into its row buffer and shifts the buffer once
 * per output row: counted as 4 instructions per byte (load, store, index, branch).
 */
function inPlaceExtraInstructions(prepared: PreparedGraph, plan: MemoryPlan, target: TargetInfo): number {
  const { graph } = prepared;
  if (target.dsp) {
    let runs = 0;
    for (const k of plan.inPlace) {
      const step = prepared.steps[k];
      if (step.op.type === 'CONV_2D' && pointwiseExpandInPlaceOk(step.params as Conv2DParams)) runs += pointwiseExpandRuns(step.params as Conv2DParams).length;
    }
    return 1200 * runs;
  }
  let bytes = 0;
  for (const k of plan.inPlace) {
    const op = graph.ops[k];
    const input = graph.tensors[op.inputs[0]];
    const output = graph.tensors[op.outputs[0]];
    const outRows = output.shape.length === 4 ? output.shape[1] : 1;
    bytes += elementCount(input.shape) * DTYPE_BYTES[input.dtype] + outRows * (plan.scratchOffsets.has(k) ? scratchSize(plan, k) : 0);
  }
  return 4 * bytes;
}

/**
 * Modelled extra instructions of the row-window convolutions of `plan` (ops/conv-rows-in-place.ts):
 * per output row the window's kept rows are moved and its new rows copied (the staged variant:
 * the output row copied from its stage), counted as one instruction per byte (word copies with
 * their loop), and the kernel is called once per row (counted as 300 instructions: the call, its
 * set-up and a partial block of pixels).
 */
function rowWindowExtraInstructions(prepared: PreparedGraph, plan: MemoryPlan): number {
  let extra = 0;
  for (const k of plan.inPlace) {
    const step = prepared.steps[k];
    if (!isRowWindowStep(step)) continue;
    const p = step.params as Conv2DQuantParams;
    const inRow = p.inputWidth * p.inputDepth;
    const staged = rowInPlaceMode(p) === 'stage';
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const { lo, hi } = rowsRead(p, oy);
      // The staged kernel copies at most the output row.
      extra += (staged ? p.outputWidth * p.outputDepth : (hi - lo) * inRow) + 300;
    }
  }
  return extra;
}

/**
 * Modelled extra instructions of the streamed pairs of `plan` (codegen/pw-dw-stream.ts): per
 * depthwise output row the ring's kept rows are shifted (one instruction per byte) and both
 * kernels are called (300 instructions each); the depthwise kernel refills its padded rows
 * instead of shifting them (one instruction per byte).
 */
function rowStreamExtraInstructions(prepared: PreparedGraph, plan: MemoryPlan): number {
  let extra = 0;
  for (const { consumer } of plan.streamed) {
    const p = prepared.steps[consumer].params as DepthwiseConv2DQuantParams;
    const midRow = p.inputWidth * p.inputDepth;
    let heldHi = 0;
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const { lo, hi } = rowsRead(p, oy);
      extra += 2 * Math.max(0, heldHi - lo) * midRow + 600;
      heldHi = hi;
    }
  }
  return extra;
}

/** Modelled extra instructions of the layers `plan` runs in their tight in-place form (the kernels' own model). */
function tightExtraInstructions(prepared: PreparedGraph, plan: MemoryPlan, target: TargetInfo, optimize: OptimizeGoal): number {
  let extra = 0;
  for (const k of plan.tightInPlace ?? []) extra += layerTightInPlace(prepared.steps[k], target, stepConstants(prepared, k), optimize) ?? 0;
  return extra;
}

const scratchSize = (plan: MemoryPlan, k: number): number => plan.buffers.find((b) => b.scratchOf === k)?.size ?? 0;

/** The plan of `graph` for `target` under `options.ramBudget` (see the file comment). */
export function planUnderBudget(graph: Graph, target: TargetInfo, options: RamPlanOptions = {}): RamPlan {
  const { optimize = 'speed', ramBudget } = options;
  if (ramBudget !== undefined && ramBudget !== 'min' && !(Number.isInteger(ramBudget) && ramBudget > 0)) {
    throw new RamBudgetError(`the RAM budget must be a positive whole number of bytes or 'min', not ${String(ramBudget)}`);
  }
  const prepared = prepareGraph(graph);
  const plain = planModelMemory(prepared, target, { optimize });
  // Every kernel runs at least one instruction per two MACs (SMLAD), so MACs/2 is a floor of the
  // model's instructions and the share against it over-states a technique's cost.
  const macs = Math.max(1, summarizeModel(graph).totals.macs / 2);
  let current: RamPlan = { graph, prepared, plan: plain, ram: undefined as never };
  let extra = 0;
  const techniques: RamTechnique[] = [];
  const fits = (p: MemoryPlan): boolean => typeof ramBudget === 'number' && p.arenaBytes <= ramBudget;
  // Whether to take a technique that saves bytes at `cost` extra instructions.
  const wanted = (forced: boolean | undefined, cost: number): boolean => {
    if (forced !== undefined) return forced;
    if (ramBudget === 'min') return true;
    if (typeof ramBudget === 'number') return !fits(current.plan);
    return (extra + cost) / macs <= DEFAULT_MAX_EXTRA;
  };

  // Takes `candidate` (a plan with one more technique) when it shrinks the arena and the policy
  // wants its cost, and records the technique either way.
  const consider = (technique: RamTechniqueName, candidate: MemoryPlan | undefined, cost: number, forced: boolean | undefined): boolean => {
    const taken = candidate !== undefined && candidate.arenaBytes < current.plan.arenaBytes && wanted(forced, cost);
    techniques.push({ technique, applied: taken, savedBytes: taken ? current.plan.arenaBytes - candidate.arenaBytes : 0, extraInstructions: cost });
    if (taken) {
      current = { ...current, plan: candidate };
      extra += cost;
    }
    return taken;
  };

  // 1. In-place layers.
  const inPlacePlan = options.inPlace === false ? undefined : planModelMemory(prepared, target, { optimize, inPlace: true });
  const inPlaceCost = inPlacePlan ? inPlaceExtraInstructions(prepared, inPlacePlan, target) : 0;
  const takeInPlace = inPlacePlan !== undefined && inPlacePlan.inPlace.size > 0 && wanted(options.inPlace, inPlaceCost);
  if (takeInPlace) {
    techniques.push({ technique: 'in-place', applied: true, savedBytes: plain.arenaBytes - inPlacePlan.arenaBytes, extraInstructions: inPlaceCost });
    current = { ...current, plan: inPlacePlan };
    extra += inPlaceCost;
  } else {
    techniques.push({ technique: 'in-place', applied: false, savedBytes: 0, extraInstructions: inPlaceCost });
  }

  // 2. The op order with the smallest peak (same ops, same instructions).
  let reordered: RamPlan | undefined;
  if (options.reorder !== false && wanted(options.reorder, 0)) {
    const order = memoryOrder(graph, modelScratchBytes(prepared, target, optimize));
    if (order && order.some((k, i) => k !== i)) {
      const g = withOpOrder(graph, order);
      const p = prepareGraph(g);
      const plan = planModelMemory(p, target, { optimize, inPlace: takeInPlace });
      if (plan.arenaBytes < current.plan.arenaBytes) reordered = { graph: g, prepared: p, plan, ram: undefined as never };
    }
  }
  techniques.push({ technique: 'reorder', applied: reordered !== undefined, savedBytes: reordered ? current.plan.arenaBytes - reordered.plan.arenaBytes : 0, extraInstructions: 0 });
  if (reordered) current = reordered;

  // 3. Convolutions in place through a window of input rows (copies and a call per output row),
  // with the in-place layers unless those are forced off: some only help together with a
  // row-window layer (a residual ADD in place is no use while the conv before it needs a third tensor).
  const windowPlan = options.rowWindow === false ? undefined : planModelMemory(current.prepared, target, { optimize, inPlace: options.inPlace !== false, rowWindow: true });
  const windowCost = windowPlan ? rowWindowExtraInstructions(current.prepared, windowPlan) : 0;
  const takeWindow = consider('row-window', windowPlan, windowCost, options.rowWindow);

  // 4. Pointwise -> depthwise pairs run row by row (the pointwise output never stored whole),
  // with the earlier techniques not forced off: VWW's stem in place only pays once its
  // 48x48x16 pointwise output is gone.
  // All candidate pairs, then each dropped again when the arena does not grow without it (a pair
  // off the peak saves nothing and costs instructions).
  const pairs = options.rowStream === false ? [] : streamCandidates(current.prepared, target, optimize);
  const planStreamed = (streamed: StreamedPair[]) =>
    planModelMemory(current.prepared, target, { optimize, inPlace: options.inPlace !== false, rowWindow: options.rowWindow !== false, streamed });
  let streamPlan = pairs.length === 0 ? undefined : planStreamed(pairs);
  for (const pair of pairs) {
    if (!streamPlan) break;
    const tried = planStreamed(streamPlan.streamed.filter((p) => p !== pair));
    if (tried.arenaBytes <= streamPlan.arenaBytes) streamPlan = tried;
  }
  if (streamPlan && streamPlan.streamed.length === 0) streamPlan = undefined;
  const streamCost = streamPlan ? rowStreamExtraInstructions(current.prepared, streamPlan) + rowWindowExtraInstructions(current.prepared, streamPlan) - (takeWindow ? windowCost : 0) : 0;
  consider('row-stream', streamPlan, streamCost, options.rowStream);

  // 5. Layers in place with no scratch at all (a strided stem over its image: its row stage and
  // columns on input bytes already read), with everything the plan so far uses.
  const tightPlan =
    options.tightInPlace === false
      ? undefined
      : planModelMemory(current.prepared, target, { optimize, inPlace: options.inPlace !== false, rowWindow: options.rowWindow !== false, streamed: current.plan.streamed, tight: true });
  const tightCost = tightPlan ? tightExtraInstructions(current.prepared, tightPlan, target, optimize) : 0;
  consider('tight-in-place', (tightPlan?.tightInPlace?.size ?? 0) > 0 ? tightPlan : undefined, tightCost, options.tightInPlace);

  const ram: RamReport = {
    arenaBytes: current.plan.arenaBytes,
    lowerBound: plain.lowerBound,
    plainArenaBytes: plain.arenaBytes,
    ...(ramBudget !== undefined ? { budget: ramBudget } : {}),
    techniques,
    extraInstructionShare: extra / macs,
  };
  if (typeof ramBudget === 'number' && ram.arenaBytes > ramBudget) {
    const saved = techniques.map((t) => `${t.technique} ${t.applied ? `saved ${t.savedBytes} B` : 'saves nothing here'}`).join(', ');
    throw new RamBudgetError(
      `the arena needs ${ram.arenaBytes} bytes, ${ram.arenaBytes - ramBudget} more than the RAM budget of ${ramBudget} bytes ` +
        `(plain plan ${plain.arenaBytes} B, op-order lower bound ${plain.lowerBound} B; ${saved}). ` +
        `Raise the budget to at least ${ram.arenaBytes}, or choose a model with smaller activations.`,
    );
  }
  return { ...current, ram };
}

/** --ram-budget: a whole number of bytes (`16384`, `16_384` or `16,384`), or `min` for the smallest arena. */
export function parseRamBudget(value: string | undefined): RamBudget | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().replace(/[_,]/g, '');
  if (text === 'min') return 'min';
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InputError(`--ram-budget must be a positive number of bytes (e.g. 16384) or 'min' (the smallest arena the planner reaches); got '${value}'`);
  return n;
}
