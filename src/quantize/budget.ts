/**
 * Mixed precision under a flash budget (`quantize --flash-budget BYTES|0.40x`): each weight
 * layer's storage is chosen among int8, int4, int2, ternary, binary and 2..16 clusters by
 * measured sensitivity, so that the model's stored parameter bytes fit the budget.
 *
 * Bytes are counted as the firmware stores them (layer-bytes.ts): weights packed (or cluster
 * indices and tables), biases, the requantization multiplier and shift per weight scale, and the
 * model's other constants. `0.40x` means 0.40 times that count for the all-int8 model.
 *
 * Sensitivity: every candidate of every layer is applied to that layer alone in the float model
 * (its dequantized weights, rounded as the final quantization rounds them but against the float
 * model's inputs), and the noise it adds to the model's output over a few calibration samples is
 * measured: N = Σ (f - y)², the output's SQNR being 10 log10(Σ f² / N). Output noise of
 * independent small perturbations adds up, so the choice minimizes the sum of the chosen
 * candidates' noise under the byte budget: a multiple-choice knapsack, solved exactly by dynamic
 * programming over the budget cut into BUCKETS units (each candidate's bytes rounded up to whole
 * units, so a solution always fits).
 */
import { InputError } from '../errors.js';
import { prepareGraph, runGraph } from '../interp/interpreter.js';
import { parameterBytes, storedBytes } from '../ir/stored-bytes.js';
import type { Graph } from '../ir/types.js';
import type { WeightEncoding } from '../ir/weight-encoding.js';
import { describeOp } from '../ir/types.js';
import type { CalibrationSample } from './calibrate.js';
import type { BudgetLayer, BudgetReport } from './report.js';
import { clusterWeights, indexBits } from './cluster.js';
import { hasRows } from './layer-hessian.js';
import { layerStoredBytes } from './layer-bytes.js';
import { quantizeWeights } from './qparams.js';
import { quantizeGraph, type QuantizeOptions, type QuantizeResult } from './quantize-graph.js';
import { weightRule, type WeightRule } from './rules.js';
import { quantizeSubByteWeights, type PresetWeights, type WeightRounding } from './subbyte.js';
import { CLUSTERABLE_OPS, SUB_BYTE_KINDS, choiceLabel, isSubByteChoice, type WeightChoice } from './weight-choice.js';

/** A budget: bytes, or a fraction of the all-int8 model's stored parameter bytes ("0.40x"). */
export type FlashBudget = { bytes: number } | { fraction: number };

/** "12000", "12,000" or "0.40x". */
export function parseFlashBudget(text: string | number): FlashBudget {
  const s = String(text).trim();
  const frac = /^(\d*\.?\d+)x$/i.exec(s);
  if (frac) {
    const fraction = Number(frac[1]);
    if (!(fraction > 0 && fraction <= 1)) throw new InputError(`--flash-budget ${s}: a fraction of the int8 model's parameter bytes must be in (0, 1], e.g. 0.40x`);
    return { fraction };
  }
  if (/^\d[\d,_]*$/.test(s)) {
    const bytes = Number(s.replace(/[,_]/g, ''));
    if (bytes > 0) return { bytes };
  }
  throw new InputError(`--flash-budget '${s}' is neither a byte count (e.g. 16000) nor a fraction of the int8 model's parameter bytes (e.g. 0.40x)`);
}

/** The candidates tried for each layer (those its op has kernels for). */
export const BUDGET_CANDIDATES: readonly WeightChoice[] = [
  { kind: 'int8' },
  { kind: 'clusters', clusters: 16, scope: 'tensor' },
  { kind: 'int4' },
  { kind: 'clusters', clusters: 8, scope: 'tensor' },
  { kind: 'clusters', clusters: 4, scope: 'tensor' },
  { kind: 'int2' },
  { kind: 'ternary' },
  { kind: 'clusters', clusters: 2, scope: 'tensor' },
  { kind: 'binary' },
];

