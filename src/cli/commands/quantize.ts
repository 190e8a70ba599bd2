/**
 * `tinyml quantize MODEL --calib DATA [--out model.int8.tflite] [--per-tensor]
 *   [--calibration minmax|percentile|mse|entropy] [--percentile P] [--symmetric]
 *   [--int16 [LAYERS]] [--bias-correction] [--calib-limit N] [--calib-key K]
 *   [--scale S] [--mean M] [--std S] [--json] [--force]`
 *
 * Post-training quantization of a float model (.onnx through the ONNX importer and the graph
 * preparation passes, or a float32 .tflite) to a fully-integer int8 .tflite (16x8 for the layers
 * given to --int16), calibrated on the first N samples of DATA (IDX, gz or not, .npy or .npz;
 * labels are not needed), preprocessed like `tinyml eval` does it. Prints the per-layer report
 * (or its JSON with --json). The written model takes int8 input and gives int8 output; the
 * report prints their scales and zero points.
 */
import { access } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { NPZ_DATA_KEYS } from '../../data/dataset.js';
import { isZip, numAt, parseArrayFile, parseNpz, readBytes, type NumArray } from '../../data/formats.js';
import { makePreprocessor, parsePreprocessOptions } from '../../data/preprocess.js';
import { InputError } from '../../errors.js';
import { checkOutputFiles } from '../../io/output-file.js';
import type { Graph } from '../../ir/types.js';
import { loadOnnxModel } from '../../onnx/index.js';
import { formatReport, quantizeGraph, reportJson, type CalibrationSample, type QuantizationReport, type QuantizeOptions } from '../../quantize/index.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../quantize/ranges.js';
import { SUB_BYTE_KINDS, WEIGHT_ROUNDINGS, subByteChoices, type SubByteOptions, type WeightRounding } from '../../quantize/subbyte.js';
import type { SubByteKind } from '../../ir/weight-encoding.js';
import { clusterChoices, type ClusterQuantizeOptions } from '../../quantize/cluster-quantize.js';
import { parseLayerList, resolveKeepInt8 } from '../../quantize/layer-select.js';
import { parseFlashBudget, quantizeWithinBudget } from '../../quantize/budget.js';
import { importTfliteFile } from '../../tflite/import.js';
import { LUT_FORMS, type LutForm, writeTfliteFile } from '../../tflite-writer/index.js';
import { DECODE_MAX_BITS } from '../../tflite/lut-compression.js';
import type { CliIO } from '../io.js';
import { dynamicQuantizeCommand, parseSmooth, type DynamicQuantizeCommandResult } from './quantize-dynamic.js';
import { equalizeLayers, smoothActivations } from '../../quantize/smooth.js';

/** Calibration samples the activation smoothing measures channel ranges on. */
const SMOOTH_PROBES = 64;

export interface QuantizeCommandOptions {
  /** Calibration samples: IDX (gz or not), .npy or .npz (required unless `dynamic`). */
  calib?: string;
  /** Weights-only (dynamic-range, hybrid) quantization: no calibration. */
  dynamic?: boolean;
  /** The weights' type: int8 (default); calibrated quantization also takes int4, int2, ternary, binary. */
  weights?: string;
  /** With sub-byte --weights or --clusters: comma-separated op indices / output tensor names / first / last kept int8. */
  keepInt8?: string;
  /** With sub-byte --weights: gptq (default), adaround or nearest. */
  rounding?: string;
  /** With sub-byte --weights: per-group scales, N weights per group along the input dimension. */
  groupSize?: string | number;
  /** Array name inside an .npz (default: the first of x, images, x_test, data, X, arr_0). */
  calibKey?: string;
  /** Output path (default: MODEL's folder, `<stem>.int8.tflite`). */
  out?: string;
  /** Per-tensor weights instead of per-channel. */
  perTensor?: boolean;
  calibration?: string;
  /** For --calibration percentile (default 99.99). */
  percentile?: string | number;
  /** Symmetric int8 activations. */
  symmetric?: boolean;
  /** true (flag alone): the whole model 16x8; a string: comma-separated op indices / output tensor names. */
  int16?: boolean | string;
  biasCorrection?: boolean;
  /** Activation smoothing alpha in [0, 1] or 'off' (quantize/smooth.ts; --dynamic smooths by default). */
  smooth?: string | number;
  /** Data-free cross-layer equalization before anything else (quantize/smooth.ts equalizeLayers). */
  equalize?: boolean;
  /** Cluster conv/depthwise/dense weights into K levels (see quantize/cluster.ts). */
  clusters?: string | number;
  /** With `clusters`: 'tensor' (default) or 'channel'. */
  clusterScope?: string;
  /** How clustered weights are written for TensorFlow Lite Micro: 'metadata' (default) or 'decode'. */
  tflmForm?: string;
  /** Calibrate on the first N samples (default 300). */
  calibLimit?: string | number;
  /** Choose each weight layer's storage to fit this many bytes, or a fraction of the int8 model's ("0.40x"). */
  flashBudget?: string | number;
  /** Preprocessing, as for `tinyml eval`: number or fraction ("1/255"); scalar or per-channel lists. */
  scale?: string;
  mean?: string;
  std?: string;
  json?: boolean;
  /** Overwrite an existing --out. */
  force?: boolean;
}

