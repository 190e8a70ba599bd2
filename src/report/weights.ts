/**
 * Per-layer weight histograms: the values of each layer's weight tensor, binned. For a float model
 * that was quantized for the report, the float weights and the int8 weights dequantized with their
 * (per-channel) scales share one set of bins, so the two distributions can be compared bin by bin;
 * for an int8 model the bins cover the raw int8 codes.
 */
import type { Graph, Op, Tensor } from '../ir/types.js';
import { elementCount } from '../ir/types.js';

export interface Histogram {
  /** Lower edge of the first bin and upper edge of the last. */
  lo: number;
  hi: number;
  counts: number[];
}

export interface LayerWeights {
  /** Op index in the graph the weights were read from (the float graph when there is one). */
  index: number;
  op: string;
  /** Name of the op's (first) output, which names the layer. */
  output: string;
  tensor: string;
  shape: number[];
  /** 'float': float weights (after: their int8 form dequantized); 'int8': raw int8 codes. */
  kind: 'float' | 'int8';
  before: Histogram;
  /** The same bins over the dequantized int8 weights (float model quantized for the report). */
  after?: Histogram;
  /** Distinct weight scales (1: per tensor). */
  scales?: number;
}

/** A layer's weights: its first constant input of rank 2 or more (conv, depthwise and dense kernels). */
function weightTensor(graph: Graph, op: Op): Tensor | undefined {
  for (const id of op.inputs) {
    if (id < 0) continue;
    const t = graph.tensors[id];
    if (t.data && t.shape.length >= 2 && (t.dtype === 'float32' || t.dtype === 'int8')) return t;
  }
  return undefined;
}

/** Bins `values` into `bins` equal bins over [lo, hi]; values outside go to the edge bins. */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): Histogram {
  const counts = new Array<number>(bins).fill(0);
  const width = hi > lo ? (hi - lo) / bins : 1;
  for (let i = 0; i < values.length; i++) {
    const k = Math.floor((values[i] - lo) / width);
    counts[Math.min(bins - 1, Math.max(0, k))]++;
  }
  return { lo, hi, counts };
}

/** `t`'s int8 codes as real numbers: (q - zeroPoint) * scale, the scale of each value's channel. */
export function dequantizeWeights(t: Tensor): Float32Array {
  const q = t.quant;
  const data = t.data;
  if (!q || !data || t.dtype !== 'int8') throw new Error(`tensor '${t.name}' is not an int8 quantized constant`);
  const out = new Float32Array(data.length);
  const dim = q.quantizedDimension;
  const stride = q.scale.length > 1 ? elementCount(t.shape.slice(dim + 1)) : 1;
  for (let i = 0; i < data.length; i++) {
    const c = q.scale.length > 1 ? Math.floor(i / stride) % q.scale.length : 0;
    out[i] = (Number(data[i]) - (q.zeroPoint[c] ?? 0)) * q.scale[c];
  }
  return out;
}

/**
 * The histograms of every layer with weights in `graph`. With `quantized` (the int8 graph made
 * from float `graph`, which keeps every tensor id), each layer also gets its dequantized weights
 * in the same bins.
 */
export function weightHistograms(graph: Graph, quantized?: Graph, bins = 32): LayerWeights[] {
  const layers: LayerWeights[] = [];
  for (const op of graph.ops) {
    const w = weightTensor(graph, op);
    if (!w || !w.data) continue;
    const base = { index: op.index, op: op.type, output: graph.tensors[op.outputs[0]].name, tensor: w.name, shape: [...w.shape] };
    if (w.dtype === 'int8') {
      // 256 codes, 8 per bin at 32 bins: the bins line up with the codes exactly.
      layers.push({ ...base, kind: 'int8', before: histogram(w.data as Int8Array, -128, 128, bins), scales: w.quant?.scale.length ?? 0 });
      continue;
    }
    const values = w.data as Float32Array;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) {
      lo -= 0.5;
      hi += 0.5;
    }
    const layer: LayerWeights = { ...base, kind: 'float', before: histogram(values, lo, hi, bins) };
    const qt = quantized?.tensors[w.id];
    if (qt && qt.dtype === 'int8' && qt.data && qt.quant) {
      layer.after = histogram(dequantizeWeights(qt), lo, hi, bins);
      layer.scales = qt.quant.scale.length;
    }
    layers.push(layer);
  }
  return layers;
}