/** Knapsack resolution: the budget is cut into this many units. */
const BUCKETS = 4096;

export interface BudgetOptions {
  budget: FlashBudget;
  /** Layers kept int8 (op indices of the float graph). */
  keepInt8?: ReadonlySet<number>;
  /** Rounding of sub-byte candidates (default 'gptq'). */
  rounding?: WeightRounding;
  /** Calibration samples the sensitivities are measured on (default 32). */
  sensitivitySamples?: number;
}

/** A model's stored bytes: its constants (each once) and its weight layers' scales. */
export function modelStoredBytes(q: Graph, weightLayers: ReadonlyMap<number, { weightTensor: number; biasTensor?: number }>): number {
  let scales = 0;
  for (const l of weightLayers.values()) scales += layerStoredBytes(q, l.weightTensor, l.biasTensor).scaleBytes;
  return parameterBytes(q) + scales;
}

/** A quantized model's stored bytes as the budget counts them (every weight layer's scales included). */
export function quantizedModelBytes(q: Graph): number {
  return modelStoredBytes(q, weightLayersOf(q));
}

interface Measured {
  choice: WeightChoice;
  bytes: number;
  noise: number;
}

/**
 * `quantizeGraph` with each weight layer's storage chosen to fit `budget.budget`; the report
 * gains `budget`, the choice per layer. Throws InputError when no choice fits, saying by how many
 * bytes the budget falls short.
 */
export function quantizeWithinBudget(g: Graph, samples: readonly CalibrationSample[], budget: BudgetOptions, options: QuantizeOptions = {}): QuantizeResult & { report: { budget: BudgetReport } } {
  const progress = options.onProgress ?? (() => {});
  const { choices, plan } = chooseWeights(g, samples, budget, options, progress);
  const result = quantizeGraph(g, samples, { ...options, weights: choices });
  // The written model's bytes, counted again on the graph itself.
  const totalBytes = quantizedModelBytes(result.graph);
  if (totalBytes > plan.budgetBytes) {
    throw new Error(`flash budget: the quantized model takes ${totalBytes} bytes, over the ${plan.budgetBytes} planned (a byte count disagrees with the plan)`);
  }
  // The budget section says what each layer got; a one-width sub-byte summary would not fit it.
  const { subByte: _mixed, ...report } = result.report;
  return { graph: result.graph, report: { ...report, budget: { ...plan, totalBytes } } };
}

