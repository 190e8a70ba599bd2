import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, InputError, ToolFailedError } from '../../src/errors.js';
import { loadBoard } from '../../src/build/board.js';
import type { BuildResult } from '../../src/build/compile.js';
import { startQemu } from '../../src/runners/qemu.js';
import { buildStub, makeTempDir } from '../fixtures/stub-model/index.js';

/** True while a live (non-zombie) process of the group led by pid exists. */
function groupAlive(pid: number): boolean {
  const ps = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return ps.split('\n').some((line) => {
    const [, pgid, stat] = line.trim().split(/\s+/);
    return Number(pgid) === pid && stat !== undefined && !stat.startsWith('Z');
  });
}

/** PIDs of live (non-zombie) processes whose command line mentions `text`. */
function liveProcessesMentioning(text: string): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', text], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return !/^\S+\s+\S+\s+Z/.test(execFileSync('ps', ['-o', 'pid=,ppid=,stat=', '-p', String(pid)], { encoding: 'utf8' }).trim());
      } catch {
        return false;
      }
    });
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('QEMU runner failure modes', () => {
  const temp = makeTempDir('tinyml-qemu-fail-');
  let good: BuildResult;
  let silent: BuildResult;

  beforeAll(async () => {
    good = await buildStub(join(temp.dir, 'good'), 'qemu-m4');
    silent = await buildStub(join(temp.dir, 'silent'), 'qemu-m4', 'stub', { defines: ['STUB_HANG_IN_INIT'] });
  });
  afterAll(() => temp.cleanup());

  it('reports firmware that never answers within the boot timeout, and kills QEMU', async () => {
    const t0 = Date.now();
    const err = await startQemu({ board: 'qemu-m4', elf: silent.elf }).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(
      /^no answer from firmware on \/dev\/pts\/\d+ after 5 s \(sent INFO 3 times\); is the ELF built for board qemu-m4\? \(.*silent\/build\/O2\/firmware\.elf\)$/,
    );
    expect(elapsed).toBeGreaterThanOrEqual(4900);
    expect(elapsed).toBeLessThan(9000);
    expect(await waitFor(() => liveProcessesMentioning(silent.elf).length === 0, 3000)).toBe(true);
  });

  it('reports QEMU failing to start, with what it printed', async () => {
    const err = await startQemu({ board: 'qemu-m4', elf: good.elf, extraArgs: ['-no-such-option'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailedError);
    expect((err as Error).message).toMatch(/^QEMU mps2-an386 \(board qemu-m4\) exited with code 1; it said:\n.*-no-such-option: invalid option/);
  });

  it('reports QEMU dying mid-session with its exit, and fails pending requests', async () => {
    const s = await startQemu({ board: 'qemu-m4', elf: good.elf, timeoutMs: 3000 });
    try {
      const qemuPid = Number(execFileSync('pgrep', ['-P', String(s.pid), '-f', 'qemu-system-arm'], { encoding: 'utf8' }).trim().split('\n')[0]);
      expect(qemuPid).toBeGreaterThan(0);
      process.kill(qemuPid, 'SIGKILL');
      const err = await s.client.invoke(1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as Error).message).toMatch(/^QEMU mps2-an386 \(board qemu-m4\) was killed by signal 9/);
    } finally {
      await s.close();
    }
    expect(groupAlive(s.pid)).toBe(false);
  });

  it('closes cleanly: no QEMU left after close(), and close() is idempotent', async () => {
    const s = await startQemu({ board: 'qemu-m4', elf: good.elf });
    expect(s.command).toEqual(expect.arrayContaining(['-M', 'mps2-an386', '-cpu', 'cortex-m4', '-serial', 'pty', '-icount', 'shift=7,align=off,sleep=off']));
    expect(groupAlive(s.pid)).toBe(true);
    await s.close();
    await s.close();
    expect(groupAlive(s.pid)).toBe(false);
    await expect(s.client.invoke(1)).rejects.toBeInstanceOf(DeviceError);
  });

  it('kills QEMU when the process that started it is killed outright', async () => {
    const viteNode = resolve('node_modules/.bin/vite-node');
    const child = spawn(viteNode, ['test/runners/orphan-child.ts', 'qemu-m4', good.elf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      expect(await waitFor(() => /PID \d+/.test(out), 20_000), out).toBe(true);
      const wrapper = Number(/PID (\d+)/.exec(out)![1]);
      expect(groupAlive(wrapper)).toBe(true);
      child.kill('SIGKILL');
      expect(await waitFor(() => !groupAlive(wrapper), 5000)).toBe(true);
    } finally {
      // Also when it failed: a child that was slow to start must not stay behind with its QEMU
      // (killing it outright is what stops that QEMU).
      child.kill('SIGKILL');
    }
  }, 40_000);

  it('reports a failing invoke, and survives a CPU fault by resetting', async () => {
    const failing = await buildStub(join(temp.dir, 'fails'), 'qemu-m4', 'stub', { defines: ['STUB_INVOKE_FAILS'] });
    const s1 = await startQemu({ board: 'qemu-m4', elf: failing.elf });
    try {
      await expect(s1.client.invoke(3)).rejects.toThrow(/rejected INVOKE: tinyml_invoke\(\) returned 3 on run 1 \(INVOKE_FAILED\)/);
    } finally {
      await s1.close();
    }
    const faulting = await buildStub(join(temp.dir, 'faults'), 'qemu-m4', 'stub', { defines: ['STUB_FAULT_ON_INVOKE'] });
    const s2 = await startQemu({ board: 'qemu-m4', elf: faulting.elf, timeoutMs: 1000, invokeTimeoutMs: 1000, retries: 0 });
    try {
      const frames: Array<{ type: number; seq: number; text: string }> = [];
      s2.client.onFrame((f) => frames.push({ type: f.type, seq: f.seq, text: new TextDecoder().decode(f.payload.subarray(2)) }));
      await expect(s2.client.invoke(1)).rejects.toThrow(/no valid reply to INVOKE/);
      expect(frames).toContainEqual({ type: 0x7f, seq: 0, text: 'CPU fault; resetting' });
      // The board rebooted and serves requests again.
      expect((await s2.client.info({ refresh: true })).model.name).toBe('stub_model');
    } finally {
      await s2.close();
    }
  });

  it('refuses firmware built for another board', async () => {
    const m4 = loadBoard('qemu-m4');
    const err = await startQemu({ board: { ...m4, name: 'qemu-m4-other' }, elf: good.elf }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/was built for board 'qemu-m4', but QEMU is emulating qemu-m4-other \(mps2-an386\)/);
  });

  it('checks its arguments', async () => {
    await expect(startQemu({ board: 'qemu-m4', elf: join(temp.dir, 'missing.elf') })).rejects.toThrow(InputError);
    const physical = { ...loadBoard('qemu-m4'), qemu: undefined };
    const elf = join(temp.dir, 'x.elf');
    writeFileSync(elf, '');
    await expect(startQemu({ board: physical, elf })).rejects.toThrow(/physical board/);
    await expect(startQemu({ board: 'nano99', elf })).rejects.toThrow(/unknown board/);
  });
});
