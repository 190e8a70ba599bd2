/**
 * Quantization-aware fine-tuning of a float graph, then its conversion to the int8 graph the
 * post-training quantizer would build, with the learned scales:
 *
 * 1. activation quantizers start from min/max calibration on training samples (the float model),
 *    weight step sizes from per-channel MSE-optimal clipping;
 * 2. training: fake-quantized forward pass, STE/LSQ backward pass, Adam with cosine decay, cross
 *    entropy (with `distill`, half of it replaced by the KL divergence to the float model's soft
 *    targets at temperature 2);
 * 3. `toIntegerGraph`: `quantizeGraph` with the learned activation parameters and weight scales,
 *    sub-byte widths recorded as `weightEncoding` (data stays the decoded int8 codes).
 */
import { InputError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { asymmetricQParams, type QParams } from '../quantize/qparams.js';
import { quantizeGraph, type WeightOverride } from '../quantize/index.js';
import { weightRule } from '../quantize/rules.js';
import type { SubByteKind } from '../ir/weight-encoding.js';
import { buildNetwork, backward, forward, zeroGrads, type Network } from './network.js';
import type { WeightKind } from './fake-quant.js';

/** Training samples already preprocessed to the float model's input (NHWC, float32). */
export interface TrainingData {
  count: number;
  /** Writes sample i's input values into `out` at `offset`. */
  input(i: number, out: Float32Array, offset: number): void;
  labels: Int32Array;
}

export interface FinetuneOptions {
  kind: WeightKind;
  /** Op indices whose weights stay int8. */
  keepInt8?: readonly number[];
  epochs?: number;
  batchSize?: number;
  /** Adam learning rate (weights, biases and step sizes); default 1e-4 for int8, 5e-4 below. */
  learningRate?: number;
  distill?: boolean;
  /** Samples for the initial activation calibration (default 1024). */
  calibrationSamples?: number;
  seed?: number;
  onProgress?: (p: TrainingProgress) => void;
}

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Mean training loss and accuracy (fake-quantized network) over the epoch so far. */
  loss: number;
  accuracy: number;
}

export interface FinetuneResult {
  network: Network;
  /** The int8 graph before training (the initial scales): the PTQ starting point. */
  initialGraph: Graph;
  /** The int8 graph with the learned scales. */
  graph: Graph;
  epochs: { loss: number; accuracy: number; cpuSeconds: number; seconds: number }[];
}

/** A small deterministic PRNG (mulberry32) for shuffling. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function batchInput(net: Network, data: TrainingData, idx: ArrayLike<number>, from: number, n: number): Float32Array {
  const x = new Float32Array(n * net.inputSize);
  for (let k = 0; k < n; k++) data.input(idx[from + k], x, k * net.inputSize);
  return x;
}

/** Sets every activation quantizer from the float model's min/max over `count` samples. */
export function calibrateNetwork(net: Network, data: TrainingData, count: number, batch = 64): void {
  const min = new Map<number, number>();
  const max = new Map<number, number>();
  const n = Math.min(count, data.count);
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const idx = Array.from({ length: b }, (_, k) => start + k);
    const tr = forward(net, batchInput(net, data, idx, 0, b), b, false);
    for (const [id, v] of tr.values) {
      let lo = min.get(id) ?? 0;
      let hi = max.get(id) ?? 0;
      for (let i = 0; i < v.length; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
      min.set(id, lo);
      max.set(id, hi);
    }
  }
  // Tensors sharing a quantizer share the union of their ranges, as the quantizer's groups do.
  const ranges = new Map<object, { min: number; max: number }>();
  for (const [id, q] of net.quant) {
    const r = ranges.get(q) ?? { min: 0, max: 0 };
    r.min = Math.min(r.min, min.get(id) ?? 0);
    r.max = Math.max(r.max, max.get(id) ?? 0);
    ranges.set(q, r);
  }
  for (const [id, q] of net.quant) {
    const p = asymmetricQParams(ranges.get(q)!);
    q.scale = p.scale;
    q.zeroPoint = p.zeroPoint;
    void id;
  }
}

