/**
 * BatchNorm folding. The importers represent an inference-mode BatchNormalization as MUL and ADD
 * by per-channel constants (broadcast over the last axis); a Div by a per-channel constant is a
 * MUL by its reciprocal. This pass
 *
 * 1. merges chains of such constant MULs (and of constant ADD/SUBs) into one, and
 * 2. folds a per-channel MUL / ADD / SUB that directly follows a CONV_2D, DEPTHWISE_CONV_2D or
 *    FULLY_CONNECTED (float32, no fused activation, nothing else reading its output) into that
 *    layer: MUL scales the weights of each output channel and the bias, ADD/SUB shift the bias.
 *
 * When the layer's weights are DEQUANTIZE(int8 constant) (a QDQ model), a MUL is folded into the
 * per-channel weight scales instead, so the int8 weights stay exactly what the model was trained
 * with (a negative factor negates the channel's values, saturating -128 to 127).
 */
import type { FusedActivation } from '../ir/attrs.js';
import type { Graph, Op, Quantization, Tensor } from '../ir/types.js';
import { elementCount } from '../ir/types.js';
import {
  activationAndConstant,
  addTensor,
  cloneGraph,
  compactGraph,
  consumersOf,
  insertOpBefore,
  isConst,
  makeOp,
  perChannelValues,
  producersOf,
  sameShape,
  uniqueConsumers,
} from './graph-utils.js';

const LAYERS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** The weight dimension holding output channels. */
function channelDim(op: Op): number {
  return op.type === 'DEPTHWISE_CONV_2D' ? 3 : 0;
}

export type Affine = { kind: 'mul' | 'add'; values: Float64Array; x: number };

/** A MUL/ADD/SUB of activation `x` by a per-channel constant (SUB only as x - k). */
export function affineOf(g: Graph, op: Op): Affine | undefined {
  if (op.type !== 'MUL' && op.type !== 'ADD' && op.type !== 'SUB') return undefined;
  const out = g.tensors[op.outputs[0]];
  if (out.dtype !== 'float32') return undefined;
  const operands = activationAndConstant(g, op);
  if (!operands || !sameShape(g.tensors[operands.x].shape, out.shape)) return undefined;
  const values = perChannelValues(g.tensors[operands.k], out.shape[out.shape.length - 1] ?? 1);
  if (!values) return undefined;
  if (op.type === 'SUB') for (let i = 0; i < values.length; i++) values[i] = -values[i];
  return { kind: op.type === 'MUL' ? 'mul' : 'add', values, x: operands.x };
}

/** MUL(MUL(x, a), b) → MUL(x, a*b); ADD(ADD(x, a), b) → ADD(x, a+b) (SUBs as ADDs of negations). */
function mergeChains(g: Graph): boolean {
  const consumers = consumersOf(g);
  for (const first of g.ops) {
    const a = affineOf(g, first);
    if (!a || (first.attrs as { activation: FusedActivation }).activation !== 'NONE') continue;
    const mid = first.outputs[0];
    if (g.outputs.includes(mid)) continue;
    const readers = uniqueConsumers(consumers, mid);
    if (readers.length !== 1) continue;
    const second = readers[0];
    const b = affineOf(g, second);
    if (!b || b.kind !== a.kind || b.x !== mid) continue;
    const values = a.values.map((v, i) => (a.kind === 'mul' ? v * b.values[i] : v + b.values[i]));
    const k = addTensor(g, { name: `${g.tensors[mid].name}/merged`, shape: [values.length], dtype: 'float32', data: Float32Array.from(values) });
    second.type = a.kind === 'mul' ? 'MUL' : 'ADD';
    second.inputs = [a.x, k];
    g.ops = g.ops.filter((o) => o !== first);
    return true;
  }
  return false;
}

function scaleFloatWeights(w: Tensor, dim: number, m: Float64Array): Float32Array {
  const src = w.data as Float32Array;
  const out = new Float32Array(src.length);
  const C = w.shape[dim];
  const inner = elementCount(w.shape.slice(dim + 1));
  for (let i = 0; i < src.length; i++) out[i] = src[i] * m[Math.floor(i / inner) % C];
  return out;
}

