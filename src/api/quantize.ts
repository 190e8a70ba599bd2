/**
 * `quantize(model, { samples, out })`: post-training quantization of a float model to a fully
 * integer .tflite, written to `out` (never over an existing file without `force`), loaded back.
 */
import { InputError } from '../errors.js';
import { checkOutputFiles } from '../io/output-file.js';
import type { TensorData } from '../ir/types.js';
import { quantizeGraph, type QuantizationReport, type QuantizeOptions as GraphQuantizeOptions } from '../quantize/index.js';
import { writeTfliteFile } from '../tflite-writer/index.js';
import { loadModel, toModel, type Model, type ModelLike } from './model.js';

export interface QuantizeOptions extends Omit<GraphQuantizeOptions, 'onProgress'> {
  /**
   * Calibration samples, already preprocessed to what the float model takes: one typed array
   * per sample for a single-input model, or one array of typed arrays (one per input).
   */
  samples: readonly (TensorData | readonly TensorData[])[];
  /** Where to write the quantized .tflite. */
  out: string;
  /** Overwrite an existing `out`. */
  force?: boolean;
  onProgress?: (message: string) => void;
}

export interface QuantizeOutput {
  /** The quantized model, read back from `out`. */
  model: Model;
  /** Per-layer ranges, scales and (unless `evaluate: false`) SQNR. */
  report: QuantizationReport;
}

export async function quantize(model: ModelLike, options: QuantizeOptions): Promise<QuantizeOutput> {
  if (!options || typeof options.out !== 'string') throw new InputError('quantize(model, { samples, out }) needs `out`, the path of the .tflite to write');
  if (!Array.isArray(options.samples) || options.samples.length === 0) throw new InputError('quantize needs at least one calibration sample in `samples`');
  const m = await toModel(model);
  await checkOutputFiles([{ path: options.out, option: 'out' }], [m.path], options.force ?? false);
  const notFloat = m.inputs.find((t) => t.dtype !== 'float32');
  if (notFloat) throw new InputError(`${m.path}: input '${notFloat.name}' is ${notFloat.dtype}; quantize takes float32 models (this one is already quantized)`);
  const samples = options.samples.map((s) => (ArrayBuffer.isView(s) ? [s as TensorData] : [...(s as readonly TensorData[])]));
  const { samples: _s, out: _o, force: _f, ...graphOptions } = options;
  const { graph, report } = quantizeGraph(m.graph, samples, graphOptions);
  await writeTfliteFile(options.out, graph);
  return { model: await loadModel(options.out), report };
}
