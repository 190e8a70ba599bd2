/**
 * Activation smoothing (SmoothQuant-style migration of activation range into the next layer's
 * weights), exact in float.
 *
 * When a layer's output goes through a ReLU (or no activation) into exactly one CONV_2D or
 * FULLY_CONNECTED layer, dividing output channel c of the first layer (its weight row and bias)
 * by s_c > 0 and multiplying input channel c of the second layer's weights by s_c computes the
 * same function: relu(x / s) = relu(x) / s. Quantization is not invariant to it: one scale covers
 * a whole activation row, so a few wide channels cost every other channel resolution, while the
 * weights are quantized per output channel. s_c = a_c^alpha / w_c^(1 - alpha) (a_c the channel's
 * largest activation on the probe inputs, w_c the largest weight that reads it) moves the balance:
 * alpha = 1 evens out the activations, alpha = 0 the weight columns.
 *
 * Cross-layer equalization (`equalizeLayers`, Nagel et al.'s data-free DFQ) is the same rescaling
 * with the first layer's weight-row range standing in for the activation range and alpha = 1/2:
 * s_c = sqrt(r_c / w_c) gives row c of the first layer and column c of the second the same range,
 * which is what per-tensor weight scales need (a depthwise layer's channels can differ 100-fold).
 */
import type { FusedActivation } from '../ir/attrs.js';
import type { Graph, Op, Tensor } from '../ir/types.js';
import { prepareGraph, runGraph } from '../interp/interpreter.js';
import { absMaxPerChannel } from './qparams.js';

export interface SmoothedPair {
  /** The layer whose output channels were divided. */
  producer: number;
  /** The layer whose input channels were multiplied. */
  consumer: number;
  channels: number;
  /** The smallest and largest factor s_c applied (after normalising their geometric mean to 1). */
  smallest: number;
  largest: number;
}

const PRODUCERS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
const CONSUMERS = new Set(['CONV_2D', 'FULLY_CONNECTED']);
/** Activations that commute with a positive per-channel scale. */
const HOMOGENEOUS = new Set<FusedActivation>(['NONE', 'RELU']);
/** A channel whose range is below this fraction of its layer's largest counts as dead. */
const DEAD = 1e-6;

interface Pair {
  producer: Op;
  consumer: Op;
  /** Output channels of the producer (the last dimension of its output). */
  channels: number;
}

function constFloat(t: Tensor | undefined, users: Map<number, number>): t is Tensor & { data: Float32Array } {
  return t !== undefined && t.data instanceof Float32Array && (users.get(t.id) ?? 0) === 1;
}

/** The producer/consumer pairs of a float graph that smoothing can rescale exactly. */
export function smoothablePairs(graph: Graph): Pair[] {
  const users = new Map<number, number>();
  const readers = new Map<number, Op[]>();
  for (const op of graph.ops) {
    for (const i of op.inputs) {
      if (i < 0) continue;
      users.set(i, (users.get(i) ?? 0) + 1);
      readers.set(i, [...(readers.get(i) ?? []), op]);
    }
  }
  const pairs: Pair[] = [];
  for (const producer of graph.ops) {
    if (!PRODUCERS.has(producer.type)) continue;
    const activation = (producer.attrs as { activation?: FusedActivation }).activation ?? 'NONE';
    const out = producer.outputs[0];
    const next = readers.get(out) ?? [];
    if (!HOMOGENEOUS.has(activation) || graph.outputs.includes(out) || next.length !== 1) continue;
    const consumer = next[0];
    if (!CONSUMERS.has(consumer.type) || consumer.inputs[0] !== out || consumer.inputs.indexOf(out, 1) >= 0) continue;
    const [w1, b1, w2] = [graph.tensors[producer.inputs[1]], producer.inputs[2] >= 0 ? graph.tensors[producer.inputs[2]] : undefined, graph.tensors[consumer.inputs[1]]];
    if (graph.tensors[out].dtype !== 'float32' || !constFloat(w1, users) || !constFloat(w2, users)) continue;
    if (b1 !== undefined && !constFloat(b1, users)) continue;
    const shape = graph.tensors[out].shape;
    const channels = shape[shape.length - 1];
    // A convolution must read exactly these channels; a dense layer may read a flattened NHWC tensor.
    const depth = w2.shape[w2.shape.length - 1];
    if (consumer.type === 'CONV_2D' ? depth !== channels : depth % channels !== 0) continue;
    pairs.push({ producer, consumer, channels });
  }
  return pairs;
}

/** max |value| of each channel (last dimension) of the listed tensors over the probe inputs. */
function channelMaxima(graph: Graph, tensorIds: Set<number>, probes: Float32Array[][]): Map<number, Float64Array> {
  const maxima = new Map<number, Float64Array>();
  const prepared = prepareGraph(graph);
  for (const probe of probes) {
    runGraph(prepared, probe, {
      onStep: (step, outs) => {
        const id = step.op.outputs[0];
        if (!tensorIds.has(id)) return;
        const shape = graph.tensors[id].shape;
        const c = shape[shape.length - 1];
        const m = maxima.get(id) ?? new Float64Array(c);
        const v = outs[0] as Float32Array;
        for (let i = 0; i < v.length; i++) m[i % c] = Math.max(m[i % c], Math.abs(v[i]));
        maxima.set(id, m);
      },
    });
  }
  return maxima;
}

