/**
 * The one rule for how data reaches a model input (src/data/feed-rule.ts), and that `run`,
 * `eval` and `quantize` all follow it: the input's own dtype without preprocessing flags is fed
 * byte for byte; float and uint8 data are raw values; int8 data for another dtype, and int8
 * data with --scale/--mean/--std, are refused with a message naming the fix.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { quantizeCommand } from '../../src/cli/commands/quantize.js';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { feedFor, makePreprocessor, openDataset, type DataDType } from '../../src/data/index.js';
import { InputError } from '../../src/errors.js';
import { formatNpy } from '../../src/io/npy.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { sharedPath } from '../helpers/shared.js';

const temp = makeTempDir('tinyml-feed-rule-');
afterAll(() => temp.cleanup());

const quant = { scale: [0.5], zeroPoint: [-3], quantizedDimension: 0 };
const tensor = (dtype: DType, shape = [1, 4]): Tensor => ({ id: 0, name: 'in', shape, dtype, ...(dtype === 'float32' ? {} : { quant }) });
const feed = (data: DataDType, input: DType, preprocessing = false) => feedFor({ data, input: tensor(input), preprocessing, source: 'x.npy' });

function npy(name: string, dtype: DType, shape: number[], data: Int8Array | Uint8Array | Float32Array | Int32Array): string {
  const p = join(temp.dir, name);
  writeFileSync(p, formatNpy({ dtype, shape, data }));
  return p;
}

describe('feedFor', () => {
  it('feeds data of the input\'s own dtype byte for byte when no preprocessing is asked', () => {
    for (const d of ['int8', 'uint8', 'int16', 'float32'] as const) expect(feed(d, d)).toBe('bytes');
  });

  it('takes float and uint8 data as raw values, with or without preprocessing', () => {
    expect(feed('float32', 'int8')).toBe('values');
    expect(feed('float64', 'int8', true)).toBe('values');
    expect(feed('uint8', 'int8')).toBe('values');
    expect(feed('uint8', 'int8', true)).toBe('values');
    expect(feed('uint8', 'float32', true)).toBe('values');
    expect(feed('uint8', 'uint8', true)).toBe('values');
    expect(feed('float32', 'float32', true)).toBe('values');
    expect(feed('int16', 'float32', true)).toBe('values');
  });

  it('refuses int8 data with preprocessing flags for an int8 input: it would be quantized twice', () => {
    expect(() => feed('int8', 'int8', true)).toThrow(InputError);
    expect(() => feed('int8', 'int8', true)).toThrow(/x\.npy holds int8 values .* fed byte for byte.*quantize them a second time.*Drop --scale\/--mean\/--std/);
    expect(() => feed('int16', 'int16', true)).toThrow(/quantize them a second time/);
  });

  it('refuses int8 data for an input that is not int8', () => {
    for (const d of ['float32', 'uint8', 'int16'] as const) {
      expect(() => feed('int8', d)).toThrow(InputError);
      expect(() => feed('int8', d, true)).toThrow(/x\.npy holds int8 values.*not int8.*Give float32 real values/);
    }
  });
});

describe('makePreprocessor follows the rule', () => {
  it('passes int8 samples to an int8 input unchanged (also when it reorders CHW to HWC)', () => {
    const pre = makePreprocessor({}, tensor('int8'), { sampleShape: [4], dtype: 'int8', source: 'x.npy' });
    expect(pre.feed).toBe('bytes');
    const out = pre(Float32Array.from([-128, -1, 0, 127]));
    expect(out).toBeInstanceOf(Int8Array);
    expect(Array.from(out as Int8Array)).toEqual([-128, -1, 0, 127]);
    const chw = makePreprocessor({}, tensor('int8', [1, 1, 2, 2]), { sampleShape: [2, 1, 2], dtype: 'int8', source: 'x.npy' });
    expect(chw.layout).toBe('chw-to-hwc');
    expect(Array.from(chw(Float32Array.from([1, 2, -1, -2])) as Int8Array)).toEqual([1, -1, 2, -2]);
  });

  it('quantizes uint8 samples for an int8 input as raw values', () => {
    const pre = makePreprocessor({}, tensor('int8'), { sampleShape: [4], dtype: 'uint8', source: 'x.idx' });
    expect(pre.feed).toBe('values');
    // q = round(x / 0.5) - 3
    expect(Array.from(pre(Float32Array.from([0, 1, 2, 200])) as Int8Array)).toEqual([-3, -1, 1, 127]);
  });

  it('datasets carry the dtype of their file', async () => {
    const labels = npy('y.npy', 'int32', [2], Int32Array.from([0, 1]));
    expect((await openDataset({ data: npy('i8.npy', 'int8', [2, 4], new Int8Array(8)), labels })).dtype).toBe('int8');
    expect((await openDataset({ data: npy('u8.npy', 'uint8', [2, 4], new Uint8Array(8)), labels })).dtype).toBe('uint8');
    expect((await openDataset({ data: npy('f32.npy', 'float32', [2, 4], new Float32Array(8)), labels })).dtype).toBe('float32');
  });
});

describe('run, eval and quantize refuse what cannot be meant', () => {
  it('--help of each states the rule', async () => {
    for (const cmd of ['run', 'eval', 'quantize']) {
      const io = bufferIO();
      expect(await runCli([cmd, '--help'], io)).toBe(0);
      expect(io.stdout).toMatch(/Data types \(one rule for run, eval and quantize\)/);
      expect(io.stdout).toMatch(/without --scale\/--mean\/--std,\s+is fed byte for byte/);
      expect(io.stdout).toMatch(/refused: int8 data for an input that is not int8/);
    }
  });

  const kws = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');
  const fashionFloat = sharedPath('models', 'fashion-mnist', 'fashion_cnn_float.onnx');
  const helloFloat = sharedPath('models', 'tflm-examples', 'hello_world_float.tflite');
  const ad01Float = sharedPath('models', 'mlperf-tiny', 'ad01_fp32.tflite');

  it('eval: int8 data with --scale for an int8 model', async () => {
    const data = npy('kws_i8.npy', 'int8', [2, 49, 10, 1], new Int8Array(2 * 490));
    const labels = npy('kws_y.npy', 'int32', [2], Int32Array.from([0, 1]));
    const io = bufferIO();
    await expect(evalCommand(kws, { data, labels, scale: '1/255' }, io)).rejects.toThrow(/holds int8 values .* fed byte for byte.*Drop --scale/);
    const cli = bufferIO();
    expect(await runCli(['eval', kws, '--data', data, '--labels', labels, '--mean', '3'], cli)).toBe(2);
    expect(cli.stderr).toMatch(/^error: .*kws_i8\.npy holds int8 values/);
  });

  it('eval: int8 data for a float model', async () => {
    const data = npy('fashion_i8.npy', 'int8', [2, 28, 28], new Int8Array(2 * 784));
    const labels = npy('fashion_y.npy', 'int32', [2], Int32Array.from([0, 1]));
    await expect(evalCommand(fashionFloat, { data, labels }, bufferIO())).rejects.toThrow(/holds int8 values.*not int8/);
  });

  it('run: an int8 .npy for a float model', async () => {
    const input = npy('hello_i8.npy', 'int8', [1, 1], Int8Array.from([5]));
    const io = bufferIO();
    expect(await runCli(['run', helloFloat, '--input', input], io)).toBe(2);
    expect(io.stderr).toMatch(/^error: .*hello_i8\.npy holds int8 values.*not int8/);
  });

  it('quantize: int8 calibration data for the float model', async () => {
    const calib = npy('ad01_i8.npy', 'int8', [2, 640], new Int8Array(1280));
    await expect(quantizeCommand(ad01Float, { calib, out: join(temp.dir, 'q.tflite') }, bufferIO())).rejects.toThrow(/ad01_i8\.npy holds int8 values.*not int8/);
  });
});
