/**
 * The quantization report: per layer the weight range and scales, the observed and calibrated
 * activation ranges, input/output scales and the SQNR of the quantized layer's output
 * (dequantized) against the float layer's output over the evaluation samples, with the layers
 * that lose the most; rendered as a terminal table or JSON.
 *
 * SQNR = 10 log10(Σ f² / Σ (f - dequant(q))²) in dB, where f is the float model's value of the
 * tensor and q the quantized model's, measured two ways:
 *
 * - end to end (`sqnrDb`): both models run whole, so errors accumulate as they do on the device;
 * - alone (`isolatedSqnrDb`): the quantized layer is fed the float model's inputs, quantized, so
 *   only its own error (weights, bias, requantization, output rounding and clipping) counts.
 *
 * The layers that lose the most are those with the lowest SQNR alone.
 */
import type { PreparedGraph } from '../interp/interpreter.js';
import { prepareGraph, runGraph } from '../interp/interpreter.js';
import type { OpType } from '../ir/attrs.js';
import type { Graph, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount } from '../ir/types.js';
import { renderTable, type Column } from '../text/table.js';
import { forEachActivation, type CalibrationSample } from './calibrate.js';
import { dequantizeValues, quantizeValues, type ActivationDType, type Range } from './qparams.js';
import type { CalibrationMethod } from './ranges.js';

export interface LayerReport {
  /** Op index in the float graph. */
  index: number;
  type: OpType;
  /** Name of the op's (first) output tensor. */
  output: string;
  /** Activation precision the op runs at. */
  dtype: ActivationDType;
  /** Float weight range (weight ops only). */
  weightRange?: Range;
  /** Smallest and largest weight scale, and how many (1 = per tensor). */
  weightScales?: { min: number; max: number; count: number };
  /** Bits per stored weight: 8, or 4 / 2 / 1 for sub-byte weights (weight ops only). */
  weightBits?: number;
  /** Weights per group of per-group scales (`--group-size`), when the layer has them. */
  weightGroupSize?: number;
  /** Bytes of the layer's weights (packed at `weightBits`), group multipliers and bias (weight ops only). */
  parameterBytes?: number;
  /**
   * Clustered weights (`quantize --clusters`): levels per table, index bits per weight, one table
   * per layer or per output channel, and the bytes stored (packed indices + tables) against int8's.
   */
  clusters?: { entries: number; bits: number; scope: 'tensor' | 'channel'; bytes: number; int8Bytes: number };
  /** Observed float range of the output over the calibration samples. */
  activationRange: Range;
  /** The range the output's quantization represents (after calibration method and constraints). */
  calibratedRange: Range;
  inputScale?: number;
  inputZeroPoint?: number;
  outputScale: number;
  outputZeroPoint: number;
  /** SQNR of the output in dB, end to end (Infinity when exact); absent without evaluation. */
  sqnrDb?: number;
  /** SQNR of the output in dB with the layer fed the float model's (quantized) inputs. */
  isolatedSqnrDb?: number;
}

/** `--flash-budget`: one layer's candidates, each measured alone (src/quantize/budget.ts). */
export interface BudgetCandidate {
  choice: string;
  /** The layer's stored bytes with this candidate: weights, bias and scales. */
  bytes: number;
  /** Output SQNR (dB) with only this layer quantized this way, the rest float. */
  sqnrDb: number;
}

export interface BudgetLayer {
  index: number;
  type: string;
  output: string;
  choice: string;
  bytes: number;
  sqnrDb: number;
  candidates: BudgetCandidate[];
}

export interface BudgetReport {
  budgetBytes: number;
  /** The all-int8 model's stored parameter bytes (weights, biases, scales, other constants). */
  int8Bytes: number;
  /** The quantized model's, counted the same way: at most `budgetBytes`. */
  totalBytes: number;
  /** Constants outside the weight layers (shapes, paddings, ...), part of both totals. */
  otherBytes: number;
  /** Calibration samples the sensitivities were measured on. */
  sensitivitySamples: number;
  layers: BudgetLayer[];
}

