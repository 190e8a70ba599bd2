/**
 * Quantization-aware fine-tuning of a float graph, then its conversion to the int8 graph the
 * post-training quantizer would build, with the learned scales:
 *
 * 1. the start is the post-training quantizer's solution on training samples (`postTrainingGraph`,
 *    `startFromGraph`): min/max activation parameters, int8 weights rounded to nearest, sub-byte
 *    weights GPTQ-rounded with their MSE-optimal scales (latent weights = the dequantized codes);
 * 2. training: fake-quantized forward pass, STE/LSQ backward pass, Adam with cosine decay, cross
 *    entropy (with `distill`, half of it replaced by the KL divergence to the float model's soft
 *    targets at temperature 2);
 * 3. `toIntegerGraph`: `quantizeGraph` with the learned activation parameters and weight scales,
 *    sub-byte widths recorded as `weightEncoding` (data stays the decoded int8 codes).
 */
import { InputError } from '../errors.js';
import { mulberry32Stream } from '../random.js';
import type { Graph } from '../ir/types.js';
import { asymmetricQParams, type QParams } from '../quantize/qparams.js';
import { quantizeGraph, type CalibrationMethod } from '../quantize/index.js';
import type { WeightChoice } from '../quantize/weight-choice.js';
import { weightRule } from '../quantize/rules.js';
import type { SubByteKind } from '../ir/weight-encoding.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildNetwork, forward, type LayerWeights, type Network } from './network.js';
import { exportedWeights, withClusterEncodings } from './clustered.js';
import { addGradientShare, loadNetworkState, networkState, stepGradients, type GradientShare, type NetworkState, type StepMessage, type StepResult } from './step.js';
import { LEVEL_UNIT, stepSizeRateFactor, type ActQuant, type WeightKind } from './fake-quant.js';
import type { TrainingCheckpoint } from './checkpoint.js';
import { addDampeningGradient, dampeningWeight } from './dampen.js';

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
  /** Per-layer weights by op index (e.g. --flash-budget's choice), instead of `kind`. */
  layers?: ReadonlyMap<number, LayerWeights>;
  epochs?: number;
  batchSize?: number;
  /** Adam learning rate (weights, biases and step sizes); default 1e-4 for int8, 5e-4 below. */
  learningRate?: number;
  distill?: boolean;
  /** Training samples the post-training quantizer calibrates on (default 300, as `tinyml quantize`). */
  calibrationSamples?: number;
  /** How the starting point's activation ranges are calibrated (default 'minmax', as `tinyml quantize`). */
  calibration?: CalibrationMethod;
  seed?: number;
  /** Threads computing each batch's gradients (default 1; more need the compiled worker in dist/). */
  threads?: number;
  onProgress?: (p: TrainingProgress) => void;
  /**
   * Held-out samples (not trained on): the network's top-1 on them (the fake-quantized pass, which
   * is the int8 graph's) is measured at the start and after every epoch, and training returns the
   * best of those states, so the result is never worse than its start on this slice.
   */
  holdout?: TrainingData;
  /** Stage messages ("post-training quantization on 1024 samples"...). */
  onMessage?: (message: string) => void;
  /**
   * Oscillation dampening (Nagel et al. 2022): the loss gains λ_t · Σ over sub-byte layers of
   * mean((clamp(w/s) − code(clamp(w/s)))²), s held constant, λ_t ramped from 0 to `dampen` by a
   * half cosine over the run. 0 or undefined: off.
   */
  dampen?: number;
  /** The state a previous run of the same model, data and options saved (`onCheckpoint`): training continues from it. */
  resume?: TrainingCheckpoint;
  /** Called after every epoch with the complete training state (awaited before the next epoch). */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => Promise<void> | void;
  /** Stop after this many epochs have completed in all (the result then has `stoppedAfter`). */
  stopAfter?: number;
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
  /** With `holdout`: top-1 at the start and after each epoch, and which state was kept (0: the start). */
  holdout?: { samples: number; start: number; epochs: number[]; kept: number };
  /** Set when `stopAfter` ended the run before its last epoch: the epochs completed (graph: the current state). */
  stoppedAfter?: number;
}

/** Top-1 of the fake-quantized network on `data` (equal to the int8 graph's on the host reference). */
export function networkAccuracy(net: Network, data: TrainingData, batch = 250): number {
  let correct = 0;
  for (let from = 0; from < data.count; from += batch) {
    const n = Math.min(batch, data.count - from);
    const idx = Array.from({ length: n }, (_, k) => from + k);
    const y = forward(net, batchInput(net, data, idx, 0, n), n, true).values.get(net.output)!;
    const k = net.outputSize;
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (y[r * k + j] > y[r * k + best]) best = j;
      if (best === data.labels[from + r]) correct++;
    }
  }
  return correct / Math.max(1, data.count);
}

