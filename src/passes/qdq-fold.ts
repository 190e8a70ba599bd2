/**
 * QDQ folding: turns a quantize/dequantize ("fake quant") float graph, as QAT and post-training
 * quantization tools export it to ONNX, into the int8 graph TFLite-style kernels run.
 *
 * The float graph computes `Q(op(DQ(x_q), DQ(w_q), b))` at every quantized layer. This pass
 * rewrites each such op to read the int8 tensors directly and write the QUANTIZE's int8 output:
 *
 * - activations: inputs produced by DEQUANTIZE of int8 (per-tensor) tensors, the output consumed
 *   only by QUANTIZE ops with identical parameters (their output becomes the op's output);
 * - CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED weights: DEQUANTIZE of an int8 constant with
 *   zero points 0 (per-channel or per-tensor), used as they are;
 * - bias: a float constant becomes int32 with scale input_scale × weight_scale (per channel),
 *   rounded to nearest;
 * - ops that do not change quantization (MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, RESHAPE, SQUEEZE,
 *   PAD, STRIDED_SLICE, RELU, RELU6, CONCATENATION of equally quantized inputs) and whose result is
 *   not re-quantized run on the int8 tensor with the input's parameters: the DEQUANTIZE moves
 *   below them (the float model feeds their unrounded float result onward; the int8 one rounds it
 *   to the input's grid, as a TFLite conversion does).
 *
 * Every rewritten op is checked with its kernel's `prepare`; one that the kernels cannot run in
 * int8 is left in float with its QUANTIZE/DEQUANTIZE ops around it. With `int8Io` (the default)
 * a float graph input that is immediately quantized becomes an int8 input, and a graph output
 * that is a DEQUANTIZE of an int8 tensor becomes that int8 tensor (the tensors keep the original
 * input/output names); one that the model quantizes to uint8 stays uint8 (src/passes/uint8-io.ts).
 * DEQUANTIZE of constants left over (weights of layers that stayed float)
 * are folded into float constants.
 *
 * The PyTorch QAT pattern (per-channel QDQ of W·γ/σ, then Div by γ/σ and BatchNormalization)
 * arrives here already folded by `foldBatchNorm`: the Div and the BatchNorm's MUL merge into a
 * factor of ≈1 absorbed by the weight scales, the BatchNorm's ADD becomes the float bias.
 */
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import type { Graph, Op, Quantization, Tensor } from '../ir/types.js';
import { elementCount } from '../ir/types.js';
import {
  addTensor,
  cloneGraph,
  compactGraph,
  consumersOf,
  insertOpAfter,
  isConst,
  makeOp,
  producersOf,
  removeDeadOps,
  replaceUses,
  sameQuant,
  uniqueConsumers,
} from './graph-utils.js';
import { removeIdentityOps } from './identity.js';
import { rewireIfRunnable } from './runnable.js';
import { FIXED_INT8_OUTPUT } from './qdq-fixed-range.js';
import { uint8Boundaries } from './uint8-io.js';

export interface QdqFoldOptions {
  /** Make quantized graph inputs/outputs int8 (drop the leading QUANTIZE / trailing DEQUANTIZE). Default true. */
  int8Io?: boolean;
}

const LAYERS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
/** Ops whose int8 kernels need the output quantized exactly like the input. */
const SAME_QUANT = new Set(['MAX_POOL_2D', 'RESHAPE', 'SQUEEZE', 'PAD', 'CONCATENATION', 'STRIDED_SLICE']);
/** Ops through which a DEQUANTIZE may move down (output quantized like the input). */
const PASS_THROUGH = new Set(['MAX_POOL_2D', 'AVERAGE_POOL_2D', 'MEAN', 'RESHAPE', 'SQUEEZE', 'PAD', 'STRIDED_SLICE', 'RELU', 'RELU6', 'CONCATENATION']);

const QUANT_DTYPES = new Set(['int8', 'int16']);

class QdqFolder {
  consumers = new Map<number, Op[]>();
  producers = new Map<number, Op>();

  constructor(readonly g: Graph) {}

  refresh(): void {
    this.consumers = consumersOf(this.g);
    this.producers = producersOf(this.g);
  }

  /** The quantized activation a float tensor is the DEQUANTIZE of. */
  dqSource(id: number): number | undefined {
    const p = this.producers.get(id);
    if (!p || p.type !== 'DEQUANTIZE') return undefined;
    const src = this.g.tensors[p.inputs[0]];
    if (src.data || !QUANT_DTYPES.has(src.dtype) || !src.quant || src.quant.scale.length !== 1) return undefined;
    return src.id;
  }

  /** The int8 constant (symmetric) a float weight tensor is the DEQUANTIZE of. */
  dqConstWeights(id: number): number | undefined {
    const p = this.producers.get(id);
    if (!p || p.type !== 'DEQUANTIZE') return undefined;
    const src = this.g.tensors[p.inputs[0]];
    if (!src.data || src.dtype !== 'int8' || !src.quant || src.quant.zeroPoint.some((z) => z !== 0)) return undefined;
    return src.id;
  }

