/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM, the standard (Keras) LSTM over a whole sequence, as TFLite Micro
 * computes it for int8 activations and weights (lstm_eval.h, EvalLstm<int8, int8, int16, int32>):
 *
 *   for each time step:  gate = act(FC(x_t; W_g, b_g) + FC(h; R_g))   for g = forget, input, cell, output
 *                        c = f * c + i * g_cell (saturated, clipped when cell_clip > 0)
 *                        h = o * tanh(c);  output[t] = h
 *
 * Each FC accumulates in int32 and is rescaled into int16 at the fixed scale 2^-12 (Q3.12);
 * the gates go through TFLM's int16 logistic and tanh (Q0.15 out); the cell state is int16 at its
 * tensor's scale (TFLM takes its rounded log2 for the tanh), and the hidden state is int8 at
 * its tensor's scale and zero point. The input FC adds the gate bias, the recurrent FC has none.
 * The TFLite inputs: 0 input, 1-4 input weights (i, f, c, o), 5-8 recurrent weights, 9-11
 * peephole (unsupported, as in TFLM), 12-15 biases, 16-17 projection (unsupported), 18 hidden
 * state, 19 cell state, 20-23 layer norm (unsupported).
 *
 * State: TFLM keeps the hidden and cell state in variable tensors across Invoke calls; tinyml
 * starts each inference from their reset values (the importer makes them constants, see
 * src/tflite/import.ts), so the state is working memory of one inference only.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { FusedActivation } from '../ir/attrs.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../fixedpoint.js';
import { checkedLog2, evaluateInt16, type LogisticTanhInt16Params } from './logistic-tanh.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { cInt, cIntList, cStructDecl, f32, normalizeParams } from './elementwise-util.js';
import { scratchArg } from './scratch.js';
import { dtypeOf, type TfliteMapping } from './tflite-options.js';

type Ctx = OpContext<'UNIDIRECTIONAL_SEQUENCE_LSTM'>;

/** TFLite's input positions. */
export const LSTM_INPUT = 0;
/** Gates in TFLite's tensor order (input weights at 1 + k, recurrent at 5 + k, bias at 12 + k). */
export const LSTM_GATES = ['input', 'forget', 'cell', 'output'] as const;
export const LSTM_HIDDEN_STATE = 18;
export const LSTM_CELL_STATE = 19;
const PEEPHOLE = [9, 10, 11];
const PROJECTION = [16, 17];
const LAYER_NORM = [20, 21, 22, 23];

/** The scale of every gate's pre-activation (Q3.12) and of every gate output (Q0.15). */
const GATE_INPUT_SCALE = 2 ** -12;
const GATE_OUTPUT_SCALE = 2 ** -15;

export interface LstmParams {
  kind: 'int8';
  timeMajor: boolean;
  batches: number;
  steps: number;
  inputSize: number;
  units: number;
  /** -input zero point (input FCs) and -hidden state zero point (recurrent FCs). */
  inputOffset: number;
  hiddenOffset: number;
  /** Per gate, in LSTM_GATES order: -weights zero point and the Q31 rescale into Q3.12. */
  inputWeightsOffset: number[];
  inputMultiplier: number[];
  inputShift: number[];
  recurrentWeightsOffset: number[];
  recurrentMultiplier: number[];
  recurrentShift: number[];
  /** forget gate x cell state -> cell state; input gate x cell gate -> cell state. */
  forgetCellMultiplier: number;
  forgetCellShift: number;
  inputCellMultiplier: number;
  inputCellShift: number;
  /** tanh(cell) x output gate -> int8 hidden state. */
  hiddenMultiplier: number;
  hiddenShift: number;
  hiddenZeroPoint: number;
  /** |cell| bound in cell-state units; 0 when the model does not clip. */
  cellClip: number;
  /** int16 tanh input scaling of the cell state (TFLM's Tanh(cell_state_scale_power)). */
  cellTanhMultiplier: number;
  cellTanhShift: number;
  /**
   * For the C kernel, per gate then unit: the constant part of each FC with the zero points
   * expanded, sum (w + wo)(x + xo) = sum w x + wo sum x + [b + xo sum w + n wo xo], so its inner
   * loop is a plain dot product (integer sums: exactly the same value). `evaluate` does not use them.
   */
  foldedInputBias: number[];
  foldedRecurrentBias: number[];
}

