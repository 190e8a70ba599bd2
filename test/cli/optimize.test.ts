/**
 * `--optimize speed|size` (and `--os`, which means size) on build / deploy / profile / export:
 * size turns off the kernels' flash-for-speed trades (int16 pre-expanded conv weights, ADD's
 * lookup tables) and compiles with -Os; the firmware stays bit-exact with TensorFlow Lite Micro.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { loadBoard } from '../../src/build/board.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { inferOnDevice } from '../../src/deploy/verify.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels, type GoldenModel } from '../helpers/golden.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-cli-optimize-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const golden = (id: string): GoldenModel => goldenModels().find((m) => m.id === id)!;
const kws = golden('kws_ref_model');
const resnet = golden('pretrainedResnet_quant');
const hello = golden('hello_world_int8');

interface BuildJson {
  optimize: string;
  opt: string;
  flashBytes: number;
  sections: { text: number; rodata: number };
  elf: string;
  dir: string;
}

async function buildJson(model: string, out: string, flags: string[]): Promise<BuildJson> {
  const io = bufferIO();
  const code = await runCli(['build', model, '--board', 'qemu-m4', '--out', join(work, out), '--json', ...flags], io);
  expect(code, io.stderr).toBe(0);
  return JSON.parse(io.stdout) as BuildJson;
}

/** The KWS size build, shared by the tests that need one (a build takes ~10 s on this machine's 2 cores). */
let kwsSize: Promise<BuildJson> | undefined;
const kwsSizeBuild = (): Promise<BuildJson> => (kwsSize ??= buildJson(kws.modelPath, 'kws-size', ['--optimize', 'size']));

/** Every golden case through the firmware over the serial link, byte for byte. */
async function expectGoldenOnQemu(m: GoldenModel, elf: string): Promise<void> {
  const graph = await importTfliteFile(m.modelPath);
  const session = await openTargetSession(loadBoard('qemu-m4'), elf, { timeoutMs: 20_000 });
  try {
    for (const c of m.cases) {
      const inputs = c.inputs.map((b, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, b));
      const outs = await inferOnDevice(session.client, inputs);
      outs.forEach((o, k) => expect(Array.from(o), `${m.id} case ${c.index} output ${k}`).toEqual(Array.from(c.outputs[k])));
    }
  } finally {
    await session.close();
  }
}

describe('build --optimize', () => {
  it('KWS: size takes less flash than speed (no int16 weights), and is bit-exact on every golden case on qemu-m4', { timeout: 300_000 }, async () => {
    const speed = await buildJson(kws.modelPath, 'kws-speed', []);
    const size = await kwsSizeBuild();
    expect([speed.optimize, speed.opt]).toEqual(['speed', '-O2']);
    expect([size.optimize, size.opt]).toEqual(['size', '-Os']);
    // The pointwise layers' weights are int16 in the speed build only: rodata alone shrinks.
    expect(readFileSync(join(speed.dir, 'model/model.c'), 'utf8')).toMatch(/tinyml_conv2d_s8_dsp_w16(_nf)?\(/);
    expect(readFileSync(join(size.dir, 'model/model.c'), 'utf8')).not.toMatch(/_w16\(/);
    expect(size.sections.rodata).toBeLessThan(speed.sections.rodata);
    expect(size.flashBytes).toBeLessThan(speed.flashBytes);
    await expectGoldenOnQemu(kws, size.elf);
  });

  it('ResNet-8: size drops ADD lookup tables for the portable ADD, and is bit-exact on qemu-m4', { timeout: 300_000 }, async () => {
    const size = await buildJson(resnet.modelPath, 'resnet-size', ['--optimize', 'size']);
    const modelC = readFileSync(join(size.dir, 'model/model.c'), 'utf8');
    expect(modelC).not.toMatch(/tinyml_add_sub_s8_dsp/);
    expect(modelC).toMatch(/tinyml_add_s8\(/);
    await expectGoldenOnQemu(resnet, size.elf);
  });

  it('--os means --optimize size: the same firmware', { timeout: 300_000 }, async () => {
    const size = await kwsSizeBuild();
    const os = await buildJson(kws.modelPath, 'kws-os', ['--os']);
    expect([os.optimize, os.opt]).toEqual(['size', '-Os']);
    expect(os.sections).toEqual(size.sections);
    expect(readFileSync(join(os.dir, 'model/model.c'), 'utf8')).toBe(readFileSync(join(size.dir, 'model/model.c'), 'utf8'));
    const both = await buildJson(kws.modelPath, 'kws-os-size', ['--os', '--optimize', 'size']);
    expect(both.sections).toEqual(size.sections);
  });

  it('an invalid --optimize, or --os with --optimize speed, is a clear error before anything is written', async () => {
    for (const cmd of [
      ['build', hello.modelPath, '--board', 'qemu-m4'],
      ['deploy', hello.modelPath, '--board', 'qemu-m4'],
      ['profile', hello.modelPath, '--board', 'qemu-m4'],
    ]) {
      const out = join(work, `bad-${cmd[0]}`);
      let io = bufferIO();
      expect(await runCli([...cmd, '--out', out, '--optimize', 'x'], io)).toBe(2);
      expect(io.stderr).toBe("error: --optimize must be speed or size, not 'x'\n");
      io = bufferIO();
      expect(await runCli([...cmd, '--out', out, '--os', '--optimize', 'speed'], io)).toBe(2);
      expect(io.stderr).toMatch(/^error: --os means --optimize size; it cannot be combined with --optimize speed/);
      expect(existsSync(out), cmd[0]).toBe(false);
    }
    const io = bufferIO();
    const out = join(work, 'bad-export');
    expect(await runCli(['export', hello.modelPath, '--arduino', '--out', out, '--optimize', 'fast'], io)).toBe(2);
    expect(io.stderr).toBe("error: --optimize must be speed or size, not 'fast'\n");
    expect(existsSync(out)).toBe(false);
  });

  it('export --optimize size writes the compact layouts', async () => {
    const io = bufferIO();
    expect(await runCli(['export', kws.modelPath, '--arduino', '--out', join(work, 'kws-arduino'), '--optimize', 'size', '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout) as { optimize: string; dir: string; header: string };
    expect(r.optimize).toBe('size');
    const modelC = readFileSync(join(r.dir, 'src/model.c'), 'utf8');
    expect(modelC).toMatch(/tinyml_conv2d_s8_dsp(_nf)?\(/);
    expect(modelC).not.toMatch(/_w16\(/);
  });
});
