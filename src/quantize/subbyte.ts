/**
 * Sub-byte weights for calibrated quantization (`--weights int4|int2|ternary|binary`): every
 * CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layer not kept int8 gets weights on the width's
 * grid (src/ir/weight-encoding.ts: the tensor stays int8 holding the grid points, with
 * `weightEncoding` saying the width), one scale per output channel (and, with `groupSize`,
 * per-group multipliers: src/quantize/groups.ts).
 *
 * Rounding 'gptq' (the default) rounds each channel with error feedback against the layer
 * input's statistics on the calibration data (src/quantize/gptq.ts), searching the channel's
 * scale by the output error it causes; 'adaround' learns each weight's rounding direction on the
 * same statistics (src/quantize/adaround.ts; slower, and measured less accurate here); 'nearest'
 * rounds each weight to its nearest grid point at the channel's MSE-optimal clipping scale
 * (src/quantize/clip-search.ts). The first two go layer by layer and compensate the error of the
 * layers before (see `quantizeSubByteWeights`). */
import { InputError } from '../errors.js';
import { prepareGraph, runGraph, type PreparedGraph } from '../interp/interpreter.js';
import { elementCount, type Graph, type Quantization } from '../ir/types.js';
import type { SubByteKind, WeightEncoding } from '../ir/weight-encoding.js';
import type { CalibrationSample } from './calibrate.js';
import { cholesky, inverseFromCholesky } from './linalg.js';
import { adaroundRow } from './adaround.js';
import { clipSearchRow } from './clip-search.js';
import { groupScaleCandidates, groupScales, roundGroupsNearest } from './groups.js';
import { gptqRow, prepareHessian, type PreparedHessian } from './gptq.js';
import { HessianAccumulator, hasRows, layerRows, type LayerRows } from './layer-hessian.js';
import type { WeightRule } from './rules.js';
import { layerStoredBytes } from './layer-bytes.js';
import { resolveKeepInt8, weightLayerOps } from './layer-select.js';
import { SUB_BYTE_KINDS, choiceLabel, isSubByteChoice, type ClusterChoice, type SubByteChoice, type WeightChoices } from './weight-choice.js';
import { clusterRowsGptq } from './cluster-gptq.js';
import { indexBits } from './cluster.js';

export { SUB_BYTE_KINDS };
export const WEIGHT_ROUNDINGS = ['gptq', 'adaround', 'nearest'] as const;
export type WeightRounding = (typeof WEIGHT_ROUNDINGS)[number];

export interface SubByteOptions {
  /** Width of every weight layer's weights, except those in `keepInt8`. */
  weights: SubByteKind;
  /** Layers that keep int8 weights: op indices (of the float graph), output tensor names, 'first', 'last'. */
  keepInt8?: readonly (number | string)[];
  /** How weights are rounded (default 'gptq'). */
  rounding?: WeightRounding;
  /**
   * Per-group scales along the input dimension, `groupSize` weights per group (CONV_2D and
   * FULLY_CONNECTED layers whose weights per channel it divides; others keep per-channel scales).
   */
  groupSize?: number;
  /**
   * Refit each layer to the inputs the quantized earlier layers give it before rounding (default
   * true; GPTQ and AdaRound only). false: every layer is rounded against the float model's inputs.
   */
  compensate?: boolean;
}

/** Quantized weights of one layer, ready for the graph: what `quantizeWeights` gives, plus the encoding. */
export interface PresetWeights {
  data: Int8Array;
  quant: Quantization;
  dequantized: Float32Array;
  encoding: WeightEncoding;
}

export interface WeightLayer {
  index: number;
  rule: WeightRule;
  axis: number | undefined;
  float: Float32Array;
}

/**
 * `--weights KIND [--keep-int8 LAYERS] [--rounding R] [--group-size N]` as per-layer choices:
 * every weight layer with a sub-byte kernel gets KIND, except those kept int8 (and layers
 * without a sub-byte kernel, which stay int8).
 */
