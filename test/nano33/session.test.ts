/** openTargetSession on nano33: flash first (board.json "flasher"), then open the UART link. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadBoard } from '../../src/build/board.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { DeviceError, InputError } from '../../src/errors.js';
import type { FlashOptions } from '../../src/flash/index.js';

const board = loadBoard('nano33');
const APP = { path: '/dev/ttyACM0', vendorId: '2341', productId: '805a' };
const FTDI = { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001' };
const NO_LINK = '/dev/tinyml-test-no-such-port';

describe('openTargetSession (nano33)', () => {
  const saved = process.env.TINYML_FLASH_PORT;
  afterEach(() => {
    if (saved === undefined) delete process.env.TINYML_FLASH_PORT;
    else process.env.TINYML_FLASH_PORT = saved;
  });

  function recorder() {
    const calls: Array<{ elf: string; options: FlashOptions }> = [];
    const slept: number[] = [];
    return {
      calls,
      slept,
      flasher: async (_b: unknown, elf: string, options: FlashOptions) => {
        calls.push({ elf, options });
      },
      flashOptions: { listPorts: async () => [APP, FTDI], sleep: async (ms: number) => void slept.push(ms) },
    };
  }

  it('needs the link port, and says it is the adapter on the TX/RX pins', async () => {
    const err = await openTargetSession(board, '/x/firmware.elf').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'board nano33 is a physical board: give its serial port (the USB-serial adapter on its P1.03 TX / P1.10 RX pins) with --port',
    );
  });

  it('flashes the ELF, waits for the board to boot, then opens the link port', async () => {
    const r = recorder();
    const lines: string[] = [];
    const err = await openTargetSession(board, '/x/firmware.elf', { port: NO_LINK, flasher: r.flasher, flashOptions: r.flashOptions, log: (l) => lines.push(l) }).catch(
      (e: unknown) => e,
    );
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0].elf).toBe('/x/firmware.elf');
    expect(r.calls[0].options.port).toBeUndefined(); // auto-detect
    expect(r.calls[0].options.log).toBeDefined();
    expect(r.slept).toEqual([1500]);
    // Then the link: here a port that does not exist.
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toContain(`cannot open serial port ${NO_LINK}`);
  });

  it('passes the flash port from options or TINYML_FLASH_PORT, and skips flashing with flash: false', async () => {
    const r = recorder();
    await openTargetSession(board, 'e.elf', { port: NO_LINK, flasher: r.flasher, flashOptions: r.flashOptions, flashPort: '/dev/ttyACM5' }).catch(() => undefined);
    expect(r.calls[0].options.port).toBe('/dev/ttyACM5');
    process.env.TINYML_FLASH_PORT = '/dev/ttyACM6';
    await openTargetSession(board, 'e.elf', { port: NO_LINK, flasher: r.flasher, flashOptions: r.flashOptions }).catch(() => undefined);
    expect(r.calls[1].options.port).toBe('/dev/ttyACM6');
    await openTargetSession(board, 'e.elf', { port: NO_LINK, flasher: r.flasher, flashOptions: r.flashOptions, flash: false }).catch(() => undefined);
    expect(r.calls).toHaveLength(2);
  });

  it('refuses the board\'s USB port as the link before flashing anything', async () => {
    const r = recorder();
    const err = await openTargetSession(board, 'e.elf', { port: '/dev/ttyACM0', flasher: r.flasher, flashOptions: r.flashOptions }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/is the nano33's own USB port/);
    expect(r.calls).toHaveLength(0);
  });
});
