/**
 * `deploy --check N` is validated like `eval --limit` (a positive integer), before anything is
 * built; `--check 0` is accepted as a deploy for timing only, and the report says plainly that
 * nothing was checked: "not checked" in the table, no `check` object in --json.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCheck } from '../../src/cli/commands/deploy.js';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { goldenModels } from '../helpers/golden.js';

const temp = makeTempDir('tinyml-deploy-check-');
afterAll(() => temp.cleanup());
const hello = goldenModels().find((m) => m.id === 'hello_world_int8')!;

describe('deploy --check', () => {
  it('parses a count, 0, and the default', () => {
    expect(parseCheck(undefined)).toBe(3);
    expect(parseCheck('7')).toBe(7);
    expect(parseCheck('0')).toBe(0);
  });

  it('refuses anything but a non-negative integer, before building', async () => {
    const out = join(temp.dir, 'never-built');
    for (const bad of ['abc', '-1', '1.5', '3x', '', '1e3', '0x10']) {
      const io = bufferIO();
      expect(await runCli(['deploy', hello.modelPath, '--board', 'qemu-m4', '--out', out, '--check', bad], io), bad).toBe(2);
      expect(io.stderr).toMatch(/^error: --check must be a positive integer .* or 0 to skip the check; got '/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('--check 0 reports "not checked" and has no check object in --json', { timeout: 180_000 }, async () => {
    const out = join(temp.dir, 'hello');
    let io = bufferIO();
    expect(await runCli(['deploy', hello.modelPath, '--board', 'qemu-m4', '--out', out, '--check', '0', '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout) as Record<string, unknown>;
    expect(r).not.toHaveProperty('check');
    expect(r.latency).toMatchObject({ unit: 'instructions' });
    expect(io.stderr).toMatch(/not checked/);
    io = bufferIO();
    expect(await runCli(['deploy', hello.modelPath, '--board', 'qemu-m4', '--out', out, '--check', '0'], io), io.stderr).toBe(0);
    expect(io.stdout).toMatch(/check +not checked +--check 0: outputs NOT compared with the reference interpreter/);
    expect(io.stdout).not.toMatch(/0\/0/);
    rmSync(out, { recursive: true, force: true });
  });

  it('--check 0 with --protocol eembc has no check object either', { timeout: 180_000 }, async () => {
    const io = bufferIO();
    expect(await runCli(['deploy', hello.modelPath, '--board', 'qemu-m4', '--protocol', 'eembc', '--out', join(temp.dir, 'eembc'), '--check', '0', '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout) as Record<string, unknown>;
    expect(r.protocol).toBe('eembc');
    expect(r).not.toHaveProperty('check');
  });
});