export function subByteChoices(g: Graph, opts: SubByteOptions): Map<number, SubByteChoice> {
  if (!SUB_BYTE_KINDS.includes(opts.weights)) throw new InputError(`unknown weight width '${opts.weights}' (use ${SUB_BYTE_KINDS.join(', ')})`);
  const keep = resolveKeepInt8(g, opts.keepInt8 ?? []);
  const out = new Map<number, SubByteChoice>();
  for (const index of weightLayerOps(g)) {
    if (keep.has(index) || !hasRows(g.ops[index].type)) continue;
    out.set(index, {
      kind: opts.weights,
      ...(opts.rounding !== undefined ? { rounding: opts.rounding } : {}),
      ...(opts.groupSize !== undefined ? { groupSize: opts.groupSize } : {}),
      ...(opts.compensate !== undefined ? { compensate: opts.compensate } : {}),
    });
  }
  return out;
}

/** A sub-byte choice's options are ones `quantizeSubByteWeights` can follow. */
function checkSubByteChoice(c: SubByteChoice): void {
  if (!SUB_BYTE_KINDS.includes(c.kind)) throw new InputError(`unknown weight width '${c.kind}' (use ${SUB_BYTE_KINDS.join(', ')})`);
  const rounding = c.rounding ?? 'gptq';
  if (!WEIGHT_ROUNDINGS.includes(rounding)) throw new InputError(`unknown weight rounding '${rounding}' (use ${WEIGHT_ROUNDINGS.join(', ')})`);
  if (c.groupSize !== undefined) {
    if (!Number.isInteger(c.groupSize) || c.groupSize < 2) throw new InputError(`--group-size must be an integer >= 2, got '${c.groupSize}'`);
    if (rounding === 'adaround') throw new InputError('--group-size works with --rounding gptq or nearest, not adaround');
  }
}

/**
 * Sub-byte weights of every layer in `choices`, keyed by op index. Layers rounded 'gptq' or
 * 'adaround' are quantized in graph order, each on statistics of its input over `samples` (see
 * below); 'nearest' needs no data.
 */