/** Softmax of each row of `logits` [rows, k] at temperature t. */
function softmax(logits: Float32Array, rows: number, k: number, t = 1): Float32Array {
  const p = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, logits[r * k + j] / t);
    let s = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(logits[r * k + j] / t - m);
      p[r * k + j] = e;
      s += e;
    }
    for (let j = 0; j < k; j++) p[r * k + j] /= s;
  }
  return p;
}

const DISTILL_T = 2;
const DISTILL_ALPHA = 0.5;

/**
 * Loss and its gradient with respect to the logits: cross entropy, or with `teacher` logits
 * (1 - α) CE + α T² KL(teacher_T ‖ student_T). Returns the batch's summed loss and correct count.
 */
export function lossAndGradient(
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  k: number,
  teacher?: Float32Array,
): { loss: number; correct: number; grad: Float32Array } {
  const p = softmax(logits, rows, k);
  const grad = new Float32Array(logits.length);
  let loss = 0;
  let correct = 0;
  const a = teacher ? DISTILL_ALPHA : 0;
  const ps = teacher ? softmax(logits, rows, k, DISTILL_T) : undefined;
  const pt = teacher ? softmax(teacher, rows, k, DISTILL_T) : undefined;
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    let best = 0;
    for (let j = 0; j < k; j++) {
      const i = r * k + j;
      if (logits[i] > logits[r * k + best]) best = j;
      grad[i] = ((1 - a) * (p[i] - (j === y ? 1 : 0))) / rows;
      if (ps && pt) {
        grad[i] += (a * DISTILL_T * (ps[i] - pt[i])) / rows;
        if (pt[i] > 0) loss += a * DISTILL_T * DISTILL_T * pt[i] * Math.log(pt[i] / Math.max(ps[i], 1e-30));
      }
    }
    loss += -(1 - a) * Math.log(Math.max(p[r * k + y], 1e-30));
    if (best === y) correct++;
  }
  return { loss, correct, grad };
}

interface AdamSlot {
  value: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** Keeps step sizes positive. */
  positive: boolean;
}

function adamStep(slots: AdamSlot[], lr: number, t: number): void {
  const b1 = 0.9;
  const b2 = 0.999;
  const c1 = 1 - b1 ** t;
  const c2 = 1 - b2 ** t;
  for (const s of slots) {
    for (let i = 0; i < s.value.length; i++) {
      const g = s.grad[i];
      s.m[i] = b1 * s.m[i] + (1 - b1) * g;
      s.v[i] = b2 * s.v[i] + (1 - b2) * g * g;
      let v = s.value[i] - (lr * (s.m[i] / c1)) / (Math.sqrt(s.v[i] / c2) + 1e-8);
      if (s.positive && v < s.value[i] * 0.5) v = s.value[i] * 0.5;
      s.value[i] = v;
    }
  }
}

function slot(value: Float32Array, grad: Float32Array, positive = false): AdamSlot {
  return { value, grad, m: new Float32Array(value.length), v: new Float32Array(value.length), positive };
}

/** The int8 graph of the network's current weights and scales. */
export function toIntegerGraph(net: Network, calibration: Float32Array): Graph {
  const g = net.graph;
  const tensors = g.tensors.map((t) => ({ ...t }));
  const activationQParams = new Map<number, QParams>();
  for (const [id, q] of net.quant) activationQParams.set(id, { scale: Math.fround(q.scale), zeroPoint: q.zeroPoint });
  const weightOverrides = new Map<number, WeightOverride>();
  for (const p of net.weights) {
    const op = g.ops[p.opIndex];
    const rule = weightRule(op.type)!;
    const w = op.inputs[rule.weights];
    const b = op.inputs.length > rule.bias ? op.inputs[rule.bias] : -1;
    tensors[w] = { ...tensors[w], data: Float32Array.from(p.w) };
    if (p.b && b >= 0) tensors[b] = { ...tensors[b], data: Float32Array.from(p.b) };
    weightOverrides.set(p.opIndex, { scales: Array.from(p.scales), encoding: p.kind === 'int8' ? undefined : (p.kind as SubByteKind) });
  }
  const trained: Graph = { ...g, tensors };
  return quantizeGraph(trained, [[calibration]], { evaluate: false, activationQParams, weightOverrides }).graph;
}

