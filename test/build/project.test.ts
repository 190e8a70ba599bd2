import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, WouldOverwriteError } from '../../src/errors.js';
import { firmwareDir } from '../../src/build/paths.js';
import { PROJECT_MARKER, writeFirmwareProject } from '../../src/build/project.js';
import { makeTempDir, stubModelFiles } from '../fixtures/stub-model/index.js';

describe('writeFirmwareProject', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const temp = (): string => {
    const t = makeTempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };

  it('lays out a self-contained project', async () => {
    const dir = join(temp(), 'fw');
    const p = await writeFirmwareProject({ outDir: dir, board: 'qemu-m55', modelFiles: stubModelFiles(), defines: ['-DFOO=1', 'BAR'] });
    expect(p.files).toEqual(
      expect.arrayContaining([
        'Makefile',
        'model/model.c',
        'tinyml/runtime/main.c',
        'tinyml/runtime/tinyml_model.h',
        'tinyml/runtime/tinyml_board.h',
        'tinyml/runtime/tinyml_protocol.h',
        'tinyml/runtime/PROTOCOL.md',
        'board/board.c',
        'board/board.json',
        'board/board_config.h',
        'board/linker.ld',
        'board/sections.ld',
        'board/startup_cortexm.c',
        'board/cmsdk_uart.c',
        'board/sse_counter.c',
      ]),
    );
    expect(p.sources).toContain('model/model.c');
    expect(p.sources).not.toContain('board/cmsdk_timer.c'); // the M55 board uses the SSE counter
    const mk = readFileSync(join(dir, 'Makefile'), 'utf8');
    expect(mk).toContain('OPT         ?= -O2');
    expect(mk).toContain('CPU_FLAGS   := -mcpu=cortex-m55 -mthumb -mfloat-abi=hard');
    expect(mk).toContain('DEFINES     := -DFOO=1 -DBAR');
    expect(mk).toContain('FLASH_LIMIT ?= 524288');
    const cfg = readFileSync(join(dir, 'board/board_config.h'), 'utf8');
    expect(cfg).toContain('#define TINYML_BOARD_NAME "qemu-m55"');
    expect(cfg).toContain('#define TINYML_TICKS_PER_UNIT_NUM 512u');
    expect(cfg).toContain('#define TINYML_TICKS_PER_UNIT_DEN 125u');
    const marker = JSON.parse(readFileSync(join(dir, PROJECT_MARKER), 'utf8'));
    expect(marker.generator).toBe('tinyml');
    expect(Object.keys(marker.files).sort()).toEqual(p.files);
  });

  it('copies the requested kernels, keeping their paths', async () => {
    const kernels = readdirSync(join(firmwareDir(), 'kernels')).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
    expect(kernels.length).toBeGreaterThanOrEqual(2);
    const dir = temp();
    const pick = kernels.slice(0, 2);
    const p = await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles(), kernelFiles: [pick[0], `firmware/kernels/${pick[1]}`] });
    for (const k of pick) {
      expect(readFileSync(join(dir, 'tinyml/kernels', k), 'utf8')).toBe(readFileSync(join(firmwareDir(), 'kernels', k), 'utf8'));
      expect(p.files).toContain(`tinyml/kernels/${k}`);
    }
    await expect(writeFirmwareProject({ outDir: temp(), board: 'qemu-m4', modelFiles: {}, kernelFiles: ['no_such_kernel.c'] })).rejects.toThrow(
      /kernel file 'no_such_kernel.c' not found/,
    );
  });

  it('accepts an empty directory and regenerates its own project', async () => {
    const dir = temp();
    await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles() });
    mkdirSync(join(dir, 'build', 'O2'), { recursive: true });
    writeFileSync(join(dir, 'build', 'O2', 'firmware.elf'), 'x'); // make's output is tinyml's too
    await writeFirmwareProject({ outDir: dir, board: 'qemu-m3', modelFiles: { 'model/other.c': 'int x;\n' } });
    expect(existsSync(join(dir, 'model/model.c'))).toBe(false); // stale tinyml file removed
    expect(existsSync(join(dir, 'model/other.c'))).toBe(true);
    expect(readFileSync(join(dir, 'board/board_config.h'), 'utf8')).toContain('"qemu-m3"');
  });

  it('refuses a directory with files tinyml did not write', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const err = await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WouldOverwriteError);
    expect((err as Error).message).toMatch(/it contains files tinyml did not write \(notes.txt\); pass --force to overwrite, or choose another --out/);
    expect(existsSync(join(dir, 'Makefile'))).toBe(false);
    await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles(), force: true });
    expect(existsSync(join(dir, 'Makefile'))).toBe(true);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses to overwrite a tinyml file the user edited, and a non-directory', async () => {
    const dir = temp();
    await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles() });
    writeFileSync(join(dir, 'Makefile'), '# my changes\n');
    await expect(writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles() })).rejects.toThrow(
      /tinyml files edited since they were written \(Makefile\)/,
    );
    const file = join(temp(), 'f');
    writeFileSync(file, '');
    await expect(writeFirmwareProject({ outDir: file, board: 'qemu-m4', modelFiles: {} })).rejects.toThrow(WouldOverwriteError);
  });

  it('rejects bad paths, collisions and defines', async () => {
    const dir = temp();
    await expect(writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: { '../evil.c': '' } })).rejects.toThrow(InputError);
    await expect(writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: { 'tinyml/runtime/main.c': '' } })).rejects.toThrow(/collide/);
    await expect(writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: {}, defines: ['A B'] })).rejects.toThrow(/NAME=VALUE/);
    await expect(writeFirmwareProject({ outDir: dir, board: 'nope', modelFiles: {} })).rejects.toThrow(/unknown board 'nope'/);
  });
});
