/**
 * Calibration: runs the float graph on the reference interpreter's float32 path over the
 * calibration samples and records, for every activation tensor (graph inputs and op outputs),
 * its min/max and (when the method needs them) histograms. A second pass builds the histograms
 * once the min/max are known.
 */
import { InputError } from '../errors.js';
import { prepareGraph, runGraph, type PreparedGraph } from '../interp/interpreter.js';
import type { Graph, TensorData } from '../ir/types.js';
import { DTYPE_BYTES, elementCount } from '../ir/types.js';
import { initHistograms, newStats, updateHistograms, updateMinMax, type TensorStats } from './ranges.js';

/** One calibration sample: one float32 array per graph input, in graph-input order. */
export type CalibrationSample = TensorData[];

/** Checks the samples against the graph's inputs (count, element count, float32). */
export function checkSamples(graph: Graph, samples: readonly CalibrationSample[]): void {
  if (samples.length === 0) throw new InputError(`no calibration samples: quantizing '${graph.name}' needs at least one`);
  samples.forEach((s, k) => {
    if (s.length !== graph.inputs.length) {
      throw new InputError(`calibration sample ${k} has ${s.length} input(s); model '${graph.name}' takes ${graph.inputs.length}`);
    }
    graph.inputs.forEach((id, j) => {
      const t = graph.tensors[id];
      const want = elementCount(t.shape);
      if (s[j].length !== want || s[j].BYTES_PER_ELEMENT !== DTYPE_BYTES[t.dtype]) {
        throw new InputError(
          `calibration sample ${k} input ${j} has ${s[j].length} elements of ${s[j].BYTES_PER_ELEMENT} bytes; ` +
            `'${t.name}' needs ${want} ${t.dtype} values [${t.shape.join('x')}]`,
        );
      }
    });
  });
}

/**
 * Runs every sample through the float graph; `visit` sees each sample's activation values
 * (graph inputs first, then every op's outputs as they are computed).
 */
export function forEachActivation(
  prepared: PreparedGraph,
  samples: readonly CalibrationSample[],
  visit: (tensorId: number, data: TensorData, values: Map<number, TensorData>, opIndex: number) => void,
): void {
  const { graph } = prepared;
  for (const sample of samples) {
    const values = new Map<number, TensorData>();
    for (const t of graph.tensors) if (t.data) values.set(t.id, t.data);
    graph.inputs.forEach((id, k) => {
      values.set(id, sample[k]);
      visit(id, sample[k], values, -1);
    });
    runGraph(prepared, sample, {
      onStep: (step, outputs) => {
        step.op.outputs.forEach((id, k) => values.set(id, outputs[k]));
        step.op.outputs.forEach((id, k) => visit(id, outputs[k], values, step.op.index));
      },
    });
  }
}

export interface CalibrationResult {
  /** Activation tensor id → statistics. */
  stats: Map<number, TensorStats>;
  prepared: PreparedGraph;
}

/**
 * Collects min/max (and histograms with `bins` > 0) of every float activation tensor.
 * `extra` runs inside the first pass with each op's inputs available (bias correction uses it).
 */
export function calibrate(
  graph: Graph,
  samples: readonly CalibrationSample[],
  bins: number,
  extra?: (opIndex: number, values: Map<number, TensorData>) => void,
): CalibrationResult {
  const prepared = prepareGraph(graph);
  const stats = new Map<number, TensorStats>();
  const isFloat = (id: number): boolean => graph.tensors[id].dtype === 'float32';
  forEachActivation(prepared, samples, (id, data, values, opIndex) => {
    if (isFloat(id)) {
      let s = stats.get(id);
      if (!s) stats.set(id, (s = newStats()));
      updateMinMax(s, data as Float32Array);
    }
    if (extra && opIndex >= 0 && id === graph.ops[opIndex].outputs[graph.ops[opIndex].outputs.length - 1]) extra(opIndex, values);
  });
  if (bins > 0) {
    for (const s of stats.values()) initHistograms(s, bins);
    forEachActivation(prepared, samples, (id, data) => {
      const s = stats.get(id);
      if (s) updateHistograms(s, data as Float32Array);
    });
  }
  return { stats, prepared };
}