export interface QuantizationReport {
  model: string;
  method: CalibrationMethod;
  percentile?: number;
  perChannel: boolean;
  symmetric: boolean;
  biasCorrection: boolean;
  /** Float op indices quantized 16x8. */
  int16Layers: number[];
  /**
   * Sub-byte weights: the width asked for, how weights were rounded, and the weight layers'
   * parameter bytes (weights packed, plus biases) next to what int8 weights would take.
   */
  subByte?: { weights: string; rounding: string; groupSize?: number; keepInt8: number[]; parameterBytes: number; int8ParameterBytes: number };
  /** With `--flash-budget`: the budget, the int8 model's bytes, and the choice per weight layer. */
  budget?: BudgetReport;
  calibrationSamples: number;
  evaluationSamples: number;
  inputs: { name: string; scale: number; zeroPoint: number; dtype: string; sqnrDb?: number }[];
  outputs: { name: string; scale: number; zeroPoint: number; dtype: string; sqnrDb?: number }[];
  layers: LayerReport[];
  /** Float op indices of the (up to 5) layers with the lowest SQNR alone, worst first. */
  worst: number[];
  /** Ops in the quantized graph, QUANTIZE ops inserted at precision boundaries included. */
  quantizedOps: number;
  insertedQuantizeOps: number;
  timings: { calibrationMs: number; quantizeMs: number; evaluationMs: number };
}

export type ReportBase = Omit<QuantizationReport, 'model' | 'evaluationSamples' | 'inputs' | 'outputs' | 'layers' | 'worst' | 'quantizedOps' | 'insertedQuantizeOps'>;

function sqnr(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  if (signal === 0) return -Infinity;
  return 10 * Math.log10(signal / noise);
}