function where(ctx: Ctx): string {
  return describeOp(ctx.graph, ctx.op);
}

function need(ctx: Ctx, i: number, what: string): Tensor {
  const t = ctx.inputs[i];
  if (!t) throw new GraphError(`${where(ctx)}: input ${i} (${what}) is missing`);
  return t;
}

function sizes(ctx: Ctx): { batches: number; steps: number; inputSize: number; units: number } {
  if (ctx.inputs.length !== 24 || ctx.outputs.length !== 1) {
    throw new GraphError(`${where(ctx)}: expected 24 inputs (some omitted) and 1 output, got ${ctx.inputs.length} and ${ctx.outputs.length}`);
  }
  const x = need(ctx, LSTM_INPUT, 'input');
  if (x.shape.length !== 3) throw new GraphError(`${where(ctx)}: the input must have rank 3 ([batch, time, features] or time-major), got [${x.shape.join(', ')}]`);
  const hidden = need(ctx, LSTM_HIDDEN_STATE, 'hidden state');
  if (hidden.shape.length !== 2) throw new GraphError(`${where(ctx)}: the hidden state must have rank 2 ([batch, units]), got [${hidden.shape.join(', ')}]`);
  const timeMajor = ctx.op.attrs.timeMajor;
  return {
    batches: timeMajor ? x.shape[1] : x.shape[0],
    steps: timeMajor ? x.shape[0] : x.shape[1],
    inputSize: x.shape[2],
    units: hidden.shape[1],
  };
}

function inferShapes(ctx: Ctx): number[][] {
  const s = sizes(ctx);
  const x = need(ctx, LSTM_INPUT, 'input');
  return [[x.shape[0], x.shape[1], s.units]];
}

function macs(ctx: Ctx): number {
  const s = sizes(ctx);
  return s.batches * s.steps * 4 * s.units * (s.inputSize + s.units);
}

function checkShape(ctx: Ctx, t: Tensor, expected: number[], what: string): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new GraphError(`${where(ctx)}: ${what} '${t.name}' is [${t.shape.join(', ')}], expected [${expected.join(', ')}]`);
  }
}

/** Scale and zero point of a per-tensor quantized tensor; LSTM weights must be per tensor (TFLM ignores per-channel scales here). */
function quantOf(ctx: Ctx, t: Tensor, what: string): { scale: number; zeroPoint: number } {
  const q = t.quant;
  if (!q || q.scale.length === 0) throw new GraphError(`${where(ctx)}: ${what} '${t.name}' (${t.dtype}) has no quantization parameters`);
  if (q.scale.length !== 1) {
    throw new UnsupportedOpError(`${where(ctx)}: ${what} '${t.name}' is quantized per channel; TFLite Micro's LSTM takes per-tensor weights only`);
  }
  return { scale: f32(q.scale[0]), zeroPoint: q.zeroPoint[0] ?? 0 };
}

