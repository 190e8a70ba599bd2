/**
 * One training step's gradients on (part of) a batch: the fake-quantized forward pass, the loss
 * (with the float teacher's logits of these samples when distilling: `teacher`, rows of
 * `teacherLogits` — the float model as imported, never trained; not the network's own unquantized
 * pass, whose weights are the student's) and the backward pass. The main thread and the worker
 * threads run the same function on their share of the batch; `total` (the whole batch's size)
 * normalizes the loss gradient so that the shares' gradients add up to the batch's.
 */
import { backward, forward, zeroGrads, type Network } from './network.js';
import { lossAndGradient } from './loss.js';

export interface StepResult {
  /** Summed loss and correct count over this share. */
  loss: number;
  correct: number;
}

/** What the main thread sends a worker for one step: the state to mirror, and its share of the batch. */
export interface StepMessage {
  state: NetworkState;
  x: Float32Array;
  labels: number[];
  n: number;
  total: number;
  /** The teacher's logits of the share's samples (distillation). */
  teacher?: Float32Array;
}

export function stepGradients(net: Network, x: Float32Array, labels: ArrayLike<number>, n: number, total: number, teacher?: Float32Array): StepResult {
  const tr = forward(net, x, n, true);
  const r = lossAndGradient(tr.values.get(net.output)!, labels, n, net.outputSize, teacher, total);
  zeroGrads(net);
  backward(net, tr, r.grad);
  return { loss: r.loss, correct: r.correct };
}

/** What a worker needs to mirror the main thread's network before a step. */
export interface NetworkState {
  w: Float32Array[];
  b: (Float32Array | undefined)[];
  scales: Float32Array[];
  /** Trained cluster levels of clustered layers. */
  levels: (Float32Array | undefined)[];
  actScales: number[];
  actZeroPoints: number[];
  inputScale: number;
  inputZeroPoint: number;
}

export function networkState(net: Network): NetworkState {
  const inQ = net.quant.get(net.input)!;
  return {
    w: net.weights.map((p) => p.w),
    b: net.weights.map((p) => p.b),
    scales: net.weights.map((p) => p.scales),
    levels: net.weights.map((p) => p.levels),
    actScales: net.learnedActs.map((a) => a.q.scale),
    actZeroPoints: net.learnedActs.map((a) => a.q.zeroPoint),
    inputScale: inQ.scale,
    inputZeroPoint: inQ.zeroPoint,
  };
}

export function loadNetworkState(net: Network, s: NetworkState): void {
  net.weights.forEach((p, k) => {
    p.w.set(s.w[k]);
    if (p.b && s.b[k]) p.b.set(s.b[k]!);
    p.scales.set(s.scales[k]);
    const levels = s.levels[k];
    if (p.levels && levels) {
      // The start (startFromGraph) may give a clustered layer another number of levels than the
      // network's own k-means did: take the sender's array, and a gradient of its length.
      if (levels.length !== p.levels.length) {
        p.levels = new Float32Array(levels.length);
        p.dlevels = new Float32Array(levels.length);
      }
      p.levels.set(levels);
    }
  });
  net.learnedActs.forEach((a, k) => {
    a.q.scale = s.actScales[k];
    a.q.zeroPoint = s.actZeroPoints[k];
  });
  const inQ = net.quant.get(net.input)!;
  inQ.scale = s.inputScale;
  inQ.zeroPoint = s.inputZeroPoint;
}

/** The gradients a worker sends back. */
export interface GradientShare extends StepResult {
  dw: Float32Array[];
  db: (Float32Array | undefined)[];
  dscales: Float32Array[];
  dlevels: (Float32Array | undefined)[];
  actGrads: number[];
}

export function gradientShare(net: Network, r: StepResult): GradientShare {
  return {
    ...r,
    dw: net.weights.map((p) => p.dw),
    db: net.weights.map((p) => p.db),
    dscales: net.weights.map((p) => p.dscales),
    dlevels: net.weights.map((p) => p.dlevels),
    actGrads: net.learnedActs.map((a) => a.grad),
  };
}

/** Adds a worker's gradients to the main thread's. */
export function addGradientShare(net: Network, g: GradientShare): void {
  net.weights.forEach((p, k) => {
    for (let i = 0; i < p.dw.length; i++) p.dw[i] += g.dw[k][i];
    if (p.db && g.db[k]) for (let i = 0; i < p.db.length; i++) p.db[i] += g.db[k]![i];
    for (let i = 0; i < p.dscales.length; i++) p.dscales[i] += g.dscales[k][i];
    if (p.dlevels && g.dlevels[k]) for (let i = 0; i < p.dlevels.length; i++) p.dlevels[i] += g.dlevels[k]![i];
  });
  net.learnedActs.forEach((a, k) => {
    a.grad += g.actGrads[k];
  });
}
