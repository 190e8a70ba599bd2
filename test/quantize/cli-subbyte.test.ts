/**
 * `tinyml quantize --weights int4|int2|ternary|binary [--keep-int8 LAYERS] [--rounding R]`: the
 * command line through `runCli`, the report (bits and bytes per layer, the sub-byte summary), the
 * default output name, and the errors (a bad --keep-int8 item is named, options that need
 * sub-byte weights, --per-tensor, --dynamic).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { defaultOutPath } from '../../src/cli/commands/quantize.js';
import { importTflite } from '../../src/tflite/import.js';
import { projectRoot } from '../helpers/shared.js';
import { FASHION_TRAIN, fashionModelPath, requireFashionMnist } from './fashion.js';

const dir = mkdtempSync(join(tmpdir(), 'tinyml-subbyte-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tinyml quantize --weights (sub-byte)', () => {
  beforeAll(() => requireFashionMnist([FASHION_TRAIN]));
  const model = fashionModelPath();
  const base = (out: string): string[] => ['quantize', model, '--calib', FASHION_TRAIN, '--scale', '1/255', '--calib-limit', '20', '--out', join(dir, out)];

  it('--weights ternary --keep-int8 first,last: the report gives each layer\'s bits, bytes and SQNR, and the file runs', async () => {
    const io = bufferIO();
    expect(await runCli([...base('t.tflite'), '--weights', 'ternary', '--keep-int8', 'first,last'], io)).toBe(0);
    expect(io.stdout).toMatch(/weights ternary \(gptq rounding\), int8 kept for layer\(s\) 0, 13: [\d,]+ parameter bytes in weight layers, 0\.\d+x the [\d,]+ of int8 weights/);
    expect(io.stdout).toMatch(/ bits +bytes /);
    // #0 CONV_2D: 288 int8 weights + 32 int32 biases (128 bytes); #3 CONV_2D 32 -> 64: 2,048 2-bit weights (512 bytes) + 64 biases.
    expect(io.stdout).toMatch(/\n +0 +CONV_2D .* 8 +416 /);
    expect(io.stdout).toMatch(/\n +3 +CONV_2D .* 2 +768 /);
    const g = importTflite(readFileSync(join(dir, 't.tflite')), 't');
    const w = g.tensors[g.ops[3].inputs[1]];
    expect(new Set(w.data as Int8Array)).toEqual(new Set([-1, 0, 1]));
  }, 120_000);

  it('--json: the sub-byte summary and per-layer weight bits, as schemas/quantize.json describes them', async () => {
    const io = bufferIO();
    expect(await runCli([...base('b.tflite'), '--weights', 'binary', '--keep-int8', '0,logits', '--rounding', 'nearest', '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout);
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const validate = ajv.compile(JSON.parse(readFileSync(join(projectRoot(), 'schemas', 'quantize.json'), 'utf8')));
    expect(validate(r), ajv.errorsText(validate.errors)).toBe(true);
    expect(r.subByte).toMatchObject({ weights: 'binary', rounding: 'nearest', keepInt8: [0, 13] });
    expect(r.subByte.parameterBytes).toBeLessThan(r.subByte.int8ParameterBytes);
    const bits = r.layers.filter((l: { weightBits?: number }) => l.weightBits !== undefined).map((l: { weightBits: number }) => l.weightBits);
    expect(bits).toEqual([8, 1, 1, 1, 1, 1, 1, 1, 8]);
  }, 120_000);

  it('names the default output after the weights', () => {
    expect(defaultOutPath('/m/net.onnx', 'int4')).toBe('/m/net.int4.tflite');
    expect(defaultOutPath('/m/net.onnx')).toBe('/m/net.int8.tflite');
  });

  async function error(args: string[]): Promise<{ code: number; message: string }> {
    const io = bufferIO();
    const code = await runCli([...args, '--json'], io);
    const doc = JSON.parse(io.stdout) as { error: { code: string; message: string } };
    expect(doc.error.code).toBe('INPUT');
    return { code, message: doc.error.message };
  }

  it('refuses bad options, naming what is wrong, and writes nothing', async () => {
    const b = base('e.tflite');
    expect((await error([...b, '--weights', 'int4', '--keep-int8', 'first,no_such_layer'])).message).toMatch(
      /--keep-int8: no op of model 'fashion_cnn_float' writes a tensor named 'no_such_layer'/,
    );
    expect((await error([...b, '--weights', 'int4', '--keep-int8', '1'])).message).toMatch(/'1' is op #1 MAX_POOL_2D, which has no weights \(layers with weights: #0 CONV_2D, #2/);
    expect((await error([...b, '--weights', 'int4', '--keep-int8', '99'])).message).toMatch(/op index 99 is out of range \(model 'fashion_cnn_float' has ops 0\.\.13\)/);
    expect((await error([...b, '--weights', 'int4', '--keep-int8', ','])).message).toMatch(/--keep-int8 needs layers/);
    expect((await error([...b, '--keep-int8', 'first'])).message).toMatch(/--keep-int8 applies to sub-byte weights/);
    expect((await error([...b, '--rounding', 'gptq'])).message).toMatch(/--rounding applies to sub-byte weights/);
    expect((await error([...b, '--weights', 'int8', '--group-size', '32'])).message).toMatch(/--group-size applies to sub-byte weights/);
    expect((await error([...b, '--weights', 'int4', '--group-size', 'x'])).message).toMatch(/--group-size must be a positive integer, got 'x'/);
    expect((await error([...b, '--weights', 'int4', '--rounding', 'magic'])).message).toMatch(/--rounding 'magic' is not one of gptq, adaround, nearest/);
    expect((await error([...b, '--weights', 'int3'])).message).toMatch(/--weights 'int3' is not one of int8, int4, int2, ternary, binary/);
    expect((await error([...b, '--weights', 'int2', '--per-tensor'])).message).toMatch(/--weights int2 needs per-channel weight scales; drop --per-tensor/);
    expect((await error(['quantize', model, '--dynamic', '--weights', 'int4', '--out', join(dir, 'e.tflite')])).message).toMatch(/give --calib instead of --dynamic/);
    expect(existsSync(join(dir, 'e.tflite'))).toBe(false);
  });
});