function prepare(ctx: Ctx): LstmParams {
  const attrs: UnidirectionalSequenceLstmAttrs = ctx.op.attrs;
  const s = sizes(ctx);
  const x = need(ctx, LSTM_INPUT, 'input');
  const hidden = need(ctx, LSTM_HIDDEN_STATE, 'hidden state');
  const cell = need(ctx, LSTM_CELL_STATE, 'cell state');
  const out = ctx.outputs[0];
  const variant = (idx: number[], what: string): void => {
    if (idx.some((i) => ctx.inputs[i] !== undefined)) throw new UnsupportedOpError(`${where(ctx)}: LSTMs with ${what} are not supported (TFLite Micro supports only the standard LSTM)`);
  };
  variant(PEEPHOLE, 'peephole connections');
  variant(PROJECTION, 'a projection');
  variant(LAYER_NORM, 'layer normalization');
  if (attrs.activation !== 'TANH') {
    throw new UnsupportedOpError(`${where(ctx)}: the cell gate activation is ${attrs.activation}; TFLite Micro's LSTM computes only TANH (a standard LSTM)`);
  }

  const weights = LSTM_GATES.map((g, k) => need(ctx, 1 + k, `${g} gate input weights`));
  const recurrent = LSTM_GATES.map((g, k) => need(ctx, 5 + k, `${g} gate recurrent weights`));
  const biases = LSTM_GATES.map((g, k) => need(ctx, 12 + k, `${g} gate bias`));
  weights.forEach((w, k) => checkShape(ctx, w, [s.units, s.inputSize], `the ${LSTM_GATES[k]} gate's input weights`));
  recurrent.forEach((w, k) => checkShape(ctx, w, [s.units, s.units], `the ${LSTM_GATES[k]} gate's recurrent weights`));
  biases.forEach((b, k) => checkShape(ctx, b, [s.units], `the ${LSTM_GATES[k]} gate's bias`));
  const stateSize = s.batches * s.units;
  for (const [t, what] of [[hidden, 'hidden state'], [cell, 'cell state']] as const) {
    if (t.shape.reduce((p, d) => p * d, 1) !== stateSize) throw new GraphError(`${where(ctx)}: the ${what} '${t.name}' has ${t.shape.join('x')} elements, expected ${s.batches}x${s.units}`);
    if (!t.data) throw new GraphError(`${where(ctx)}: the ${what} '${t.name}' has no initial value (a TFLite variable tensor is expected)`);
  }
  checkShape(ctx, out, [x.shape[0], x.shape[1], s.units], 'the output');

  const dtypes = `input ${x.dtype}, weights ${weights[0].dtype}, bias ${biases[0].dtype}, hidden state ${hidden.dtype}, cell state ${cell.dtype}, output ${out.dtype}`;
  const int8 =
    x.dtype === 'int8' &&
    out.dtype === 'int8' &&
    hidden.dtype === 'int8' &&
    cell.dtype === 'int16' &&
    [...weights, ...recurrent].every((w) => w.dtype === 'int8') &&
    biases.every((b) => b.dtype === 'int32');
  if (!int8) {
    throw new UnsupportedOpError(
      `${where(ctx)}: unsupported data types (${dtypes}); tinyml runs the int8 LSTM (int8 input, output, hidden state and weights, int32 biases, int16 cell state)`,
    );
  }

  const qx = quantOf(ctx, x, 'the input');
  const qh = quantOf(ctx, hidden, 'the hidden state');
  const qc = quantOf(ctx, cell, 'the cell state');
  // TFLM: GetQuantizedConvolutionMultipler (double products of the float scales), then QuantizeMultiplier.
  const fcMultiplier = (inScale: number, w: Tensor, what: string) => {
    const qw = quantOf(ctx, w, what);
    const m = quantizeMultiplier((inScale * qw.scale) / GATE_INPUT_SCALE);
    return { ...m, offset: -qw.zeroPoint };
  };
  const inFc = weights.map((w, k) => fcMultiplier(qx.scale, w, `the ${LSTM_GATES[k]} gate's input weights`));
  const recFc = recurrent.map((w, k) => fcMultiplier(qh.scale, w, `the ${LSTM_GATES[k]} gate's recurrent weights`));
  const forgetCell = quantizeMultiplier((GATE_OUTPUT_SCALE * qc.scale) / qc.scale);
  const inputCell = quantizeMultiplier((GATE_OUTPUT_SCALE * GATE_OUTPUT_SCALE) / qc.scale);
  const hiddenMul = quantizeMultiplier((GATE_OUTPUT_SCALE * GATE_OUTPUT_SCALE) / qh.scale);

  // TFLM (CreateLstmCellStateInfo): the clip in cell units, saturated to int16 and truncated.
  const cellClip = attrs.cellClip > 0 ? Math.trunc(Math.min(Math.max(f32(attrs.cellClip) / qc.scale, -32768), 32767)) : 0;
  // TFLM's Tanh(cell_state_scale_power): left shift 15 + log2(scale) - 3; negative means multiply by 3 and shift right.
  const scalePower = checkedLog2(qc.scale).log2;
  let cellTanhShift = 15 + scalePower - 3;
  let cellTanhMultiplier = 0;
  if (cellTanhShift < 0) {
    cellTanhShift = -cellTanhShift;
    cellTanhMultiplier = 3;
  }
  if (cellTanhMultiplier === 0 && cellTanhShift > 13) {
    throw new UnsupportedOpError(`${where(ctx)}: the cell state scale ${qc.scale} is too small for TFLite Micro's int16 tanh`);
  }

  const constant = (t: Tensor, what: string): Int8Array | Int32Array => {
    if (!t.data) throw new UnsupportedOpError(`${where(ctx)}: ${what} '${t.name}' is not a constant; tinyml needs constant LSTM weights and biases`);
    return t.data as Int8Array | Int32Array;
  };
  const fold = (w: Tensor, n: number, inOffset: number, wOffset: number, bias: Tensor | undefined, what: string): number[] => {
    const wd = constant(w, what);
    const bd = bias ? (constant(bias, `the ${what.replace(/ (input|recurrent) weights$/, '')} bias`) as Int32Array) : undefined;
    return Array.from({ length: s.units }, (_, o) => {
      let sum = 0;
      for (let d = 0; d < n; d++) sum += wd[o * n + d];
      return ((bd ? bd[o] : 0) + inOffset * sum + n * wOffset * inOffset) | 0;
    });
  };
  const foldedInputBias = weights.flatMap((w, k) => fold(w, s.inputSize, -qx.zeroPoint, inFc[k].offset, biases[k], `the ${LSTM_GATES[k]} gate's input weights`));
  const foldedRecurrentBias = recurrent.flatMap((w, k) => fold(w, s.units, -qh.zeroPoint, recFc[k].offset, undefined, `the ${LSTM_GATES[k]} gate's recurrent weights`));

  return {
    kind: 'int8',
    timeMajor: attrs.timeMajor,
    ...s,
    inputOffset: -qx.zeroPoint,
    hiddenOffset: -qh.zeroPoint,
    inputWeightsOffset: inFc.map((m) => m.offset),
    inputMultiplier: inFc.map((m) => m.multiplier),
    inputShift: inFc.map((m) => m.shift),
    recurrentWeightsOffset: recFc.map((m) => m.offset),
    recurrentMultiplier: recFc.map((m) => m.multiplier),
    recurrentShift: recFc.map((m) => m.shift),
    forgetCellMultiplier: forgetCell.multiplier,
    forgetCellShift: forgetCell.shift,
    inputCellMultiplier: inputCell.multiplier,
    inputCellShift: inputCell.shift,
    hiddenMultiplier: hiddenMul.multiplier,
    hiddenShift: hiddenMul.shift,
    hiddenZeroPoint: qh.zeroPoint,
    cellClip,
    cellTanhMultiplier,
    cellTanhShift,
    foldedInputBias,
    foldedRecurrentBias,
  };
}

