/**
 * Files the user owns are not overwritten without --force: `run --output`, `eval --save-outputs`
 * and `quantize --out` refuse an existing file unless --force, and refuse a path that is one of
 * the command's own inputs (the model, an input, the dataset) even with --force.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { WouldOverwriteError } from '../../src/errors.js';
import { formatNpy } from '../../src/io/npy.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { goldenModels } from '../helpers/golden.js';

const temp = makeTempDir('tinyml-output-files-');
afterAll(() => temp.cleanup());
const golden = goldenModels().find((m) => m.id === 'kws_ref_model')!;
// A copy of the model: the test points --output at it, so never at ../shared.
const kws = { ...golden, modelPath: join(temp.dir, 'kws.tflite') };
writeFileSync(kws.modelPath, readFileSync(golden.modelPath));

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(temp.dir, name);
  writeFileSync(p, bytes);
  return p;
}
const contents = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

describe('run --output', () => {
  const input = file('in.bin', kws.cases[0].inputs[0]);

  it('refuses an existing file without --force and leaves it as it was; --force overwrites it', async () => {
    const out = file('mine.bin', 'the user\'s notes');
    let io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', out], io)).toBe(1);
    expect(io.stderr).toMatch(/^error: .*mine\.bin already exists; give --force to overwrite it/);
    expect(readFileSync(out, 'utf8')).toBe('the user\'s notes');
    io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', out, '--force'], io)).toBe(0);
    expect(contents(out)).toEqual(kws.cases[0].outputs[0]);
  });

  it('refuses to write over its own input or model, even with --force', async () => {
    const before = [contents(input), contents(kws.modelPath)];
    for (const target of [input, join(temp.dir, '.', 'sub', '..', 'in.bin'), kws.modelPath]) {
      const io = bufferIO();
      expect(await runCli(['run', kws.modelPath, '--input', input, '--output', target, '--force'], io)).toBe(2);
      expect(io.stderr).toMatch(/^error: --output .* which this command reads; tinyml never writes over its own input, even with --force/);
    }
    // A link to the input is the input too.
    const link = join(temp.dir, 'link.bin');
    symlinkSync(input, link);
    const io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', link, '--force'], io)).toBe(2);
    expect(io.stderr).toMatch(/never writes over its own input/);
    expect([contents(input), contents(kws.modelPath)]).toEqual(before);
  });

  it('checks the output format before running', async () => {
    const io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', join(temp.dir, 'out.txt')], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown output format '.txt'/);
  });
});

describe('eval --save-outputs', () => {
  const per = kws.cases[0].inputs[0].length;
  const x = new Int8Array(2 * per);
  x.set(new Int8Array(kws.cases[0].inputs[0].buffer.slice(0)), 0);
  x.set(new Int8Array(kws.cases[1].inputs[0].buffer.slice(0)), per);
  const data = file('x.npy', formatNpy({ dtype: 'int8', shape: [2, 49, 10, 1], data: x }));
  const labels = file('y.npy', formatNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([0, 1]) }));

  it('refuses an existing file without --force, before evaluating; --force overwrites it', async () => {
    const out = file('saved.npy', 'precious');
    await expect(evalCommand(kws.modelPath, { data, labels, saveOutputs: out }, bufferIO())).rejects.toBeInstanceOf(WouldOverwriteError);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const r = await evalCommand(kws.modelPath, { data, labels, saveOutputs: out, force: true, json: true }, bufferIO());
    expect(r.samples).toBe(2);
    expect(readFileSync(out).subarray(0, 6)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]));
  });

  it('refuses to write over the data or the labels, even with --force', async () => {
    const before = [contents(data), contents(labels)];
    for (const target of [data, labels]) {
      const io = bufferIO();
      expect(await runCli(['eval', kws.modelPath, '--data', data, '--labels', labels, '--save-outputs', target, '--force'], io)).toBe(2);
      expect(io.stderr).toMatch(/^error: --save-outputs .* which this command reads; tinyml never writes over its own input, even with --force/);
    }
    expect([contents(data), contents(labels)]).toEqual(before);
  });
});

describe('quantize --out', () => {
  it('refuses to write over the model it reads, even with --force', async () => {
    const model = join(temp.dir, 'hello_float.tflite');
    writeFileSync(model, readFileSync(goldenModels().find((m) => m.id === 'hello_world_float')!.modelPath));
    const before = contents(model);
    const calib = file('calib.npy', formatNpy({ dtype: 'float32', shape: [2, 1], data: Float32Array.from([0.5, 1]) }));
    const io = bufferIO();
    expect(await runCli(['quantize', model, '--calib', calib, '--out', model, '--force'], io)).toBe(2);
    expect(io.stderr).toMatch(/^error: --out .* which this command reads/);
    expect(contents(model)).toEqual(before);
  });

  it('names a missing output folder before quantizing, instead of failing at the end', async () => {
    const model = join(temp.dir, 'hello_float2.tflite');
    writeFileSync(model, readFileSync(goldenModels().find((m) => m.id === 'hello_world_float')!.modelPath));
    const calib = file('calib2.npy', formatNpy({ dtype: 'float32', shape: [2, 1], data: Float32Array.from([0.5, 1]) }));
    const io = bufferIO();
    expect(await runCli(['quantize', model, '--calib', calib, '--out', join(temp.dir, 'no-such-folder', 'q.tflite')], io)).toBe(2);
    expect(io.stderr).toMatch(/^error: cannot write --out .*q\.tflite: its folder .*no-such-folder does not exist; create it first/);
    expect(io.stderr).not.toMatch(/internal error|ENOENT/);
  });
});
