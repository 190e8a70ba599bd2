/**
 * Labelled datasets for evaluation: images (or any samples) and integer class labels, read from
 *
 * - IDX files (MNIST / Fashion-MNIST format, gzip or not): `--data t10k-images-idx3-ubyte.gz`
 *   with `--labels t10k-labels-idx1-ubyte.gz`; without --labels the sibling file named with
 *   "labels"/"idx1" in place of "images"/"idx3" is used when it exists;
 * - .npy: `--data x.npy --labels y.npy`;
 * - .npz: one archive holding both; the samples array is the first of x, images, x_test, data,
 *   X, arr_0 present and the labels the first of y, labels, y_test, targets, Y, arr_1 (or the
 *   names given with `dataKey` / `labelsKey`); `--labels` may name a separate file instead.
 *
 * Axis 0 of the samples array indexes samples. Labels are integers, or one-hot rows (argmax).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { DataDType } from './feed-rule.js';
import { isNpy, isZip, numAt, parseArrayFile, parseNpz, readBytes, type NumArray } from './formats.js';

export interface Dataset {
  /** Where the samples came from (for messages). */
  source: string;
  count: number;
  /** Shape of one sample (the samples array without axis 0). */
  sampleShape: number[];
  /** dtype of the samples array in its file: decides how samples reach the model (src/data/feed-rule.ts). */
  dtype: DataDType;
  labels: Int32Array;
  /** The raw values of sample i (no scaling), C order. */
  sample(i: number): Float32Array;
}

export interface Sample {
  index: number;
  values: Float32Array;
  label: number;
}

export interface DatasetSpec {
  data: string;
  labels?: string;
  /** Name of the samples array inside an .npz. */
  dataKey?: string;
  /** Name of the labels array inside an .npz. */
  labelsKey?: string;
}

export const NPZ_DATA_KEYS = ['x', 'images', 'x_test', 'data', 'X', 'arr_0'];
export const NPZ_LABEL_KEYS = ['y', 'labels', 'y_test', 'targets', 'Y', 'arr_1'];

function pick(arrays: Map<string, NumArray>, key: string | undefined, defaults: string[], what: string, path: string): NumArray | undefined {
  const names = [...arrays.keys()].join(', ');
  if (key !== undefined) {
    const a = arrays.get(key);
    if (!a) throw new InputError(`${path} has no array '${key}' for the ${what} (it holds: ${names})`);
    return a;
  }
  for (const k of defaults) {
    const a = arrays.get(k);
    if (a) return a;
  }
  return undefined;
}

/** The labels file next to an IDX images file, following the MNIST naming convention. */
export function siblingLabelsPath(dataPath: string): string | undefined {
  const name = basename(dataPath);
  if (!/images/.test(name)) return undefined;
  const candidate = join(dirname(dataPath), name.replace('images', 'labels').replace('idx3', 'idx1'));
  return candidate !== dataPath && existsSync(candidate) ? candidate : undefined;
}

function labelsFrom(a: NumArray, what: string): Int32Array {
  const shape = a.shape;
  const n = shape[0] ?? 0;
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = numAt(a, i);
      if (!Number.isInteger(v) || v < 0) throw new InputError(`${what}: label ${i} is ${v}; labels must be non-negative integers`);
      out[i] = v;
    }
    return out;
  }
  if (shape.length === 2) {
    // One-hot (or scores): the label is the argmax of each row.
    const k = shape[1];
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (numAt(a, i * k + j) > numAt(a, i * k + best)) best = j;
      out[i] = best;
    }
    return out;
  }
  throw new InputError(`${what}: labels must be a 1-D array of class indices or a 2-D one-hot array, got shape [${shape.join(', ')}]`);
}

function makeDataset(source: string, samples: NumArray, labels: Int32Array, labelsWhat: string): Dataset {
  if (samples.shape.length < 1) throw new InputError(`${source}: the samples array is a scalar; axis 0 must index samples`);
  const count = samples.shape[0];
  if (labels.length !== count) {
    throw new InputError(`${source} holds ${count} samples but ${labelsWhat} holds ${labels.length} labels; they must match`);
  }
  const sampleShape = samples.shape.slice(1);
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const data = samples.data;
  return {
    source,
    count,
    sampleShape,
    dtype: samples.dtype,
    labels,
    sample(i: number): Float32Array {
      if (!(i >= 0 && i < count)) throw new RangeError(`sample ${i} out of range 0..${count - 1}`);
      const out = new Float32Array(size);
      const base = i * size;
      if (data instanceof BigInt64Array) for (let k = 0; k < size; k++) out[k] = Number(data[base + k]);
      else out.set((data as Float32Array).subarray(base, base + size));
      return out;
    },
  };
}

/** Opens a dataset from files (see the module comment for the formats). */
export async function openDataset(spec: DatasetSpec): Promise<Dataset> {
  const bytes = await readBytes(spec.data, 'dataset file');
  let samples: NumArray;
  let labels: NumArray | undefined;
  let labelsWhat = '';
  if (isZip(bytes) || extname(spec.data).toLowerCase() === '.npz') {
    const arrays = parseNpz(bytes, spec.data);
    const s = pick(arrays, spec.dataKey, NPZ_DATA_KEYS, 'samples', spec.data);
    if (!s) {
      throw new InputError(`${spec.data}: no samples array found (looked for ${NPZ_DATA_KEYS.join(', ')}; it holds ${[...arrays.keys()].join(', ')}); choose one with --data-key`);
    }
    samples = s;
    if (!spec.labels) {
      labels = pick(arrays, spec.labelsKey, NPZ_LABEL_KEYS, 'labels', spec.data);
      if (!labels) {
        throw new InputError(`${spec.data}: no labels array found (looked for ${NPZ_LABEL_KEYS.join(', ')}; it holds ${[...arrays.keys()].join(', ')}); choose one with --labels-key or give --labels`);
      }
      labelsWhat = `${spec.data}[${spec.labelsKey ?? NPZ_LABEL_KEYS.find((k) => arrays.get(k) === labels)}]`;
    }
  } else {
    samples = parseArrayFile(bytes, spec.data);
  }
  if (!labels) {
    const labelsPath = spec.labels ?? (isNpy(bytes) ? undefined : siblingLabelsPath(spec.data));
    if (!labelsPath) throw new InputError(`no labels for ${spec.data}: give --labels (an IDX or .npy file of class indices)`);
    const lb = await readBytes(labelsPath, 'labels file');
    if (isZip(lb)) {
      const arrays = parseNpz(lb, labelsPath);
      const l = pick(arrays, spec.labelsKey, NPZ_LABEL_KEYS, 'labels', labelsPath);
      if (!l) throw new InputError(`${labelsPath}: no labels array found (looked for ${NPZ_LABEL_KEYS.join(', ')}); choose one with --labels-key`);
      labels = l;
    } else labels = parseArrayFile(lb, labelsPath);
    labelsWhat = labelsPath;
  }
  return makeDataset(spec.data, samples, labelsFrom(labels, labelsWhat), labelsWhat);
}

/** The first `limit` samples (all by default), in order. */
export function* samples(ds: Dataset, limit?: number): Generator<Sample> {
  const n = limit === undefined ? ds.count : Math.min(limit, ds.count);
  for (let i = 0; i < n; i++) yield { index: i, values: ds.sample(i), label: ds.labels[i] };
}
