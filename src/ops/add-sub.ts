/**
 * ADD and SUB with numpy broadcasting, as TFLite Micro's quantized kernels compute them: both
 * inputs are re-centred, shifted left (20 bits for int8, 15 for int16) and scaled onto a common
 * scale of twice the larger input scale, summed (or subtracted) in int32, then requantized to the
 * output and clamped to the fused activation range.
 *
 * TFLM computes ADD's real multipliers in double but SUB's in float32; both are reproduced.
 */
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { UnsupportedOpError } from '../errors.js';
import { multiplyByQuantizedMultiplierSmallerThanOneExp as mbqmSmaller, quantizeMultiplier } from '../fixedpoint.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import {
  type BroadcastLayout,
  type ElementwiseAttrs,
  activationOnlyFields,
  activationRangeQuantized,
  byteTable,
  emitBinaryFloat,
  emitBinaryQuant,
  f32,
  forEachBroadcast,
  inferBroadcastShape,
  normalizeParams,
  prepareBinaryArithmetic,
} from './elementwise-util.js';
import { versionByInput, type TfliteMapping } from './tflite-options.js';

export interface AddSubQuantParams extends BroadcastLayout {
  kind: 'int8' | 'int16';
  /** Left shift applied to both re-centred inputs before scaling: 20 (int8) or 15 (int16). */
  leftShift: number;
  /** Negated input zero points. */
  input1Offset: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Offset: number;
  input2Multiplier: number;
  input2Shift: number;
  /** Output zero point. */
  outputOffset: number;
  outputMultiplier: number;
  outputShift: number;
  activationMin: number;
  activationMax: number;
}

