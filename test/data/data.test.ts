import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { makePreprocessor, openDataset, type SampleSpec, parseList, parsePreprocessOptions, parseScalar, samples } from '../../src/data/index.js';
import { InputError } from '../../src/errors.js';
import { formatNpy } from '../../src/io/npy.js';
import type { Tensor } from '../../src/ir/types.js';

const dir = mkdtempSync(join(tmpdir(), 'tinyml-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** An IDX file of unsigned bytes. */
function idx(shape: number[], values: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + values.length);
  out.set([0, 0, 0x08, shape.length]);
  const v = new DataView(out.buffer);
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(values, 4 + 4 * shape.length);
  return out;
}

const images = [0, 1, 2, 3, 10, 11, 12, 13, 250, 251, 252, 255];
const imagesIdx = idx([3, 2, 2], images);
const labelsIdx = idx([3], [7, 0, 9]);

async function expectInputError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(InputError);
  await expect(p).rejects.toThrow(pattern);
}

describe('IDX datasets', () => {
  it('reads raw and gzip-compressed images and labels', async () => {
    for (const gz of [false, true]) {
      const enc = (b: Uint8Array): Uint8Array => (gz ? new Uint8Array(gzipSync(b)) : b);
      const ds = await openDataset({ data: file(`a${gz}-images.idx`, enc(imagesIdx)), labels: file(`a${gz}-labels.idx`, enc(labelsIdx)) });
      expect(ds.count).toBe(3);
      expect(ds.sampleShape).toEqual([2, 2]);
      expect(Array.from(ds.labels)).toEqual([7, 0, 9]);
      const all = [...samples(ds)];
      expect(all.map((s) => Array.from(s.values))).toEqual([images.slice(0, 4), images.slice(4, 8), images.slice(8)]);
      expect([...samples(ds, 2)].map((s) => s.label)).toEqual([7, 0]);
    }
  });

  it('finds the MNIST-named labels file next to the images', async () => {
    const data = file('t10k-images-idx3-ubyte', imagesIdx);
    file('t10k-labels-idx1-ubyte', labelsIdx);
    const ds = await openDataset({ data });
    expect(Array.from(ds.labels)).toEqual([7, 0, 9]);
  });

  it('reads the installed Fashion-MNIST test set', async () => {
    const ds = await openDataset({ data: '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz' });
    expect(ds.count).toBe(10000);
    expect(ds.sampleShape).toEqual([28, 28]);
    expect(Math.max(...ds.labels)).toBe(9);
    expect(ds.labels[0]).toBe(9); // ankle boot
  });

  it('errors: missing file, wrong magic, truncated data, label count mismatch, no labels', async () => {
    await expectInputError(openDataset({ data: join(dir, 'nope.idx'), labels: join(dir, 'nope2.idx') }), /no such file/);
    await expectInputError(openDataset({ data: file('bad.idx', new TextEncoder().encode('GIF89a......')), labels: file('l.idx', labelsIdx) }), /not an IDX file \(bad magic/);
    await expectInputError(openDataset({ data: file('trunc.idx', imagesIdx.subarray(0, imagesIdx.length - 3)), labels: file('l2.idx', labelsIdx) }), /only 9 bytes follow/);
    await expectInputError(openDataset({ data: file('m-data.idx', imagesIdx), labels: file('m-labels.idx', idx([2], [1, 2])) }), /3 samples but .* holds 2 labels/);
    await expectInputError(openDataset({ data: file('lonely.idx', imagesIdx) }), /give --labels/);
    await expectInputError(openDataset({ data: file('badgz.idx', Uint8Array.from([0x1f, 0x8b, 1, 2, 3])), labels: file('l3.idx', labelsIdx) }), /corrupt gzip/);
  });
});

describe('.npy and .npz datasets', () => {
  const x = new Float32Array(4 * 2 * 3).map((_, i) => i / 2);
  const xNpy = formatNpy({ dtype: 'float32', shape: [4, 2, 3], data: x });
  const yNpy = formatNpy({ dtype: 'int64', shape: [4], data: BigInt64Array.from([3n, 1n, 0n, 2n]) });

  it('reads .npy samples and labels', async () => {
    const ds = await openDataset({ data: file('x.npy', xNpy), labels: file('y.npy', yNpy) });
    expect(ds.count).toBe(4);
    expect(ds.sampleShape).toEqual([2, 3]);
    expect(Array.from(ds.sample(1))).toEqual(Array.from(x.subarray(6, 12)));
    expect(Array.from(ds.labels)).toEqual([3, 1, 0, 2]);
  });

  it('one-hot labels become class indices', async () => {
    const oneHot = formatNpy({ dtype: 'uint8', shape: [4, 4], data: Uint8Array.from([0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]) });
    const ds = await openDataset({ data: file('x2.npy', xNpy), labels: file('onehot.npy', oneHot) });
    expect(Array.from(ds.labels)).toEqual([3, 1, 0, 2]);
  });

  it('reads .npz with conventional names, or names chosen by flag', async () => {
    const ds = await openDataset({ data: file('d.npz', zipSync({ 'x.npy': xNpy, 'y.npy': yNpy })) });
    expect(ds.count).toBe(4);
    expect(Array.from(ds.labels)).toEqual([3, 1, 0, 2]);
    const ds2 = await openDataset({ data: file('d2.npz', zipSync({ 'images.npy': xNpy, 'labels.npy': yNpy })) });
    expect(ds2.sampleShape).toEqual([2, 3]);
    const custom = file('d3.npz', zipSync({ 'imgs.npy': xNpy, 'lbls.npy': yNpy }));
    await expectInputError(openDataset({ data: custom }), /no samples array found .* it holds imgs, lbls.*--data-key/);
    const ds3 = await openDataset({ data: custom, dataKey: 'imgs', labelsKey: 'lbls' });
    expect(Array.from(ds3.labels)).toEqual([3, 1, 0, 2]);
    await expectInputError(openDataset({ data: custom, dataKey: 'nope' }), /has no array 'nope'/);
    await expectInputError(openDataset({ data: file('bad.npz', Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0])) }), /not a valid .npz/);
  });

  it('label count mismatch and a bad .npy are InputErrors', async () => {
    const y3 = formatNpy({ dtype: 'int32', shape: [3], data: Int32Array.from([1, 2, 3]) });
    await expectInputError(openDataset({ data: file('x3.npy', xNpy), labels: file('y3.npy', y3) }), /4 samples but .* 3 labels/);
    const bad = new Uint8Array(xNpy);
    bad[1] = 0;
    await expectInputError(openDataset({ data: file('bad.npy', bad), labels: file('y4.npy', yNpy) }), /not an IDX file/);
  });
});

