/**
 * What `tinyml inspect` reports: per layer shapes, dtypes, quantization, MACs and parameter
 * bytes, and model totals. Pure over the IR.
 */
import type { Graph, Quantization, Tensor } from '../ir/types.js';
import { DTYPE_BYTES, elementCount } from '../ir/types.js';
import { bitsPerWeight } from '../ir/weight-encoding.js';
import { parameterBytes, storedBytes } from '../ir/stored-bytes.js';
import { getOpDef, opContext } from '../ops/registry.js';

export interface TensorSummary {
  id: number;
  name: string;
  shape: number[];
  dtype: string;
  /** e.g. "s=0.0235 zp=-128", "per-channel(32) s=1.2e-3..4.5e-3 zp=0", or "-" */
  quant: string;
  bytes: number;
  constant: boolean;
  /** Compressed weights only: the encoding ('int4', 'int2', 'ternary', 'binary', 'lut') and bits per weight; `bytes` is then the stored size (src/ir/stored-bytes.ts). */
  weightEncoding?: string;
  weightBits?: number;
}

export interface LayerSummary {
  index: number;
  op: string;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  macs: number;
  /** Bytes of the constant operands (weights, biases) this op reads. */
  parameterBytes: number;
}

export interface ModelSummary {
  name: string;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  layers: LayerSummary[];
  totals: {
    ops: number;
    macs: number;
    /** Bytes of all constant tensors read by ops, each counted once. */
    parameterBytes: number;
    largestActivation: { name: string; bytes: number } | null;
  };
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

export function summarizeQuant(q: Quantization | undefined): string {
  if (!q || q.scale.length === 0) return '-';
  if (q.scale.length === 1) return `s=${fmt(q.scale[0])} zp=${q.zeroPoint[0] ?? 0}`;
  const lo = Math.min(...q.scale);
  const hi = Math.max(...q.scale);
  const zps = new Set(q.zeroPoint);
  const zp = zps.size === 1 ? String([...zps][0]) : 'mixed';
  return `per-channel(${q.scale.length}, dim ${q.quantizedDimension}) s=${fmt(lo)}..${fmt(hi)} zp=${zp}`;
}

export function tensorBytes(t: Tensor): number {
  return elementCount(t.shape) * DTYPE_BYTES[t.dtype];
}

function summarizeTensor(t: Tensor): TensorSummary {
  const s: TensorSummary = { id: t.id, name: t.name, shape: t.shape, dtype: t.dtype, quant: summarizeQuant(t.quant), bytes: storedBytes(t), constant: t.data !== undefined };
  if (t.weightEncoding) {
    s.weightEncoding = t.weightEncoding.kind;
    s.weightBits = bitsPerWeight(t.weightEncoding);
  }
  return s;
}

export function summarizeModel(graph: Graph): ModelSummary {
  const layers = graph.ops.map((op): LayerSummary => {
    const ctx = opContext(graph, op);
    const def = getOpDef(graph, op);
    const inputs = ctx.inputs.filter((t): t is Tensor => t !== undefined).map(summarizeTensor);
    let opParams = 0;
    for (const t of ctx.inputs) if (t?.data) opParams += storedBytes(t);
    return { index: op.index, op: op.type, inputs, outputs: ctx.outputs.map(summarizeTensor), macs: def.macs(ctx), parameterBytes: opParams };
  });
  let largest: { name: string; bytes: number } | null = null;
  for (const t of graph.tensors) {
    if (t.data) continue;
    const bytes = tensorBytes(t);
    if (!largest || bytes > largest.bytes) largest = { name: t.name, bytes };
  }
  return {
    name: graph.name,
    inputs: graph.inputs.map((i) => summarizeTensor(graph.tensors[i])),
    outputs: graph.outputs.map((i) => summarizeTensor(graph.tensors[i])),
    layers,
    totals: { ops: layers.length, macs: layers.reduce((a, l) => a + l.macs, 0), parameterBytes: parameterBytes(graph), largestActivation: largest },
  };
}