const sat16 = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);
const sat8 = (v: number): number => (v < -128 ? -128 : v > 127 ? 127 : v);

/**
 * One gate for one batch row: FC of the input step (with bias) and of the hidden state (without),
 * each rescaled into saturated int16 Q3.12, summed with saturation, then the non-linearity.
 */
function gate(
  p: LstmParams,
  k: number,
  x: Int8Array,
  xOff: number,
  h: Int8Array,
  w: Int8Array,
  r: Int8Array,
  bias: Int32Array,
  out: Int16Array,
  tmp: Int16Array,
  act: 'LOGISTIC' | 'TANH',
): void {
  const { inputSize: n, units: u } = p;
  for (let o = 0; o < u; o++) {
    let acc = 0;
    for (let d = 0; d < n; d++) acc += (w[o * n + d] + p.inputWeightsOffset[k]) * (x[xOff + d] + p.inputOffset);
    acc += bias[o];
    out[o] = sat16(multiplyByQuantizedMultiplier(acc, p.inputMultiplier[k], p.inputShift[k]));
    let racc = 0;
    for (let d = 0; d < u; d++) racc += (r[o * u + d] + p.recurrentWeightsOffset[k]) * (h[d] + p.hiddenOffset);
    tmp[o] = sat16(multiplyByQuantizedMultiplier(racc, p.recurrentMultiplier[k], p.recurrentShift[k]));
  }
  for (let o = 0; o < u; o++) out[o] = sat16(out[o] + tmp[o]);
  // Pre-activations are Q3.12: TFLM calls the int16 kernels with multiplier 0 and shift 0 (x3).
  const q: LogisticTanhInt16Params = { kind: 'int16', size: u, inputMultiplier: 0, inputLeftShift: 0 };
  evaluateInt16(act, q, out, out);
}

