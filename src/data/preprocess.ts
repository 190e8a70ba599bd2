/**
 * Preprocessing as given on the command line, applied to a sample's raw values:
 *
 *   x = (raw * scale - mean[c]) / std[c]
 *
 * `--scale` accepts a number or a fraction ("1/255"); `--mean` / `--std` a scalar or one value
 * per channel ("0.485,0.456,0.406"), channel = the model input's last (NHWC) axis. The result is
 * laid out as the model input (a 28x28 sample feeds a [1, 28, 28, 1] input; a channel-first
 * [C, H, W] sample is transposed to [H, W, C]) and, for an int8/uint8/int16 input, quantized with
 * the input's scale and zero point. Which samples are raw values at all, and which are fed byte
 * for byte (int8 data for an int8 input...), is decided by the shared rule in feed-rule.ts.
 */
import { InputError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount } from '../ir/types.js';
import { quantizeForTensor } from './tensor-file.js';
import { feedFor, type DataDType, type Feed } from './feed-rule.js';

export interface PreprocessOptions {
  /** Multiplier applied to raw values. */
  scale?: number;
  /** Divisor applied after `scale` (a fraction "a/b" is kept as a / b so that p * 1 / 255 rounds like p / 255). */
  scaleDivisor?: number;
  mean?: number[];
  std?: number[];
}

/** Parses "0.5", "1/255", "1e-3". */
export function parseScalar(text: string, what: string): number {
  const s = text.trim();
  const frac = /^([^/]+)\/([^/]+)$/.exec(s);
  const v = frac ? parseNumber(frac[1], what, text) / parseNumber(frac[2], what, text) : parseNumber(s, what, text);
  if (!Number.isFinite(v)) throw new InputError(`${what} '${text}' is not a finite number`);
  return v;
}

function parseNumber(s: string, what: string, whole: string): number {
  const t = s.trim();
  const v = t === '' ? NaN : Number(t);
  if (Number.isNaN(v)) throw new InputError(`${what} '${whole}' is not a number (use e.g. 0.5, 1/255 or 0.485,0.456,0.406)`);
  return v;
}

/** Parses a scalar or a comma-separated list of scalars (each may be a fraction). */
export function parseList(text: string, what: string): number[] {
  const parts = text.split(',');
  if (parts.some((p) => p.trim() === '')) throw new InputError(`${what} '${text}' has an empty entry`);
  return parts.map((p) => parseScalar(p, what));
}

/** Options from the CLI strings (--scale, --mean, --std). */
export function parsePreprocessOptions(opts: { scale?: string; mean?: string; std?: string }): PreprocessOptions {
  const out: PreprocessOptions = {};
  if (opts.scale !== undefined) {
    const frac = /^\s*([^/]+)\/([^/]+)$/.exec(opts.scale);
    if (frac) {
      out.scale = parseScalar(frac[1], '--scale');
      out.scaleDivisor = parseScalar(frac[2], '--scale');
      if (out.scaleDivisor === 0) throw new InputError(`--scale '${opts.scale}' divides by 0`);
    } else out.scale = parseScalar(opts.scale, '--scale');
  }
  if (opts.mean !== undefined) out.mean = parseList(opts.mean, '--mean');
  if (opts.std !== undefined) {
    out.std = parseList(opts.std, '--std');
    if (out.std.some((v) => v === 0)) throw new InputError(`--std '${opts.std}' contains 0`);
  }
  return out;
}

export type Layout = 'as-is' | 'chw-to-hwc';

/** How a sample of `sampleShape` maps onto the model input `input` (throws InputError when it cannot). */
export function sampleLayout(sampleShape: readonly number[], input: Tensor): Layout {
  const inShape = input.shape;
  const want = elementCount(inShape);
  const got = elementCount(sampleShape);
  if (want !== got) {
    throw new InputError(
      `samples of shape [${sampleShape.join(', ')}] (${got} values) do not fit model input '${input.name}' [${inShape.join(', ')}] (${want} values)`,
    );
  }
  const inner = inShape.length === 4 ? inShape.slice(1) : undefined;
  if (inner && sampleShape.length === 3) {
    const [h, w, c] = inner;
    const same = sampleShape[0] === h && sampleShape[1] === w && sampleShape[2] === c;
    if (!same && c > 1 && sampleShape[0] === c && sampleShape[1] === h && sampleShape[2] === w) return 'chw-to-hwc';
  }
  return 'as-is';
}