export function quantizeSubByteWeights(
  g: Graph,
  samples: readonly CalibrationSample[],
  layers: readonly WeightLayer[],
  choices: ReadonlyMap<number, SubByteChoice | ClusterChoice>,
  progress: (message: string) => void = () => {},
): Map<number, PresetWeights> {
  for (const c of choices.values()) if (c.kind !== 'clusters') checkSubByteChoice(c);
  const targets = layers.filter((l) => choices.has(l.index));
  for (const l of targets) {
    const c = choices.get(l.index)!;
    if (l.axis === undefined) throw new InputError(`${c.kind === 'clusters' ? '--clusters' : `--weights ${c.kind}`} needs per-channel weight scales; drop --per-tensor`);
  }
  // Clustered layers are assigned with GPTQ's error feedback (src/quantize/cluster-gptq.ts).
  const roundingOf = (l: WeightLayer): WeightRounding => {
    const c = choices.get(l.index)!;
    return c.kind === 'clusters' ? 'gptq' : (c.rounding ?? 'gptq');
  };
  const distinct = (f: (l: WeightLayer) => string): string => [...new Set(targets.map(f))].join('/');
  const kinds = distinct((l) => choiceLabel(choices.get(l.index)));
  const prepared = prepareGraph(g);
  const rowsOf = new Map<number, LayerRows>();
  for (const l of targets) {
    const op = g.ops[l.index];
    rowsOf.set(l.index, layerRows(op, g.tensors[op.inputs[l.rule.weights]].shape, prepared.steps[l.index].params));
  }

  const quantizeLayer = (l: WeightLayer, h: Float64Array[] | undefined, target: Float64Array[] | undefined): PresetWeights => {
    const rows = rowsOf.get(l.index)!;
    const choice = choices.get(l.index)!;
    if (choice.kind === 'clusters') return clusterLayer(l, rows, choice, h!, target);
    const kind = choice.kind;
    const groupSize = choice.groupSize;
    const rounding = roundingOf(l);
    const prepHess = new Map<number, PreparedHessian>();
    const data = new Int8Array(l.float.length);
    const dequantized = new Float32Array(l.float.length);
    const scales: number[] = [];
    const grouped = groupSize !== undefined && rows.op !== 'DEPTHWISE_CONV_2D' && rows.cols > groupSize && rows.cols % groupSize === 0;
    const perRow = grouped ? rows.cols / groupSize : 0;
    const multipliers = new Uint8Array(rows.rows * perRow);
    for (let r = 0; r < rows.rows; r++) {
      const w = target ? target[r] : Float64Array.from({ length: rows.cols }, (_, k) => l.float[rows.at(r, k)]);
      const gs = grouped ? groupScales(kind, w, groupSize) : undefined;
      if (gs) multipliers.set(gs.multipliers, r * perRow);
      let rq;
      if (h) {
        const hi = rows.hessianOf(r);
        let p = prepHess.get(hi);
        if (!p && rounding === 'gptq') prepHess.set(hi, (p = prepareHessian(h[hi], rows.cols)));
        if (rounding === 'adaround' || !p) rq = adaroundRow(kind, w, h[hi]);
        else rq = gs ? gptqRow(kind, w, p, groupScaleCandidates(gs.base), gs.perColumn) : gptqRow(kind, w, p);
      } else {
        rq = gs ? roundGroupsNearest(kind, w, gs) : clipSearchRow(kind, w);
      }
      if (kind === 'binary') {
        // Binary has no 0: an all-zero channel still needs ±1 values, at a negligible scale.
        for (let k = 0; k < rows.cols; k++) if (rq.q[k] === 0) rq.q[k] = gs ? gs.perColumn[k] : 1;
      }
      const s = Math.fround(rq.scale > 0 && Number.isFinite(rq.scale) ? rq.scale : 1e-6);
      scales.push(s);
      for (let k = 0; k < rows.cols; k++) {
        const at = rows.at(r, k);
        data[at] = rq.q[k];
        dequantized[at] = rq.q[k] * s;
      }
    }
    return {
      data,
      dequantized,
      quant: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: l.axis! },
      encoding: grouped ? { kind, groups: { size: groupSize, multipliers } } : { kind },
    };
  };

  const out = new Map<number, PresetWeights>();
  if (targets.every((l) => roundingOf(l) === 'nearest')) {
    if (targets.length > 0) progress(`rounding weights to ${kinds} (nearest)`);
    for (const l of targets) out.set(l.index, quantizeLayer(l, undefined, undefined));
    return out;
  }
  // Layer by layer, in graph order: each layer's statistics come from the model whose earlier
  // layers already compute with their quantized weights, and (compensation) its weights are first
  // refitted so that, from those inputs, it reproduces what the float layer computes from the
  // float model's inputs: w' = w C H⁻¹ with C = mean x_f x_qᵀ, H = mean x_q x_qᵀ. Rounding then
  // minimizes the output error against w' on H. Each earlier layer's error is thereby absorbed by
  // the next instead of accumulating.
  progress(`rounding weights to ${kinds} (${distinct(roundingOf)}), layer by layer on ${samples.length} sample(s)`);
  const ordered = [...targets].sort((x, y) => x.index - y.index);
  const withData = ordered.filter((l) => roundingOf(l) !== 'nearest');
  const floatInputs = storedFloatInputs(prepared, samples, withData);
  let current = g;
  for (const l of ordered) {
    if (roundingOf(l) === 'nearest') {
      // No statistics: rounded alone, but the layers after it see its quantized weights.
      const preset = quantizeLayer(l, undefined, undefined);
      out.set(l.index, preset);
      current = withDequantizedWeights(current, new Map([[l.index, preset]]), new Map([[l.index, l]]));
      continue;
    }
    const op = g.ops[l.index];
    const rows = rowsOf.get(l.index)!;
    const params = prepared.steps[l.index].params;
    const acc = new HessianAccumulator(rows, params);
    const inputId = op.inputs[l.rule.input];
    const choice = choices.get(l.index)!;
    const compensate = (choice.kind === 'clusters' || choice.compensate !== false) && out.size > 0;
    const floatPrefix = floatInputs ? undefined : prepareGraph(prefixGraph(g, l.index));
    const currentPrefix = compensate ? prepareGraph(prefixGraph(current, l.index)) : undefined;
    for (const [k, sample] of samples.entries()) {
      const xf = floatInputs ? floatInputs.get(l.index)![k] : layerInput(floatPrefix!, sample, l.index, inputId);
      if (currentPrefix) acc.add(layerInput(currentPrefix, sample, l.index, inputId), xf);
      else acc.add(xf);
    }
    const h = acc.matrices();
    let target: Float64Array[] | undefined;
    if (compensate) {
      const maps = acc.crossMatrices().map((c, k) => compensationMap(c, h[k], rows.cols));
      target = Array.from({ length: rows.rows }, (_, r) => {
        const m = maps[rows.hessianOf(r)];
        const n = rows.cols;
        const wr = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const wi = l.float[rows.at(r, i)];
          if (wi === 0) continue;
          for (let j = 0; j < n; j++) wr[j] += wi * m[i * n + j];
        }
        return wr;
      });
    }
    const preset = quantizeLayer(l, h, target);
    out.set(l.index, preset);
    current = withDequantizedWeights(current, new Map([[l.index, preset]]), new Map([[l.index, l]]));
  }
  return out;
}