function evaluate(p: LstmParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const x = inputs[LSTM_INPUT] as Int8Array;
  const w = [1, 2, 3, 4].map((i) => inputs[i] as Int8Array);
  const r = [5, 6, 7, 8].map((i) => inputs[i] as Int8Array);
  const b = [12, 13, 14, 15].map((i) => inputs[i] as Int32Array);
  const h0 = inputs[LSTM_HIDDEN_STATE] as Int8Array;
  const c0 = inputs[LSTM_CELL_STATE] as Int16Array;
  const out = outputs[0] as Int8Array;
  const u = p.units;
  const [ig, fg, cg, og, tmp, tanhC] = Array.from({ length: 6 }, () => new Int16Array(u));
  const h = new Int8Array(u);
  const c = new Int16Array(u);
  const [I, F, C, O] = [0, 1, 2, 3];
  for (let bi = 0; bi < p.batches; bi++) {
    h.set(h0.subarray(bi * u, bi * u + u));
    c.set(c0.subarray(bi * u, bi * u + u));
    for (let t = 0; t < p.steps; t++) {
      const row = p.timeMajor ? t * p.batches + bi : bi * p.steps + t;
      const xOff = row * p.inputSize;
      // TFLM's order: forget, input and cell gates, the cell update, then the output gate.
      gate(p, F, x, xOff, h, w[F], r[F], b[F], fg, tmp, 'LOGISTIC');
      gate(p, I, x, xOff, h, w[I], r[I], b[I], ig, tmp, 'LOGISTIC');
      gate(p, C, x, xOff, h, w[C], r[C], b[C], cg, tmp, 'TANH');
      for (let o = 0; o < u; o++) {
        const kept = sat16(multiplyByQuantizedMultiplier(fg[o] * c[o], p.forgetCellMultiplier, p.forgetCellShift));
        const added = sat16(multiplyByQuantizedMultiplier(ig[o] * cg[o], p.inputCellMultiplier, p.inputCellShift));
        let v = sat16(kept + added);
        if (p.cellClip > 0) v = v > p.cellClip ? p.cellClip : v < -p.cellClip ? -p.cellClip : v;
        c[o] = v;
      }
      gate(p, O, x, xOff, h, w[O], r[O], b[O], og, tmp, 'LOGISTIC');
      evaluateInt16('TANH', { kind: 'int16', size: u, inputMultiplier: p.cellTanhMultiplier, inputLeftShift: p.cellTanhShift }, c, tanhC);
      for (let o = 0; o < u; o++) {
        h[o] = sat8(p.hiddenZeroPoint + multiplyByQuantizedMultiplier(tanhC[o] * og[o], p.hiddenMultiplier, p.hiddenShift));
      }
      out.set(h, row * u);
    }
  }
}