/** Runs both models on `samples`, fills in per-layer SQNR and builds the report. */
export function evaluateQuantization(
  floatGraph: Graph,
  floatPrepared: PreparedGraph,
  q: Graph,
  origin: number[],
  repr: Map<number, number>,
  samples: readonly CalibrationSample[],
  layers: LayerReport[],
  base: ReportBase,
): QuantizationReport {
  const t0 = performance.now();
  const signal = new Float64Array(floatGraph.tensors.length);
  const noise = new Float64Array(floatGraph.tensors.length);
  const aloneSignal = new Float64Array(floatGraph.tensors.length);
  const aloneNoise = new Float64Array(floatGraph.tensors.length);
  const inSignal = new Float64Array(q.inputs.length);
  const inNoise = new Float64Array(q.inputs.length);
  const outSignal = new Float64Array(q.outputs.length);
  const outNoise = new Float64Array(q.outputs.length);
  const accumulate = (ref: Float32Array, t: number, data: TensorData, k: number, sig: Float64Array, noi: Float64Array): void => {
    const tensor = q.tensors[t];
    const dq = dequantizeValues(data, tensor.quant!, tensor.shape);
    let s = 0;
    let n = 0;
    for (let i = 0; i < ref.length; i++) {
      s += ref[i] * ref[i];
      const d = ref[i] - dq[i];
      n += d * d;
    }
    sig[k] += s;
    noi[k] += n;
  };

  if (samples.length > 0) {
    const qPrepared = prepareGraph(q);
    const floatValues = new Map<number, Float32Array>();
    for (const sample of samples) {
      floatValues.clear();
      forEachActivation(floatPrepared, [sample], (id, data) => floatValues.set(id, data as Float32Array));
      const qInputs = q.inputs.map((id, k) => {
        const t = q.tensors[id];
        const data = quantizeValues(sample[k] as Float32Array, { scale: t.quant!.scale[0], zeroPoint: t.quant!.zeroPoint[0] }, t.dtype as ActivationDType);
        accumulate(sample[k] as Float32Array, id, data, k, inSignal, inNoise);
        return data;
      });
      const outs = runGraph(qPrepared, qInputs, {
        onStep: (step, outputs) => {
          if (origin[step.op.index] < 0) return;
          step.op.outputs.forEach((id, k) => {
            const ref = floatValues.get(id);
            if (ref) accumulate(ref, id, outputs[k], id, signal, noise);
          });
        },
      });
      floatGraph.outputs.forEach((id, k) => accumulate(floatValues.get(id)!, q.outputs[k], outs[k], k, outSignal, outNoise));
      // Each layer alone: its inputs are the float model's values, quantized as it reads them.
      for (const step of qPrepared.steps) {
        if (origin[step.op.index] < 0) continue;
        const ins = step.op.inputs.map((id) => {
          if (id < 0) return undefined;
          const t = q.tensors[id];
          if (t.data) return t.data;
          const ref = floatValues.get(repr.get(id) ?? id)!;
          return quantizeValues(ref, { scale: t.quant!.scale[0], zeroPoint: t.quant!.zeroPoint[0] }, t.dtype as ActivationDType);
        });
        const outs2 = step.op.outputs.map((id) => allocTensorData(q.tensors[id].dtype, elementCount(q.tensors[id].shape)));
        step.def.evaluate(step.params, ins, outs2);
        step.op.outputs.forEach((id, k) => {
          const ref = floatValues.get(id);
          if (ref) accumulate(ref, id, outs2[k], id, aloneSignal, aloneNoise);
        });
      }
    }
    for (const layer of layers) {
      const out = floatGraph.ops[layer.index].outputs[0];
      layer.sqnrDb = sqnr(signal[out], noise[out]);
      layer.isolatedSqnrDb = sqnr(aloneSignal[out], aloneNoise[out]);
    }
  }
  const evaluated = samples.length > 0;
  const worst = evaluated
    ? [...layers]
        .filter((l) => l.isolatedSqnrDb !== undefined && Number.isFinite(l.isolatedSqnrDb))
        .sort((a, b) => a.isolatedSqnrDb! - b.isolatedSqnrDb! || a.index - b.index)
        .slice(0, 5)
        .map((l) => l.index)
    : [];
  const io = (id: number, k: number, sig: Float64Array, noi: Float64Array) => {
    const t = q.tensors[id];
    return {
      name: t.name,
      dtype: t.dtype,
      scale: t.quant!.scale[0],
      zeroPoint: t.quant!.zeroPoint[0],
      ...(evaluated ? { sqnrDb: sqnr(sig[k], noi[k]) } : {}),
    };
  };
  return {
    model: floatGraph.name,
    ...base,
    evaluationSamples: samples.length,
    inputs: q.inputs.map((id, k) => io(id, k, inSignal, inNoise)),
    outputs: q.outputs.map((id, k) => io(id, k, outSignal, outNoise)),
    layers,
    worst,
    quantizedOps: q.ops.length,
    insertedQuantizeOps: origin.filter((o) => o < 0).length,
    timings: { ...base.timings, evaluationMs: performance.now() - t0 },
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function g4(x: number | undefined): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function rangeText(r: Range | undefined): string {
  return r ? `[${g4(r.min)}, ${g4(r.max)}]` : '';
}

function db(x: number | undefined): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return x > 0 ? 'exact' : '-inf';
  return x.toFixed(1);
}

/** The report as a terminal table with a summary and the worst layers. */
export function formatReport(r: QuantizationReport): string {
  const lines: string[] = [];
  const int16 = r.int16Layers.length === 0 ? 'none' : r.int16Layers.length === r.layers.length ? 'all' : r.int16Layers.join(', ');
  lines.push(
    `Quantized '${r.model}': ${r.method}${r.percentile !== undefined ? ` ${r.percentile}` : ''} calibration on ${r.calibrationSamples} sample(s), ` +
      `${r.perChannel ? 'per-channel' : 'per-tensor'} weights, ${r.symmetric ? 'symmetric' : 'asymmetric'} int8 activations, ` +
      `16x8 layers: ${int16}${r.biasCorrection ? ', bias correction' : ''}`,
  );
  if (r.subByte) {
    const b = r.subByte;
    lines.push(
      `weights ${b.weights} (${b.rounding} rounding${b.groupSize !== undefined ? `, groups of ${b.groupSize}` : ''})${b.keepInt8.length > 0 ? `, int8 kept for layer(s) ${b.keepInt8.join(', ')}` : ''}: ` +
        `${b.parameterBytes.toLocaleString('en-US')} parameter bytes in weight layers, ${(b.parameterBytes / b.int8ParameterBytes).toFixed(3)}x the ${b.int8ParameterBytes.toLocaleString('en-US')} of int8 weights`,
    );
  }
  for (const t of r.inputs) lines.push(`input  '${t.name}': ${t.dtype} scale ${g4(t.scale)} zero point ${t.zeroPoint}${t.sqnrDb !== undefined ? ` (SQNR ${db(t.sqnrDb)} dB)` : ''}`);
  for (const t of r.outputs) lines.push(`output '${t.name}': ${t.dtype} scale ${g4(t.scale)} zero point ${t.zeroPoint}${t.sqnrDb !== undefined ? ` (SQNR ${db(t.sqnrDb)} dB)` : ''}`);
  lines.push('');
  const columns: Column[] = [
    { header: '#', align: 'right' },
    { header: 'op' },
    { header: 'output' },
    { header: 'type' },
    { header: 'weight range' },
    { header: 'w scale', align: 'right' },
    { header: 'bits', align: 'right' },
    { header: 'bytes', align: 'right' },
    { header: 'activation range' },
    { header: 'calibrated' },
    { header: 'in scale', align: 'right' },
    { header: 'out scale', align: 'right' },
    { header: 'zp', align: 'right' },
    { header: 'SQNR dB', align: 'right' },
    { header: 'alone dB', align: 'right' },
  ];
  const clustered = r.layers.some((l) => l.clusters);
  if (clustered) columns.splice(6, 0, { header: 'clusters' }, { header: 'weight bytes', align: 'right' });
  const name = (s: string): string => (s.length > 32 ? `…${s.slice(-31)}` : s);
  const rows = r.layers.map((l) => [
    String(l.index),
    l.type,
    name(l.output),
    l.dtype === 'int16' ? '16x8' : 'int8',
    rangeText(l.weightRange),
    l.weightScales ? (l.weightScales.count > 1 ? `${g4(l.weightScales.min)}..${g4(l.weightScales.max)}` : g4(l.weightScales.min)) : '',
    ...(clustered ? clusterCells(l) : []),
    l.weightBits !== undefined ? `${l.weightBits}${l.weightGroupSize !== undefined ? `/g${l.weightGroupSize}` : ''}` : '',
    l.parameterBytes !== undefined ? l.parameterBytes.toLocaleString('en-US') : '',
    rangeText(l.activationRange),
    rangeText(l.calibratedRange),
    g4(l.inputScale),
    g4(l.outputScale),
    String(l.outputZeroPoint),
    db(l.sqnrDb),
    db(l.isolatedSqnrDb),
  ]);
  lines.push(renderTable(columns, rows));
  if (r.worst.length > 0) {
    lines.push('');
    lines.push('Layers losing the most (lowest SQNR with float inputs; end-to-end SQNR accumulates all earlier layers):');
    for (const i of r.worst) {
      const l = r.layers[i];
      lines.push(`  #${l.index} ${l.type} '${l.output}': ${db(l.isolatedSqnrDb)} dB alone, ${db(l.sqnrDb)} dB end to end`);
    }
  }
  if (r.budget) lines.push('', ...budgetLines(r.budget));
  lines.push('');
  lines.push(
    `${r.quantizedOps} ops (${r.insertedQuantizeOps} QUANTIZE inserted); calibration ${(r.timings.calibrationMs / 1000).toFixed(2)} s, ` +
      `quantization ${(r.timings.quantizeMs / 1000).toFixed(2)} s, SQNR evaluation on ${r.evaluationSamples} sample(s) ${(r.timings.evaluationMs / 1000).toFixed(2)} s`,
  );
  return lines.join('\n');
}

/** The `--flash-budget` section: each weight layer's choice, its bytes and SQNR, and the total. */
export function budgetLines(b: BudgetReport): string[] {
  const n = (x: number): string => x.toLocaleString('en-US');
  const columns: Column[] = [
    { header: '#', align: 'right' },
    { header: 'op' },
    { header: 'output' },
    { header: 'weights' },
    { header: 'bytes', align: 'right' },
    { header: 'int8 bytes', align: 'right' },
    { header: 'SQNR alone dB', align: 'right' },
  ];
  const name = (s: string): string => (s.length > 32 ? `…${s.slice(-31)}` : s);
  const rows = b.layers.map((l) => [String(l.index), l.type, name(l.output), l.choice, n(l.bytes), n(l.candidates.find((c) => c.choice === 'int8')?.bytes ?? 0), db(l.sqnrDb)]);
  return [
    `Flash budget ${n(b.budgetBytes)} bytes (${(b.budgetBytes / b.int8Bytes).toFixed(3)}x the int8 model's ${n(b.int8Bytes)}; weights, biases, scales, tables and other constants counted): ` +
      `the model takes ${n(b.totalBytes)} bytes (${(b.totalBytes / b.int8Bytes).toFixed(3)}x). Each layer's width chosen by the output SQNR it gives alone (the rest float) on ${b.sensitivitySamples} sample(s):`,
    renderTable(columns, rows),
    `other constants: ${n(b.otherBytes)} bytes`,
  ];
}

/** "16 × 4 bit, per layer" and "1,296 / 2,304" (clustered), or "int8" and the int8 bytes. */
function clusterCells(l: LayerReport): string[] {
  const c = l.clusters;
  if (!c) return [l.weightRange ? 'int8' : '', ''];
  return [`${c.entries} x ${c.bits} bit, per ${c.scope === 'channel' ? 'channel' : 'layer'}`, `${c.bytes.toLocaleString('en-US')} / ${c.int8Bytes.toLocaleString('en-US')}`];
}

/** JSON for the report: Infinity (an exact layer) becomes the string "inf". */
export function reportJson(r: QuantizationReport): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? (v > 0 ? 'inf' : '-inf') : v), 2);
}