/**
 * One layer clustered against its input statistics `h` (src/quantize/cluster-gptq.ts), towards
 * the compensated rows `target` when given: int8 table levels as data, per-channel scales, and
 * the LUT encoding (one table, or one per output channel).
 */
function clusterLayer(l: WeightLayer, rows: LayerRows, choice: ClusterChoice, h: Float64Array[], target: Float64Array[] | undefined): PresetWeights {
  const prepared = h.map((m) => prepareHessian(m, rows.cols));
  const w = target ?? Array.from({ length: rows.rows }, (_, r) => Float64Array.from({ length: rows.cols }, (_, k) => l.float[rows.at(r, k)]));
  const k = choice.clusters;
  const c = clusterRowsGptq({ rows: w, hessian: (r) => prepared[rows.hessianOf(r)], clusters: k, scope: choice.scope, seed: choice.seed });
  const perChannel = choice.scope === 'channel';
  const data = new Int8Array(l.float.length);
  const indices = new Uint8Array(l.float.length);
  const dequantized = new Float32Array(l.float.length);
  const table = new Int8Array(c.tables.length * k);
  c.tables.forEach((lv, t) => table.set(lv, t * k));
  const scales = c.scales.map((s) => Math.fround(s > 0 && Number.isFinite(s) ? s : 1e-6));
  for (let r = 0; r < rows.rows; r++) {
    const lv = c.tables[perChannel ? r : 0];
    for (let i = 0; i < rows.cols; i++) {
      const at = rows.at(r, i);
      indices[at] = c.indices[r][i];
      data[at] = lv[c.indices[r][i]];
      dequantized[at] = data[at] * scales[r];
    }
  }
  return {
    data,
    dequantized,
    quant: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: l.axis! },
    encoding: { kind: 'lut', bits: indexBits(k), entries: k, scope: perChannel ? 'channel' : 'tensor', table, indices },
  };
}

/** Float values kept for the layer-by-layer statistics at most (4 bytes each). */
const STORED_FLOATS_LIMIT = 64 * 1024 * 1024;

/**
 * Every layer's float input on every sample from one pass of the float model, or undefined when
 * they would take more than STORED_FLOATS_LIMIT values (each layer's are then recomputed).
 */
function storedFloatInputs(prepared: PreparedGraph, samples: readonly CalibrationSample[], layers: readonly WeightLayer[]): Map<number, Float32Array[]> | undefined {
  const g = prepared.graph;
  let total = 0;
  for (const l of layers) total += elementCount(g.tensors[g.ops[l.index].inputs[l.rule.input]].shape) * samples.length;
  if (total > STORED_FLOATS_LIMIT) return undefined;
  const wanted = new Map<number, number[]>();
  for (const l of layers) {
    const id = g.ops[l.index].inputs[l.rule.input];
    wanted.set(id, [...(wanted.get(id) ?? []), l.index]);
  }
  const out = new Map<number, Float32Array[]>(layers.map((l) => [l.index, []]));
  for (const sample of samples) {
    g.inputs.forEach((id, k) => {
      for (const i of wanted.get(id) ?? []) out.get(i)!.push(sample[k] as Float32Array);
    });
    runGraph(prepared, sample, {
      onStep: (step, outputs) => {
        step.op.outputs.forEach((id, k) => {
          const users = wanted.get(id);
          if (!users) return;
          const copy = Float32Array.from(outputs[k] as Float32Array);
          for (const i of users) out.get(i)!.push(copy);
        });
      },
    });
  }
  return out;
}

