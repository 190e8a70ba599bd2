import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DoesNotFitError, ToolFailedError } from '../../src/errors.js';
import { buildFirmware, checkFit, linkLimits } from '../../src/build/compile.js';
import { loadBoard } from '../../src/build/board.js';
import { writeFirmwareProject } from '../../src/build/project.js';
import { buildStub, makeTempDir, stubModelFiles } from '../fixtures/stub-model/index.js';

const BOARDS = ['qemu-m3', 'qemu-m4', 'qemu-m7', 'qemu-m33', 'qemu-m55'];

describe('buildFirmware', () => {
  const temp = makeTempDir('tinyml-compile-');
  afterAll(() => temp.cleanup());
  let n = 0;
  const dir = (): string => join(temp.dir, String(n++));

  it.each(BOARDS)('%s: the runtime, board code and stub model compile warning-free with -Wall -Wextra -Werror', async (board) => {
    const r = await buildStub(dir(), board, 'stub', { profile: true });
    expect(existsSync(r.elf)).toBe(true);
    expect(r.log).toContain('-Wall -Wextra -Werror');
    expect(r.log).not.toMatch(/warning:/);
    const s = r.sections;
    expect(s.text).toBeGreaterThan(1000);
    expect(s.rodata).toBeGreaterThan(0);
    expect(s.bss).toBeGreaterThan(3456); // the stub's arena
    expect(s.stack).toBe(loadBoard(board).stackBytes);
    expect(r.flashBytes).toBe(s.text + s.rodata + s.data + Object.values(s.other).filter((o) => o.region === 'flash').reduce((a, o) => a + o.size, 0));
    expect(r.ramBytes).toBe(s.data + s.bss + s.stack + Object.values(s.other).filter((o) => o.region === 'ram').reduce((a, o) => a + o.size, 0));
    expect(r.flashBytes).toBeLessThan(r.flashSize);
    expect(r.elf).toMatch(/build\/O2-profile\/firmware\.elf$/);
    // No heap: nothing pulls in malloc/_sbrk.
    const nm = execFileSync('arm-none-eabi-nm', [r.elf], { encoding: 'utf8' });
    expect(nm).not.toMatch(/\b(malloc|_sbrk|_malloc_r)\b/);
  });

  it('builds -Os separately, and the project rebuilds with plain make', async () => {
    const d = dir();
    const o2 = await buildStub(d, 'qemu-m4', 'stub');
    const os = await buildFirmware(d, { opt: '-Os' });
    expect(os.elf).toMatch(/build\/Os\/firmware\.elf$/);
    expect(os.sections.text).toBeLessThanOrEqual(o2.sections.text);
    // A user with only make: rebuilds from scratch with the board's real limits.
    execFileSync('make', ['-C', d, 'clean'], { encoding: 'utf8' });
    const log = execFileSync('make', ['-C', d, 'OPT=-Os', '-j2'], { encoding: 'utf8' });
    expect(log).toContain('--defsym=__tinyml_flash_limit=4194304');
    expect(log).toMatch(/\.rodata\s+\d+/);
    expect(existsSync(join(d, 'build/Os/firmware.elf'))).toBe(true);
  });

  it('reports a flash overflow with exact numbers (not a linker error)', async () => {
    const bytes = 4_300_000;
    const err = await buildStub(dir(), 'qemu-m3', 'stub', { defines: [`STUB_BIG_CONST_BYTES=${bytes}`] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DoesNotFitError);
    const msg = (err as Error).message;
    const m = /^does not fit qemu-m3: flash needs ([\d,]+) bytes, the board has 4,194,304 \(over by ([\d,]+) bytes; \.text [\d,]+ \+ \.rodata ([\d,]+) \+ \.data \d+\)$/.exec(msg);
    expect(m, msg).not.toBeNull();
    const needs = Number(m![1].replace(/,/g, ''));
    expect(needs - 4_194_304).toBe(Number(m![2].replace(/,/g, '')));
    expect(Number(m![3].replace(/,/g, ''))).toBeGreaterThanOrEqual(bytes);
    // A smaller table fits.
    await expect(buildStub(dir(), 'qemu-m4', 'stub', { defines: ['STUB_BIG_CONST_BYTES=600000'] })).resolves.toBeDefined();
  });

  it('reports a flash overflow on the small M55 ITCM (constants apart), and a RAM overflow', async () => {
    const b = loadBoard('qemu-m55');
    // .rodata lives in the board's 8 MiB "constants" region (QSPI flash), not in the ITCM.
    const sections = { text: 524_000, rodata: 8_000_000, data: 400, bss: 0, stack: 0, other: {} };
    expect(() => checkFit(b, { flashBytes: 8_524_400, ramBytes: 400, sections })).toThrow(/^does not fit qemu-m55: flash needs 524,400 bytes, the board has 524,288 \(over by 112 bytes; \.text 524,000 \+ \.data 400\)$/);
    expect(() => checkFit(b, { flashBytes: 8_411_600, ramBytes: 0, sections: { ...sections, text: 11_600, rodata: 8_400_000, data: 0 } })).toThrow(
      /^does not fit qemu-m55: constants need 8,400,000 bytes, the board's QSPI flash has 8,388,608 \(over by 11,392 bytes of \.rodata\)$/,
    );
    await expect(buildStub(dir(), 'qemu-m55', 'stub', { defines: ['STUB_BIG_CONST_BYTES=600000'] })).resolves.toBeDefined();
    await expect(buildStub(dir(), 'qemu-m55', 'stub', { defines: ['STUB_BIG_ARENA_BYTES=3000000'] })).rejects.toThrow(
      /^does not fit qemu-m55: RAM needs [\d,]+ bytes, the board has 2,097,152 \(over by [\d,]+ bytes; \.data \d+ \+ \.bss [\d,]+ \+ stack 16,384\)$/,
    );
  });

  it('turns a linker region overflow into the same error', async () => {
    // The M55's constants region (QSPI flash) has its physical size in linker.ld: past it the
    // linker fails, and its message is translated.
    const b = loadBoard('qemu-m55');
    expect(linkLimits(b).flash).toBe(0x01000000);
    const err = await buildStub(dir(), 'qemu-m55', 'stub', { defines: ['STUB_BIG_CONST_BYTES=9000000'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DoesNotFitError);
    expect((err as Error).message).toMatch(/^does not fit qemu-m55: constants need at least [\d,]+ bytes, the board has 8,388,608 \(over by [\d,]+ bytes\)/);
  });

  it('reports compile errors with the compiler message', async () => {
    const d = dir();
    await writeFirmwareProject({ outDir: d, board: 'qemu-m4', modelFiles: { 'model/model.c': stubModelFiles()['model/model.c'] + '\nint broken(void) { return undeclared_thing; }\n' } });
    const err = await buildFirmware(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailedError);
    expect((err as Error).message).toMatch(/building the firmware for qemu-m4 failed/);
    expect((err as Error).message).toMatch(/model\/model\.c:\d+:\d+: error: 'undeclared_thing' undeclared/);
  });

  it('checkFit accepts exact fits', () => {
    const b = loadBoard('qemu-m4');
    const sections = { text: b.flash.size, rodata: 0, data: 0, bss: 0, stack: 0, other: {} };
    expect(() => checkFit(b, { flashBytes: b.flash.size, ramBytes: b.ram.size, sections })).not.toThrow();
    expect(() => checkFit(b, { flashBytes: b.flash.size + 1, ramBytes: b.ram.size + 2, sections })).toThrow(/flash needs 4,194,305 .*over by 1 bytes.*; RAM needs 4,194,306/);
  });
});