/** Trains `floatGraph` with fake quantization and returns the int8 graphs before and after. */
export function finetune(floatGraph: Graph, data: TrainingData, options: FinetuneOptions): FinetuneResult {
  if (data.count === 0) throw new InputError('finetune needs at least one training sample');
  const keep = new Set(options.keepInt8 ?? []);
  for (const i of keep) {
    const op = floatGraph.ops[i];
    if (!op || !['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type)) {
      throw new InputError(`--keep-int8: op ${i} is not a weight layer of '${floatGraph.name}' (see 'tinyml inspect' for op indices)`);
    }
  }
  const net = buildNetwork(floatGraph, { kind: options.kind, keepInt8: keep });
  const classes = net.outputSize;
  for (let i = 0; i < data.labels.length; i++) {
    const y = data.labels[i];
    if (y < 0 || y >= classes) throw new InputError(`label ${i} is ${y}, but the model has ${classes} outputs (classes 0..${classes - 1}): do the labels belong to this data and model?`);
  }
  calibrateNetwork(net, data, options.calibrationSamples ?? 1024);
  const calib = batchInput(net, data, [0], 0, 1);
  const initialGraph = toIntegerGraph(net, calib);

  const epochs = options.epochs ?? 1;
  const batch = options.batchSize ?? 128;
  const lr0 = options.learningRate ?? (options.kind === 'int8' ? 1e-4 : 5e-4);
  const slots: AdamSlot[] = [];
  for (const p of net.weights) {
    slots.push(slot(p.w, p.dw));
    if (p.b && p.db) slots.push(slot(p.b, p.db));
    slots.push(slot(p.scales, p.dscales, true));
  }
  const actValues = new Float32Array(net.learnedActs.length);
  const actGrads = new Float32Array(net.learnedActs.length);
  slots.push(slot(actValues, actGrads, true));

  const random = rng(options.seed ?? 1);
  const steps = Math.ceil(data.count / batch);
  const total = steps * epochs;
  let t = 0;
  const history: FinetuneResult['epochs'] = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const order = Int32Array.from({ length: data.count }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let s = 0; s < steps; s++) {
      const from = s * batch;
      const n = Math.min(batch, data.count - from);
      const x = batchInput(net, data, order, from, n);
      const labels = Array.from({ length: n }, (_, k) => data.labels[order[from + k]]);
      const teacher = options.distill ? forward(net, x, n, false).values.get(net.output) : undefined;
      const tr = forward(net, x, n, true);
      const out = tr.values.get(net.output)!;
      const r = lossAndGradient(out, labels, n, classes, teacher);
      zeroGrads(net);
      backward(net, tr, r.grad);
      net.learnedActs.forEach((a, k) => {
        actValues[k] = a.q.scale;
        actGrads[k] = a.grad;
      });
      t++;
      const lr = 0.5 * lr0 * (1 + Math.cos((Math.PI * (t - 1)) / total));
      adamStep(slots, lr, t);
      net.learnedActs.forEach((a, k) => {
        a.q.scale = Math.fround(actValues[k]);
      });
      lossSum += r.loss;
      correct += r.correct;
      seen += n;
      options.onProgress?.({ epoch: e + 1, epochs, step: s + 1, steps, loss: lossSum / seen, accuracy: correct / seen });
    }
    const c = process.cpuUsage(c0);
    history.push({ loss: lossSum / seen, accuracy: correct / seen, cpuSeconds: (c.user + c.system) / 1e6, seconds: (performance.now() - t0) / 1000 });
  }
  return { network: net, initialGraph, graph: toIntegerGraph(net, calib), epochs: history };
}