/** The ops up to and including `last`, with its first output as the graph's output. */
function prefixGraph(g: Graph, last: number): Graph {
  return { ...g, ops: g.ops.slice(0, last + 1), outputs: [g.ops[last].outputs[0]] };
}

/** One sample's value of tensor `inputId` (the input of op `index`), from a prefix graph. */
function layerInput(prefix: PreparedGraph, sample: CalibrationSample, index: number, inputId: number): Float32Array {
  let x: Float32Array | undefined;
  const isInput = prefix.graph.inputs.indexOf(inputId);
  if (isInput >= 0) return sample[isInput] as Float32Array;
  runGraph(prefix, sample, {
    onStep: (step, outputs) => {
      const k = step.op.outputs.indexOf(inputId);
      if (k >= 0) x = Float32Array.from(outputs[k] as Float32Array);
    },
  });
  if (!x) throw new Error(`subbyte: tensor ${inputId} is not computed before op ${index}`);
  return x;
}

/** C H⁻¹ (H damped like GPTQ's), n x n: maps a float row to the row for quantized inputs. */
function compensationMap(c: Float64Array, h: Float64Array, n: number, damp = 0.01): Float64Array {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += h[i * n + i];
  mean = mean / n || 1;
  const hd = Float64Array.from(h);
  for (let i = 0; i < n; i++) hd[i * n + i] = (hd[i * n + i] > 0 ? hd[i * n + i] : mean) + damp * mean;
  const l = cholesky(hd, n);
  if (!l) {
    const id = new Float64Array(n * n);
    for (let i = 0; i < n; i++) id[i * n + i] = 1;
    return id;
  }
  const inv = inverseFromCholesky(l, n);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const cik = c[i * n + k];
      if (cik === 0) continue;
      for (let j = 0; j < n; j++) m[i * n + j] += cik * inv[k * n + j];
    }
  }
  return m;
}

/** The report's sub-byte summary (undefined without sub-byte layers): the weight layers' bytes, and what int8 weights would take. */
export function subByteSummary(
  choices: WeightChoices,
  q: Graph,
  weightLayers: ReadonlyMap<number, { weightTensor: number; biasTensor?: number }>,
): { weights: string; rounding: string; groupSize?: number; keepInt8: number[]; parameterBytes: number; int8ParameterBytes: number } | undefined {
  const sub = [...choices.values()].filter(isSubByteChoice);
  if (sub.length === 0) return undefined;
  let bytes = 0;
  let int8Bytes = 0;
  const keep: number[] = [];
  for (const [index, l] of [...weightLayers].sort((a, b) => a[0] - b[0])) {
    const p = layerStoredBytes(q, l.weightTensor, l.biasTensor);
    bytes += p.parameterBytes;
    int8Bytes += p.int8ParameterBytes;
    if (p.weightBits === 8) keep.push(index);
  }
  const distinct = (f: (c: SubByteChoice) => string): string => [...new Set(sub.map(f))].join('/');
  const groups = [...new Set(sub.map((c) => c.groupSize).filter((n) => n !== undefined))];
  return {
    weights: distinct((c) => c.kind),
    rounding: distinct((c) => c.rounding ?? 'gptq'),
    ...(groups.length === 1 ? { groupSize: groups[0] } : {}),
    keepInt8: keep,
    parameterBytes: bytes,
    int8ParameterBytes: int8Bytes,
  };
}

/** `g` computing with the sub-byte layers' dequantized weights (same tensor ids), for calibration. */
export function withDequantizedWeights(g: Graph, preset: ReadonlyMap<number, PresetWeights>, layers: ReadonlyMap<number, { rule: WeightRule }>): Graph {
  const tensors = [...g.tensors];
  for (const [index, p] of preset) {
    const id = g.ops[index].inputs[layers.get(index)!.rule.weights];
    tensors[id] = { ...tensors[id], data: p.dequantized };
  }
  return { ...g, tensors };
}