  /** Quantizes a float bias for input scale `sIn` and weight scales `sW`. */
  quantizedBias(bias: Tensor, sIn: number, sW: number[], channels: number): number {
    const b = bias.data as Float32Array;
    const data = new Int32Array(channels);
    const scale: number[] = [];
    for (let c = 0; c < channels; c++) {
      const s = Math.fround(sIn) * Math.fround(sW.length === 1 ? sW[0] : sW[c]);
      scale.push(Math.fround(s));
      const q = roundHalfAwayFromZero(b[c] / s);
      data[c] = Math.max(-2147483648, Math.min(2147483647, q));
    }
    const quant: Quantization = { scale, zeroPoint: new Array<number>(channels).fill(0), quantizedDimension: 0 };
    return addTensor(this.g, { name: bias.name, shape: [channels], dtype: 'int32', data, quant });
  }

  /** Rewrites `op` to int8 when its result is quantized; true on success. */
  convert(op: Op): boolean {
    const g = this.g;
    if (op.outputs.length !== 1) return false;
    const y = op.outputs[0];
    if (g.tensors[y].dtype !== 'float32' || g.outputs.includes(y)) return false;
    const readers = uniqueConsumers(this.consumers, y);
    if (readers.length === 0 || readers.some((r) => r.type !== 'QUANTIZE')) return false;
    const yq = readers[0].outputs[0];
    const outT = g.tensors[yq];
    if (!QUANT_DTYPES.has(outT.dtype) || !outT.quant || outT.quant.scale.length !== 1) return false;
    if (readers.some((r) => g.tensors[r.outputs[0]].dtype !== outT.dtype || !sameQuant(g.tensors[r.outputs[0]].quant, outT.quant))) return false;
    // These int8 kernels assume their fixed output quantization without reading the scale.
    const fixed = FIXED_INT8_OUTPUT[op.type];
    if (fixed && outT.dtype === 'int8' && !sameQuant(outT.quant, fixed)) return false;
    const isLayer = LAYERS.has(op.type);
    const inputs: number[] = [];
    let biasSlot: { tensor: Tensor } | undefined;
    for (let k = 0; k < op.inputs.length; k++) {
      const i = op.inputs[k];
      if (i < 0) {
        inputs.push(i);
        continue;
      }
      const t = g.tensors[i];
      if (isLayer && k === 1) {
        const w = this.dqConstWeights(i);
        if (w === undefined) return false;
        inputs.push(w);
      } else if (isLayer && k === 2) {
        if (!t.data || t.dtype !== 'float32') return false;
        biasSlot = { tensor: t };
        inputs.push(i); // replaced below
      } else if (t.dtype !== 'float32') {
        if (!t.data) return false;
        inputs.push(i); // int shapes, axes, paddings
      } else {
        const s = this.dqSource(i);
        if (s === undefined) return false;
        if (SAME_QUANT.has(op.type) && !sameQuant(g.tensors[s].quant, outT.quant)) return false;
        inputs.push(s);
      }
    }
    if (isLayer && biasSlot) {
      const xq = g.tensors[inputs[0]].quant!;
      const wq = g.tensors[inputs[1]].quant!;
      const channels = elementCount(biasSlot.tensor.shape);
      inputs[2] = this.quantizedBias(biasSlot.tensor, xq.scale[0], wq.scale, channels);
    }
    if (!rewireIfRunnable(g, op, inputs, [yq])) return false;
    for (const r of readers.slice(1)) replaceUses(g, r.outputs[0], yq);
    g.ops = g.ops.filter((o) => !readers.includes(o));
    return true;
  }

  /** Moves the DEQUANTIZE feeding a quantization-preserving op below it; true on success. */
  push(op: Op): boolean {
    const g = this.g;
    if (!PASS_THROUGH.has(op.type) || op.outputs.length !== 1) return false;
    const y = op.outputs[0];
    if (g.tensors[y].dtype !== 'float32') return false;
    const inputs: number[] = [];
    let quant: Quantization | undefined;
    let dtype: Tensor['dtype'] | undefined;
    for (const i of op.inputs) {
      if (i < 0) {
        inputs.push(i);
        continue;
      }
      const t = g.tensors[i];
      if (t.dtype !== 'float32') {
        if (!t.data) return false;
        inputs.push(i);
        continue;
      }
      const s = this.dqSource(i);
      if (s === undefined) return false;
      const st = g.tensors[s];
      if (quant && (!sameQuant(quant, st.quant) || dtype !== st.dtype)) return false;
      quant = st.quant;
      dtype = st.dtype;
      inputs.push(s);
    }
    if (!quant || !dtype) return false;
    const yT = g.tensors[y];
    const yq = addTensor(g, { name: `${yT.name}/quantized`, shape: yT.shape, dtype, quant: { ...quant, scale: [...quant.scale], zeroPoint: [...quant.zeroPoint] } });
    if (!rewireIfRunnable(g, op, inputs, [yq])) {
      g.tensors.pop();
      return false;
    }
    insertOpAfter(g, op, makeOp('DEQUANTIZE', [yq], [y], {}));
    return true;
  }