describe('preprocessing', () => {
  const floatInput = (shape: number[]): Tensor => ({ id: 0, name: 'in', shape, dtype: 'float32' });
  /** Samples of `shape` read as uint8 images. */
  const images = (sampleShape: number[]): SampleSpec => ({ sampleShape, dtype: 'uint8', source: 'images.idx' });

  it('parses scales, fractions and lists', () => {
    expect(parseScalar('1/255', '--scale')).toBeCloseTo(1 / 255, 15);
    expect(parseScalar(' 0.5 ', '--scale')).toBe(0.5);
    expect(parseList('0.485,0.456,0.406', '--mean')).toEqual([0.485, 0.456, 0.406]);
    expect(parsePreprocessOptions({ scale: '1/255', mean: '0.5', std: '0.25' })).toEqual({ scale: 1, scaleDivisor: 255, mean: [0.5], std: [0.25] });
    expect(() => parseScalar('abc', '--scale')).toThrow(InputError);
    expect(() => parseList('1,,2', '--mean')).toThrow(/empty entry/);
    expect(() => parsePreprocessOptions({ std: '0' })).toThrow(/contains 0/);
    expect(() => parsePreprocessOptions({ scale: '1/0' })).toThrow(/divides by 0/);
  });

  it('scales exactly like pixel / 255 in float32', () => {
    const pre = makePreprocessor(parsePreprocessOptions({ scale: '1/255' }), floatInput([1, 1, 256, 1]), images([256]));
    const raw = Float32Array.from({ length: 256 }, (_, i) => i);
    const out = pre(raw) as Float32Array;
    for (let i = 0; i < 256; i++) expect(out[i]).toBe(Math.fround(i / 255));
  });

  it('applies per-channel mean and std on the last (NHWC) axis', () => {
    const pre = makePreprocessor({ scale: 0.5, mean: [1, 2], std: [2, 4] }, floatInput([1, 1, 2, 2]), images([1, 2, 2]));
    expect(Array.from(pre(Float32Array.from([2, 4, 6, 8])) as Float32Array)).toEqual([0, 0, 1, 0.5]);
    expect(() => makePreprocessor({ mean: [1, 2, 3] }, floatInput([1, 1, 2, 2]), images([1, 2, 2]))).toThrow(/has 3 values.*2 channel/);
  });

  it('lays a 28x28 sample onto [1, 28, 28, 1]; transposes channel-first samples to NHWC', () => {
    const pre = makePreprocessor({}, floatInput([1, 28, 28, 1]), images([28, 28]));
    expect(pre.layout).toBe('as-is');
    expect(pre(new Float32Array(784))).toHaveLength(784);
    const chw = makePreprocessor({}, floatInput([1, 2, 2, 3]), images([3, 2, 2]));
    expect(chw.layout).toBe('chw-to-hwc');
    // CHW: channel 0 = 0..3, channel 1 = 10..13, channel 2 = 20..23
    const out = chw(Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])) as Float32Array;
    expect(Array.from(out)).toEqual([0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23]);
    expect(() => makePreprocessor({}, floatInput([1, 28, 28, 1]), images([32, 32]))).toThrow(/do not fit model input/);
  });

  it('quantizes for an int8 input with its scale and zero point', () => {
    const input: Tensor = { id: 0, name: 'in', shape: [1, 4], dtype: 'int8', quant: { scale: [1 / 255], zeroPoint: [-128], quantizedDimension: 0 } };
    const pre = makePreprocessor(parsePreprocessOptions({ scale: '1/255' }), input, images([4]));
    expect(Array.from(pre(Float32Array.from([0, 1, 128, 255])) as Int8Array)).toEqual([-128, -127, 0, 127]);
    const noQuant: Tensor = { id: 0, name: 'in', shape: [1, 4], dtype: 'int8' };
    expect(() => makePreprocessor({}, noQuant, images([4]))).toThrow(/without quantization/);
  });
});