export interface QuantizeCommandResult {
  outPath: string;
  report: QuantizationReport;
}

const DEFAULT_CALIB_LIMIT = 300;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Loads the float model: .onnx through import + prepareForInference, .tflite as is. */
export async function loadFloatModel(path: string): Promise<Graph> {
  if (!(await exists(path))) throw new InputError(`model file not found: ${path}`);
  const ext = extname(path).toLowerCase();
  let graph: Graph;
  if (ext === '.onnx') graph = await loadOnnxModel(path);
  else if (ext === '.tflite') graph = await importTfliteFile(path);
  else throw new InputError(`${path}: unknown model format '${ext}' (tinyml quantize reads .onnx and float32 .tflite)`);
  const notFloat = graph.inputs.map((i) => graph.tensors[i]).find((t) => t.dtype !== 'float32');
  if (notFloat) {
    throw new InputError(`${path}: input '${notFloat.name}' is ${notFloat.dtype}; tinyml quantize takes float32 models (this one is already quantized)`);
  }
  return graph;
}

/** Calibration samples (no labels needed): the samples array and the shape of one sample. */
export async function readCalibrationArray(path: string, key?: string): Promise<NumArray> {
  const bytes = await readBytes(path, 'calibration data file');
  let arr: NumArray;
  if (isZip(bytes) || extname(path).toLowerCase() === '.npz') {
    const arrays = parseNpz(bytes, path);
    const names = [...arrays.keys()];
    const k = key ?? NPZ_DATA_KEYS.find((n) => arrays.has(n)) ?? (names.length === 1 ? names[0] : undefined);
    if (k === undefined || !arrays.has(k)) {
      throw new InputError(
        `${path}: ${key ? `no array '${key}'` : `no samples array found (looked for ${NPZ_DATA_KEYS.join(', ')})`}; it holds ${names.join(', ')}; choose one with --calib-key`,
      );
    }
    arr = arrays.get(k)!;
  } else {
    arr = parseArrayFile(bytes, path);
  }
  if (arr.shape.length < 1 || arr.shape[0] === 0) throw new InputError(`${path} holds no samples (shape [${arr.shape.join(', ')}])`);
  return arr;
}

function parseInt16(v: boolean | string | undefined): QuantizeOptions['int16'] {
  if (v === undefined || v === false) return false;
  if (v === true) return true;
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0 || (items.length === 1 && items[0].toLowerCase() === 'all')) return true;
  return items.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function positiveInt(v: string | number | undefined, what: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`${what} must be a positive integer, got '${v}'`);
  return n;
}

export function defaultOutPath(modelPath: string, weights: string = 'int8'): string {
  return join(dirname(modelPath), `${basename(modelPath, extname(modelPath))}.${weights}.tflite`);
}