export interface Preprocessor {
  layout: Layout;
  /** How samples reach the input: byte for byte, or as raw values (feed-rule.ts). */
  feed: Feed;
  /** Raw sample values → the model input's data (dtype and layout of `input`). */
  (raw: Float32Array): TensorData;
}

/** What the preprocessor needs to know of the samples (a Dataset is one). */
export interface SampleSpec {
  /** Shape of one sample. */
  sampleShape: readonly number[];
  /** dtype of the samples in their file. */
  dtype: DataDType;
  /** Where they come from, for messages. */
  source: string;
}

/** Input dtypes whose values survive the trip through a Float32Array sample unchanged. */
const EXACT_IN_FLOAT32 = new Set(['int8', 'uint8', 'int16', 'float32']);

export function makePreprocessor(options: PreprocessOptions, input: Tensor, samples: SampleSpec): Preprocessor {
  const { sampleShape } = samples;
  const preprocessing = options.scale !== undefined || options.scaleDivisor !== undefined || options.mean !== undefined || options.std !== undefined;
  const feed = feedFor({ data: samples.dtype, input, preprocessing, source: samples.source });
  const layout = sampleLayout(sampleShape, input);
  if (feed === 'bytes') {
    if (!EXACT_IN_FLOAT32.has(input.dtype)) throw new InputError(`model input '${input.name}' has unsupported dtype ${input.dtype}`);
    const exact = ((raw: Float32Array): TensorData => {
      const out = allocTensorData(input.dtype, raw.length) as Int8Array | Uint8Array | Int16Array | Float32Array;
      if (layout === 'chw-to-hwc') {
        const [c, h, w] = sampleShape;
        for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y * w + x) * c + ci] = raw[(ci * h + y) * w + x];
      } else out.set(raw);
      return out;
    }) as Preprocessor;
    exact.layout = layout;
    exact.feed = feed;
    return exact;
  }
  const channels = input.shape.length >= 2 ? input.shape[input.shape.length - 1] : 1;
  const check = (list: number[] | undefined, what: string): number[] | undefined => {
    if (list && list.length !== 1 && list.length !== channels) {
      throw new InputError(`${what} has ${list.length} values; model input '${input.name}' [${input.shape.join(', ')}] has ${channels} channel(s) (give 1 or ${channels})`);
    }
    return list;
  };
  const mean = check(options.mean, '--mean');
  const std = check(options.std, '--std');
  const scale = options.scale ?? 1;
  const divisor = options.scaleDivisor ?? 1;
  const quantized = input.dtype !== 'float32';
  if (quantized && !input.quant) {
    throw new InputError(`model input '${input.name}' is ${input.dtype} without quantization parameters; cannot feed it preprocessed real values`);
  }
  if (!quantized && input.dtype !== 'float32') throw new InputError(`model input '${input.name}' has unsupported dtype ${input.dtype}`);
  const fn = ((raw: Float32Array): TensorData => {
    let v = raw;
    if (layout === 'chw-to-hwc') {
      const [c, h, w] = sampleShape;
      v = new Float32Array(raw.length);
      for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) v[(y * w + x) * c + ci] = raw[(ci * h + y) * w + x];
    } else v = new Float32Array(raw);
    for (let i = 0; i < v.length; i++) {
      const c = i % channels;
      let x = (v[i] * scale) / divisor;
      if (mean) x -= mean.length === 1 ? mean[0] : mean[c];
      if (std) x /= std.length === 1 ? std[0] : std[c];
      v[i] = x;
    }
    return quantized ? quantizeForTensor(v, input) : v;
  }) as Preprocessor;
  fn.layout = layout;
  fn.feed = feed;
  return fn;
}