/** A copy of everything training changes (weights, biases, step sizes). */
function snapshot(net: Network): NetworkState {
  const s = networkState(net);
  return { ...s, w: s.w.map((a) => a.slice()), b: s.b.map((a) => a?.slice()), scales: s.scales.map((a) => a.slice()), actScales: [...s.actScales], actZeroPoints: [...s.actZeroPoints] };
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
  const ranges = new Map<ActQuant, { min: number; max: number }>();
  for (const [id, q] of net.quant) {
    const r = ranges.get(q) ?? { min: 0, max: 0 };
    r.min = Math.min(r.min, min.get(id) ?? 0);
    r.max = Math.max(r.max, max.get(id) ?? 0);
    ranges.set(q, r);
  }
  for (const [q, range] of ranges) {
    const p = asymmetricQParams(range);
    q.scale = p.scale;
    q.zeroPoint = p.zeroPoint;
  }
}

interface AdamSlot {
  value: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** Keeps step sizes positive. */
  positive: boolean;
  /** Multiplier of the learning rate (default 1). */
  rate?: number;
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
      let v = s.value[i] - (lr * (s.rate ?? 1) * (s.m[i] / c1)) / (Math.sqrt(s.v[i] / c2) + 1e-8);
      if (s.positive && v < s.value[i] * 0.5) v = s.value[i] * 0.5;
      s.value[i] = v;
    }
  }
}

function slot(value: Float32Array, grad: Float32Array, positive = false): AdamSlot {
  return { value, grad, m: new Float32Array(value.length), v: new Float32Array(value.length), positive };
}

/**
 * The post-training quantizer's int8 graph for the network's weight widths, as `tinyml quantize`
 * builds it (activation ranges by `calibration`, default min/max; sub-byte layers GPTQ-rounded with their MSE-optimal
 * scales, calibrated on the model computing with those weights), on `samples`.
 */
export function postTrainingGraph(net: Network, samples: readonly Float32Array[], calibration: CalibrationMethod = 'minmax'): Graph {
  const weights = new Map<number, WeightChoice>();
  for (const p of net.weights) {
    if (p.levels) weights.set(p.opIndex, { kind: 'clusters', clusters: p.clusters ?? p.levels.length, scope: 'tensor' });
    else if (p.kind !== 'int8') weights.set(p.opIndex, { kind: p.kind });
  }
  return quantizeGraph(net.graph, samples.map((x) => [x]), { evaluate: false, weights, calibration }).graph;
}

/**
 * Starts the network from an int8 graph of the same float graph (tensor ids are kept by the
 * quantizer): its activation parameters, its weight scales and, for sub-byte layers, latent weights
 * = the dequantized codes (GPTQ's codes are not the nearest rounding of the float weights, so the
 * float weights would round elsewhere). int8 layers keep their float weights: the post-training
 * quantizer's codes are their nearest rounding, which `toIntegerGraph` repeats. The network's
 * fake-quantized forward pass then computes what the int8 graph computes.
 */
export function startFromGraph(net: Network, q: Graph): void {
  const g = net.graph;
  for (const [id, a] of net.quant) {
    const quant = q.tensors[id]?.quant;
    if (!quant || q.tensors[id].dtype !== 'int8') throw new InputError(`tensor ${id} ('${g.tensors[id].name}') is not int8 in the quantized graph`);
    a.scale = quant.scale[0];
    a.zeroPoint = quant.zeroPoint[0];
  }
  for (const p of net.weights) {
    const op = g.ops[p.opIndex];
    const rule = weightRule(op.type)!;
    const qop = q.ops.find((o) => o.type === op.type && o.outputs[0] === op.outputs[0]);
    const wt = qop ? q.tensors[qop.inputs[rule.weights]] : undefined;
    if (!wt?.quant || !(wt.data instanceof Int8Array) || wt.data.length !== p.w.length) throw new InputError(`op ${p.opIndex} has no int8 weights of its shape in the quantized graph`);
    const scales = wt.quant.scale;
    if (scales.length !== p.scales.length) throw new InputError(`op ${p.opIndex}: ${scales.length} weight scale(s) in the quantized graph, the network has ${p.scales.length}`);
    p.scales.set(scales);
    if (p.levels) {
      // Clustered: the quantizer's table (the distinct decoded values) becomes the levels and the
      // latent weights sit on them, so that each weight's nearest level is the one it was given.
      const values = [...new Set(Array.from(wt.data))].sort((x, y) => x - y);
      p.levels = Float32Array.from(values, (v) => v * LEVEL_UNIT);
      p.dlevels = new Float32Array(values.length);
    } else if (p.kind === 'int8') continue;
    const { inner, channels } = p.layout;
    for (let i = 0; i < p.w.length; i++) p.w[i] = wt.data[i] * scales[channels === 1 ? 0 : Math.floor(i / inner) % channels];
  }
}