/** Comma-separated items of a layer list option; op indices become numbers. */
function layerItems(v: string): (number | string)[] {
  return parseLayerList(v).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** --weights / --keep-int8 / --rounding of calibrated quantization. */
function parseSubByte(opts: QuantizeCommandOptions): SubByteOptions | undefined {
  const weights = opts.weights ?? 'int8';
  const widths = ['int8', ...SUB_BYTE_KINDS];
  if (!widths.includes(weights)) throw new InputError(`--weights '${weights}' is not one of ${widths.join(', ')}`);
  if (weights === 'int8') {
    const budget = opts.flashBudget !== undefined;
    const stray = [opts.keepInt8 !== undefined && opts.clusters === undefined && !budget ? '--keep-int8' : '', opts.rounding !== undefined && !budget ? '--rounding' : '', opts.groupSize !== undefined ? '--group-size' : ''].filter(
      (f) => f !== '',
    );
    if (stray.length > 0) {
      const also = stray.length === 1 && stray[0] === '--keep-int8' ? ', to --clusters or to --flash-budget' : '';
      throw new InputError(`${stray.join(' and ')} ${stray.length > 1 ? 'apply' : 'applies'} to sub-byte weights (--weights ${SUB_BYTE_KINDS.join('|')})${also}`);
    }
    return undefined;
  }
  if (opts.flashBudget !== undefined) throw new InputError(`--flash-budget chooses each layer's width itself: drop --weights ${weights}`);
  if (opts.perTensor) throw new InputError(`--weights ${weights} needs per-channel weight scales; drop --per-tensor`);
  const rounding = (opts.rounding ?? 'gptq') as WeightRounding;
  if (!WEIGHT_ROUNDINGS.includes(rounding)) throw new InputError(`--rounding '${opts.rounding}' is not one of ${WEIGHT_ROUNDINGS.join(', ')}`);
  let keepInt8: (number | string)[] = [];
  if (opts.keepInt8 !== undefined) {
    keepInt8 = layerItems(opts.keepInt8);
    if (keepInt8.length === 0) throw new InputError('--keep-int8 needs layers: comma-separated op indices, output tensor names, first or last');
  }
  const groupSize = opts.groupSize === undefined ? undefined : positiveInt(opts.groupSize, '--group-size', 0);
  return { weights: weights as SubByteKind, keepInt8, rounding, ...(groupSize !== undefined ? { groupSize } : {}) };
}

/**
 * The first `limit` samples of --calib, preprocessed for `graph`'s single input like `tinyml eval`
 * does it (shared by quantize and report).
 */
export async function readCalibrationSamples(
  graph: Graph,
  opts: { calib: string; calibKey?: string },
  limit: number,
  pre: ReturnType<typeof parsePreprocessOptions>,
): Promise<CalibrationSample[]> {
  if (graph.inputs.length !== 1) {
    throw new InputError(`${graph.name} has ${graph.inputs.length} inputs; tinyml quantize calibrates single-input models from a data file`);
  }
  const input = graph.tensors[graph.inputs[0]];
  const arr = await readCalibrationArray(opts.calib, opts.calibKey);
  const sampleShape = arr.shape.slice(1);
  const preprocess = makePreprocessor(pre, input, { sampleShape, dtype: arr.dtype, source: opts.calib });
  const count = Math.min(limit, arr.shape[0]);
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const samples: CalibrationSample[] = [];
  for (let i = 0; i < count; i++) {
    const raw = new Float32Array(size);
    if (arr.data instanceof BigInt64Array) for (let k = 0; k < size; k++) raw[k] = Number(arr.data[i * size + k]);
    else if (ArrayBuffer.isView(arr.data)) raw.set((arr.data as Float32Array).subarray(i * size, (i + 1) * size));
    else for (let k = 0; k < size; k++) raw[k] = numAt(arr, i * size + k);
    samples.push([preprocess(raw)]);
  }
  return samples;
}

function parseClusterOptions(opts: QuantizeCommandOptions): ClusterQuantizeOptions | undefined {
  if (opts.clusters === undefined) {
    if (opts.clusterScope !== undefined) throw new InputError('--cluster-scope applies to --clusters only');
    return undefined;
  }
  const k = typeof opts.clusters === 'number' ? opts.clusters : /^\d+$/.test(opts.clusters) ? Number(opts.clusters) : NaN;
  if (!Number.isInteger(k) || k < 2 || k > 256) throw new InputError(`--clusters must be an integer from 2 to 256, got '${opts.clusters}'`);
  const scope = opts.clusterScope ?? 'tensor';
  if (scope !== 'tensor' && scope !== 'channel') throw new InputError(`--cluster-scope must be 'tensor' or 'channel', got '${scope}'`);
  if (opts.int16 !== undefined && opts.int16 !== false) throw new InputError('--clusters cannot be combined with --int16 (clustered kernels are int8)');
  if (opts.weights !== undefined && opts.weights !== 'int8') throw new InputError(`--clusters and --weights ${opts.weights} are two ways to compress the weights: choose one`);
  if (opts.flashBudget !== undefined) throw new InputError("--flash-budget chooses each layer's storage itself (clusters among others): drop --clusters");
  return { clusters: k, scope, keepInt8: opts.keepInt8 === undefined ? [] : layerItems(opts.keepInt8) };
}

/** `--tflm-form metadata|decode`: how clustered weights are written (only --clusters and --flash-budget write them). */
function parseTflmForm(opts: QuantizeCommandOptions): LutForm {
  if (opts.tflmForm === undefined) return 'metadata';
  if (!(LUT_FORMS as readonly string[]).includes(opts.tflmForm)) {
    throw new InputError(`--tflm-form must be one of ${LUT_FORMS.join(', ')} (how clustered weights are written for TensorFlow Lite Micro), got '${opts.tflmForm}'`);
  }
  if (opts.clusters === undefined && opts.flashBudget === undefined) throw new InputError('--tflm-form applies to clustered weights: give --clusters or --flash-budget');
  // Known before quantizing: TFLM's DECODE header holds index widths up to 7 bits.
  if (opts.tflmForm === 'decode' && Number(opts.clusters) > 2 ** DECODE_MAX_BITS) {
    throw new InputError(`--tflm-form decode stores at most ${2 ** DECODE_MAX_BITS} clusters (TFLite Micro's DECODE reads indices of up to ${DECODE_MAX_BITS} bits), got --clusters ${opts.clusters}: use --tflm-form metadata or fewer clusters`);
  }
  return opts.tflmForm as LutForm;
}

export async function quantizeCommand(modelPath: string, opts: QuantizeCommandOptions, io: CliIO): Promise<QuantizeCommandResult | DynamicQuantizeCommandResult> {
  if (opts.dynamic) return dynamicQuantizeCommand(modelPath, opts, io);
  const subByte = parseSubByte(opts);
  if (opts.calib === undefined) {
    throw new InputError('tinyml quantize needs calibration samples (--calib FILE), or --dynamic for weights-only (hybrid) quantization without data');
  }
  const calib = opts.calib;
  const method = (opts.calibration ?? 'minmax') as CalibrationMethod;
  if (!CALIBRATION_METHODS.includes(method)) {
    throw new InputError(`--calibration '${opts.calibration}' is not one of ${CALIBRATION_METHODS.join(', ')}`);
  }
  const percentile = opts.percentile === undefined ? 99.99 : Number(opts.percentile);
  if (!(percentile > 0 && percentile <= 100)) throw new InputError(`--percentile must be a number in (0, 100], got '${opts.percentile}'`);
  if (opts.percentile !== undefined && method !== 'percentile') {
    throw new InputError(`--percentile only applies to --calibration percentile (got --calibration ${method})`);
  }
  const limit = positiveInt(opts.calibLimit, '--calib-limit', DEFAULT_CALIB_LIMIT);
  const clustering = parseClusterOptions(opts);
  const lutForm = parseTflmForm(opts);
  const pre = parsePreprocessOptions(opts);
  const budget = opts.flashBudget === undefined ? undefined : parseFlashBudget(opts.flashBudget);
  const rounding = opts.rounding === undefined ? undefined : (opts.rounding as WeightRounding);
  if (rounding !== undefined && !WEIGHT_ROUNDINGS.includes(rounding)) throw new InputError(`--rounding '${opts.rounding}' is not one of ${WEIGHT_ROUNDINGS.join(', ')}`);
  const outPath = opts.out ?? defaultOutPath(modelPath, budget ? 'mixed' : subByte?.weights);
  await checkOutputFiles([{ path: outPath, option: '--out' }], [modelPath, calib], opts.force ?? false);

  const graph = await loadFloatModel(modelPath);
  const samples = await readCalibrationSamples(graph, { calib, calibKey: opts.calibKey }, limit, pre);
  const smooth = parseSmooth(opts.smooth);
  // Smoothing is exact in float: the graph quantized below computes what the model computes.
  const equalized = opts.equalize ? equalizeLayers(graph).graph : graph;
  const source = smooth === undefined || smooth === false ? equalized : smoothActivations(equalized, smooth, samples.slice(0, SMOOTH_PROBES) as Float32Array[][]).graph;

  const options: QuantizeOptions = {
    perChannel: !opts.perTensor,
    calibration: method,
    percentile,
    symmetric: opts.symmetric ?? false,
    int16: parseInt16(opts.int16),
    biasCorrection: opts.biasCorrection ?? false,
    weights: subByte ? subByteChoices(source, subByte) : clustering ? clusterChoices(source, clustering) : undefined,
    onProgress: opts.json ? undefined : (m) => io.err(m),
  };
  const { graph: q, report } = budget
    ? quantizeWithinBudget(source, samples, { budget, keepInt8: resolveKeepInt8(source, layerItems(opts.keepInt8 ?? '')), rounding }, options)
    : quantizeGraph(source, samples, options);
  await writeTfliteFile(outPath, q, { lutForm });
  if (opts.json) io.out(reportJson(report));
  else {
    io.out(formatReport(report));
    io.out(`\nwrote ${outPath}`);
  }
  return { outPath, report };
}
