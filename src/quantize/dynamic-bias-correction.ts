/**
 * Data-free bias correction for dynamic-range (hybrid) models.
 *
 * Rounding a layer's weights to int8 changes what the layer computes by (W - Wq) x. Over the
 * inputs a ReLU network sees, x is mostly one-sided, so that error is mostly a shift of each
 * output channel rather than noise, and the layers after it amplify the shift: on the MLPerf
 * anomaly-detection autoencoder the rounded weights alone move the output by ~4% of its range.
 * The shift can be measured without any data by running the float model and the hybrid model on
 * probe inputs (by default seeded uniform random inputs, `randomProbes`) and folded into each
 * layer's float bias, which the hybrid kernels add exactly as they are. Layers are corrected in op order, each against the hybrid model with the layers
 * before it already corrected, so the correction also covers what the run-time input quantization
 * of the earlier hybrid layers does at the probe.
 */
import type { FusedActivation } from '../ir/attrs.js';
import type { Graph, Op, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount } from '../ir/types.js';
import { prepareGraph, runGraph } from '../interp/interpreter.js';
import { getOpDef, opContext } from '../ops/registry.js';

export interface BiasCorrectionLayer {
  op: number;
  /** Largest |shift| folded into one output channel's bias. */
  largestShift: number;
}

/**
 * The data-free probes: `count` inputs of uniform random values in [-1, 1] (the range normalized
 * float inputs take), from a fixed seed so that the same model always quantizes the same way.
 * Undefined when an input is not float32.
 */
export function randomProbes(graph: Graph, count = 16, seed = 0x7e57): Float32Array[][] | undefined {
  if (graph.inputs.some((id) => graph.tensors[id].dtype !== 'float32')) return undefined;
  let state = seed >>> 0;
  // xorshift32: small, fast, and the same on every platform.
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  return Array.from({ length: count }, () => graph.inputs.map((id) => Float32Array.from({ length: elementCount(graph.tensors[id].shape) }, () => Math.fround(next() * 2 - 1))));
}

/** Every tensor value of one inference, by tensor id (graph inputs, constants, op outputs). */
function allValues(graph: Graph, inputs: TensorData[]): Map<number, TensorData> {
  const values = constantsAndInputs(graph, inputs);
  runGraph(prepareGraph(graph), inputs, { onStep: (step, outs) => step.op.outputs.forEach((id, k) => values.set(id, outs[k])) });
  return values;
}

function constantsAndInputs(graph: Graph, inputs: TensorData[]): Map<number, TensorData> {
  const values = new Map<number, TensorData>();
  graph.inputs.forEach((id, k) => values.set(id, inputs[k]));
  for (const t of graph.tensors) if (t.data) values.set(t.id, t.data);
  return values;
}

/** Runs `op` on `values` and returns its outputs. */
function runOp(graph: Graph, op: Op, values: Map<number, TensorData>): TensorData[] {
  const def = getOpDef(graph, op);
  const outs = op.outputs.map((id) => allocTensorData(graph.tensors[id].dtype, elementCount(graph.tensors[id].shape)));
  def.evaluate(def.prepare(opContext(graph, op)), op.inputs.map((i) => (i >= 0 ? values.get(i) : undefined)), outs);
  return outs;
}

/** Runs `op` on `values`, storing its outputs there. */
function evaluateOp(graph: Graph, op: Op, values: Map<number, TensorData>): void {
  runOp(graph, op, values).forEach((out, k) => values.set(op.outputs[k], out));
}

/** The op's (float) output before its fused activation, from the values of its inputs. */
function preActivation(graph: Graph, op: Op, values: Map<number, TensorData>): Float32Array {
  return runOp(graph, { ...op, attrs: { ...(op.attrs as object), activation: 'NONE' as FusedActivation } } as Op, values)[0] as Float32Array;
}

/**
 * Corrects, in place, the float biases of `hybrid`'s layers listed in `ops` (indices of ops that
 * exist in both graphs with the same tensors) so that on the probes each layer's output before
 * its activation has the float model's per-channel mean. Output channels are the last dimension.
 * One pass over the graph: each layer is corrected with its inputs computed by the hybrid layers
 * before it, already corrected.
 */
export function correctHybridBiases(float: Graph, hybrid: Graph, ops: number[], probes: Float32Array[][]): BiasCorrectionLayer[] {
  const report: BiasCorrectionLayer[] = [];
  const targets = new Set(ops);
  const floatValues = probes.map((p) => allValues(float, p));
  const hybridValues = probes.map((p) => constantsAndInputs(hybrid, p));
  for (const op of hybrid.ops) {
    const bias = targets.has(op.index) && op.inputs[2] >= 0 ? hybrid.tensors[op.inputs[2]] : undefined;
    if (bias && bias.data instanceof Float32Array) {
      const channels = bias.data.length;
      const shift = new Float64Array(channels);
      let count = 0;
      probes.forEach((_, k) => {
        const want = preActivation(float, float.ops[op.index], floatValues[k]);
        const got = preActivation(hybrid, op, hybridValues[k]);
        for (let i = 0; i < want.length; i++) shift[i % channels] += want[i] - got[i];
        count += want.length / channels;
      });
      let largest = 0;
      for (let c = 0; c < channels; c++) {
        const d = shift[c] / count;
        bias.data[c] = Math.fround(bias.data[c] + d);
        largest = Math.max(largest, Math.abs(d));
      }
      report.push({ op: op.index, largestShift: largest });
    }
    for (const values of hybridValues) evaluateOp(hybrid, op, values);
  }
  return report;
}
