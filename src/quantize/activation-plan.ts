/**
 * Activation planning: every float activation an op reads or writes becomes a key (tensor,
 * dtype[, variant]); keys the TFLite spec requires to share quantization are joined into groups
 * (union-find), and each group gets one range and one scale/zero point. A variant key is a
 * requantized copy, used where two fixed output scales meet in one op.
 */
import type { Graph, Op, Tensor } from '../ir/types.js';
import { asymmetricQParams, symmetricQParams, type QParams, type Range } from './qparams.js';
import type { Prec } from './precision.js';
import { chooseRange, type CalibrationMethod, type TensorStats } from './ranges.js';
import { fixedOutputQParams, sameQParams, symmetricInputs, weightRule } from './rules.js';

export interface Group {
  parent: string;
  dtype: Prec;
  range: Range;
  fixed?: QParams;
  qparams?: QParams;
  /** Some op needs this value with zero point 0 (QuantRule.symmetricInputs). */
  symmetric?: boolean;
}

export interface ActivationKey {
  tensor: number;
  dtype: Prec;
  variant: string;
}

/** The key of `tensor` read at `dtype` (a `variant` names a requantized copy). */
export function keyString(tensor: number, dtype: Prec, variant = ''): string {
  return `${tensor}:${dtype}${variant ? `:${variant}` : ''}`;
}

/** The parts of a key made by `keyString`. */
export function parseKey(k: string): ActivationKey {
  const [t, d, v] = k.split(':');
  return { tensor: Number(t), dtype: d as Prec, variant: v ?? '' };
}

export interface ActivationPlan {
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

/** Groups the activations of `g` (quantized at `precision`) and gives each group its range and parameters. */
export function planActivations(
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
    // Parameters learned elsewhere (quantization-aware training) win over calibration.
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
    ga.symmetric ||= gb.symmetric;
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
    for (const s of symmetricInputs(op.type)) {
      const k = slots.get(s);
      if (k) find(k).symmetric = true;
    }
    const same = sameQParams(op.type);
    if (same) {
      const outKey = keyString(op.outputs[0], p);
      // Ops with several outputs (SPLIT, UNPACK) give them all the same parameters.
      for (const o of op.outputs.slice(1)) union(outKey, keyString(o, p));
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
      else if (grp.dtype === 'int16' || opts.symmetric || grp.symmetric) grp.qparams = symmetricQParams(grp.range, grp.dtype);
      else grp.qparams = asymmetricQParams(grp.range, grp.dtype);
    }
    return grp.qparams;
  };
  return { groups, wanted, outputWanted, sourceKey, find, qparams };
}
