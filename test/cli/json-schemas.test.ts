/**
 * Every command's `--json` output is described by a JSON Schema in schemas/ (shipped in the
 * package): real outputs of every command validate against their schema, and the fields the
 * commands share have one name (model, board, latency.unit / perInference / ms, *Bytes).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { projectRoot, sharedPath } from '../helpers/shared.js';
import { FASHION_TEST, requireArmToolchain, requireFashionMnist, requireQemu } from '../helpers/tools.js';

const temp = makeTempDir('tinyml-schemas-');
afterAll(() => temp.cleanup());
const HELLO = sharedPath('models/tflm-examples/hello_world_int8.tflite');
const schemasDir = join(projectRoot(), 'schemas');
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
for (const f of readdirSync(schemasDir)) ajv.addSchema(JSON.parse(readFileSync(join(schemasDir, f), 'utf8')), f.replace(/\.json$/, ''));

/** Runs the command with --json; returns its one JSON document, validated against `schema`. */
async function jsonOf(schema: string, argv: string[], exitCode = 0): Promise<Record<string, any>> {
  const io = bufferIO();
  const code = await runCli([...argv, '--json'], io);
  expect(code, io.stderr).toBe(exitCode);
  const doc = JSON.parse(io.stdout) as Record<string, any>;
  const validate = ajv.getSchema(schema)!;
  expect(validate(doc), `${schema}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  return doc;
}

describe('--json outputs match schemas/', () => {
  it('ships one schema per command, and the error schema', () => {
    expect(readdirSync(schemasDir).sort()).toEqual(['build.json', 'deploy.json', 'error.json', 'eval.json', 'export.json', 'inspect.json', 'profile.json', 'quantize.json', 'report.json', 'run.json']);
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schemas');
  });

  it('rejects a document that drifts from its schema (a renamed field)', () => {
    const validate = ajv.getSchema('build')!;
    const doc = { model: 'm', board: 'b', dir: '/d', elf: '/e', optimize: 'speed', opt: '-O2', sections: { text: 1, rodata: 1, data: 0, bss: 0, stack: 0, other: {} }, flashBytes: 1, ramBytes: 1, arenaBytes: 1, arenaLowerBound: 1, ram: { arenaBytes: 1, lowerBound: 1, plainArenaBytes: 1, techniques: [{ technique: 'in-place', applied: false, savedBytes: 0, extraInstructions: 0 }], extraInstructionShare: 0 }, fits: true };
    expect(validate(doc)).toBe(true);
    const { flashBytes, ...renamed } = doc;
    expect(validate({ ...renamed, flash: flashBytes })).toBe(false);
  });

  it('host commands: inspect, run, quantize, eval, export, and an error', async () => {
    requireFashionMnist([FASHION_TEST]);
    const inspect = await jsonOf('inspect', ['inspect', HELLO]);
    expect(inspect.model).toBe('hello_world_int8');
    const input = join(temp.dir, 'x.bin');
    writeFileSync(input, Uint8Array.of(16));
    const run = await jsonOf('run', ['run', HELLO, '--input', input]);
    expect(run.board).toBe('host');
    // 64 calibration samples of the sine model's one input, as a .npy (float32, shape [64, 1]).
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 1), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const npyHeader = Buffer.from(`\x93NUMPY\x01\x00${String.fromCharCode((header.length + pad + 1) & 0xff, (header.length + pad + 1) >> 8)}${header}${' '.repeat(pad)}\n`, 'latin1');
    const calib = join(temp.dir, 'calib.npy');
    writeFileSync(calib, Buffer.concat([npyHeader, Buffer.from(Float32Array.from({ length: 64 }, (_, i) => (i * 6.28) / 63).buffer)]));
    const q = await jsonOf('quantize', ['quantize', sharedPath('models/tflm-examples/hello_world_float.tflite'), '--calib', calib, '--out', join(temp.dir, 'q.tflite')]);
    expect(q.calibrationSamples).toBe(64);
    const ev = await jsonOf('eval', ['eval', sharedPath('models/fashion-mnist/fashion_cnn_qat_qdq.onnx'), '--board', 'host', '--data', FASHION_TEST, '--scale', '1/255', '--limit', '20']);
    expect(ev.samples).toBe(20);
    const ex = await jsonOf('export', ['export', HELLO, '--arduino', '--out', join(temp.dir, 'ard')]);
    expect(ex.format).toBe('arduino');
    const rep = await jsonOf('report', ['report', HELLO, '--board', 'host', '--html', join(temp.dir, 'host.html')]);
    expect([rep.model, rep.board, rep.quantized, rep.latency]).toEqual(['hello_world_int8', 'host', false, undefined]);
    const err = await jsonOf('error', ['inspect', join(temp.dir, 'missing.tflite')], 2);
    expect(err.error.code).toBe('INPUT');
  }, 120_000);

  it('board commands on qemu-m4: build, deploy, run --board, profile', async () => {
    requireArmToolchain();
    requireQemu();
    const out = join(temp.dir, 'fw');
    const build = await jsonOf('build', ['build', HELLO, '--board', 'qemu-m4', '--out', out]);
    expect(build.client).toBe(join(out, 'client', 'hello_world_int8.ts'));
    const deploy = await jsonOf('deploy', ['deploy', HELLO, '--board', 'qemu-m4', '--out', out]);
    const input = join(temp.dir, 'y.bin');
    writeFileSync(input, Uint8Array.of(16));
    const run = await jsonOf('run', ['run', HELLO, '--input', input, '--board', 'qemu-m4', '--out', out]);
    const profile = await jsonOf('profile', ['profile', HELLO, '--board', 'qemu-m4', '--out', join(temp.dir, 'fwp')]);
    const report = await jsonOf('report', ['report', HELLO, '--board', 'qemu-m4', '--html', join(temp.dir, 'r.html'), '--out', join(temp.dir, 'fwr')]);
    expect(report.html).toBe(join(temp.dir, 'r.html'));
    expect(report.layers).toBe(3);
    // The report's latency is the profiled firmware's INVOKE, as `profile` measures it.
    expect(report.latency.perInference).toBe(profile.invokeUnits);
    // One name per shared field.
    for (const doc of [build, deploy, run]) {
      expect(doc.model).toBe('hello_world_int8');
      expect(doc.board).toBe('qemu-m4');
    }
    expect(deploy.flashBytes).toBe(build.flashBytes);
    expect(run.latency.unit).toBe(deploy.latency.unit);
    // The same firmware, the same deterministic instruction count for one inference.
    expect(run.latency.perInference).toBe(deploy.latency.perInference);
  }, 300_000);
});