/**
 * Bytes of working memory the C kernel needs: one batch row of hidden state (int8) and cell state
 * (int16) and four int16 gate buffers, as TFLM's four scratch buffers plus its state tensors.
 */
export function lstmScratchBytes(p: LstmParams): number {
  const padded = (n: number) => Math.ceil(n / 4) * 4;
  return padded(p.units) + 5 * padded(2 * p.units);
}

function emitC(p: LstmParams, names: EmitNames, ctx: EmitContext): CEmission {
  const pre = ctx.prefix;
  // The biases are folded into the input FCs' constants (foldedInputBias); the state inputs give the initial state.
  const arg = (i: number): string => {
    const n = names.inputs[i];
    if (!n) throw new GraphError(`UNIDIRECTIONAL_SEQUENCE_LSTM: input ${i} has no C name`);
    return n;
  };
  // Working state and gate buffers: planned into the arena for this layer only (src/ops/scratch.ts).
  const scratch = scratchArg(ctx, 'void', lstmScratchBytes(p), 'lstm_s8');
  const list = (xs: number[]) => cIntList(xs);
  const folded = (name: string, xs: number[]) => `static const int32_t ${pre}_${name}[${xs.length}] = ${cIntList(xs)};\n`;
  const decls =
    folded('input_bias', p.foldedInputBias) +
    folded('recurrent_bias', p.foldedRecurrentBias) +
    cStructDecl('tinyml_lstm_s8_params', `${pre}_params`, [
      `.batches = ${p.batches}`,
      `.steps = ${p.steps}`,
      `.input_size = ${p.inputSize}`,
      `.units = ${p.units}`,
      `.time_major = ${p.timeMajor ? 1 : 0}`,
      `.input_offset = ${cInt(p.inputOffset)}`,
      `.hidden_offset = ${cInt(p.hiddenOffset)}`,
      `.input_weights_offset = ${list(p.inputWeightsOffset)}`,
      `.input_multiplier = ${list(p.inputMultiplier)}`,
      `.input_shift = ${list(p.inputShift)}`,
      `.recurrent_weights_offset = ${list(p.recurrentWeightsOffset)}`,
      `.recurrent_multiplier = ${list(p.recurrentMultiplier)}`,
      `.recurrent_shift = ${list(p.recurrentShift)}`,
      `.forget_cell_multiplier = ${cInt(p.forgetCellMultiplier)}`,
      `.forget_cell_shift = ${cInt(p.forgetCellShift)}`,
      `.input_cell_multiplier = ${cInt(p.inputCellMultiplier)}`,
      `.input_cell_shift = ${cInt(p.inputCellShift)}`,
      `.hidden_multiplier = ${cInt(p.hiddenMultiplier)}`,
      `.hidden_shift = ${cInt(p.hiddenShift)}`,
      `.hidden_zero_point = ${cInt(p.hiddenZeroPoint)}`,
      `.cell_clip = ${cInt(p.cellClip)}`,
      `.cell_tanh_multiplier = ${cInt(p.cellTanhMultiplier)}`,
      `.cell_tanh_shift = ${cInt(p.cellTanhShift)}`,
    ]) +
    '\n' +
    cStructDecl('tinyml_lstm_s8_weights', `${pre}_weights`, [
      `.input_weights = {${[1, 2, 3, 4].map(arg).join(', ')}}`,
      `.recurrent_weights = {${[5, 6, 7, 8].map(arg).join(', ')}}`,
      `.folded_input_bias = ${pre}_input_bias`,
      `.folded_recurrent_bias = ${pre}_recurrent_bias`,
    ]);
  return {
    kernels: ['lstm.c', 'logistic_tanh.c'],
    includes: ['lstm.h'],
    decls,
    call: `  tinyml_lstm_s8(&${pre}_params, &${pre}_weights, ${arg(LSTM_INPUT)}, ${arg(LSTM_HIDDEN_STATE)}, ${arg(LSTM_CELL_STATE)}, ${names.outputs[0]}, ${scratch});`,
  };
}

