/**
 * The EEMBC / MLPerf Tiny DUT protocol (firmware/runtime/eembc_main.c, src/serial/eembc-client.ts):
 * a scripted session on qemu-m4 with the keyword-spotting model as the EnergyRunner drives it in
 * accuracy and performance mode (name, profile, db load, db HEX chunks, infer, results), whose
 * results must match the reference interpreter; plus the protocol's error answers, and the
 * project writer's choice of main.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFirmwareProject } from '../../src/build/project.js';
import { buildModelFirmware, type BuiltFirmware } from '../../src/deploy/firmware.js';
import { randomInputs } from '../../src/deploy/verify.js';
import { DeviceError, InputError } from '../../src/errors.js';
import { runGraph } from '../../src/interp/interpreter.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { openEembcTarget } from '../../src/deploy/target-session.js';
import { eembcCheckAgainstReference, eembcReport } from '../../src/deploy/verify-eembc.js';
import { startEembcQemu, type EembcQemuSession } from '../../src/runners/qemu.js';
import { eembcModelVersion, inputBytes, resultsToOutputs } from '../../src/serial/eembc-client.js';
import { makeTempDir, stubModelFiles } from '../fixtures/stub-model/index.js';
import { goldenModels } from '../helpers/golden.js';

const kws = goldenModels().find((m) => m.id === 'kws_ref_model')!;
const temp = makeTempDir('tinyml-eembc-');
afterAll(() => temp.cleanup());

describe('EEMBC DUT protocol on qemu-m4 (kws_ref_model)', () => {
  let built: BuiltFirmware;
  let s: EembcQemuSession;
  const boot: string[] = [];

  beforeAll(async () => {
    built = await buildModelFirmware(kws.modelPath, {
      board: 'qemu-m4',
      outDir: join(temp.dir, 'kws'),
      protocol: 'eembc', // names the model kws01 in profile% (MLPerf Tiny's name for it)
    });
    expect(eembcModelVersion('kws_ref_model')).toBe('kws01');
    expect(built.build.log).not.toMatch(/warning:/);
    s = await startEembcQemu({ board: built.board, elf: built.build.elf, timeoutMs: 10_000 });
    boot.push(...s.client.unsolicited);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('answers name and profile as the reference DUT does', async () => {
    expect(s.name).toBe('dut-[tinyml]');
    expect(await s.client.name()).toBe('dut-[tinyml]');
    expect(await s.client.profile()).toEqual({ firmware: 'ULPMark for tinyML Firmware V0.0.1', model: 'kws01' });
    const t0 = await s.client.timestamp();
    const t1 = await s.client.timestamp();
    expect(t1).toBeGreaterThanOrEqual(t0);
  });

  it('accuracy mode: db load, db HEX chunks, infer 1 0: results equal the golden outputs and the reference interpreter', async () => {
    const graph = built.compiled.graph;
    const out = graph.tensors[graph.outputs[0]];
    for (const c of kws.cases.slice(0, 4)) {
      await s.client.load(c.inputs[0], { chunkBytes: 32 }); // 16 "db" lines, each under the reference's 80 characters
      expect(Array.from(await s.client.printBuffer())).toEqual(Array.from(c.inputs[0]));
      const r = await s.client.infer(1, 0);
      expect(r.lines[0]).toBe('m-warmup-start-0');
      expect(r.lines.at(-1)).toMatch(/^m-results-\[(-?\d+\.\d{3},){11}-?\d+\.\d{3}\]$/); // 3 decimals: scale 1/256
      const [got] = resultsToOutputs(r.results, [out]);
      const want = runGraph(built.compiled.prepared, [tensorDataFromBytes('int8', c.inputs[0])])[0];
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(Array.from(got)).toEqual(Array.from(new Int8Array(c.outputs[0].buffer, c.outputs[0].byteOffset, c.outputs[0].length)));
      // results% repeats the last inference's outputs
      expect(await s.client.results()).toEqual(r.results);
    }
  });

  it('accuracy mode on random inputs through eembcCheckAgainstReference', async () => {
    const graph = built.compiled.graph;
    const sets = [11, 12, 13].map((seed) => randomInputs([graph.tensors[graph.inputs[0]]], seed));
    const check = await eembcCheckAgainstReference(s.client, built.compiled.prepared, sets);
    expect(check).toEqual({ cases: 3, matched: 3, mismatches: [] });
  });

  it('performance mode: infer N W times N inferences after W warm-ups between two timestamps; results stay right', async () => {
    const c = kws.cases[5];
    await s.client.load(c.inputs[0], { chunkBytes: 100 }); // longer lines work too (our DUT takes 1024 characters)
    const r = await s.client.infer(3, 1);
    expect(r.lines.slice(0, 3)).toEqual(['m-warmup-start-1', 'm-warmup-done', 'm-infer-start-3']);
    expect(r.lines.slice(5, 6)).toEqual(['m-infer-done']);
    expect(r.lapUs[1]).toBeGreaterThan(r.lapUs[0]);
    // µs at the board's 25 MHz clock of instructions: a KWS inference is millions of instructions.
    expect(r.perInferenceUs).toBeGreaterThan(1e5);
    expect(r.perInferenceUs).toBeLessThan(1e7);
    // Every inference starts again from the loaded input (the arena reuses the input's bytes).
    const out = built.compiled.graph.tensors[built.compiled.graph.outputs[0]];
    expect(Array.from(resultsToOutputs(r.results, [out])[0])).toEqual(Array.from(new Int8Array(c.outputs[0].buffer, c.outputs[0].byteOffset, 12)));
    console.log(`[eembc] kws_ref_model on qemu-m4: ${r.perInferenceUs.toFixed(0)} µs per inference (m-lap-us, instructions at 25 MHz)`);
  });

  it('answers bad commands with e- lines and stays ready', async () => {
    await expect(s.client.command('fly')).rejects.toThrow(/rejected 'fly': e-\[Unknown command: fly\]/);
    expect(await s.client.command('db load 100000', { allowErrors: true })).toEqual(['e-[Supplied buffer size 100000 exceeds the model\'s input bytes]']);
    expect(await s.client.command('db load 4')).toEqual(['m-[Expecting 4 bytes]']);
    expect(await s.client.command('db 0g', { allowErrors: true })).toEqual(["e-[Invalid hex digit '0g']"]);
    expect(await s.client.command('db 012', { allowErrors: true })).toEqual(['e-[Insufficient number of hex digits]']);
    expect(await s.client.command('db 01020304')).toEqual(['m-load-done']);
    expect(await s.client.command('infer 1 0', { allowErrors: true })).toEqual(['e-[Input db has 4 bytes, expected 490]']);
    expect(await s.client.command('infer 0', { allowErrors: true })).toEqual(['e-[Inference iterations must be >0]']);
    expect(await s.client.command('db', { allowErrors: true })).toEqual(["e-[Command 'db' requires a subcommand]"]);
    expect(await s.client.command(`db ${'00'.repeat(600)}`, { allowErrors: true })).toEqual(['e-[Command longer than 1024 characters; ignored]']);
    expect(await s.client.name()).toBe('dut-[tinyml]');
    await expect(s.client.command('a%b')).rejects.toBeInstanceOf(InputError);
  });

  it('openEembcTarget + eembcReport: what deploy --protocol eembc reports; a closed link is a DeviceError', async () => {
    const t = await openEembcTarget(built.board, built.build.elf);
    try {
      expect(t.port).toMatch(/^\/dev\//);
      const r = await eembcReport(t.client, built.compiled.prepared, { cases: 2, runs: 2, warmups: 1 });
      expect(r).toMatchObject({ name: 'dut-[tinyml]', profile: { model: 'kws01' }, check: { cases: 2, matched: 2, mismatches: [] }, latency: { runs: 2, warmups: 1 } });
      expect(r.latency.ms).toBeCloseTo(r.latency.perInferenceUs / 1000, 9);
    } finally {
      await t.close();
    }
    await expect(t.client.name()).rejects.toBeInstanceOf(DeviceError);
  });
});

describe('resultsToOutputs / inputBytes', () => {
  it('recovers quantized values exactly and concatenates inputs', () => {
    const t = { id: 0, name: 'y', dtype: 'int8' as const, shape: [1, 3], quant: { scale: [1 / 256], zeroPoint: [-128], quantizedDimension: 0 } };
    expect(Array.from(resultsToOutputs([0, 0.5, 0.996], [t])[0])).toEqual([-128, 0, 127]);
    expect(() => resultsToOutputs([0, 1], [t])).toThrow(/2 values; the model's outputs have 3 elements/);
    expect(Array.from(inputBytes([Int8Array.from([-1, 2]), Int16Array.from([258])]))).toEqual([255, 2, 2, 1]);
  });
});

describe('writeFirmwareProject protocol', () => {
  it('puts exactly one main in the project, and switching protocol replaces it', async () => {
    const dir = join(temp.dir, 'proj');
    const a = await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles() });
    expect(a.sources).toContain('tinyml/runtime/main.c');
    expect(a.sources).not.toContain('tinyml/runtime/eembc_main.c');
    const b = await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles(), protocol: 'eembc' });
    expect(b.sources).toContain('tinyml/runtime/eembc_main.c');
    expect(b.sources).not.toContain('tinyml/runtime/main.c');
    expect(existsSync(join(dir, 'tinyml/runtime/main.c'))).toBe(false);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toContain('tinyml/runtime/eembc_main.c');
    await expect(writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles(), protocol: 'x' as 'eembc' })).rejects.toThrow(/unknown protocol 'x'/);
  });
});