/** The per-layer choice within the budget, and its plan (before the final quantization). */
export function chooseWeights(
  g: Graph,
  samples: readonly CalibrationSample[],
  budget: BudgetOptions,
  options: QuantizeOptions,
  progress: (message: string) => void,
): { choices: Map<number, WeightChoice>; plan: BudgetReport } {
  const perChannel = options.perChannel ?? true;
  if (options.int16 !== undefined && options.int16 !== false) throw new InputError('--flash-budget cannot be combined with --int16 (sub-byte and clustered kernels are int8)');
  progress('flash budget: measuring the int8 model');
  const int8 = quantizeGraph(g, samples, { ...options, weights: undefined, evaluate: false, onProgress: undefined });
  const int8Layers = weightLayersOf(int8.graph);
  const int8Bytes = modelStoredBytes(int8.graph, int8Layers);
  let layerBytesInt8 = 0;
  for (const l of int8Layers.values()) layerBytesInt8 += layerStoredBytes(int8.graph, l.weightTensor, l.biasTensor).totalBytes;
  const otherBytes = int8Bytes - layerBytesInt8;
  const budgetBytes = 'bytes' in budget.budget ? budget.budget.bytes : Math.floor(budget.budget.fraction * int8Bytes);

  const floatLayers = weightLayers(g, perChannel);
  const candidates = layerCandidates(g, floatLayers, int8.graph, int8Layers, budget.keepInt8);
  const smallest = [...candidates.values()].reduce((a, cands) => a + Math.min(...cands.map((m) => m.bytes)), otherBytes);
  if (smallest > budgetBytes) {
    throw new InputError(
      `--flash-budget ${budgetBytes.toLocaleString('en-US')} bytes is ${(smallest - budgetBytes).toLocaleString('en-US')} bytes below the smallest size reachable ` +
        `(${smallest.toLocaleString('en-US')} bytes: every layer at its narrowest width, biases, scales and other constants included; the int8 model takes ${int8Bytes.toLocaleString('en-US')})`,
    );
  }

  // Sub-byte rounding fits the samples it sees (GPTQ minimizes the output error on them): the
  // noise is measured on the next samples when there are enough, so that it is out of sample.
  const count = Math.max(1, Math.min(samples.length, budget.sensitivitySamples ?? 32));
  const fit = samples.slice(0, count);
  const held = samples.length >= 2 * count ? samples.slice(count, 2 * count) : fit;
  progress(`flash budget: measuring each layer's sensitivity on ${held.length} sample(s)`);
  const { noise, signal } = measureNoise(g, fit, held, floatLayers, candidates, budget.rounding);
  const indices = [...candidates.keys()].sort((a, b) => a - b);
  const measured = new Map(indices.map((i) => [i, candidates.get(i)!.map((c, k) => ({ ...c, noise: noise.get(i)![k] }))]));
  const picked = knapsack(
    indices.map((i) => measured.get(i)!),
    budgetBytes - otherBytes,
  );
  const choices = new Map<number, WeightChoice>();
  const layers: BudgetLayer[] = indices.map((index, k) => {
    const cands = measured.get(index)!;
    const m = cands[picked[k]];
    if (m.choice.kind !== 'int8') choices.set(index, withRounding(m.choice, budget.rounding));
    const op = g.ops[index];
    return {
      index,
      type: op.type,
      output: g.tensors[op.outputs[0]].name,
      choice: choiceLabel(m.choice),
      bytes: m.bytes,
      sqnrDb: sqnrDb(signal, m.noise),
      candidates: cands.map((c) => ({ choice: choiceLabel(c.choice), bytes: c.bytes, sqnrDb: sqnrDb(signal, c.noise) })),
    };
  });
  const totalBytes = otherBytes + layers.reduce((a, l) => a + l.bytes, 0);
  return { choices, plan: { budgetBytes, int8Bytes, totalBytes, otherBytes, sensitivitySamples: held.length, layers } };
}

function withRounding(c: WeightChoice, rounding: WeightRounding | undefined): WeightChoice {
  return rounding !== undefined && isSubByteChoice(c) ? { ...c, rounding } : c;
}