/** UNIDIRECTIONAL_SEQUENCE_LSTM (UnidirectionalSequenceLSTMOptions). */
export interface UnidirectionalSequenceLstmAttrs {
  /** The cell gate's non-linearity (TFLite writes TANH for a standard LSTM). */
  activation: FusedActivation;
  /** Cell state clipping bound (real value); 0 means no clipping. */
  cellClip: number;
  /** Projection clipping bound; no supported LSTM has a projection. */
  projClip: number;
  /** Input and output are [time, batch, features] instead of [batch, time, features]. */
  timeMajor: boolean;
  asymmetricQuantizeInputs: boolean;
  diagonalRecurrentTensors: boolean;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    UNIDIRECTIONAL_SEQUENCE_LSTM: UnidirectionalSequenceLstmAttrs;
  }
}

/**
 * UnidirectionalSequenceLSTMOptions: 0 fused_activation_function, 1 cell_clip, 2 proj_clip,
 * 3 time_major, 4 asymmetric_quantize_inputs, 5 diagonal_recurrent_tensors.
 */
const lstmTflite: TfliteMapping<UnidirectionalSequenceLstmAttrs> = {
  options: {
    table: 'UnidirectionalSequenceLSTMOptions',
    unionType: 71,
    fields: [
      { id: 0, name: 'fused_activation_function', kind: 'i8' },
      { id: 1, name: 'cell_clip', kind: 'f32' },
      { id: 2, name: 'proj_clip', kind: 'f32' },
      { id: 3, name: 'time_major', kind: 'bool' },
      { id: 4, name: 'asymmetric_quantize_inputs', kind: 'bool' },
      { id: 5, name: 'diagonal_recurrent_tensors', kind: 'bool' },
    ],
    read: (v, c) => ({
      activation: c.activation(v.num('fused_activation_function')),
      cellClip: c.finite(v.num('cell_clip'), 'cell_clip'),
      projClip: c.finite(v.num('proj_clip'), 'proj_clip'),
      timeMajor: v.bool('time_major'),
      asymmetricQuantizeInputs: v.bool('asymmetric_quantize_inputs'),
      diagonalRecurrentTensors: v.bool('diagonal_recurrent_tensors'),
    }),
    write: (a, c) => ({
      fused_activation_function: c.activation(a.activation),
      cell_clip: a.cellClip,
      proj_clip: a.projClip,
      time_major: a.timeMajor,
      asymmetric_quantize_inputs: a.asymmetricQuantizeInputs,
      diagonal_recurrent_tensors: a.diagonalRecurrentTensors,
    }),
  },
  // 4 with diagonal recurrent tensors, 2/3 for hybrid (float input, int8 weights), else 1.
  version(graph, op) {
    const a = op.attrs as UnidirectionalSequenceLstmAttrs;
    if (a.diagonalRecurrentTensors) return 4;
    if (dtypeOf(graph, op.inputs[0]) === 'float32' && dtypeOf(graph, op.inputs[2]) === 'int8') return a.asymmetricQuantizeInputs ? 3 : 2;
    return 1;
  },
};

export const unidirectionalSequenceLstm: OpDef<'UNIDIRECTIONAL_SEQUENCE_LSTM', LstmParams> = {
  type: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  tflite: lstmTflite,
  inferShapes,
  macs,
  prepare: (ctx) => normalizeParams(prepare(ctx)),
  evaluate,
  emitC,
  scratchBytes: lstmScratchBytes,
};