/** Multiplies (or divides) the slices of `t` along `dim` (channel = index along dim, or index % channels for flattened inputs) by s. */
function scaleAlong(t: Tensor & { data: Float32Array }, dim: number, s: Float64Array, divide: boolean): void {
  const inner = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const along = t.shape[dim];
  for (let i = 0; i < t.data.length; i++) {
    const c = Math.floor(i / inner) % along % s.length;
    t.data[i] = Math.fround(divide ? t.data[i] / s[c] : t.data[i] * s[c]);
  }
}

/** The dimension of a producer's weights that holds its output channels: 0 of OHWI conv and [units, depth] dense weights, 3 of [1, H, W, C] depthwise. */
function outputChannelDim(op: Op): number {
  return op.type === 'DEPTHWISE_CONV_2D' ? 3 : 0;
}

/**
 * A copy of `graph` with every smoothable pair rescaled by s_c = a_c^alpha / w_c^(1 - alpha),
 * a_c measured on `probes`. Channels that are zero on every probe, or read by all-zero weights,
 * keep s_c = 1.
 */
export function smoothActivations(graph: Graph, alpha: number, probes: Float32Array[][]): { graph: Graph; pairs: SmoothedPair[] } {
  const ids = new Set(smoothablePairs(graph).map((p) => p.producer.outputs[0]));
  const maxima = channelMaxima(graph, ids, probes);
  return rescalePairs(graph, alpha, (producer) => maxima.get(producer.outputs[0]));
}

/**
 * Data-free cross-layer equalization: `iterations` sweeps of s_c = sqrt(r_c / w_c) over the
 * smoothable pairs (r_c the producer's weight-row range), each sweep evening out the ranges the
 * previous one changed.
 */
export function equalizeLayers(graph: Graph, iterations = 4): { graph: Graph; pairs: SmoothedPair[] } {
  let current = { graph, pairs: [] as SmoothedPair[] };
  for (let k = 0; k < iterations; k++) {
    // Ranges are read from the copy being rescaled: a producer's rows after the previous pair scaled its columns.
    current = rescalePairs(current.graph, 0.5, (producer, _channels, g) => {
      const w1 = g.tensors[producer.inputs[1]] as Tensor & { data: Float32Array };
      return absMaxPerChannel(w1.data, w1.shape, outputChannelDim(producer));
    });
  }
  return current;
}

/** A copy of `graph` with each smoothable pair rescaled by s_c = a_c^alpha / w_c^(1 - alpha), a_c from `rangeOf`. */
function rescalePairs(graph: Graph, alpha: number, rangeOf: (producer: Op, channels: number, copy: Graph) => readonly number[] | Float64Array | undefined): { graph: Graph; pairs: SmoothedPair[] } {
  const out: Graph = structuredClone(graph);
  const done: SmoothedPair[] = [];
  for (const { producer, consumer, channels } of smoothablePairs(out)) {
    const a = rangeOf(producer, channels, out);
    if (!a) continue;
    const w1 = out.tensors[producer.inputs[1]] as Tensor & { data: Float32Array };
    const w2 = out.tensors[consumer.inputs[1]] as Tensor & { data: Float32Array };
    const b1 = producer.inputs[2] >= 0 ? (out.tensors[producer.inputs[2]] as Tensor & { data: Float32Array }) : undefined;
    const inDim = w2.shape.length - 1;
    // The largest weight reading each channel; a dense layer over a flattened NHWC tensor reads channel c at every column = c mod channels.
    const w = new Float64Array(channels);
    absMaxPerChannel(w2.data, w2.shape, inDim).forEach((m, col) => (w[col % channels] = Math.max(w[col % channels], m)));
    const s = new Float64Array(channels).fill(1);
    // A channel (almost) dead on either side keeps s_c = 1: rescaling it would only move a zero.
    const aFloor = DEAD * Math.max(...a);
    const wFloor = DEAD * Math.max(...w);
    const live = (c: number): boolean => a[c] > aFloor && w[c] > wFloor;
    let logSum = 0;
    let counted = 0;
    for (let c = 0; c < channels; c++) {
      if (live(c)) {
        s[c] = Math.pow(a[c], alpha) / Math.pow(w[c], 1 - alpha);
        logSum += Math.log(s[c]);
        counted++;
      }
    }
    if (counted === 0) continue;
    // Only ratios between channels matter; a geometric mean of 1 keeps magnitudes where they were.
    const norm = Math.exp(logSum / counted);
    for (let c = 0; c < channels; c++) if (live(c)) s[c] /= norm;
    scaleAlong(w1, outputChannelDim(producer), s, true);
    if (b1) scaleAlong(b1, 0, s, true);
    scaleAlong(w2, inDim, s, false);
    done.push({ producer: producer.index, consumer: consumer.index, channels, smallest: Math.min(...s), largest: Math.max(...s) });
  }
  return { graph: out, pairs: done };
}
