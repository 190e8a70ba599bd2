/**
 * Per-layer time on a target: firmware built with the layer hook (-DTINYML_PROFILE) records a
 * timer reading before every layer and after the last one; the PROFILE command runs one
 * inference and returns the intervals. Each layer is matched with its op in the prepared graph
 * (the generated invoke() makes one kernel call per prepared step, in order) for its MACs, so
 * the report shows where the time goes and how efficient each kernel is (units per MAC).
 *
 * The layer intervals tile the inference: layer i runs from hook i to hook i+1, so their sum is
 * the whole invoke minus the call itself and the first and last hooks' own halves (a few dozen
 * instructions). The report also gives an INVOKE timing of the same build, which the sum should
 * match to well within 1%.
 */
import type { Board } from '../build/board.js';
import { ticksToUnits, unitsToMs } from '../build/board.js';
import type { CompiledModel } from '../deploy/compile-model.js';
import { randomInputs } from '../deploy/verify.js';
import { InputError, MismatchError } from '../errors.js';
import { tensorDataBytes } from '../ir/types.js';
import { getOpDef, opContext } from '../ops/registry.js';
import type { DeviceClient } from '../serial/client.js';
import type { DeviceInfo } from '../serial/protocol.js';

export interface LayerProfile {
  index: number;
  op: string;
  /** Name and shape of the layer's (first) output. */
  output: { name: string; shape: number[] };
  /** Time in the board's unit (instructions under QEMU, cycles on hardware). */
  units: number;
  ms: number;
  /** Fraction of the whole profiled inference (0..1). */
  share: number;
  macs: number;
  /** units / MACs; null for layers without MACs. */
  unitsPerMac: number | null;
}

export interface ProfileReport {
  model: string;
  board: string;
  core: string;
  unit: string;
  clockHz: number;
  layers: LayerProfile[];
  /** The profiled inference, timed around the call (PROFILE reply), in `unit`. */
  totalUnits: number;
  totalMs: number;
  /** Sum of the layer times. */
  layerSumUnits: number;
  /** totalUnits - layerSumUnits: the call, the hooks and the timer reads. */
  overheadUnits: number;
  /** Median INVOKE time of the same firmware (one warm-up, then `invokeRuns`). */
  invokeUnits: number;
  invokeRuns: number;
  /** layerSumUnits / invokeUnits. */
  layerSumVsInvoke: number;
  totalMacs: number;
  /** Whole inference: units per MAC. */
  unitsPerMac: number | null;
}

export interface ProfileOptions {
  /** Seed of the random input the profiled inference runs on (default 1). */
  seed?: number;
  /** INVOKE runs timed for comparison (default 3). */
  invokeRuns?: number;
}

/**
 * Whole units. Under QEMU this is exact: the timer advances 3.2 ticks per instruction, so an
 * interval's reading is off the true instruction count by less than one tick.
 */
const units = (board: Board, ticks: number): number => Math.round(ticksToUnits(board, ticks));

/** Profiles one inference of `compiled` on a running target whose firmware was built with profiling. */
export async function profileOnTarget(client: DeviceClient, info: DeviceInfo, board: Board, compiled: CompiledModel, options: ProfileOptions = {}): Promise<ProfileReport> {
  if (!info.profiling) {
    throw new InputError(`the firmware on ${client.portName} was built without profiling; rebuild it with profile: true (tinyml build --profile, make PROFILE=1)`);
  }
  const { graph, steps } = compiled.prepared;
  if (info.model.numLayers !== steps.length) {
    throw new MismatchError(`the device's model has ${info.model.numLayers} layers, the compiled model ${steps.length}: is the device running this firmware?`);
  }
  // A deterministic input over the whole range (int8 kernels take the same time on any input,
  // save for a few data-dependent ones such as softmax).
  const inputs = randomInputs(
    graph.inputs.map((i) => graph.tensors[i]),
    options.seed ?? 1,
  );
  for (let k = 0; k < inputs.length; k++) await client.setInput(k, tensorDataBytes(inputs[k]));
  const invokeRuns = options.invokeRuns ?? 3;
  await client.invoke(1); // warm-up (caches, branch predictors on hardware)
  const invokeTicks = (await client.invoke(invokeRuns)).sort((a, b) => a - b);
  const invokeUnits = units(board, invokeTicks[Math.floor(invokeTicks.length / 2)]);
  // The invokes may have overwritten the input in the arena: write it again before profiling.
  for (let k = 0; k < inputs.length; k++) await client.setInput(k, tensorDataBytes(inputs[k]));
  const prof = await client.profile();
  if (prof.layerTicks.length !== steps.length) {
    throw new MismatchError(`PROFILE returned ${prof.layerTicks.length} layer timings for ${steps.length} layers`);
  }
  const totalUnits = units(board, prof.totalTicks);
  const layers: LayerProfile[] = steps.map((step, i) => {
    const u = units(board, prof.layerTicks[i]);
    const macs = getOpDef(graph, step.op).macs(opContext(graph, step.op));
    const out = graph.tensors[step.op.outputs[0]];
    return {
      index: i,
      op: step.op.type,
      output: { name: out.name, shape: out.shape },
      units: u,
      ms: unitsToMs(board, u),
      share: totalUnits > 0 ? u / totalUnits : 0,
      macs,
      unitsPerMac: macs > 0 ? u / macs : null,
    };
  });
  const layerSumUnits = layers.reduce((a, l) => a + l.units, 0);
  const totalMacs = layers.reduce((a, l) => a + l.macs, 0);
  return {
    model: graph.name,
    board: board.name,
    core: board.core,
    unit: board.timer.latencyUnit,
    clockHz: board.clockHz,
    layers,
    totalUnits,
    totalMs: unitsToMs(board, totalUnits),
    layerSumUnits,
    overheadUnits: totalUnits - layerSumUnits,
    invokeUnits,
    invokeRuns,
    layerSumVsInvoke: invokeUnits > 0 ? layerSumUnits / invokeUnits : 0,
    totalMacs,
    unitsPerMac: totalMacs > 0 ? totalUnits / totalMacs : null,
  };
}

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar `fraction` (0..1) of `width` cells long, in eighths of a cell. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}
