/**
 * `tinyml quantize MODEL --dynamic [--weights int8] [--per-tensor] [--smooth ALPHA|off] [--out FILE] [--json] [--force]`
 *
 * Weights-only (dynamic-range, "hybrid") quantization of a float model, without calibration
 * data: conv and dense weights become symmetric int8, activations stay float32 and are
 * quantized by each layer at run time. Writes a standard .tflite (the form the TFLite converter
 * writes with Optimize.DEFAULT and no representative dataset) that tinyml runs on the host and
 * deploys with its hybrid kernels. Without data, the activation smoothing and the bias correction
 * (quantize/smooth.ts, quantize/dynamic-bias-correction.ts) probe the model with seeded random
 * inputs.
 */
import { basename, dirname, extname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { equalizeLayers } from '../../quantize/smooth.js';
import { prepareGraph } from '../../interp/interpreter.js';
import { checkOutputFiles } from '../../io/output-file.js';
import { DEFAULT_DYNAMIC_SMOOTH, dynamicQuantizeGraph, formatDynamicReport, type DynamicLayerReport } from '../../quantize/dynamic.js';
import { writeTfliteFile } from '../../tflite-writer/index.js';
import type { CliIO } from '../io.js';
import type { QuantizeCommandOptions } from './quantize.js';
import { loadFloatModel } from './quantize.js';

export interface DynamicQuantizeCommandResult {
  outPath: string;
  layers: DynamicLayerReport[];
}

/** Options of the calibrated mode that mean nothing without calibration. */
const CALIBRATION_ONLY: [keyof QuantizeCommandOptions, string][] = [
  ['calib', '--calib'],
  ['calibKey', '--calib-key'],
  ['calibration', '--calibration'],
  ['percentile', '--percentile'],
  ['symmetric', '--symmetric'],
  ['int16', '--int16'],
  ['biasCorrection', '--bias-correction'],
  ['calibLimit', '--calib-limit'],
  ['keepInt8', '--keep-int8'],
  ['rounding', '--rounding'],
  ['groupSize', '--group-size'],
  ['tflmForm', '--tflm-form'],
  ['scale', '--scale'],
  ['mean', '--mean'],
  ['std', '--std'],
];

/** `--smooth ALPHA` (a number in [0, 1]) or `off`; undefined when not given. */
export function parseSmooth(value: string | number | undefined): number | false | undefined {
  if (value === undefined) return undefined;
  if (value === 'off') return false;
  const alpha = Number(value);
  if (!(alpha >= 0 && alpha <= 1) || String(value).trim() === '') {
    throw new InputError(`--smooth takes a number from 0 to 1 (the share of each activation channel's range moved into the next layer's weights; ${DEFAULT_DYNAMIC_SMOOTH} is --dynamic's default) or 'off', got '${value}'`);
  }
  return alpha;
}

export function defaultDynamicOutPath(modelPath: string): string {
  return join(dirname(modelPath), `${basename(modelPath, extname(modelPath))}.dynamic.tflite`);
}

export async function dynamicQuantizeCommand(modelPath: string, opts: QuantizeCommandOptions, io: CliIO): Promise<DynamicQuantizeCommandResult> {
  const given = CALIBRATION_ONLY.filter(([k]) => opts[k] !== undefined && opts[k] !== false).map(([, flag]) => flag);
  if (given.length > 0) {
    throw new InputError(`${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to calibrated quantization, not --dynamic (which uses no data)`);
  }
  const weights = opts.weights ?? 'int8';
  if (weights !== 'int8') {
    throw new InputError(`--weights ${weights} is not supported with --dynamic, which quantizes weights to int8; sub-byte weights are chosen on calibration data: give --calib instead of --dynamic`);
  }
  const smooth = parseSmooth(opts.smooth);
  const outPath = opts.out ?? defaultDynamicOutPath(modelPath);
  await checkOutputFiles([{ path: outPath, option: '--out' }], [modelPath], opts.force ?? false);
  const loaded = await loadFloatModel(modelPath);
  // Equalization is exact in float: the hybrid model still approximates the model as loaded.
  const graph = opts.equalize ? { ...equalizeLayers(loaded).graph, name: loaded.name } : loaded;
  const result = dynamicQuantizeGraph(graph, { perChannel: !opts.perTensor, ...(smooth === undefined ? {} : { smooth }) });
  // The hybrid graph must be one tinyml can run: check every layer before writing anything.
  prepareGraph(result.graph);
  await writeTfliteFile(outPath, result.graph);
  if (opts.json) {
    io.out(JSON.stringify({ model: graph.name, out: outPath, weights, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter, smoothed: result.smoothed, layers: result.layers }, null, 2));
  } else {
    io.out(formatDynamicReport(result));
    io.out(`\nwrote ${outPath}`);
  }
  return { outPath, layers: result.layers };
}
