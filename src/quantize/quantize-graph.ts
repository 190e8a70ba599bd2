/**
 * Post-training quantization of a float32 graph to the TFLite int8 specification (and 16x8 for
 * chosen layers), calibrated on sample inputs with the reference interpreter's float path.
 *
 * The quantized graph keeps every tensor of the float graph at the same id and name (weights
 * become int8, biases int32/int64, activations int8/int16) and appends the tensors it adds:
 * QUANTIZE ops at int8 <-> int16 boundaries (and, rarely, an int8 requantization where two fixed
 * output scales must meet in one CONCATENATION), and copies of constants shared by ops needing
 * different quantizations. The graph's inputs and outputs are always int8, like the converter's
 * fully-integer models: callers quantize inputs with the input tensor's scale/zero point and
 * dequantize outputs with the output's (see `quantizeInput` / `dequantizeOutput`).
 */
import { InputError, UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { Graph, Op } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { planActivations, type ActivationPlan } from './activation-plan.js';
import { accumulateProbe, makeProbe, type BiasErrorProbe } from './bias-correction.js';
import { buildQuantizedGraph, checkQuantizedGraph, type Built, type WeightOverride, type WeightPlan } from './build-quantized.js';
import { calibrate, checkSamples, type CalibrationSample } from './calibrate.js';
import { resolvePrecision, type Prec } from './precision.js';
import { quantizeWeights, type QParams, type Range } from './qparams.js';
import { storedBytes } from '../ir/stored-bytes.js';
import { layerStoredBytes, type LayerBytes } from './layer-bytes.js';
import { checkWeightChoices, isSubByteChoice, type ClusterChoice, type SubByteChoice, type WeightChoice, type WeightChoices } from './weight-choice.js';
import { prepareGraph } from '../interp/interpreter.js';
import { quantizeSubByteWeights, withDequantizedWeights, subByteSummary } from './subbyte.js';
import type { CalibrationMethod, TensorStats } from './ranges.js';
import { evaluateQuantization, type QuantizationReport, type LayerReport } from './report.js';
import { notQuantizable, weightRule } from './rules.js';

export interface QuantizeOptions {
  /** Per-channel weights (default true); false quantizes each weight tensor with one scale. */
  perChannel?: boolean;
  /** How activation ranges are chosen from the calibration data (default 'minmax'). */
  calibration?: CalibrationMethod;
  /** Percentile for `calibration: 'percentile'` (default 99.99). */
  percentile?: number;
  /** Symmetric int8 activations (zero point 0) instead of asymmetric (default false). */
  symmetric?: boolean;
  /**
   * 16x8 quantization: `true` for the whole model, or a list of layers, each an op index (of the
   * float graph) or the name of an op's output tensor. Data-movement ops (reshape, pooling
   * max, pad, concat, slice, resize) not listed run at the precision of their input.
   */
  int16?: boolean | readonly (number | string)[];
  /** Correct each conv/dense bias for the mean error its weight quantization causes (default false). */
  biasCorrection?: boolean;
  /** Histogram bins for percentile/mse/entropy calibration (default 2048). */
  histogramBins?: number;
  /**
   * Per-layer SQNR report: true (default) evaluates on all calibration samples, a number on
   * that many of them, false skips it (the report then has no SQNR).
   */
  evaluate?: boolean | number;
  /**
   * How each weight layer's weights are stored, by op index of the float graph (absent: plain
   * int8): sub-byte widths, clusters, or scales chosen elsewhere (src/quantize/weight-choice.ts).
   */
  weights?: WeightChoices;
  /** Progress messages ("calibrating 300 samples"...). */
  onProgress?: (message: string) => void;
  /**
   * Activation parameters chosen elsewhere (learned by quantization-aware training), by float-graph
   * tensor id: they replace the calibrated ones (tensors that must share parameters get equal ones).
   */
  activationQParams?: ReadonlyMap<number, QParams>;
}

export interface QuantizeResult {
  graph: Graph;
  report: QuantizationReport;
}

/** Quantizes `floatGraph` with `samples` (one float32 array per graph input each). */
export function quantizeGraph(floatGraph: Graph, samples: readonly CalibrationSample[], options: QuantizeOptions = {}): QuantizeResult {
  const t0 = performance.now();
  const g = floatGraph;
  const opts = {
    perChannel: options.perChannel ?? true,
    calibration: options.calibration ?? 'minmax',
    percentile: options.percentile ?? 99.99,
    symmetric: options.symmetric ?? false,
    biasCorrection: options.biasCorrection ?? false,
    bins: options.histogramBins ?? 2048,
  };
  if (!['minmax', 'percentile', 'mse', 'entropy'].includes(opts.calibration)) {
    throw new InputError(`unknown calibration method '${opts.calibration}' (use minmax, percentile, mse or entropy)`);
  }
  if (!(opts.percentile > 0 && opts.percentile <= 100)) throw new InputError(`percentile must be in (0, 100], got ${opts.percentile}`);
  const progress = options.onProgress ?? (() => {});
  checkFloatGraph(g);
  checkSamples(g, samples);
  const precision = resolvePrecision(g, options.int16 ?? false);

  // Weights first: they depend only on the weights (bias correction needs them during calibration).
  const weightQ = new Map<number, WeightPlan>();
  for (const op of g.ops) {
    const rule = weightRule(op.type);
    if (!rule) continue;
    const w = g.tensors[op.inputs[rule.weights]];
    if (!w?.data || w.dtype !== 'float32') {
      throw new UnsupportedOpError(`${describeOp(g, op)} cannot be quantized: its weights${w ? ` '${w.name}'` : ''} are not a float32 constant`);
    }
    weightQ.set(op.index, { rule, axis: opts.perChannel ? rule.axis : undefined, float: w.data as Float32Array });
  }

  const choices = options.weights ?? new Map<number, WeightChoice>();
  checkWeightChoices(g, choices);
  // Sub-byte and clustered layers are rounded layer by layer against their inputs' statistics
  // (GPTQ's error feedback absorbs the mean error, so they get no bias correction unless asked:
  // on the Fashion CNN with 16 clusters it cost 0.24 pt top-1).
  const subChoices = new Map([...choices].filter((e): e is [number, SubByteChoice | ClusterChoice] => isSubByteChoice(e[1]) || e[1].kind === 'clusters'));
  const preset = subChoices.size > 0 ? quantizeSubByteWeights(g, samples, [...weightQ].map(([index, wq]) => ({ index, ...wq })), subChoices, progress) : new Map();
  const weightOverrides = new Map<number, WeightOverride>();
  for (const [index, c] of choices) if (c.kind === 'given') weightOverrides.set(index, { scales: c.scales, encoding: c.width === 'int8' ? undefined : c.width });

  const probes = new Map<number, BiasErrorProbe>();
  if (opts.biasCorrection) {
    for (const [index, wq] of weightQ) {
      const op = g.ops[index];
      const shape = g.tensors[op.inputs[wq.rule.weights]].shape;
      const q = preset.get(index) ?? quantizeWeights(wq.float, shape, wq.axis);
      const delta = new Float32Array(wq.float.length);
      for (let i = 0; i < delta.length; i++) delta[i] = q.dequantized[i] - wq.float[i];
      probes.set(index, makeProbe(g, op, wq.rule, delta));
    }
  }

  progress(`calibrating on ${samples.length} sample(s) (${opts.calibration})`);
  const needHist = opts.calibration !== 'minmax';
  // Sub-byte weights change the activations noticeably: ranges are calibrated on the model that
  // computes with them (the float reference for the report stays the float model).
  const calGraph = preset.size > 0 ? withDequantizedWeights(g, preset, weightQ) : g;
  const cal = calibrate(calGraph, samples, needHist ? opts.bins : 0, (opIndex, values) => {
    const probe = probes.get(opIndex);
    if (!probe) return;
    const op = g.ops[opIndex];
    accumulateProbe(probe, values.get(op.inputs[weightRule(op.type)!.input])!);
  });
  const tCal = performance.now();

  progress('choosing quantization parameters');
  const plan = planActivations(g, precision, cal.stats, { ...opts, overrides: options.activationQParams });
  const built = buildQuantizedGraph(g, precision, plan, weightQ, probes, { ...opts, weightOverrides }, preset);
  checkQuantizedGraph(built.graph, built.origin, g);
  const tQuant = performance.now();

  const layers: LayerReport[] = g.ops.map((op) => layerInfo(g, op, precision[op.index], plan, built, cal.stats));
  const evalCount = options.evaluate === false ? 0 : options.evaluate === true || options.evaluate === undefined ? samples.length : Math.min(samples.length, Math.max(0, Math.floor(options.evaluate)));
  if (evalCount > 0) progress(`measuring per-layer SQNR on ${evalCount} sample(s)`);
  const report = evaluateQuantization(g, calGraph === g ? cal.prepared : prepareGraph(g), built.graph, built.origin, built.repr, samples.slice(0, evalCount), layers, {
    method: opts.calibration,
    percentile: opts.calibration === 'percentile' ? opts.percentile : undefined,
    perChannel: opts.perChannel,
    symmetric: opts.symmetric,
    biasCorrection: opts.biasCorrection,
    int16Layers: g.ops.filter((op) => precision[op.index] === 'int16').map((op) => op.index),
    ...optional('subByte', subByteSummary(choices, built.graph, built.weights)),
    calibrationSamples: samples.length,
    timings: { calibrationMs: tCal - t0, quantizeMs: tQuant - tCal, evaluationMs: 0 },
  });
  return { graph: built.graph, report };
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

function checkFloatGraph(g: Graph): void {
  g.inputs.forEach((id) => {
    const t = g.tensors[id];
    if (t.dtype !== 'float32') {
      throw new InputError(`model '${g.name}' input '${t.name}' is ${t.dtype}: the quantizer takes float32 models (this one looks quantized already)`);
    }
  });
  for (const op of g.ops) {
    if (notQuantizable(op.type)) {
      throw new UnsupportedOpError(`${describeOp(g, op)} cannot be quantized: the float model already contains ${op.type}; quantize the original float model instead`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report rows
// ---------------------------------------------------------------------------------------------

function layerInfo(g: Graph, op: Op, p: Prec, plan: ActivationPlan, built: Built, stats: Map<number, TensorStats>): LayerReport {
  const outId = op.outputs[0];
  const s = stats.get(outId);
  const outQ = plan.qparams(plan.sourceKey.get(outId)!);
  const firstIn = [...plan.wanted.get(op.index)!.entries()].sort((a, b) => a[0] - b[0])[0];
  const inQ = firstIn ? plan.qparams(firstIn[1]) : undefined;
  const w = built.weights.get(op.index);
  const wt = w ? built.graph.tensors[w.weightTensor] : undefined;
  const enc = wt?.weightEncoding;
  const grp = plan.find(plan.sourceKey.get(outId)!);
  return {
    index: op.index,
    type: op.type as OpType,
    output: g.tensors[outId].name,
    dtype: p,
    activationRange: s ? { min: s.min, max: s.max } : { min: 0, max: 0 },
    calibratedRange: grp.fixed ? rangeOfQ(grp.fixed, p) : grp.range,
    inputScale: inQ?.scale,
    inputZeroPoint: inQ?.zeroPoint,
    outputScale: outQ.scale,
    outputZeroPoint: outQ.zeroPoint,
    ...(w
      ? {
          weightRange: w.range,
          weightScales: { min: Math.min(...w.scales), max: Math.max(...w.scales), count: w.scales.length },
          ...reportedBytes(layerStoredBytes(built.graph, w.weightTensor, w.biasTensor)),
        }
      : {}),
    ...(enc?.kind === 'lut' && wt?.data
      ? { clusters: { entries: enc.entries, bits: enc.bits, scope: enc.scope, bytes: storedBytes(wt), int8Bytes: wt.data.length } }
      : {}),
  };
}

function rangeOfQ(q: QParams, p: Prec): Range {
  const [qmin, qmax] = p === 'int8' ? [-128, 127] : [-32768, 32767];
  return { min: q.scale * (qmin - q.zeroPoint), max: q.scale * (qmax - q.zeroPoint) };
}

/** `{ [key]: value }`, or nothing when value is undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

/** The report's byte fields of a layer. */
function reportedBytes(b: LayerBytes): Pick<LayerReport, 'weightBits' | 'weightGroupSize' | 'parameterBytes'> {
  return { weightBits: b.weightBits, ...(b.weightGroupSize !== undefined ? { weightGroupSize: b.weightGroupSize } : {}), parameterBytes: b.parameterBytes };
}
