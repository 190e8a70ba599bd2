/** `tinyml build` / `deploy` / `run --board` end to end on the emulated Cortex-M4. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';
import { macsFromShapes } from '../helpers/macs.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-cli-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const hello = goldenModels().find((m) => m.id === 'hello_world_int8')!;
const kws = goldenModels().find((m) => m.id === 'kws_ref_model')!;

describe('tinyml build / deploy / run --board', () => {
  it('deploy --json reports sizes, latency in instructions and a passing check', { timeout: 120_000 }, async () => {
    const io = bufferIO();
    const code = await runCli(['deploy', kws.modelPath, '--board', 'qemu-m4', '--out', join(work, 'kws'), '--check', '2', '--json'], io);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.check).toMatchObject({ cases: 2, matched: 2 });
    expect(r.latency.unit).toBe('instructions');
    expect(r.latency.perInference).toBeGreaterThan(kws.inputs.length * 1000);
    expect(r.latency.runs).toHaveLength(3);
    // Runs after the first see an input the arena has since reused, so a few data-dependent
    // branches (clamps) may differ; the count itself is deterministic under -icount.
    expect(Math.max(...r.latency.runs) - Math.min(...r.latency.runs)).toBeLessThan(r.latency.perInference / 1000);
    expect(r.arenaBytes).toBeGreaterThan(0);
    expect(r.flashBytes).toBe(r.sections.text + r.sections.rodata + r.sections.data);
    // The arena (activations and kernel scratch) is in .bss; RAM is .data + .bss + the stack.
    expect(r.sections.bss).toBeGreaterThanOrEqual(r.arenaBytes);
    expect(r.ramBytes).toBe(r.sections.data + r.sections.bss + r.sections.stack);
  });

  it('deploy prints a table; run --board equals run on the host', { timeout: 120_000 }, async () => {
    let io = bufferIO();
    expect(await runCli(['deploy', hello.modelPath, '--board', 'qemu-m4', '--out', join(work, 'hello')], io)).toBe(0);
    expect(io.stdout).toMatch(/latency \(instructions\) +[\d,]+/);
    expect(io.stdout).toMatch(/check +3\/3/);
    expect(io.stdout).toMatch(/flash used +[\d,]+/);
    const input = join(work, 'in.bin');
    writeFileSync(input, hello.cases[4].inputs[0]);
    const out = join(work, 'out.bin');
    io = bufferIO();
    expect(await runCli(['run', hello.modelPath, '--board', 'qemu-m4', '--out', join(work, 'hello'), '--input', input, '--output', out], io)).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(hello.cases[4].outputs[0]);
  });

  it('build refuses a directory holding the user\'s files without --force, and names the fix', async () => {
    const dir = join(work, 'users-dir');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    let io = bufferIO();
    expect(await runCli(['build', hello.modelPath, '--board', 'qemu-m4', '--out', dir], io)).not.toBe(0);
    expect(io.stderr).toMatch(/^error: .*--force/);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    io = bufferIO();
    expect(await runCli(['build', hello.modelPath, '--board', 'qemu-m4', '--out', dir, '--force', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ board: 'qemu-m4', fits: true });
  });

  it('deploy --protocol eembc runs the MLPerf Tiny DUT firmware, bit-exact in accuracy mode; profile adds up', { timeout: 180_000 }, async () => {
    let io = bufferIO();
    expect(await runCli(['deploy', hello.modelPath, '--board', 'qemu-m4', '--protocol', 'eembc', '--out', join(work, 'eembc'), '--check', '2', '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.protocol).toBe('eembc');
    expect(r.check).toMatchObject({ cases: 2, matched: 2 });
    expect(r.latency.perInference).toBeGreaterThan(0);
    io = bufferIO();
    expect(await runCli(['build', hello.modelPath, '--board', 'qemu-m4', '--protocol', 'nope'], io)).not.toBe(0);
    expect(io.stderr).toMatch(/^error: --protocol must be tinyml or eembc/);
    io = bufferIO();
    expect(await runCli(['profile', hello.modelPath, '--board', 'qemu-m4', '--out', join(work, 'prof'), '--json'], io), io.stderr).toBe(0);
    const prof = JSON.parse(io.stdout) as {
      model: string;
      board: string;
      unit: string;
      layers: { op: string; output: { name: string }; units: number; macs: number }[];
      totalUnits: number;
      layerSumUnits: number;
      overheadUnits: number;
      invokeUnits: number;
      totalMacs: number;
    };
    expect(prof).toMatchObject({ model: 'hello_world_int8', board: 'qemu-m4', unit: 'instructions' });
    // The layers are the model's ops, in order, with MACs counted from the shapes (1-16-16-1 dense).
    const model = await importTfliteFile(hello.modelPath);
    expect(prof.layers.map((l) => l.op)).toEqual(model.ops.map((o) => o.type));
    expect(prof.layers.map((l) => l.output.name)).toEqual(model.ops.map((o) => model.tensors[o.outputs[0]].name));
    expect(prof.layers.map((l) => l.macs)).toEqual(macsFromShapes(model));
    expect(prof.totalMacs).toBe(288);
    // Per-layer times tile the inference: they add up to the profiled one and to INVOKE's, short
    // only of the call and the first and last hooks (a few dozen instructions; 30 when written).
    for (const l of prof.layers) expect(l.units).toBeGreaterThan(0);
    expect(prof.layerSumUnits).toBe(prof.layers.reduce((a, l) => a + l.units, 0));
    expect(prof.overheadUnits).toBe(prof.totalUnits - prof.layerSumUnits);
    expect(prof.overheadUnits).toBeGreaterThanOrEqual(0);
    expect(prof.overheadUnits).toBeLessThanOrEqual(64);
    expect(Math.abs(prof.invokeUnits - prof.layerSumUnits)).toBeLessThanOrEqual(64);
  });

  it('an unknown board is a clear error listing the boards', async () => {
    const io = bufferIO();
    expect(await runCli(['build', hello.modelPath, '--board', 'nosuch'], io)).not.toBe(0);
    expect(io.stderr).toMatch(/^error: unknown board 'nosuch'; known boards: .*qemu-m4/);
  });
});
