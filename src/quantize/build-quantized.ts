/**
 * Building the quantized graph from the float graph and its activation plan: every tensor keeps
 * its id and name, weights become int8 and biases int32/int64 (corrected by the bias probes when
 * asked), and QUANTIZE ops are inserted where an op reads an activation at another precision or
 * through a requantized copy. `checkQuantizedGraph` then runs every op's prepare.
 */
import { GraphError, InputError, TinymlError, UnsupportedOpError } from '../errors.js';
import type { Graph, Op, Quantization, Tensor } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { getOpDef, opContext } from '../ops/registry.js';
import { parseKey, type ActivationPlan } from './activation-plan.js';
import { probeMeanError, type BiasErrorProbe } from './bias-correction.js';
import type { Prec } from './precision.js';
import {
  INT64_BIAS_LIMIT,
  minWeightScalesForBias,
  quantization,
  quantizeBias,
  quantizeValues,
  quantizeWeights,
  quantizeWeightsWithScales,
  type QParams,
  type Range,
} from './qparams.js';
import type { WeightRule } from './rules.js';
import type { PresetWeights } from './subbyte.js';
import type { SubByteKind } from '../ir/weight-encoding.js';

/**
 * A weight layer's given quantization (a `given` weight choice): its per-channel scales (one per
 * channel of the op's weight axis, or one) and its width; the int8 data are the codes of
 * w / scale in that width, and a sub-byte width is recorded as the weight tensor's `weightEncoding`.
 */
export interface WeightOverride {
  scales: readonly number[];
  encoding?: SubByteKind;
}

/** How one conv/dense op's float weights are quantized (chosen before calibration). */
export interface WeightPlan {
  rule: WeightRule;
  /** Per-channel axis, or undefined for one scale per tensor. */
  axis: number | undefined;
  float: Float32Array;
}

export interface WeightInfo {
  /** Float weight range. */
  range: Range;
  scales: number[];
  weightTensor: number;
  biasTensor?: number;
  inputKey: string;
}

export interface Built {
  graph: Graph;
  /** New op index → index of the float op it implements (-1 for inserted QUANTIZE ops). */
  origin: number[];
  /** Added activation tensors (QUANTIZE outputs) → the float tensor they carry. */
  repr: Map<number, number>;
  weights: Map<number, WeightInfo>;
}

export function buildQuantizedGraph(
  g: Graph,
  precision: Prec[],
  plan: ActivationPlan,
  weightQ: Map<number, WeightPlan>,
  probes: Map<number, BiasErrorProbe>,
  opts: { perChannel: boolean; weightOverrides?: ReadonlyMap<number, WeightOverride> },
  preset: Map<number, PresetWeights> = new Map(),
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
      const sub = preset.get(op.index);
      if (sub && minScales) checkSubByteBias(g, op, sub, minScales);
      const given = opts.weightOverrides?.get(op.index);
      const qw =
        sub ??
        (given
          ? quantizeWeightsWithScales(wq.float, wTensor.shape, wq.axis, given.scales, given.encoding, minScales)
          : quantizeWeights(wq.float, wTensor.shape, wq.axis, minScales));
      const encoding = sub ? sub.encoding : given?.encoding ? { kind: given.encoding } : undefined;
      inputs[rule.weights] = constSlot(op.inputs[rule.weights], {
        name: wTensor.name,
        shape: [...wTensor.shape],
        dtype: 'int8',
        quant: qw.quant,
        data: qw.data,
        ...(encoding ? { weightEncoding: encoding } : {}),
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
export function checkQuantizedGraph(q: Graph, origin: number[], g: Graph): void {
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

/** A sub-byte layer's scales are chosen for accuracy; a bias too large for them cannot be stored. */
function checkSubByteBias(g: Graph, op: Op, sub: PresetWeights, minScales: readonly number[]): void {
  sub.quant.scale.forEach((s, c) => {
    const floor = minScales[minScales.length === 1 ? 0 : c];
    if (floor !== undefined && s < floor) {
      throw new InputError(
        `${describeOp(g, op)}: channel ${c}'s bias is too large for its ${sub.encoding.kind} weight scale (the quantized bias would overflow); keep this layer int8 with --keep-int8 ${op.index}`,
      );
    }
  });
}
