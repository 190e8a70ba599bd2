import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolMissingError } from '../../src/errors.js';
import { buildFirmware } from '../../src/build/compile.js';
import { writeFirmwareProject } from '../../src/build/project.js';
import { findArmToolchain, findMake, findQemu, whichSync } from '../../src/build/toolchain.js';
import { startQemu } from '../../src/runners/qemu.js';
import { makeTempDir, stubModelFiles } from '../fixtures/stub-model/index.js';

const isRoot = process.getuid?.() === 0;
const sudo = isRoot ? '' : 'sudo ';

describe('toolchain lookup', () => {
  const empty = makeTempDir('tinyml-emptypath-');
  afterAll(() => empty.cleanup());
  const noTools = { PATH: empty.dir };

  it('finds the installed tools', () => {
    const tc = findArmToolchain();
    expect(tc.gcc).toMatch(/arm-none-eabi-gcc$/);
    expect(tc.size).toMatch(/arm-none-eabi-size$/);
    expect(tc.prefix + 'gcc').toBe(tc.gcc);
    expect(findMake()).toMatch(/make$/);
    expect(findQemu()).toMatch(/qemu-system-arm$/);
  });

  it('reports a missing compiler with the install command', () => {
    const err = (() => {
      try {
        findArmToolchain(noTools);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as ToolMissingError).tool).toBe('arm-none-eabi-gcc');
    expect((err as Error).message).toContain(`install it with: ${sudo}apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi`);
    if (isRoot) expect((err as Error).message).not.toContain('sudo');
  });

  it('reports missing qemu and make with their install commands', () => {
    expect(() => findQemu(noTools)).toThrow(ToolMissingError);
    expect(() => findQemu(noTools)).toThrow(`install it with: ${sudo}apt-get install qemu-system-arm`);
    expect(() => findMake(noTools)).toThrow(`${sudo}apt-get install make`);
  });

  it('honours and checks the environment overrides', () => {
    const prefix = whichSync('arm-none-eabi-gcc')!.replace(/gcc$/, '');
    expect(findArmToolchain({ PATH: empty.dir, TINYML_GCC_PREFIX: prefix }).gcc).toBe(`${prefix}gcc`);
    expect(() => findArmToolchain({ PATH: '/usr/bin', TINYML_GCC_PREFIX: '/nowhere/arm-none-eabi-' })).toThrow(
      /TINYML_GCC_PREFIX is '\/nowhere\/arm-none-eabi-' but '\/nowhere\/arm-none-eabi-gcc' is not an executable/,
    );
    expect(findQemu({ PATH: empty.dir, TINYML_QEMU: whichSync('qemu-system-arm')! })).toMatch(/qemu-system-arm$/);
    expect(() => findQemu({ PATH: '/usr/bin', TINYML_QEMU: '/nowhere/qemu' })).toThrow(/TINYML_QEMU is '\/nowhere\/qemu', which is not an executable/);
    // A non-executable file is not a tool.
    const fake = join(empty.dir, 'qemu-system-arm');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o644);
    expect(() => findQemu(noTools)).toThrow(ToolMissingError);
  });

  it('buildFirmware and startQemu fail with ToolMissingError, not a crash', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      await writeFirmwareProject({ outDir: dir, board: 'qemu-m4', modelFiles: stubModelFiles() });
      await expect(buildFirmware(dir, { env: noTools })).rejects.toThrow(ToolMissingError);
      writeFileSync(join(dir, 'fake.elf'), '');
      await expect(startQemu({ board: 'qemu-m4', elf: join(dir, 'fake.elf'), env: noTools })).rejects.toThrow(/qemu-system-arm was not found on PATH/);
    } finally {
      cleanup();
    }
  });
});