function sqnrDb(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

function weightLayersOf(q: Graph): Map<number, { weightTensor: number; biasTensor?: number }> {
  const out = new Map<number, { weightTensor: number; biasTensor?: number }>();
  for (const op of q.ops) {
    const rule = weightRule(op.type);
    if (!rule) continue;
    const b = op.inputs.length > rule.bias ? op.inputs[rule.bias] : -1;
    out.set(op.index, { weightTensor: op.inputs[rule.weights], ...(b >= 0 ? { biasTensor: b } : {}) });
  }
  return out;
}

interface WeightLayer {
  index: number;
  rule: WeightRule;
  axis: number | undefined;
  float: Float32Array;
  weightId: number;
}

/** The float graph's weight layers. */
function weightLayers(g: Graph, perChannel: boolean): WeightLayer[] {
  return g.ops
    .filter((op) => weightRule(op.type))
    .map((op) => {
      const rule = weightRule(op.type)!;
      const w = g.tensors[op.inputs[rule.weights]];
      if (!w.data || w.dtype !== 'float32') throw new InputError(`${describeOp(g, op)}: its weights are not a float32 constant`);
      return { index: op.index, rule, axis: perChannel ? rule.axis : undefined, float: w.data as Float32Array, weightId: op.inputs[rule.weights] };
    });
}

/**
 * Each layer's candidates (those its op has kernels for; int8 only for a layer kept int8) and
 * their stored bytes: weights as the candidate stores them, bias and scales. `q` is the float
 * graph quantized all-int8: its weight tensors keep the float graph's ids, which is how each
 * layer's int8 weights, bias and scales are found there.
 */
function layerCandidates(
  g: Graph,
  layers: readonly WeightLayer[],
  q: Graph,
  int8Layers: ReadonlyMap<number, { weightTensor: number; biasTensor?: number }>,
  keepInt8: ReadonlySet<number> | undefined,
): Map<number, { choice: WeightChoice; bytes: number }[]> {
  const byWeightTensor = new Map<number, { weightTensor: number; biasTensor?: number }>();
  for (const l of int8Layers.values()) byWeightTensor.set(l.weightTensor, l);
  const out = new Map<number, { choice: WeightChoice; bytes: number }[]>();
  for (const l of layers) {
    const int8 = byWeightTensor.get(l.weightId);
    if (!int8) throw new Error(`flash budget: no int8 weights for op ${l.index}`);
    const base = layerStoredBytes(q, int8.weightTensor, int8.biasTensor);
    const wq = q.tensors[int8.weightTensor];
    const type = g.ops[l.index].type;
    const cands: { choice: WeightChoice; bytes: number }[] = [];
    for (const c of BUDGET_CANDIDATES) {
      if (c.kind === 'int8') {
        cands.push({ choice: c, bytes: base.totalBytes });
        continue;
      }
      if (keepInt8?.has(l.index)) continue;
      let encoding: WeightEncoding;
      if (c.kind === 'clusters') {
        if (!CLUSTERABLE_OPS.includes(type)) continue;
        // Only the table's length and the index width count here; the values come later.
        encoding = { kind: 'lut', bits: indexBits(c.clusters), entries: c.clusters, scope: c.scope, table: new Int8Array(c.clusters), indices: new Uint8Array(0) };
      } else if (isSubByteChoice(c)) {
        if (!hasRows(type) || l.axis === undefined) continue;
        encoding = { kind: c.kind };
      } else continue;
      cands.push({ choice: c, bytes: storedBytes({ ...wq, weightEncoding: encoding }) + base.biasBytes + base.scaleBytes });
    }
    out.set(l.index, cands);
  }
  return out;
}

/**
 * The output noise Σ (f - y)² over `samples` of every candidate of every layer applied alone to
 * the float model (sub-byte weights rounded on `fit`), and the output's energy Σ f².
 */
function measureNoise(
  g: Graph,
  fit: readonly CalibrationSample[],
  samples: readonly CalibrationSample[],
  layers: readonly WeightLayer[],
  candidates: ReadonlyMap<number, readonly { choice: WeightChoice }[]>,
  rounding: WeightRounding | undefined,
): { noise: Map<number, number[]>; signal: number } {
  const prepared = prepareGraph(g);
  const reference = samples.map((s) => Float32Array.from(runGraph(prepared, s)[0] as Float32Array));
  let signal = 0;
  for (const r of reference) for (const v of r) signal += v * v;

  // Sub-byte candidates of all layers at once per width: without compensation each layer is
  // rounded against the float model's inputs, as if it were the only one quantized.
  const subByte = new Map<string, Map<number, PresetWeights>>();
  for (const kind of SUB_BYTE_KINDS) {
    const eligible = layers.filter((l) => candidates.get(l.index)!.some((c) => c.choice.kind === kind));
    const choices = new Map(eligible.map((l) => [l.index, { kind, compensate: false, ...(rounding ? { rounding } : {}) }]));
    subByte.set(kind, choices.size > 0 ? quantizeSubByteWeights(g, fit, eligible, choices) : new Map());
  }

  const noise = new Map<number, number[]>();
  for (const l of layers) {
    const shape = g.tensors[l.weightId].shape;
    noise.set(
      l.index,
      candidates.get(l.index)!.map(({ choice: c }) => {
        let values: Float32Array;
        if (c.kind === 'int8') values = quantizeWeights(l.float, shape, l.axis).dequantized;
        else if (c.kind === 'clusters') {
          const iq = quantizeWeights(l.float, shape, l.axis);
          const axis = iq.quant.scale.length > 1 ? iq.quant.quantizedDimension : undefined;
          const cw = clusterWeights(l.float, shape, axis, iq.quant.scale, { clusters: c.clusters, scope: c.scope });
          values = dequantize(cw.data, shape, axis, cw.scales);
        } else if (c.kind === 'given') throw new Error('flash budget: a given-scales candidate');
        else values = subByte.get(c.kind)!.get(l.index)!.dequantized;
        return outputNoise(g, l.weightId, values, samples, reference);
      }),
    );
  }
  return { noise, signal };
}

/** int8 values times their channel's scale along `axis` (or the one scale). */
function dequantize(data: Int8Array, shape: readonly number[], axis: number | undefined, scales: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  if (axis === undefined || scales.length === 1) {
    for (let i = 0; i < data.length; i++) out[i] = data[i] * scales[0];
    return out;
  }
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const channels = shape[axis];
  for (let i = 0; i < data.length; i++) out[i] = data[i] * scales[Math.floor(i / inner) % channels];
  return out;
}

/** Σ (f - y)² of the model's first output over `samples`, with tensor `weightId` holding `values`. */
function outputNoise(g: Graph, weightId: number, values: Float32Array, samples: readonly CalibrationSample[], reference: readonly Float32Array[]): number {
  const tensors = [...g.tensors];
  tensors[weightId] = { ...tensors[weightId], data: values };
  const p = prepareGraph({ ...g, tensors });
  let noise = 0;
  samples.forEach((s, k) => {
    const y = runGraph(p, s)[0] as Float32Array;
    const f = reference[k];
    for (let i = 0; i < f.length; i++) noise += (f[i] - y[i]) ** 2;
  });
  return noise;
}

/**
 * Index of the chosen candidate of each layer: least total noise with Σ bytes <= `capacity`.
 * Bytes are rounded up to units of capacity / BUCKETS, so the choice always fits; when that
 * rounding leaves no solution, each layer's smallest candidate (which fits exactly) is taken.
 */
export function knapsack(layers: readonly (readonly { bytes: number; noise: number }[])[], capacity: number): number[] {
  const unit = Math.max(1, capacity / BUCKETS);
  const cap = Math.floor(capacity / unit);
  let best = new Float64Array(cap + 1).fill(Infinity);
  best[0] = 0;
  const back: Int16Array[] = [];
  for (const cands of layers) {
    const next = new Float64Array(cap + 1).fill(Infinity);
    const pick = new Int16Array(cap + 1).fill(-1);
    cands.forEach((c, k) => {
      const w = Math.ceil(c.bytes / unit - 1e-9);
      for (let b = w; b <= cap; b++) {
        const v = best[b - w] + c.noise;
        if (v < next[b]) {
          next[b] = v;
          pick[b] = k;
        }
      }
    });
    back.push(pick);
    best = next;
  }
  let at = -1;
  for (let b = 0; b <= cap; b++) if (best[b] < Infinity && (at < 0 || best[b] < best[at])) at = b;
  if (at < 0) return layers.map((cands) => cands.reduce((m, c, k) => (c.bytes < cands[m].bytes ? k : m), 0));
  const out = new Array<number>(layers.length);
  for (let i = layers.length - 1; i >= 0; i--) {
    const k = back[i][at];
    out[i] = k;
    at -= Math.ceil(layers[i][k].bytes / unit - 1e-9);
  }
  return out;
}
