import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listBoards, loadBoard, ticksPerUnitRatio, ticksToUnits, unitsToMs } from '../../src/build/board.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';

describe('nano33 board definition', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('is listed and loads with the Nano 33 BLE memory map, clock, link, timer and flasher', () => {
    expect(listBoards()).toContain('nano33');
    const b = loadBoard('nano33');
    expect(b.core).toBe('cortex-m4');
    expect(b.cflags).toEqual(['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard']);
    expect(b.qemu).toBeUndefined();
    // Application area behind the 64 KiB Arduino bootloader: 0x10000..0xFFFFF.
    expect(b.flash).toMatchObject({ origin: 0x10000, size: 0xf0000 });
    expect(b.flash.origin + b.flash.size).toBe(1024 * 1024);
    expect(b.ram).toMatchObject({ origin: 0x20000000, size: 256 * 1024 });
    expect(b.clockHz).toBe(64_000_000);
    expect(b.uart).toMatchObject({ kind: 'nrf52-uarte', base: 0x40002000, baud: 115200, pins: { tx: 'P1.03', rx: 'P1.10' } });
    expect(b.timer).toMatchObject({ kind: 'dwt-cyccnt', hz: 64_000_000, latencyUnit: 'cycles', ticksPerUnit: 1, bits: 32 });
    expect(b.timer.base).toBeUndefined();
    expect(ticksPerUnitRatio(b)).toEqual({ num: 1, den: 1 });
    expect(ticksToUnits(b, 64_000)).toBe(64_000);
    expect(unitsToMs(b, 64_000)).toBe(1);
    expect(b.flasher).toEqual({
      kind: 'bossac',
      usb: { vendorId: 0x2341, bootloaderProductIds: [0x005a], applicationProductIds: [0x805a, 0x015a, 0x025a] },
      touch1200: true,
      description: expect.stringContaining('0x10000'),
    });
    expect(b.flasher?.offset).toBeUndefined();
  });

  it('has a linker script whose origins match board.json', () => {
    const b = loadBoard('nano33');
    const ld = readFileSync(join(b.dir, 'linker.ld'), 'utf8');
    const origin = (region: string): number => Number(new RegExp(`${region}\\s*\\([a-z]+\\)\\s*:\\s*ORIGIN\\s*=\\s*(0x[0-9a-fA-F]+)`).exec(ld)![1]);
    expect(origin('FLASH')).toBe(b.flash.origin);
    expect(origin('RAM')).toBe(b.ram.origin);
    expect(ld).toContain('INCLUDE sections.ld');
  });

  it('register addresses in the board code are the nRF52840 ones', () => {
    const regs = readFileSync(join(loadBoard('nano33').dir, 'nrf52840_regs.h'), 'utf8');
    const def = (name: string): string => new RegExp(`#define ${name} (\\S+)`).exec(regs)![1];
    expect(def('NRF_CLOCK_BASE')).toBe('0x40000000u');
    expect(def('NRF_UARTE0_BASE')).toBe('0x40002000u');
    expect(def('NRF_TIMER2_BASE')).toBe('0x4000A000u');
    expect(def('NRF_PPI_BASE')).toBe('0x4001F000u');
    expect(def('NRF_P1_BASE')).toBe('0x50000300u');
    expect(def('UARTE_BAUDRATE_115200')).toBe('0x01D60000u');
    const c = readFileSync(join(loadBoard('nano33').dir, 'board.c'), 'utf8');
    expect(c).toMatch(/#define UART_PORT 1u[\s\S]*#define UART_TX_PIN 3u[\s\S]*#define UART_RX_PIN 10u/);
  });

  it('validates the flasher field', () => {
    const { dir, cleanup } = makeTempDir();
    cleanups.push(cleanup);
    const good = JSON.parse(readFileSync(join(loadBoard('nano33').dir, 'board.json'), 'utf8'));
    const write = (name: string, json: unknown): void => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'board.json'), JSON.stringify(json));
      writeFileSync(join(dir, name, 'board.c'), '');
      writeFileSync(join(dir, name, 'linker.ld'), '');
    };
    const base = { ...good, sources: ['board.c'], headers: [], linkerScripts: ['linker.ld'] };
    write('a', { ...base, name: 'a', flasher: { ...good.flasher, kind: 'openocd' } });
    expect(() => loadBoard('a', { boardsDir: dir })).toThrow(/"flasher.kind" must be one of "bossac"/);
    write('b', { ...base, name: 'b', flasher: { ...good.flasher, usb: { ...good.flasher.usb, vendorId: '0x12345' } } });
    expect(() => loadBoard('b', { boardsDir: dir })).toThrow(/"flasher.usb.vendorId" must be a 16-bit USB ID/);
    write('c', { ...base, name: 'c', flasher: { ...good.flasher, usb: { ...good.flasher.usb, bootloaderProductIds: [] } } });
    expect(() => loadBoard('c', { boardsDir: dir })).toThrow(/bootloaderProductIds" must list at least one/);
    write('d', { ...base, name: 'd', flasher: { ...good.flasher, touch1200: 'yes' } });
    expect(() => loadBoard('d', { boardsDir: dir })).toThrow(/"flasher.touch1200" must be true or false/);
    write('e', { ...base, name: 'e', flasher: { ...good.flasher, offset: '0x2000' } });
    expect(loadBoard('e', { boardsDir: dir }).flasher?.offset).toBe(0x2000);
    write('f', { ...base, name: 'f', uart: { ...good.uart, kind: 'pl011' } });
    expect(() => loadBoard('f', { boardsDir: dir })).toThrow(/"uart.kind" must be one of "cmsdk-apb-uart", "nrf52-uarte"/);
    write('g', { ...base, name: 'g', flasher: undefined, uart: { ...good.uart, pins: undefined } });
    const g = loadBoard('g', { boardsDir: dir });
    expect(g.flasher).toBeUndefined();
    expect(g.uart.pins).toBeUndefined();
  });
});