export interface AddSubFloatParams extends BroadcastLayout {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type AddSubParams = AddSubQuantParams | AddSubFloatParams;

type AddSubType = 'ADD' | 'SUB';

/** From this many int8 outputs on, evaluate tabulates every input byte pair first. */
const PAIR_TABLE_MIN_SIZE = 65536;

/** TFLite QuantizeMultiplierSmallerThanOneExp, with its CHECKs turned into UnsupportedOpError. */
function multiplierBelowOne(ctx: OpContext, real: number, what: string): { multiplier: number; shift: number } {
  const q = real > 0 && real < 1 ? quantizeMultiplier(real) : undefined;
  if (!q || q.shift > 0) {
    throw new UnsupportedOpError(
      `${describeOp(ctx.graph, ctx.op)}: the ${what} rescale factor ${real} is outside (0, 1); TFLite Micro cannot run this quantization`,
    );
  }
  return q;
}

function prepareAddSub(type: AddSubType, ctx: OpContext<AddSubType>): AddSubParams {
  const start = prepareBinaryArithmetic(ctx);
  if (start.float) return start.float;
  const { layout, out, attrs, q1, q2, qo } = start;
  const leftShift = out.dtype === 'int16' ? 15 : 20;
  let real1: number;
  let real2: number;
  let realOut: number;
  if (type === 'ADD') {
    const twiceMax = 2 * Math.max(q1.scale, q2.scale);
    real1 = q1.scale / twiceMax;
    real2 = q2.scale / twiceMax;
    realOut = twiceMax / (2 ** leftShift * qo.scale);
  } else {
    const twiceMax = f32(2 * Math.max(q1.scale, q2.scale));
    real1 = f32(q1.scale / twiceMax);
    real2 = f32(q2.scale / twiceMax);
    realOut = f32(twiceMax / f32(2 ** leftShift * qo.scale));
  }
  const m1 = multiplierBelowOne(ctx, real1, 'input 1');
  const m2 = multiplierBelowOne(ctx, real2, 'input 2');
  const mo = multiplierBelowOne(ctx, realOut, 'output');
  const [activationMin, activationMax] = activationRangeQuantized(ctx, attrs.activation, out.dtype, qo.scale, qo.zeroPoint);
  return {
    kind: out.dtype,
    ...layout,
    leftShift,
    input1Offset: -q1.zeroPoint,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Offset: -q2.zeroPoint,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputOffset: qo.zeroPoint,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
    activationMin,
    activationMax,
  };
}

function evaluateAddSub(type: AddSubType, p: AddSubParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const in1 = inputs[0]!;
  const in2 = inputs[1]!;
  const out = outputs[0];
  const lo = p.activationMin;
  const hi = p.activationMax;
  const sign = type === 'ADD' ? 1 : -1;
  if (p.kind === 'float32') {
    const x = in1 as Float32Array;
    const y = in2 as Float32Array;
    const o = out as Float32Array;
    if (!p.broadcast) {
      for (let i = 0, n = p.size | 0; i < n; i++) o[i] = Math.min(Math.max(f32(x[i] + sign * y[i]), lo), hi);
      return;
    }
    forEachBroadcast(p, (i, i1, i2) => {
      const v = f32(x[i1] + sign * y[i2]);
      o[i] = Math.min(Math.max(v, lo), hi);
    });
    return;
  }
  const x = in1 as Int8Array | Int16Array;
  const y = in2 as Int8Array | Int16Array;
  const o = out as Int8Array | Int16Array;
  const shiftMul = 2 ** p.leftShift;
  const { input1Offset, input1Multiplier, input1Shift, input2Offset, input2Multiplier, input2Shift } = p;
  const { outputOffset, outputMultiplier, outputShift } = p;
  const scale1 = (q: number) => mbqmSmaller((q + input1Offset) * shiftMul, input1Multiplier, input1Shift);
  const scale2 = (q: number) => sign * mbqmSmaller((q + input2Offset) * shiftMul, input2Multiplier, input2Shift);
  const finish = (raw: number) => {
    const v = mbqmSmaller(raw | 0, outputMultiplier, outputShift) + outputOffset;
    return v < lo ? lo : v > hi ? hi : v;
  };
  if (p.kind === 'int8') {
    // Each input's rescaled value depends on one byte: tabulate both (once per params).
    const tables = inputTables(p, sign, scale1, scale2);
    const { t1, t2 } = tables;
    // The output depends on the byte pair only: an op evaluated again and again (a model run
    // on many inputs) gets all 65536 pairs tabulated once and then only looks them up.
    if (!p.broadcast && tables.pair === undefined && ++tables.calls >= PAIR_TABLE_MIN_CALLS) {
      const pair = new Int8Array(65536);
      for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) pair[(a << 8) | b] = finish(t1[a] + t2[b]);
      tables.pair = pair;
    }
    if (!p.broadcast && tables.pair !== undefined) {
      addInt8Pairs(x as Int8Array, y as Int8Array, o as Int8Array, p.size, tables.pair);
      return;
    }
    if (!p.broadcast && p.size < PAIR_TABLE_MIN_SIZE && fastOutputRescale(outputMultiplier, outputShift)) {
      addInt8Direct(x as Int8Array, y as Int8Array, o as Int8Array, p.size, t1, t2, outputMultiplier, outputShift, outputOffset, lo, hi);
      return;
    }
    if (p.size < PAIR_TABLE_MIN_SIZE) {
      forEachBroadcast(p, (i, i1, i2) => {
        o[i] = finish(t1[x[i1] + 128] + t2[y[i2] + 128]);
      });
      return;
    }
    // Large tensors: the output depends on the byte pair only, so tabulate all 65536 pairs.
    const pair = new Int8Array(65536);
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) pair[(a << 8) | b] = finish(t1[a] + t2[b]);
    forEachBroadcast(p, (i, i1, i2) => {
      o[i] = pair[((x[i1] + 128) << 8) | (y[i2] + 128)];
    });
    return;
  }
  forEachBroadcast(p, (i, i1, i2) => {
    o[i] = finish(scale1(x[i1]) + scale2(y[i2]));
  });
}

interface InputTables {
  key: string;
  t1: Int32Array;
  t2: Int32Array;
  /** Evaluations with these tables so far, and (from PAIR_TABLE_MIN_CALLS on) the pair table. */
  calls: number;
  pair: Int8Array | undefined;
}

/** Evaluations of one non-broadcast int8 ADD/SUB (same params) after which its pair table pays off. */
const PAIR_TABLE_MIN_CALLS = 8;
const inputTablesCache = new WeakMap<object, InputTables>();

/**
 * The two inputs' rescale tables, remembered per params object while its constants stay the
 * same (the key includes the output constants too, which the pair table depends on).
 */
function inputTables(p: AddSubQuantParams, sign: number, scale1: (q: number) => number, scale2: (q: number) => number): InputTables {
  const key =
    `${sign},${p.leftShift},${p.input1Offset},${p.input1Multiplier},${p.input1Shift},${p.input2Offset},${p.input2Multiplier},${p.input2Shift},` +
    `${p.outputOffset},${p.outputMultiplier},${p.outputShift},${p.activationMin},${p.activationMax}`;
  const hit = inputTablesCache.get(p);
  if (hit && hit.key === key) return hit;
  const t: InputTables = { key, t1: byteTable(true, scale1).table, t2: byteTable(true, scale2).table, calls: 0, pair: undefined };
  inputTablesCache.set(p, t);
  return t;
}

function addInt8Pairs(x: Int8Array, y: Int8Array, o: Int8Array, size: number, pair: Int8Array): void {
  for (let i = 0, n = size | 0; i < n; i++) o[i] = pair[((x[i] + 128) << 8) | (y[i] + 128)];
}