/** The int8 graph of the network's current weights and scales. */
export function toIntegerGraph(net: Network, calibration: Float32Array): Graph {
  const g = net.graph;
  const tensors = g.tensors.map((t) => ({ ...t }));
  const activationQParams = new Map<number, QParams>();
  for (const [id, q] of net.quant) activationQParams.set(id, { scale: Math.fround(q.scale), zeroPoint: q.zeroPoint });
  const weights = new Map<number, WeightChoice>();
  for (const p of net.weights) {
    const op = g.ops[p.opIndex];
    const rule = weightRule(op.type)!;
    const w = op.inputs[rule.weights];
    const b = op.inputs.length > rule.bias ? op.inputs[rule.bias] : -1;
    tensors[w] = { ...tensors[w], data: exportedWeights(p) };
    if (p.b && b >= 0) tensors[b] = { ...tensors[b], data: Float32Array.from(p.b) };
    weights.set(p.opIndex, { kind: 'given', scales: Array.from(p.scales), width: p.kind as 'int8' | SubByteKind });
  }
  const trained: Graph = { ...g, tensors };
  return withClusterEncodings(quantizeGraph(trained, [[calibration]], { evaluate: false, activationQParams, weights }).graph, net);
}

/**
 * The float teacher's logits for every sample of `data`, computed once per run: the teacher never
 * changes and the training data is not augmented, so each step reads its rows instead of running
 * the teacher again. A sample's logits do not depend on the batch it runs in (every layer computes
 * each sample's rows alone: gemm.ts sums a row the same way wherever it sits), so these are the
 * values the step would have computed.
 */
export function teacherLogits(teacher: Network, data: TrainingData, batch = 250): Float32Array {
  const k = teacher.outputSize;
  const out = new Float32Array(data.count * k);
  for (let from = 0; from < data.count; from += batch) {
    const n = Math.min(batch, data.count - from);
    const idx = Array.from({ length: n }, (_, j) => from + j);
    out.set(forward(teacher, batchInput(teacher, data, idx, 0, n), n, false).values.get(teacher.output)!, from * k);
  }
  return out;
}

/**
 * The batch's gradients: split between this thread and the worker threads (data parallelism, one
 * share each), summed into `net`'s gradients. Returns the summed loss and correct count.
 */
async function batchGradients(net: Network, pool: GradientWorker[], x: Float32Array, labels: number[], n: number, teacher: Float32Array | undefined): Promise<StepResult> {
  const parts = Math.min(pool.length + 1, n);
  const size = Math.ceil(n / parts);
  const k = net.outputSize;
  const state = pool.length > 0 ? networkState(net) : undefined;
  const pending = pool.slice(0, parts - 1).map((w, j) => {
    const from = (j + 1) * size;
    const m = Math.min(size, n - from);
    return w.step({ state: state!, x: x.slice(from * net.inputSize, (from + m) * net.inputSize), labels: labels.slice(from, from + m), n: m, total: n, teacher: teacher?.slice(from * k, (from + m) * k) });
  });
  const own = Math.min(size, n);
  const mine = stepGradients(net, x.subarray(0, own * net.inputSize), labels.slice(0, own), own, n, teacher?.subarray(0, own * k));
  let loss = mine.loss;
  let correct = mine.correct;
  for (const share of await Promise.all(pending)) {
    addGradientShare(net, share);
    loss += share.loss;
    correct += share.correct;
  }
  return { loss, correct };
}

interface GradientWorker {
  step(msg: StepMessage): Promise<GradientShare>;
  close(): Promise<void>;
}

