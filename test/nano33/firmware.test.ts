/**
 * nano33 firmware is built (not run: no board, and QEMU has no nRF52840) for the stub model and
 * real shared models; each build must be warning-free, fit the board, have its vector table at
 * the application start 0x10000 and convert to the .bin bossac writes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoard } from '../../src/build/board.js';
import type { BuildResult } from '../../src/build/compile.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { checkBinImage, elfToBin } from '../../src/flash/bin.js';
import { sharedPath } from '../helpers/shared.js';
import { buildStub, makeTempDir } from '../fixtures/stub-model/index.js';

const APP_START = 0x10000;

function symbols(elf: string): Map<string, number> {
  const out = execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' });
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3) m.set(f[2], Number.parseInt(f[0], 16));
  }
  return m;
}

/** The ELF's vector table sits at the application start and points at our Reset_Handler. */
async function checkImage(build: BuildResult): Promise<{ bin: string; bytes: number }> {
  const b = loadBoard('nano33');
  const header = execFileSync('arm-none-eabi-readelf', ['-h', '-S', build.elf], { encoding: 'utf8' });
  expect(header).toMatch(/Machine:\s+ARM/);
  const text = /\]\s+\.text\s+PROGBITS\s+([0-9a-f]{8})/.exec(header);
  expect(text, header).not.toBeNull();
  expect(Number.parseInt(text![1], 16)).toBe(APP_START);
  const sym = symbols(build.elf);
  expect(sym.get('tinyml_vectors')).toBe(APP_START);
  const reset = sym.get('Reset_Handler')!;
  const entry = Number.parseInt(/Entry point address:\s+0x([0-9a-f]+)/.exec(header)![1], 16);
  expect(entry).toBe(reset | 1);
  // The .bin for bossac: starts at 0x10000 with [initial SP, Reset_Handler|1, ...].
  const img = await elfToBin(b, build.elf);
  expect(img.bin).toBe(build.elf.replace(/\.elf$/, '.bin'));
  expect(img.address).toBe(APP_START);
  expect(img.resetHandler).toBe(reset | 1);
  expect(img.initialSp).toBe(sym.get('__stack_top'));
  expect(img.initialSp).toBeLessThanOrEqual(b.ram.origin + b.ram.size);
  // Flash contents and nothing else (no gap up to RAM): the loaded sections, padded to 8 bytes.
  expect(img.bytes).toBeGreaterThanOrEqual(build.flashBytes);
  expect(img.bytes).toBeLessThanOrEqual(build.flashBytes + 16);
  const words = readFileSync(img.bin);
  // Every device interrupt (16..63) and fault vector goes to Fault_Handler.
  const fault = sym.get('Fault_Handler')! | 1;
  for (const v of [2, 3, 4, 5, 6, 16, 40, 63]) expect(words.readUInt32LE(4 * v)).toBe(fault);
  expect(words.readUInt32LE(4 * 64)).not.toBe(fault); // the table has 16 + 48 entries
  return img;
}

describe('nano33 firmware', () => {
  const temp = makeTempDir('tinyml-nano33-');
  afterAll(() => temp.cleanup());
  let n = 0;
  const dir = (): string => join(temp.dir, String(n++));

  it('the runtime, board code and stub model build warning-free with -Wall -Wextra -Werror (-O2 profile, -Os)', async () => {
    const d = dir();
    const r = await buildStub(d, 'nano33', 'stub', { profile: true });
    expect(r.log).toContain('-Wall -Wextra -Werror');
    expect(r.log).toContain('-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard');
    expect(r.log).not.toMatch(/warning:/);
    expect(r.log).toMatch(/board\/board\.c/);
    expect(r.log).toMatch(/board\/startup_nrf52840\.c/);
    expect(r.sections.stack).toBe(16384);
    await checkImage(r);
    const os = await buildStub(d, 'nano33', 'stub', { opt: '-Os' });
    expect(os.log).not.toMatch(/warning:/);
    // No heap, no newlib stdio.
    const nm = execFileSync('arm-none-eabi-nm', [os.elf], { encoding: 'utf8' });
    expect(nm).not.toMatch(/\b(malloc|_sbrk|_malloc_r|printf)\b/);
    // The board code the firmware runs: DWT on, HFXO, UARTE0 with the RXDRDY counter.
    expect(nm).toMatch(/\bboard_init\b/);
    expect(nm).toMatch(/\bnano33_uart_flush\b/);
  });

  it('a plain make in the project uses the real limits of the board', async () => {
    const d = dir();
    await buildStub(d, 'nano33', 'stub');
    execFileSync('make', ['-C', d, 'clean'], { encoding: 'utf8' });
    const log = execFileSync('make', ['-C', d, '-j2'], { encoding: 'utf8' });
    expect(log).toContain('--defsym=__tinyml_flash_limit=983040');
    expect(log).toContain('--defsym=__tinyml_ram_limit=262144');
  });

  it('refuses an image larger than the 960 KiB after the bootloader', async () => {
    await expect(buildStub(dir(), 'nano33', 'stub', { defines: ['STUB_BIG_CONST_BYTES=990000'] })).rejects.toThrow(
      /^does not fit nano33: flash needs [\d,]+ bytes, the board has 983,040 \(over by [\d,]+ bytes/,
    );
    await expect(buildStub(dir(), 'nano33', 'stub', { defines: ['STUB_BIG_ARENA_BYTES=250000'] })).rejects.toThrow(
      /^does not fit nano33: RAM needs [\d,]+ bytes, the board has 262,144/,
    );
  });

  it.each([
    ['kws', 'models/mlperf-tiny/kws_ref_model.tflite'],
    ['vww', 'models/mlperf-tiny/vww_96_int8.tflite'],
  ])('%s (MLPerf Tiny) builds for nano33, fits, and converts to a bossac image', async (_name, rel) => {
    const built = await buildModelFirmware(sharedPath(rel), { board: 'nano33', outDir: dir(), force: true });
    const b = built.build;
    expect(b.log).not.toMatch(/warning:/);
    expect(b.flashBytes).toBeLessThanOrEqual(983_040);
    expect(b.ramBytes).toBeLessThanOrEqual(262_144);
    expect(b.sections.bss).toBeGreaterThanOrEqual(built.compiled.plan.arenaBytes);
    const img = await checkImage(b);
    expect(checkBinImage(built.board, img.bin).bytes).toBe(img.bytes);
    // For the report.
    console.log(
      `${_name} on nano33: flash ${b.flashBytes} B (.text ${b.sections.text}, .rodata ${b.sections.rodata}, .data ${b.sections.data}), ` +
        `RAM ${b.ramBytes} B (.bss ${b.sections.bss} incl. arena ${built.compiled.plan.arenaBytes}, stack ${b.sections.stack}), bin ${img.bytes} B`,
    );
  });
});
