/**
 * `--ram-budget` on the command line: a budget the planner cannot reach stops `build` before
 * anything is written, with the RAM_BUDGET error saying by how many bytes; a malformed one says
 * what it wants; `build --ram-budget min` (real arm-none-eabi-gcc) links the arena the planner
 * reports, and `--json` gives the planner's report (the text line is `ramSummary`'s, tested in
 * test/plan/ram-budget.test.ts).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { planUnderBudget } from '../../src/codegen/ram-budget.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';
import { requireArmToolchain } from '../helpers/tools.js';
import { ramSymbols } from '../helpers/elf.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-cli-ram-budget-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const kws = goldenModels().find((m) => m.id === 'kws_ref_model')!;
const M4 = { core: 'cortex-m4', dsp: true, mve: false };

describe('tinyml build --ram-budget', () => {
  it('an unreachable budget is a RAM_BUDGET error by how many bytes, and nothing is written', async () => {
    const min = planUnderBudget(await importTfliteFile(kws.modelPath), M4, { ramBudget: 'min' }).plan.arenaBytes;
    const out = join(work, 'too-small');
    const io = bufferIO();
    const code = await runCli(['build', kws.modelPath, '--board', 'qemu-m4', '--out', out, '--ram-budget', '1000', '--json'], io);
    expect(code).toBe(2);
    const doc = JSON.parse(io.stdout) as { error: { code: string; message: string } };
    expect(doc.error.code).toBe('RAM_BUDGET');
    expect(doc.error.message).toContain(`needs ${min} bytes, ${min - 1000} more than the RAM budget of 1000 bytes`);
    expect(io.stderr).toContain('RAM budget');
    expect(io.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    const bad = bufferIO();
    expect(await runCli(['build', kws.modelPath, '--board', 'qemu-m4', '--out', out, '--ram-budget', '16k'], bad)).toBe(2);
    expect(bad.stderr).toContain("--ram-budget must be a positive number of bytes (e.g. 16384) or 'min'");
  });

  it('min: the linked arena is the planned one, and --json has the planner report', { timeout: 180_000 }, async () => {
    requireArmToolchain();
    const planned = planUnderBudget(await importTfliteFile(kws.modelPath), M4, { ramBudget: 'min' });
    const io = bufferIO();
    expect(await runCli(['build', kws.modelPath, '--board', 'qemu-m4', '--out', join(work, 'min'), '--ram-budget', 'min', '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout) as { elf: string; arenaBytes: number; ram: typeof planned.ram };
    expect(r.arenaBytes).toBe(planned.plan.arenaBytes);
    expect(r.ram).toEqual(JSON.parse(JSON.stringify(planned.ram)));
    expect(r.ram.arenaBytes).toBeLessThan(r.ram.plainArenaBytes);
    expect(ramSymbols(r.elf).find((s) => s.name === 'tinyml_arena')?.size).toBe(r.arenaBytes);
    expect(r.ram.budget).toBe('min');
  });
});