/** Folds a per-channel factor into the scales of int8 weights; undefined when not possible. */
function scaleQuantizedWeights(w: Tensor, dim: number, m: Float64Array): { data: Int8Array; quant: Quantization } | undefined {
  const q = w.quant;
  if (!q || w.dtype !== 'int8' || !(w.data instanceof Int8Array)) return undefined;
  const C = w.shape[dim];
  if (q.scale.length !== 1 && (q.scale.length !== C || q.quantizedDimension !== dim)) return undefined;
  if (q.zeroPoint.some((z) => z !== 0)) return undefined;
  const src = w.data;
  const data = new Int8Array(src);
  const inner = elementCount(w.shape.slice(dim + 1));
  const scale: number[] = [];
  for (let c = 0; c < C; c++) {
    const s = q.scale.length === 1 ? q.scale[0] : q.scale[c];
    const f = m[c];
    scale.push(f === 0 ? s : Math.fround(s * Math.abs(f)));
    if (f >= 0) continue;
    for (let i = 0; i < src.length; i++) if (Math.floor(i / inner) % C === c) data[i] = Math.min(127, -src[i]);
  }
  for (let c = 0; c < C; c++) {
    if (m[c] !== 0) continue;
    for (let i = 0; i < src.length; i++) if (Math.floor(i / inner) % C === c) data[i] = 0;
  }
  return { data, quant: { scale, zeroPoint: new Array<number>(C).fill(0), quantizedDimension: dim } };
}

function foldInto(g: Graph, layer: Op, follower: Op, a: Affine, producers: Map<number, Op>): boolean {
  const T = g.tensors;
  const out = T[layer.outputs[0]];
  const C = out.shape[out.shape.length - 1];
  const dim = channelDim(layer);
  const wId = layer.inputs[1];
  const bId = layer.inputs.length > 2 ? layer.inputs[2] : -1;
  if (wId < 0 || T[wId].shape[dim] !== C) return false;
  if (bId >= 0 && (!isConst(g, bId) || T[bId].dtype !== 'float32' || elementCount(T[bId].shape) !== C)) return false;
  const bias = bId >= 0 ? Float64Array.from(T[bId].data as Float32Array) : new Float64Array(C);
  const w = T[wId];
  let newWeights: number | undefined;
  if (a.kind === 'mul') {
    if (isConst(g, wId) && w.dtype === 'float32') {
      newWeights = addTensor(g, { name: w.name, shape: w.shape, dtype: 'float32', data: scaleFloatWeights(w, dim, a.values) });
    } else {
      const dq = producers.get(wId);
      if (!dq || dq.type !== 'DEQUANTIZE' || !isConst(g, dq.inputs[0])) return false;
      const qw = T[dq.inputs[0]];
      const scaled = scaleQuantizedWeights(qw, dim, a.values);
      if (!scaled) return false;
      const qId = addTensor(g, { name: qw.name, shape: qw.shape, dtype: 'int8', data: scaled.data, quant: scaled.quant });
      newWeights = addTensor(g, { name: w.name, shape: w.shape, dtype: 'float32' });
      insertOpBefore(g, layer, makeOp('DEQUANTIZE', [qId], [newWeights], {}));
    }
    for (let c = 0; c < C; c++) bias[c] *= a.values[c];
  } else {
    if (!(isConst(g, wId) && w.dtype === 'float32') && producers.get(wId)?.type !== 'DEQUANTIZE') return false;
    for (let c = 0; c < C; c++) bias[c] += a.values[c];
  }
  const biasName = bId >= 0 ? T[bId].name : `${g.tensors[follower.outputs[0]].name}/bias`;
  const newBias = addTensor(g, { name: biasName, shape: [C], dtype: 'float32', data: Float32Array.from(bias) });
  layer.inputs = [layer.inputs[0], newWeights ?? wId, newBias];
  layer.outputs = [follower.outputs[0]];
  (layer.attrs as { activation: FusedActivation }).activation = (follower.attrs as { activation: FusedActivation }).activation;
  g.ops = g.ops.filter((o) => o !== follower);
  return true;
}

function foldOne(g: Graph): boolean {
  const consumers = consumersOf(g);
  const producers = producersOf(g);
  for (const layer of g.ops) {
    if (!LAYERS.has(layer.type)) continue;
    if ((layer.attrs as { activation: FusedActivation }).activation !== 'NONE') continue;
    const outId = layer.outputs[0];
    if (g.tensors[outId].dtype !== 'float32' || g.outputs.includes(outId)) continue;
    const readers = uniqueConsumers(consumers, outId);
    if (readers.length !== 1) continue;
    const follower = readers[0];
    const a = affineOf(g, follower);
    if (!a || a.x !== outId) continue;
    if (foldInto(g, layer, follower, a, producers)) return true;
  }
  return false;
}

/** Folds per-channel MUL/ADD constants (BatchNorm) into the preceding conv/dense layers. */
export function foldBatchNorm(graph: Graph): Graph {
  const g = cloneGraph(graph);
  let changed = false;
  while (mergeChains(g)) changed = true;
  while (foldOne(g)) changed = true;
  return changed ? compactGraph(g) : graph;
}
