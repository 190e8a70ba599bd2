/**
 * Empirical bias correction: quantizing weights W to Wq shifts each output channel's mean by
 * E[(Wq - W) * x]. During calibration each weight op's float input x is fed through the same op
 * with weights Wq - W (no bias, no activation); the per-channel mean of that output over all
 * calibration samples and positions is subtracted from the float bias before it is quantized.
 */
import { prepareGraph, runGraph, type PreparedGraph } from '../interp/interpreter.js';
import type { Graph, Op, Tensor, TensorData } from '../ir/types.js';
import type { WeightRule } from './rules.js';

export interface BiasErrorProbe {
  prepared: PreparedGraph;
  channels: number;
  sums: Float64Array;
  /** Positions accumulated per channel. */
  count: number;
}

/** A one-op float graph computing (Wq - W) * x for `op`, or undefined if it has no usable shape. */
export function makeProbe(graph: Graph, op: Op, rule: WeightRule, deltaW: Float32Array): BiasErrorProbe {
  const x = graph.tensors[op.inputs[rule.input]];
  const w = graph.tensors[op.inputs[rule.weights]];
  const y = graph.tensors[op.outputs[0]];
  const tensors: Tensor[] = [
    { id: 0, name: x.name, shape: [...x.shape], dtype: 'float32' },
    { id: 1, name: `${w.name}/delta`, shape: [...w.shape], dtype: 'float32', data: deltaW },
    { id: 2, name: `${y.name}/delta`, shape: [...y.shape], dtype: 'float32' },
  ];
  let inputs: number[];
  if (op.type === 'TRANSPOSE_CONV') {
    const s = graph.tensors[op.inputs[0]];
    tensors.push({ id: 3, name: s.name, shape: [...s.shape], dtype: s.dtype, data: s.data });
    inputs = [3, 1, 0];
  } else {
    inputs = [0, 1];
  }
  const attrs = { ...(op.attrs as object), activation: 'NONE' } as Op['attrs'];
  const probe: Graph = {
    name: `${graph.name}/bias-correction/${op.index}`,
    tensors,
    ops: [{ index: 0, type: op.type, inputs, outputs: [2], attrs }],
    inputs: [0],
    outputs: [2],
  };
  const channels = y.shape[y.shape.length - 1];
  return { prepared: prepareGraph(probe), channels, sums: new Float64Array(channels), count: 0 };
}

/** Adds one sample's (Wq - W) * x to the per-channel sums. */
export function accumulateProbe(probe: BiasErrorProbe, x: TensorData): void {
  const [out] = runGraph(probe.prepared, [x]) as Float32Array[];
  const c = probe.channels;
  for (let i = 0; i < out.length; i++) probe.sums[i % c] += out[i];
  probe.count += out.length / c;
}

/** The mean error per output channel. */
export function probeMeanError(probe: BiasErrorProbe): Float64Array {
  const out = new Float64Array(probe.channels);
  if (probe.count > 0) for (let c = 0; c < probe.channels; c++) out[c] = probe.sums[c] / probe.count;
  return out;
}