  /** QUANTIZE(DEQUANTIZE(x)) with different parameters → QUANTIZE(x) (a requantization). */
  requantize(op: Op): boolean {
    if (op.type !== 'QUANTIZE') return false;
    const s = this.dqSource(op.inputs[0]);
    if (s === undefined) return false;
    return rewireIfRunnable(this.g, op, [s], op.outputs);
  }

  int8Io(): void {
    const g = this.g;
    this.refresh();
    g.inputs = g.inputs.map((x) => {
      const xt = g.tensors[x];
      if (xt.dtype !== 'float32') return x;
      const readers = uniqueConsumers(this.consumers, x);
      if (readers.length === 0 || readers.some((r) => r.type !== 'QUANTIZE')) return x;
      const xq = readers[0].outputs[0];
      const qt = g.tensors[xq];
      if (g.outputs.includes(x) || readers.some((r) => g.tensors[r.outputs[0]].dtype !== qt.dtype || !sameQuant(g.tensors[r.outputs[0]].quant, qt.quant))) return x;
      for (const r of readers.slice(1)) replaceUses(g, r.outputs[0], xq);
      g.ops = g.ops.filter((o) => !readers.includes(o));
      swapNames(xt, qt);
      return xq;
    });
    this.refresh();
    g.outputs = g.outputs.map((y) => {
      const p = this.producers.get(y);
      if (!p || p.type !== 'DEQUANTIZE') return y;
      const yq = p.inputs[0];
      const qt = g.tensors[yq];
      if (qt.data || g.outputs.includes(yq) || g.inputs.includes(yq)) return y;
      swapNames(g.tensors[y], qt);
      return yq;
    });
  }

  foldConstDequantize(): void {
    dequantizeConstantsInPlace(this.g);
  }
}

/** DEQUANTIZE ops on constants → float constants (per-channel aware; the DEQUANTIZE kernel is per-tensor only). */
function dequantizeConstantsInPlace(g: Graph): boolean {
  let changed = false;
  for (const op of g.ops) {
    if (op.type !== 'DEQUANTIZE' || !isConst(g, op.inputs[0])) continue;
    const src = g.tensors[op.inputs[0]];
    const q = src.quant;
    if (!q || !(src.data instanceof Int8Array || src.data instanceof Uint8Array || src.data instanceof Int16Array || src.data instanceof Int32Array)) continue;
    const out = g.tensors[op.outputs[0]];
    if (g.outputs.includes(out.id)) continue;
    const data = src.data;
    const f = new Float32Array(data.length);
    const C = q.scale.length;
    const inner = C > 1 ? elementCount(src.shape.slice(q.quantizedDimension + 1)) : 1;
    for (let i = 0; i < data.length; i++) {
      const c = C > 1 ? Math.floor(i / inner) % C : 0;
      f[i] = Math.fround(q.scale[c]) * (data[i] - (q.zeroPoint[c] ?? 0));
    }
    out.data = f;
    changed = true;
  }
  g.ops = g.ops.filter((op) => !(op.type === 'DEQUANTIZE' && isConst(g, op.outputs[0])));
  return changed;
}

/**
 * Replaces DEQUANTIZE ops of constants by float constants: the weights of a QDQ graph that is run
 * in float (its fake-quant semantics) rather than folded to int8.
 */
export function dequantizeConstants(graph: Graph): Graph {
  const g = cloneGraph(graph);
  return dequantizeConstantsInPlace(g) ? compactGraph(g) : graph;
}

/** Gives `b` the name of `a` (a is going away), keeping names unique. */
function swapNames(a: Tensor, b: Tensor): void {
  const n = a.name;
  a.name = b.name;
  b.name = n;
}

export function foldQdq(graph: Graph, options: QdqFoldOptions = {}): Graph {
  if (!graph.ops.some((op) => op.type === 'QUANTIZE' || op.type === 'DEQUANTIZE')) return graph;
  const g = cloneGraph(graph);
  const f = new QdqFolder(g);
  let changed = true;
  while (changed) {
    changed = false;
    f.refresh();
    for (const op of [...g.ops]) {
      if (op.type === 'QUANTIZE' || op.type === 'DEQUANTIZE') continue;
      if (f.convert(op) || f.push(op)) {
        changed = true;
        break;
      }
    }
  }
  removeDeadOps(g);
  f.refresh();
  for (const op of g.ops) if (f.requantize(op)) f.refresh();
  removeDeadOps(g);
  if (options.int8Io ?? true) {
    f.int8Io();
    uint8Boundaries(g);
  }
  f.foldConstDequantize();
  return removeIdentityOps(compactGraph(g));
}
