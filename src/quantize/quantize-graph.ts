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
import { GraphError, InputError, TinymlError, UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { Graph, Op, Quantization, Tensor, TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { getOpDef, opContext } from '../ops/registry.js';
import type { SubByteKind } from '../ir/weight-encoding.js';
import { accumulateProbe, makeProbe, probeMeanError, type BiasErrorProbe } from './bias-correction.js';
import { calibrate, checkSamples, type CalibrationSample } from './calibrate.js';
import {
  asymmetricQParams,
  INT64_BIAS_LIMIT,
  minWeightScalesForBias,
  quantization,
  quantizeBias,
  quantizeValues,
  quantizeWeights,
  quantizeWeightsWithScales,
  symmetricQParams,
  type ActivationDType,
  type QParams,
  type Range,
} from './qparams.js';
import { chooseRange, type CalibrationMethod, type TensorStats } from './ranges.js';
import { evaluateQuantization, type QuantizationReport, type LayerReport } from './report.js';
import { fixedOutputQParams, followsInputPrecision, notQuantizable, sameQParams, weightRule, type WeightRule } from './rules.js';

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
  /** Progress messages ("calibrating 300 samples"...). */
  onProgress?: (message: string) => void;
  /**
   * Activation parameters chosen elsewhere (learned by quantization-aware training), by float-graph
   * tensor id: they replace the calibrated ones (tensors that must share parameters get equal ones).
   */
  activationQParams?: ReadonlyMap<number, QParams>;
  /** Weight step sizes and widths chosen elsewhere, by float-graph op index (see `WeightOverride`). */
  weightOverrides?: ReadonlyMap<number, WeightOverride>;
}

/**
 * A weight layer's learned quantization: its per-channel scales (one per channel of the op's
 * weight axis, or one) and its width; the int8 data are the codes of w / scale in that width, and
 * a sub-byte width is recorded as the weight tensor's `weightEncoding`.
 */
export interface WeightOverride {
  scales: readonly number[];
  encoding?: SubByteKind;
}

export interface QuantizeResult {
  graph: Graph;
  report: QuantizationReport;
}

type Prec = ActivationDType;

interface Group {
  parent: string;
  dtype: Prec;
  range: Range;
  fixed?: QParams;
  qparams?: QParams;
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
  const weightQ = new Map<number, { rule: WeightRule; axis: number | undefined; float: Float32Array }>();
  for (const op of g.ops) {
    const rule = weightRule(op.type);
    if (!rule) continue;
    const w = g.tensors[op.inputs[rule.weights]];
    if (!w?.data || w.dtype !== 'float32') {
      throw new UnsupportedOpError(`${describeOp(g, op)} cannot be quantized: its weights${w ? ` '${w.name}'` : ''} are not a float32 constant`);
    }
    weightQ.set(op.index, { rule, axis: opts.perChannel ? rule.axis : undefined, float: w.data as Float32Array });
  }

  const probes = new Map<number, BiasErrorProbe>();
  if (opts.biasCorrection) {
    for (const [index, wq] of weightQ) {
      const op = g.ops[index];
      const q = quantizeWeights(wq.float, g.tensors[op.inputs[wq.rule.weights]].shape, wq.axis);
      const delta = new Float32Array(wq.float.length);
      for (let i = 0; i < delta.length; i++) delta[i] = q.dequantized[i] - wq.float[i];
      probes.set(index, makeProbe(g, op, wq.rule, delta));
    }
  }

  progress(`calibrating on ${samples.length} sample(s) (${opts.calibration})`);
  const needHist = opts.calibration !== 'minmax';
  const cal = calibrate(g, samples, needHist ? opts.bins : 0, (opIndex, values) => {
    const probe = probes.get(opIndex);
    if (!probe) return;
    const op = g.ops[opIndex];
    accumulateProbe(probe, values.get(op.inputs[weightRule(op.type)!.input])!);
  });
  const tCal = performance.now();

  progress('choosing quantization parameters');
  const plan = planActivations(g, precision, cal.stats, { ...opts, overrides: options.activationQParams });
  const built = buildQuantizedGraph(g, precision, plan, weightQ, probes, { ...opts, weightOverrides: options.weightOverrides });
  checkQuantizedGraph(built.graph, built.origin, g);
  const tQuant = performance.now();

  const layers: LayerReport[] = g.ops.map((op) => layerInfo(g, op, precision[op.index], plan, built, cal.stats));
  const evalCount = options.evaluate === false ? 0 : options.evaluate === true || options.evaluate === undefined ? samples.length : Math.min(samples.length, Math.max(0, Math.floor(options.evaluate)));
  if (evalCount > 0) progress(`measuring per-layer SQNR on ${evalCount} sample(s)`);
  const report = evaluateQuantization(g, cal.prepared, built.graph, built.origin, built.repr, samples.slice(0, evalCount), layers, {
    method: opts.calibration,
    percentile: opts.calibration === 'percentile' ? opts.percentile : undefined,
    perChannel: opts.perChannel,
    symmetric: opts.symmetric,
    biasCorrection: opts.biasCorrection,
    int16Layers: g.ops.filter((op) => precision[op.index] === 'int16').map((op) => op.index),
    calibrationSamples: samples.length,
    timings: { calibrationMs: tCal - t0, quantizeMs: tQuant - tCal, evaluationMs: 0 },
  });
  return { graph: built.graph, report };
}

// ---------------------------------------------------------------------------------------------
// Checks and precision
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

function resolvePrecision(g: Graph, int16: boolean | readonly (number | string)[]): Prec[] {
  const chosen = new Set<number>();
  if (int16 !== true && int16 !== false) {
    for (const item of int16) {
      const asNumber = typeof item === 'number' ? item : /^\d+$/.test(item) ? Number(item) : undefined;
      if (asNumber !== undefined) {
        if (!(asNumber >= 0 && asNumber < g.ops.length)) {
          throw new InputError(`--int16: op index ${asNumber} is out of range (model '${g.name}' has ops 0..${g.ops.length - 1})`);
        }
        chosen.add(asNumber);
        continue;
      }
      const op = g.ops.find((o) => o.outputs.some((id) => g.tensors[id].name === item));
      if (!op) {
        throw new InputError(`--int16: no op of model '${g.name}' writes a tensor named '${item}' (give op indices or output tensor names; see 'tinyml inspect')`);
      }
      chosen.add(op.index);
    }
  }
  const producer = new Map<number, Op>();
  for (const op of g.ops) for (const o of op.outputs) producer.set(o, op);
  const prec: Prec[] = [];
  for (const op of g.ops) {
    let p: Prec = 'int8';
    if (int16 === true || chosen.has(op.index)) p = 'int16';
    else if (followsInputPrecision(op.type)) {
      const src = op.inputs.find((i) => i >= 0 && !g.tensors[i].data);
      const prod = src !== undefined ? producer.get(src) : undefined;
      if (prod) p = prec[prod.index];
    }
    prec.push(p);
  }
  return prec;
}

// ---------------------------------------------------------------------------------------------
// Activation planning: keys (tensor, dtype[, variant]) grouped where the spec requires equal
// quantization, each group's range and parameters.
// ---------------------------------------------------------------------------------------------

export interface ActivationKey {
  tensor: number;
  dtype: Prec;
  variant: string;
}

function keyString(tensor: number, dtype: Prec, variant = ''): string {
  return `${tensor}:${dtype}${variant ? `:${variant}` : ''}`;
}

function parseKey(k: string): ActivationKey {
  const [t, d, v] = k.split(':');
  return { tensor: Number(t), dtype: d as Prec, variant: v ?? '' };
}

interface ActivationPlan {
  groups: Map<string, Group>;
  /** op index → input slot → wanted key (float activation slots only). */
  wanted: Map<number, Map<number, string>>;
  /** Graph output position → wanted key. */
  outputWanted: string[];
  /** Tensor id → key of its natural (producer) precision. */
  sourceKey: Map<number, string>;
  find(k: string): Group;
  qparams(k: string): QParams;
}

function planActivations(
  g: Graph,
  precision: Prec[],
  stats: Map<number, TensorStats>,
  opts: { calibration: CalibrationMethod; percentile: number; symmetric: boolean; overrides?: ReadonlyMap<number, QParams> },
): ActivationPlan {
  const groups = new Map<string, Group>();
  const producer = new Map<number, Op>();
  for (const op of g.ops) for (const o of op.outputs) producer.set(o, op);
  const isGraphInput = new Set(g.inputs);

  const rangeOf = (t: Tensor, dtype: Prec): Range => {
    if (t.data) {
      const d = t.data as Float32Array;
      let min = 0;
      let max = 0;
      for (let i = 0; i < d.length; i++) {
        if (d[i] < min) min = d[i];
        if (d[i] > max) max = d[i];
      }
      return { min, max };
    }
    const s = stats.get(t.id);
    if (!s) return { min: 0, max: 0 };
    // Graph inputs keep their full range: clipping them would change what the model is given.
    const method = isGraphInput.has(t.id) ? 'minmax' : opts.calibration;
    return chooseRange(s, { dtype, symmetric: opts.symmetric || dtype === 'int16' }, { method, percentile: opts.percentile });
  };

  const fixedFor = (tensor: number, dtype: Prec, variant: string): QParams | undefined => {
    if (variant) return undefined;
    const given = dtype === 'int8' ? opts.overrides?.get(tensor) : undefined;
    if (given) return given;
    const prod = producer.get(tensor);
    return prod ? fixedOutputQParams(prod.type, dtype) : undefined;
  };

  const ensure = (k: string): Group => {
    let grp = groups.get(k);
    if (!grp) {
      const { tensor, dtype, variant } = parseKey(k);
      grp = { parent: k, dtype, range: rangeOf(g.tensors[tensor], dtype), fixed: fixedFor(tensor, dtype, variant) };
      groups.set(k, grp);
    }
    return grp;
  };
  const find = (k: string): Group => {
    let grp = ensure(k);
    while (grp.parent !== k) {
      const parent = ensure(grp.parent);
      grp.parent = parent.parent;
      k = grp.parent;
      grp = ensure(k);
    }
    return grp;
  };
  /** Joins two keys' groups; false (and no change) when both have different fixed parameters. */
  const union = (a: string, b: string): boolean => {
    const ga = find(a);
    const gb = find(b);
    if (ga === gb) return true;
    if (ga.fixed && gb.fixed && (ga.fixed.scale !== gb.fixed.scale || ga.fixed.zeroPoint !== gb.fixed.zeroPoint)) return false;
    gb.parent = ga.parent;
    ga.range = { min: Math.min(ga.range.min, gb.range.min), max: Math.max(ga.range.max, gb.range.max) };
    ga.fixed ??= gb.fixed;
    return true;
  };

  const sourceKey = new Map<number, string>();
  for (const id of g.inputs) sourceKey.set(id, keyString(id, 'int8'));
  const wanted = new Map<number, Map<number, string>>();
  const weightSlots = (op: Op): Set<number> => {
    const r = weightRule(op.type);
    return new Set(r ? [r.weights, r.bias] : []);
  };

  for (const op of g.ops) {
    const p = precision[op.index];
    const slots = new Map<number, string>();
    const skip = weightSlots(op);
    op.inputs.forEach((id, s) => {
      if (id < 0 || skip.has(s) || g.tensors[id].dtype !== 'float32') return;
      slots.set(s, keyString(id, p));
      ensure(keyString(id, p));
    });
    wanted.set(op.index, slots);
    for (const o of op.outputs) {
      sourceKey.set(o, keyString(o, p));
      ensure(keyString(o, p));
    }
    const same = sameQParams(op.type);
    if (same) {
      const outKey = keyString(op.outputs[0], p);
      const constrained = (same === 'first' ? [0] : same === 'all' ? [...slots.keys()] : same).filter((s) => slots.has(s));
      // Inputs with different fixed parameters (a LOGISTIC and a TANH output into one
      // CONCATENATION) cannot all share the output's: each of those is read through a
      // requantized copy, and the output gets a range covering them all.
      const fixedKinds = new Set(
        [outKey, ...constrained.map((s) => slots.get(s)!)].map((k) => find(k).fixed).filter((f): f is QParams => f !== undefined).map((f) => `${f.scale}/${f.zeroPoint}`),
      );
      for (const s of constrained) {
        const k = slots.get(s)!;
        if ((fixedKinds.size > 1 && find(k).fixed) || !union(outKey, k)) {
          const v = keyString(op.inputs[s], p, `r${op.index}`);
          ensure(v);
          union(outKey, v);
          slots.set(s, v);
        }
      }
    }
  }
  const outputWanted = g.outputs.map((id) => {
    const k = keyString(id, 'int8');
    ensure(k);
    return k;
  });

  const qparams = (k: string): QParams => {
    const grp = find(k);
    if (!grp.qparams) {
      if (grp.fixed) grp.qparams = { scale: Math.fround(grp.fixed.scale), zeroPoint: grp.fixed.zeroPoint };
      else if (grp.dtype === 'int16' || opts.symmetric) grp.qparams = symmetricQParams(grp.range, grp.dtype);
      else grp.qparams = asymmetricQParams(grp.range, grp.dtype);
    }
    return grp.qparams;
  };
  return { groups, wanted, outputWanted, sourceKey, find, qparams };
}

// ---------------------------------------------------------------------------------------------
// Building the quantized graph
// ---------------------------------------------------------------------------------------------

interface WeightInfo {
  /** Float weight range. */
  range: Range;
  scales: number[];
  weightTensor: number;
  biasTensor?: number;
  inputKey: string;
}

interface Built {
  graph: Graph;
  /** New op index → index of the float op it implements (-1 for inserted QUANTIZE ops). */
  origin: number[];
  /** Added activation tensors (QUANTIZE outputs) → the float tensor they carry. */
  repr: Map<number, number>;
  weights: Map<number, WeightInfo>;
}

function buildQuantizedGraph(
  g: Graph,
  precision: Prec[],
  plan: ActivationPlan,
  weightQ: Map<number, { rule: WeightRule; axis: number | undefined; float: Float32Array }>,
  probes: Map<number, BiasErrorProbe>,
  opts: { perChannel: boolean; weightOverrides?: ReadonlyMap<number, WeightOverride> },
): Built {
  const tensors: Tensor[] = g.tensors.map((t) => ({ ...t, shape: [...t.shape] }));
  const ops: Op[] = [];
  const origin: number[] = [];
  const repr = new Map<number, number>();
  const materialized = new Map<string, number>();
  const claimed = new Set<number>(); // original constant ids already given a quantized meaning
  const weights = new Map<number, WeightInfo>();

  const append = (spec: Omit<Tensor, 'id'>): number => {
    const id = tensors.length;
    tensors.push({ ...spec, id });
    return id;
  };
  /** A constant tensor slot: reuse the original id the first time, a copy afterwards. */
  const constSlot = (orig: number, spec: Omit<Tensor, 'id'>): number => {
    if (!claimed.has(orig)) {
      claimed.add(orig);
      tensors[orig] = { ...spec, id: orig };
      return orig;
    }
    return append(spec);
  };
  const quantOf = (q: QParams): Quantization => quantization(q);

  // Activations produced by ops or fed as graph inputs take their natural (source) key's params.
  for (const [tensor, k] of plan.sourceKey) {
    const { dtype } = parseKey(k);
    const t = tensors[tensor];
    tensors[tensor] = { ...t, dtype, quant: quantOf(plan.qparams(k)) };
    delete tensors[tensor].data;
    materialized.set(k, tensor);
  }

  const ensure = (k: string): number => {
    const have = materialized.get(k);
    if (have !== undefined) return have;
    const { tensor, dtype, variant } = parseKey(k);
    const orig = g.tensors[tensor];
    const q = plan.qparams(k);
    let id: number;
    if (orig.data) {
      // A float constant used like an activation: quantized directly.
      const data = quantizeValues(orig.data as Float32Array, q, dtype);
      id = constSlot(tensor, { name: orig.name, shape: [...orig.shape], dtype, quant: quantOf(q), data });
    } else {
      const src = plan.sourceKey.get(tensor);
      if (src === undefined) throw new GraphError(`quantizer: tensor ${tensor} '${orig.name}' is read but never produced`);
      const srcId = ensure(src);
      const suffix = variant ? `requant${variant.slice(1)}` : dtype;
      id = append({ name: `${orig.name}/${suffix}`, shape: [...orig.shape], dtype, quant: quantOf(q) });
      repr.set(id, tensor);
      ops.push({ index: ops.length, type: 'QUANTIZE', inputs: [srcId], outputs: [id], attrs: {} } as Op);
      origin.push(-1);
    }
    materialized.set(k, id);
    return id;
  };

  for (const op of g.ops) {
    const p = precision[op.index];
    const slots = plan.wanted.get(op.index)!;
    const inputs = [...op.inputs];
    for (const [s, k] of slots) inputs[s] = ensure(k);
    const wq = weightQ.get(op.index);
    if (wq) {
      const { rule } = wq;
      const inputKey = slots.get(rule.input);
      if (!inputKey) throw new UnsupportedOpError(`${describeOp(g, op)} cannot be quantized: its input is not a float32 activation`);
      const inScale = plan.qparams(inputKey).scale;
      const wTensor = g.tensors[op.inputs[rule.weights]];
      const biasId = op.inputs.length > rule.bias ? op.inputs[rule.bias] : -1;
      const biasTensor = biasId >= 0 ? g.tensors[biasId] : undefined;
      if (biasTensor && (!biasTensor.data || biasTensor.dtype !== 'float32')) {
        throw new UnsupportedOpError(`${describeOp(g, op)} cannot be quantized: its bias '${biasTensor.name}' is not a float32 constant`);
      }
      let bias = biasTensor ? Float32Array.from(biasTensor.data as Float32Array) : undefined;
      const probe = probes.get(op.index);
      if (probe) {
        const err = probeMeanError(probe);
        bias ??= new Float32Array(probe.channels);
        for (let c = 0; c < bias.length; c++) bias[c] -= err[c];
      }
      const minScales = bias ? minWeightScalesForBias(bias, inScale, wq.axis !== undefined, p === 'int8' ? undefined : INT64_BIAS_LIMIT) : undefined;
      const given = opts.weightOverrides?.get(op.index);
      const qw = given
        ? quantizeWeightsWithScales(wq.float, wTensor.shape, wq.axis, given.scales, given.encoding, minScales)
        : quantizeWeights(wq.float, wTensor.shape, wq.axis, minScales);
      inputs[rule.weights] = constSlot(op.inputs[rule.weights], {
        name: wTensor.name,
        shape: [...wTensor.shape],
        dtype: 'int8',
        quant: qw.quant,
        data: qw.data,
        ...(given?.encoding ? { weightEncoding: { kind: given.encoding } } : {}),
      });
      let biasOut: number | undefined;
      if (bias) {
        const qb = quantizeBias(bias, inScale, qw.quant.scale, p === 'int8' ? 'int32' : 'int64');
        const spec = {
          name: biasTensor?.name ?? `${g.tensors[op.outputs[0]].name}/bias`,
          shape: biasTensor ? [...biasTensor.shape] : [bias.length],
          dtype: p === 'int8' ? ('int32' as const) : ('int64' as const),
          quant: qb.quant,
          data: qb.data,
        };
        biasOut = biasTensor ? constSlot(biasId, spec) : append(spec);
        while (inputs.length <= rule.bias) inputs.push(-1);
        inputs[rule.bias] = biasOut;
      }
      let wmin = Infinity;
      let wmax = -Infinity;
      for (const v of wq.float) {
        if (v < wmin) wmin = v;
        if (v > wmax) wmax = v;
      }
      weights.set(op.index, {
        range: { min: wmin, max: wmax },
        scales: qw.quant.scale,
        weightTensor: inputs[rule.weights],
        biasTensor: biasOut,
        inputKey,
      });
    }
    ops.push({ ...op, index: ops.length, inputs, outputs: [...op.outputs], attrs: { ...(op.attrs as object) } } as Op);
    origin.push(op.index);
  }

  // Graph outputs are int8; a 16-bit output gets a final QUANTIZE, and the int8 tensor keeps the
  // original name (the 16-bit one is renamed `<name>/int16`).
  const outputs = g.outputs.map((id, k) => {
    const want = plan.outputWanted[k];
    const out = ensure(want);
    if (out !== id) {
      const name = tensors[id].name;
      tensors[id] = { ...tensors[id], name: `${name}/${tensors[id].dtype}` };
      tensors[out] = { ...tensors[out], name };
    }
    return out;
  });

  const graph: Graph = {
    name: g.name,
    tensors,
    ops,
    inputs: [...g.inputs],
    outputs,
    meta: { ...(g.meta ?? {}), quantized: precision.some((p) => p === 'int16') ? 'int8+16x8' : 'int8' },
  };
  return { graph, origin, repr, weights };
}

/**
 * Runs every quantized op's `prepare`: an op without an integer path (or whose quantization
 * TFLite Micro would reject) fails here, reported by the float op's index and name.
 */
function checkQuantizedGraph(q: Graph, origin: number[], g: Graph): void {
  for (const op of q.ops) {
    try {
      const def = getOpDef(q, op);
      def.prepare(opContext(q, op));
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      const k = origin[op.index];
      if (k >= 0) {
        const f = g.ops[k];
        const out = g.tensors[f.outputs[0]];
        const dt = q.tensors[op.outputs[0]].dtype;
        throw new UnsupportedOpError(
          `op #${f.index} ${f.type} ('${out?.name ?? '?'}') cannot be quantized to ${dt}: tinyml has no ${dt} kernel for it in this configuration (${detail})`,
        );
      }
      if (e instanceof TinymlError) throw e;
      throw new GraphError(`quantizer: inserted ${describeOp(q, op)} is invalid: ${detail}`);
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
        }
      : {}),
  };
}

function rangeOfQ(q: QParams, p: Prec): Range {
  const [qmin, qmax] = p === 'int8' ? [-128, 127] : [-32768, 32767];
  return { min: q.scale * (qmin - q.zeroPoint), max: q.scale * (qmax - q.zeroPoint) };
}

// ---------------------------------------------------------------------------------------------
// Input / output conversion helpers
// ---------------------------------------------------------------------------------------------

/** Quantizes float input values with a quantized graph input's scale and zero point. */
export function quantizeInput(t: Tensor, values: ArrayLike<number>): Int8Array | Int16Array {
  const q = t.quant;
  if (!q || (t.dtype !== 'int8' && t.dtype !== 'int16')) throw new InputError(`tensor '${t.name}' is not an int8/int16 quantized tensor`);
  return quantizeValues(values, { scale: q.scale[0], zeroPoint: q.zeroPoint[0] }, t.dtype);
}

/** Dequantizes a quantized output tensor's values to float. */
export function dequantizeOutput(t: Tensor, data: TensorData): Float32Array {
  const q = t.quant;
  if (!q) return Float32Array.from(data as ArrayLike<number>);
  const s = q.scale[0];
  const z = q.zeroPoint[0];
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = s * (Number(data[i]) - z);
  return out;
}