/** The compiled worker script next to this module (absent when running from TypeScript sources). */
function workerUrl(): URL | undefined {
  const url = new URL('./worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

function startWorker(url: URL, graph: Graph, kind: WeightKind, keepInt8: number[], layers: ReadonlyMap<number, LayerWeights> | undefined): GradientWorker {
  const worker = new Worker(url, { workerData: { graph, kind, keepInt8, layers } });
  let waiting: { resolve: (g: GradientShare) => void; reject: (e: Error) => void } | undefined;
  worker.on('message', (m: GradientShare | { error: string }) => {
    const w = waiting;
    waiting = undefined;
    if ('error' in m) w?.reject(new Error(`training worker: ${m.error}`));
    else w?.resolve(m);
  });
  worker.on('error', (e) => waiting?.reject(e));
  return {
    step(msg) {
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        worker.postMessage(msg);
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}

/** Trains `floatGraph` with fake quantization and returns the int8 graphs before and after. */
export async function finetune(floatGraph: Graph, data: TrainingData, options: FinetuneOptions): Promise<FinetuneResult> {
  if (data.count === 0) throw new InputError('finetune needs at least one training sample');
  const keep = new Set(options.keepInt8 ?? []);
  for (const i of keep) {
    const op = floatGraph.ops[i];
    if (!op || !['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type)) {
      throw new InputError(`--keep-int8: op ${i} is not a weight layer of '${floatGraph.name}' (see 'tinyml inspect' for op indices)`);
    }
  }
  const net = buildNetwork(floatGraph, { kind: options.kind, keepInt8: keep, layers: options.layers });
  const classes = net.outputSize;
  for (let i = 0; i < data.labels.length; i++) {
    const y = data.labels[i];
    if (y < 0 || y >= classes) throw new InputError(`label ${i} is ${y}, but the model has ${classes} outputs (classes 0..${classes - 1}): do the labels belong to this data and model?`);
  }
  // Training starts from the post-training quantizer's solution, and its graph is the baseline.
  const samples = Array.from({ length: Math.min(options.calibrationSamples ?? 300, data.count) }, (_, i) => batchInput(net, data, [i], 0, 1));
  const calibration = options.calibration ?? 'minmax';
  options.onMessage?.(`post-training quantization on ${samples.length} sample(s), ${calibration} ranges${options.kind === 'int8' ? '' : `, ${options.kind} weights rounded by GPTQ`}`);
  const initialGraph = postTrainingGraph(net, samples, calibration);
  startFromGraph(net, initialGraph);
  const calib = samples[0];

  const lr0 = options.learningRate ?? (options.kind === 'int8' ? 1e-4 : 5e-4);
  const slots: AdamSlot[] = [];
  for (const p of net.weights) {
    slots.push(slot(p.w, p.dw));
    if (p.b && p.db) slots.push(slot(p.b, p.db));
    slots.push({ ...slot(p.scales, p.dscales, true), rate: stepSizeRateFactor(p.scales, lr0) });
    if (p.levels && p.dlevels) slots.push(slot(p.levels, p.dlevels));
  }
  const actValues = new Float32Array(net.learnedActs.length);
  const actGrads = new Float32Array(net.learnedActs.length);
  slots.push(slot(actValues, actGrads, true));

  const url = workerUrl();
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const pool = url ? Array.from({ length: threads - 1 }, () => startWorker(url, floatGraph, options.kind, [...keep], options.layers)) : [];
  try {
    return await train(net, data, options, pool, slots, actValues, actGrads, lr0, initialGraph, calib);
  } finally {
    await Promise.all(pool.map((w) => w.close()));
  }
}

/** Puts a checkpoint's state into the network and the optimizer (their shapes come from the same run). */
function restore(net: Network, slots: AdamSlot[], c: TrainingCheckpoint): void {
  if (c.moments.length !== slots.length || c.moments.some((m, k) => m.m.length !== slots[k].m.length || m.v.length !== slots[k].v.length)) {
    throw new InputError('the checkpoint does not hold the optimizer state of this network (another model or weight layout)');
  }
  loadNetworkState(net, c.network);
  c.moments.forEach((m, k) => {
    slots[k].m.set(m.m);
    slots[k].v.set(m.v);
  });
}

async function train(
  net: Network,
  data: TrainingData,
  options: FinetuneOptions,
  pool: GradientWorker[],
  slots: AdamSlot[],
  actValues: Float32Array,
  actGrads: Float32Array,
  lr0: number,
  initialGraph: Graph,
  calib: Float32Array,
): Promise<FinetuneResult> {
  const epochs = options.epochs ?? 1;
  const batch = options.batchSize ?? 128;
  // The float model as imported (BatchNorm folded), never trained: the distillation teacher.
  let teacher: Float32Array | undefined;
  if (options.distill) {
    const c0 = process.cpuUsage();
    teacher = teacherLogits(buildNetwork(net.graph, { kind: 'int8' }), data);
    const c = process.cpuUsage(c0);
    options.onMessage?.(`distillation: the float model's logits of ${data.count} sample(s) computed once for the run (${((c.user + c.system) / 1e6).toFixed(1)} CPU-s)`);
  }
  const k = net.outputSize;
  const dampen = options.dampen ?? 0;
  const steps = Math.ceil(data.count / batch);
  const total = steps * epochs;
  const holdout = options.holdout && options.holdout.count > 0 ? options.holdout : undefined;
  const resume = options.resume;
  const random = mulberry32Stream(resume?.randomState ?? options.seed ?? 1);
  let t = resume?.step ?? 0;
  const history: FinetuneResult['epochs'] = resume ? [...resume.history] : [];
  const held: number[] = resume ? [...resume.held] : [];
  let best: { accuracy: number; epoch: number; state: NetworkState } | undefined = resume?.best;
  let startAccuracy = resume?.startAccuracy ?? 0;
  if (resume) {
    restore(net, slots, resume);
    options.onMessage?.(`resumed after epoch ${resume.epoch} of ${epochs}`);
  } else if (holdout) {
    startAccuracy = networkAccuracy(net, holdout);
    best = { accuracy: startAccuracy, epoch: 0, state: snapshot(net) };
    options.onMessage?.(`held-out check: ${holdout.count} training samples not trained on, top-1 at the start ${(100 * startAccuracy).toFixed(2)}%`);
  }
  // Epochs completed when this call returns: all, or `stopAfter` (never fewer than the checkpoint's).
  const last = Math.max(resume?.epoch ?? 0, Math.min(epochs, options.stopAfter ?? epochs));
  for (let e = resume?.epoch ?? 0; e < last; e++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const order = Int32Array.from({ length: data.count }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const batchTeacher = teacher ? new Float32Array(batch * k) : undefined;
    for (let s = 0; s < steps; s++) {
      const from = s * batch;
      const n = Math.min(batch, data.count - from);
      const x = batchInput(net, data, order, from, n);
      const labels = Array.from({ length: n }, (_, j) => data.labels[order[from + j]]);
      if (teacher && batchTeacher) for (let j = 0; j < n; j++) batchTeacher.set(teacher.subarray(order[from + j] * k, (order[from + j] + 1) * k), j * k);
      const r = await batchGradients(net, pool, x, labels, n, batchTeacher?.subarray(0, n * k));
      if (dampen > 0) {
        const lambda = dampeningWeight(dampen, t, total);
        for (const p of net.weights) addDampeningGradient(p, lambda);
      }
      net.learnedActs.forEach((a, j) => {
        actValues[j] = a.q.scale;
        actGrads[j] = a.grad;
      });
      t++;
      const lr = 0.5 * lr0 * (1 + Math.cos((Math.PI * (t - 1)) / total));
      adamStep(slots, lr, t);
      net.learnedActs.forEach((a, j) => {
        a.q.scale = Math.fround(actValues[j]);
      });
      lossSum += r.loss;
      correct += r.correct;
      seen += n;
      options.onProgress?.({ epoch: e + 1, epochs, step: s + 1, steps, loss: lossSum / seen, accuracy: correct / seen });
    }
    const c = process.cpuUsage(c0);
    history.push({ loss: lossSum / seen, accuracy: correct / seen, cpuSeconds: (c.user + c.system) / 1e6, seconds: (performance.now() - t0) / 1000 });
    if (holdout && best) {
      const a = networkAccuracy(net, holdout);
      held.push(a);
      // Ties go to the later state: training that does not lose accuracy is kept.
      const better = a >= best.accuracy;
      options.onMessage?.(`held-out top-1 after epoch ${e + 1}: ${(100 * a).toFixed(2)}%${better ? '' : ` (below ${(100 * best.accuracy).toFixed(2)}% of ${best.epoch === 0 ? 'the start' : `epoch ${best.epoch}`})`}`);
      if (better) best = { accuracy: a, epoch: e + 1, state: e + 1 < epochs ? snapshot(net) : best.state };
    }
    await options.onCheckpoint?.({
      epoch: e + 1,
      step: t,
      randomState: random.state,
      network: networkState(net),
      moments: slots.map((s) => ({ m: s.m, v: s.v })),
      startAccuracy,
      held,
      ...(best ? { best } : {}),
      history,
    });
  }
  if (last < epochs) return { network: net, initialGraph, graph: toIntegerGraph(net, calib), epochs: history, stoppedAfter: last };
  let kept: FinetuneResult['holdout'];
  if (holdout && best) {
    if (best.epoch !== epochs) loadNetworkState(net, best.state);
    kept = { samples: holdout.count, start: startAccuracy, epochs: held, kept: best.epoch };
  }
  return { network: net, initialGraph, graph: toIntegerGraph(net, calib), epochs: history, ...(kept ? { holdout: kept } : {}) };
}