/** Whether addInt8Direct's exact rescale covers these constants (else the reference function runs). */
function fastOutputRescale(multiplier: number, shift: number): boolean {
  return Number.isInteger(multiplier) && multiplier >= 0 && multiplier < 2147483648 && Number.isInteger(shift) && shift <= 0 && shift >= -31;
}

const TWO_NEG_15 = 1 / 32768;
const TWO_NEG_31 = 1 / 2147483648;

/**
 * Non-broadcast int8 ADD/SUB from the input tables, with the output's
 * MultiplyByQuantizedMultiplierSmallerThanOneExp inlined exactly for any int32 total x:
 * SaturatingRoundingDoublingHighMul(x, M) = floor((x*M + 2^30) / 2^31) (C's truncating division
 * with its sign-dependent nudge rounds ties up for both signs), with x*M split at M's 16th bit so
 * every partial product and sum stays below 2^53; then RoundingDivideByPOT by -shift as
 * floor((h + 2^(rs-1) - (h < 0 ? 1 : 0)) / 2^rs) (ties away from zero).
 */
function addInt8Direct(
  x: Int8Array,
  y: Int8Array,
  o: Int8Array,
  size: number,
  t1: Int32Array,
  t2: Int32Array,
  multiplier: number,
  shift: number,
  outOff: number,
  lo: number,
  hi: number,
): void {
  const mHi = Math.floor(multiplier / 65536);
  const mLo = multiplier - mHi * 65536;
  const rs = -shift;
  const round = rs > 0 ? 2 ** (rs - 1) : 0;
  const negAdjust = rs > 0 ? 1 : 0;
  const scale = 2 ** -rs;
  for (let i = 0, n = size | 0; i < n; i++) {
    const total = (t1[x[i] + 128] + t2[y[i] + 128]) | 0;
    const big = total * mHi;
    const q1 = Math.floor(big * TWO_NEG_15);
    const h = q1 + Math.floor(((big - q1 * 32768) * 65536 + total * mLo + 1073741824) * TWO_NEG_31);
    const v = Math.floor((h + round - ((h >>> 31) & negAdjust)) * scale) + outOff;
    o[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

function emitAddSub(type: AddSubType, p: AddSubParams, names: EmitNames, ctx: EmitContext): CEmission {
  if (p.kind === 'float32') return emitBinaryFloat(type, p, names, ctx);
  return emitBinaryQuant('add_sub', type.toLowerCase(), p, {
    left_shift: p.leftShift,
    input1_offset: p.input1Offset,
    input1_multiplier: p.input1Multiplier,
    input1_shift: p.input1Shift,
    input2_offset: p.input2Offset,
    input2_multiplier: p.input2Multiplier,
    input2_shift: p.input2Shift,
    output_offset: p.outputOffset,
    output_multiplier: p.outputMultiplier,
    output_shift: p.outputShift,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
  }, names, ctx);
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    ADD: ElementwiseAttrs;
    SUB: ElementwiseAttrs;
  }
}

/**
 * AddOptions / SubOptions: 0 fused_activation_function, 1 pot_scale_int16 = true. 16x8 models
 * with general scales carry pot_scale_int16 = false, as the converter writes them.
 */
function addSubTflite(type: AddSubType): TfliteMapping<ElementwiseAttrs> {
  return {
    options: {
      table: type === 'ADD' ? 'AddOptions' : 'SubOptions',
      unionType: type === 'ADD' ? 11 : 28,
      fields: [...activationOnlyFields(), { id: 1, name: 'pot_scale_int16', kind: 'bool', default: true }],
      read: (v, c) => ({ activation: c.activation(v.num('fused_activation_function')) }),
      write: (a, c) => ({ fused_activation_function: c.activation(a.activation), ...(c.int16 ? { pot_scale_int16: false } : {}) }),
    },
    version: versionByInput(3, 2),
  };
}

function makeDef(type: AddSubType): OpDef<AddSubType, AddSubParams> {
  return {
    type,
    tflite: addSubTflite(type),
    inferShapes: (ctx) => [inferBroadcastShape(ctx)],
    macs: () => 0,
    prepare: (ctx) => normalizeParams(prepareAddSub(type, ctx)),
    evaluate: (p, inputs, outputs) => evaluateAddSub(type, p, inputs, outputs),
    emitC: (p, names, ctx) => emitAddSub(type, p, names, ctx),
  };
}

export const add: OpDef<'ADD', AddSubParams> = makeDef('ADD') as OpDef<'ADD', AddSubParams>;
export const sub: OpDef<'SUB', AddSubParams> = makeDef('SUB') as OpDef<'SUB', AddSubParams>;
