import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { listBoards, loadBoard, ticksPerUnitRatio, ticksToUnits, unitsToMs } from '../../src/build/board.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';

const QEMU_BOARDS = ['qemu-m3', 'qemu-m33', 'qemu-m4', 'qemu-m55', 'qemu-m7'];

describe('boards', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('lists the QEMU boards', () => {
    expect(listBoards()).toEqual(expect.arrayContaining(QEMU_BOARDS));
  });

  it.each(QEMU_BOARDS)('%s has a complete, consistent definition', (name) => {
    const b = loadBoard(name);
    expect(b.name).toBe(name);
    expect(b.qemu).toBeDefined();
    expect(b.timer.latencyUnit).toBe('instructions');
    expect(b.cflags).toContain(`-mcpu=${b.core}`);
    expect(b.flash.size).toBeGreaterThan(0);
    expect(b.ram.size).toBeGreaterThan(0);
    // The linker script's origins are the ones board.json states.
    const ld = readFileSync(join(b.dir, 'linker.ld'), 'utf8');
    const origin = (region: string): number => Number(new RegExp(`${region}\\s*\\([a-z]+\\)\\s*:\\s*ORIGIN\\s*=\\s*(0x[0-9a-fA-F]+)`).exec(ld)![1]);
    expect(origin('FLASH')).toBe(b.flash.origin);
    expect(origin('RAM')).toBe(b.ram.origin);
    // shift=7: 128 ns per instruction.
    expect(b.timer.ticksPerUnit).toBeCloseTo((b.timer.hz * 128) / 1e9, 12);
  });

  it('has the documented machines, memory and timers', () => {
    const m4 = loadBoard('qemu-m4');
    expect(m4.qemu).toEqual({ machine: 'mps2-an386', cpu: 'cortex-m4', icountShift: 7, extraArgs: [] });
    expect(m4.cflags).toEqual(['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard']);
    expect(m4.clockHz).toBe(25_000_000);
    expect(ticksPerUnitRatio(m4)).toEqual({ num: 16, den: 5 });
    expect(ticksToUnits(m4, 6400)).toBe(2000);
    expect(unitsToMs(m4, 25_000)).toBe(1);
    expect(loadBoard('qemu-m3').qemu?.machine).toBe('mps2-an385');
    expect(loadBoard('qemu-m7').cflags).toContain('-mfpu=fpv5-d16');
    const m33 = loadBoard('qemu-m33');
    expect(m33.qemu?.machine).toBe('mps2-an505');
    expect(m33.flash.origin).toBe(0x10000000);
    expect(m33.uart.base).toBe(0x50200000);
    expect(ticksPerUnitRatio(m33)).toEqual({ num: 64, den: 25 });
    const m55 = loadBoard('qemu-m55');
    expect(m55.qemu?.machine).toBe('mps3-an547');
    expect(m55.timer.kind).toBe('sse-counter');
    expect(ticksPerUnitRatio(m55)).toEqual({ num: 512, den: 125 });
  });

  it('rejects an unknown board, listing the known ones', () => {
    expect(() => loadBoard('nano99')).toThrow(InputError);
    expect(() => loadBoard('nano99')).toThrow(/unknown board 'nano99'; known boards: .*qemu-m3.*qemu-m4/);
    expect(() => loadBoard('../boards/qemu-m4')).toThrow(/unknown board/);
  });

  it('explains what is wrong with a malformed board.json', () => {
    const { dir, cleanup } = makeTempDir();
    cleanups.push(cleanup);
    const good = JSON.parse(readFileSync(join(loadBoard('qemu-m4').dir, 'board.json'), 'utf8'));
    const write = (name: string, json: unknown): void => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'board.json'), JSON.stringify(json));
      writeFileSync(join(dir, name, 'board.c'), '');
      writeFileSync(join(dir, name, 'linker.ld'), '');
    };
    const base = { ...good, sources: ['board.c'], headers: [], linkerScripts: ['linker.ld'] };
    write('a', { ...base, name: 'a', clockHz: -1 });
    expect(() => loadBoard('a', { boardsDir: dir })).toThrow(/a\/board.json: "clockHz" must be positive/);
    write('b', { ...base, name: 'b', timer: { ...good.timer, ticksPerUnit: 3 } });
    expect(() => loadBoard('b', { boardsDir: dir })).toThrow(/"timer.ticksPerUnit" is 3 but a 25000000 Hz timer under -icount shift=7 advances 3.2/);
    write('c', { ...base, name: 'c', sources: ['missing.c'] });
    expect(() => loadBoard('c', { boardsDir: dir })).toThrow(/lists 'missing.c', which does not exist/);
    write('d', { ...base, name: 'other' });
    expect(() => loadBoard('d', { boardsDir: dir })).toThrow(/"name" is 'other' but the folder is 'd'/);
    write('e', { ...base, name: 'e', qemu: undefined });
    expect(() => loadBoard('e', { boardsDir: dir })).toThrow(/must be "cycles" for a physical board/);
    write('f', { ...base, name: 'f', qemu: undefined, timer: { ...good.timer, kind: 'dwt-cyccnt', base: undefined, hz: 64_000_000, latencyUnit: 'cycles', ticksPerUnit: 1 } });
    const f = loadBoard('f', { boardsDir: dir });
    expect(ticksPerUnitRatio(f)).toEqual({ num: 1, den: 1 });
  });
});
