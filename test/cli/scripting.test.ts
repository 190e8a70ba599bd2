/**
 * tinyml from scripts: `--version`; with `--json`, every error is also one JSON document
 * `{"error": {"code", "message"}}` on stdout (the typed error's code), with the text on stderr
 * and a non-zero exit; `run --json` gives inputs, outputs and, on a board, the latency.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { goldenModels } from '../helpers/golden.js';
import { projectRoot } from '../helpers/shared.js';

const temp = makeTempDir('tinyml-scripting-');
afterAll(() => temp.cleanup());
const kws = goldenModels().find((m) => m.id === 'kws_ref_model')!;
const hello = goldenModels().find((m) => m.id === 'hello_world_int8')!;
const int8 = (b: Uint8Array): number[] => Array.from(new Int8Array(b.buffer, b.byteOffset, b.length));

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(temp.dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('tinyml --version', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      const io = bufferIO();
      expect(await runCli([flag], io)).toBe(0);
      expect(io.stdout).toBe(`${version}\n`);
      expect(io.stderr).toBe('');
    }
  });
});

describe('--json errors', () => {
  async function jsonError(argv: string[]): Promise<{ code: number; error: { code: string; message: string }; stderr: string }> {
    const io = bufferIO();
    const code = await runCli(argv, io);
    const doc = JSON.parse(io.stdout) as { error: { code: string; message: string } };
    expect(Object.keys(doc)).toEqual(['error']);
    expect(Object.keys(doc.error).sort()).toEqual(['code', 'message']);
    return { code, error: doc.error, stderr: io.stderr };
  }

  it('a typed error: its code and message on stdout, the text on stderr, its exit code', async () => {
    const missing = join(temp.dir, 'missing.bin');
    const r = await jsonError(['run', kws.modelPath, '--input', missing, '--json']);
    expect(r.code).toBe(2);
    expect(r.error.code).toBe('INPUT');
    expect(r.error.message).toMatch(/cannot read input file .*missing\.bin: ENOENT/);
    expect(r.stderr).toBe(`error: ${r.error.message}\n`);
  });

  it('other typed errors keep their own codes', async () => {
    const input = file('in.bin', kws.cases[0].inputs[0]);
    const existing = file('out.bin', 'mine');
    let r = await jsonError(['run', kws.modelPath, '--input', input, '--output', existing, '--json']);
    expect(r).toMatchObject({ code: 1, error: { code: 'WOULD_OVERWRITE' } });
    expect(r.error.message).toMatch(/out\.bin already exists/);
    r = await jsonError(['inspect', file('bad.tflite', 'not a model at all'), '--json']);
    expect(r.code).not.toBe(0);
    expect(r.error.code).toBe('MODEL_FORMAT');
    r = await jsonError(['deploy', hello.modelPath, '--board', 'qemu-m4', '--check', 'abc', '--json']);
    expect(r).toMatchObject({ code: 2, error: { code: 'INPUT' } });
    r = await jsonError(['build', hello.modelPath, '--board', 'nosuch', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.error.message).toMatch(/unknown board 'nosuch'/);
  });

  it('a usage error found by the option parser is USAGE', async () => {
    const r = await jsonError(['eval', kws.modelPath, '--json']);
    expect(r.code).not.toBe(0);
    expect(r.error).toEqual({ code: 'USAGE', message: "required option '--data <file>' not specified" });
    expect(r.stderr).toMatch(/required option '--data <file>' not specified/);
  });

  it('without --json, stdout stays empty on an error', async () => {
    const io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', join(temp.dir, 'missing.bin')], io)).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toMatch(/^error: cannot read input file/);
  });
});

describe('run --json', () => {
  it('on the host: inputs and outputs with name, shape, dtype and values', async () => {
    const input = file('kws.bin', kws.cases[3].inputs[0]);
    const output = join(temp.dir, 'kws-out.npy');
    const io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', output, '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.board).toBe('host');
    expect(r).not.toHaveProperty('latency');
    expect(r.inputs).toHaveLength(1);
    expect(r.inputs[0]).toMatchObject({ name: kws.inputs[0].name, shape: kws.inputs[0].shape, dtype: 'int8', file: input });
    expect(r.inputs[0].values).toEqual(int8(kws.cases[3].inputs[0]));
    expect(r.outputs).toHaveLength(1);
    const out = r.outputs[0];
    expect(out).toMatchObject({ name: kws.outputs[0].name, shape: kws.outputs[0].shape, dtype: 'int8', file: output });
    expect(out.values).toEqual(int8(kws.cases[3].outputs[0]));
    const { scale, zeroPoint } = kws.outputs[0] as { scale: number; zeroPoint: number };
    expect(out.scale).toBeCloseTo(scale, 12);
    expect(out.zeroPoint).toBe(zeroPoint);
    out.dequantized.forEach((v: number, i: number) => expect(v).toBeCloseTo((out.values[i] - zeroPoint) * scale, 9));
  });

  it('on qemu-m4: the golden outputs and the latency of the inference', { timeout: 180_000 }, async () => {
    const input = file('hello.bin', hello.cases[5].inputs[0]);
    const fw = join(temp.dir, 'fw');
    const runOnce = async (): Promise<{ outputs: { values: number[] }[]; latency: { unit: string; value: number; ms: number; clockHz: number } }> => {
      const io = bufferIO();
      expect(await runCli(['run', hello.modelPath, '--board', 'qemu-m4', '--out', fw, '--input', input, '--json'], io), io.stderr).toBe(0);
      return JSON.parse(io.stdout);
    };
    const a = await runOnce();
    expect(a.outputs[0].values).toEqual(int8(hello.cases[5].outputs[0]));
    expect(a.latency.unit).toBe('instructions');
    expect(a.latency.clockHz).toBe(25_000_000);
    expect(Number.isInteger(a.latency.perInference)).toBe(true);
    expect(a.latency.perInference).toBeGreaterThan(0);
    expect(a.latency.ms).toBeCloseTo((a.latency.perInference / 25e6) * 1000, 9);
    // Under -icount the instruction count of the first inference after boot is deterministic.
    const b = await runOnce();
    expect(b.latency.perInference).toBe(a.latency.perInference);
  });
});
