/**
 * Dynamic-range ("hybrid") quantization: weights only, no calibration data. The weights of
 * CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layers become symmetric int8 (zero point 0,
 * values in [-127, 127]; one scale per output channel unless per-tensor is asked for), biases and
 * activations stay float32, as the TFLite converter's dynamic-range mode (Optimize.DEFAULT with
 * no representative dataset) writes it. At run time the hybrid kernels quantize each layer's
 * float input themselves. Like the converter, small weight tensors (fewer than
 * `minElements`, default 1024) stay float: the flash they would save is not worth the error.
 */
import { InputError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { Graph, Tensor } from '../ir/types.js';
import { elementCount } from '../ir/types.js';
import { correctHybridBiases, randomProbes } from './dynamic-bias-correction.js';
import { smoothActivations, type SmoothedPair } from './smooth.js';

export interface DynamicQuantizeOptions {
  /** One scale per output channel (default true), else one per tensor (depthwise weights keep per channel). */
  perChannel?: boolean;
  /** Weight tensors with fewer elements stay float32 (default 1024, the TFLite converter's). */
  minElements?: number;
  /**
   * Fold the mean output shift the rounded weights cause into the float biases (default true),
   * measured on these probe inputs (default: `randomProbes`, so no data is needed).
   */
  biasCorrection?: boolean;
  /**
   * Before rounding, migrate activation range into the next layer's weights with this alpha
   * (`smooth.ts`; exact in float), measured on the probes; false turns it off. Default 0.75:
   * on ad01 it gave the smallest worst-case error of 0.5..1.0 (see test/quantize/dynamic.test.ts).
   */
  smooth?: number | false;
  probes?: Float32Array[][];
}

/** The smoothing alpha `--dynamic` uses unless told otherwise. */
export const DEFAULT_DYNAMIC_SMOOTH = 0.75;

export interface DynamicLayerReport {
  op: number;
  type: OpType;
  weights: string;
  elements: number;
  /** 'int8', or why the weights stayed float32. */
  result: 'int8' | 'too small' | 'not constant' | 'not float32';
  scales: number;
  /** Largest shift folded into one output channel's float bias by the bias correction (0 when none). */
  biasShift: number;
  /** Largest |w - q * scale| over the weights, relative to the largest |w| (0 when kept float). */
  maxRelativeError: number;
}

export interface DynamicQuantizeResult {
  graph: Graph;
  /** Layer pairs rescaled by the activation smoothing. */
  smoothed: SmoothedPair[];
  layers: DynamicLayerReport[];
  /** Weight bytes before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

/** The weights' output-channel dimension: OHWI conv and [units, depth] dense use 0, [1, H, W, C] depthwise 3. */
const CHANNEL_DIM: Partial<Record<OpType, number>> = { CONV_2D: 0, FULLY_CONNECTED: 0, DEPTHWISE_CONV_2D: 3 };

/** Symmetric int8 quantization of `w` along `dim` (or per tensor when dim is -1). */
export function quantizeWeightsSymmetric(w: Float32Array, shape: number[], dim: number): { q: Int8Array; scales: number[]; maxRelativeError: number } {
  const channels = dim < 0 ? 1 : shape[dim];
  const inner = dim < 0 ? 1 : shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (dim < 0 ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Array<number>(channels).fill(0);
  for (let i = 0; i < w.length; i++) maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)], Math.abs(w[i]));
  // An all-zero channel gets scale 1 (any positive scale represents it exactly).
  const scales = maxAbs.map((m) => Math.fround(m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const s = scales[channelOf(i)];
    const v = Math.round(w[i] / s);
    q[i] = Math.max(-127, Math.min(127, v));
    worst = Math.max(worst, Math.abs(w[i] - q[i] * s));
  }
  const top = Math.max(...maxAbs, 0);
  return { q, scales, maxRelativeError: top > 0 ? worst / top : 0 };
}

/** A copy of the float graph with the eligible layers' weights quantized to int8 (hybrid layers). */
export function dynamicQuantizeGraph(graph: Graph, options: DynamicQuantizeOptions = {}): DynamicQuantizeResult {
  const perChannel = options.perChannel ?? true;
  const minElements = options.minElements ?? 1024;
  // Without float inputs there is nothing to probe with: no smoothing, no bias correction.
  const probes = options.probes ?? randomProbes(graph);
  const smoothing = probes ? options.smooth ?? DEFAULT_DYNAMIC_SMOOTH : false;
  // The smoothed float graph computes what `graph` does; it is the reference of the bias correction.
  const { graph: reference, pairs: smoothed } = smoothing === false || !probes ? { graph, pairs: [] } : smoothActivations(graph, smoothing, probes);
  const out: Graph = structuredClone(reference);
  const layers: DynamicLayerReport[] = [];
  let bytesBefore = 0;
  let bytesAfter = 0;
  const users = new Map<number, number>();
  for (const op of out.ops) for (const i of op.inputs) if (i >= 0) users.set(i, (users.get(i) ?? 0) + 1);
  for (const op of out.ops) {
    const dim = CHANNEL_DIM[op.type];
    if (dim === undefined) continue;
    const input = out.tensors[op.inputs[0]];
    const w: Tensor | undefined = out.tensors[op.inputs[1]];
    if (!w || !input) continue;
    const elements = elementCount(w.shape);
    const base = { op: op.index, type: op.type, weights: w.name, elements, scales: 0, maxRelativeError: 0, biasShift: 0 };
    if (w.dtype !== 'float32' || input.dtype !== 'float32') {
      layers.push({ ...base, result: 'not float32' });
      continue;
    }
    bytesBefore += elements * 4;
    if (!(w.data instanceof Float32Array) || (users.get(w.id) ?? 0) > 1) {
      // A weight tensor another op also reads (or a computed one) stays as it is.
      layers.push({ ...base, result: 'not constant' });
      bytesAfter += elements * 4;
      continue;
    }
    if (elements < minElements) {
      layers.push({ ...base, result: 'too small' });
      bytesAfter += elements * 4;
      continue;
    }
    // TFLite's hybrid depthwise kernel takes per-channel weights only.
    const channelDim = perChannel || op.type === 'DEPTHWISE_CONV_2D' ? dim : -1;
    const { q, scales, maxRelativeError } = quantizeWeightsSymmetric(w.data, w.shape, channelDim);
    w.dtype = 'int8';
    w.data = q;
    w.quant = { scale: scales, zeroPoint: new Array(scales.length).fill(0), quantizedDimension: Math.max(0, channelDim) };
    if (op.type === 'FULLY_CONNECTED') {
      // Rows with a zero point keep more of the input's resolution when it is one-sided (after a ReLU).
      (op.attrs as { asymmetricQuantizeInputs?: boolean }).asymmetricQuantizeInputs = true;
    }
    bytesAfter += elements + scales.length * 4;
    layers.push({ ...base, result: 'int8', scales: scales.length, maxRelativeError });
  }
  if (!layers.some((l) => l.result === 'int8')) {
    const why = layers.length === 0 ? 'it has no CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer' : `no layer has float32 weights of at least ${minElements} elements`;
    throw new InputError(`${graph.name}: nothing to quantize with --dynamic: ${why}`);
  }
  if (probes && (options.biasCorrection ?? true)) {
    const hybridOps = layers.filter((l) => l.result === 'int8').map((l) => l.op);
    const shifts = correctHybridBiases(reference, out, hybridOps, probes);
    for (const s of shifts) layers.find((l) => l.op === s.op)!.biasShift = s.largestShift;
  }
  return { graph: out, smoothed, layers, bytesBefore, bytesAfter };
}

/** The per-layer table `tinyml quantize --dynamic` prints. */
export function formatDynamicReport(r: DynamicQuantizeResult): string {
  const rows = r.layers.map((l) => [
    String(l.op),
    l.type,
    l.result,
    l.elements.toLocaleString('en-US'),
    l.result === 'int8' ? (l.scales > 1 ? `${l.scales} (per channel)` : '1 (per tensor)') : '-',
    l.result === 'int8' ? l.maxRelativeError.toExponential(1) : '-',
    l.result === 'int8' && l.biasShift > 0 ? l.biasShift.toExponential(1) : '-',
  ]);
  const head = ['#', 'op', 'weights', 'elements', 'scales', 'max rel. error', 'bias shift'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c === 0 || c === 3 ? s.padStart(widths[c]) : s.padEnd(widths[c]))).join('  ').trimEnd();
  return [
    'dynamic-range quantization: int8 weights, float activations (quantized by each layer at run time)',
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    r.smoothed.length > 0 ? `activation smoothing: ${r.smoothed.length} layer pair(s) rescaled (exact in float)` : 'activation smoothing: none',
    `bias correction: ${r.layers.some((l) => l.biasShift > 0) ? 'the rounding\'s mean shift folded into the float biases (seeded random probe inputs)' : 'none'}`,
    `weights: ${r.bytesBefore.toLocaleString('en-US')} bytes -> ${r.bytesAfter.toLocaleString('en-US')} bytes`,
  ].join('\n');
}
