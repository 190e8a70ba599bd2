/**
 * bossac flashing for nano33 without a board: SerialPort.list() results are injected, the
 * 1200-bps touch and sleeps are recorded, and `bossac` is a shell script on PATH (in a temp dir)
 * that records its argv and answers like bossac would.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadBoard } from '../../src/build/board.js';
import { DeviceError, InputError, ToolFailedError, ToolMissingError } from '../../src/errors.js';
import { bossacArgs, findBootloaderPort, findBossac, flashWithBossac } from '../../src/flash/bossac.js';
import { checkLinkPort, flashFirmware } from '../../src/flash/index.js';
import type { SerialPortInfo } from '../../src/flash/ports.js';
import { describePort, parseUsbId, portRole } from '../../src/flash/ports.js';
import { buildStub, makeTempDir } from '../fixtures/stub-model/index.js';

const board = loadBoard('nano33');

const BOOT: SerialPortInfo = { path: '/dev/ttyACM0', vendorId: '2341', productId: '005a', manufacturer: 'Arduino' };
const APP: SerialPortInfo = { path: '/dev/ttyACM0', vendorId: '2341', productId: '805a', manufacturer: 'Arduino' };
const APP_UPPER: SerialPortInfo = { path: '/dev/ttyACM1', vendorId: '2341', productId: '805A' };
const FTDI: SerialPortInfo = { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', manufacturer: 'FTDI' };
const BUILTIN: SerialPortInfo = { path: '/dev/ttyS0' };

const FAKE_BOSSAC = `#!/bin/sh
# Fake bossac: records argv (one per line) and behaves as FAKE_BOSSAC_MODE says.
if [ "$1" = "--help" ]; then
  echo "Basic Open Source SAM-BA Application (BOSSA) Version \${FAKE_BOSSAC_VERSION:-1.9.1-arduino2}"
  exit 0
fi
for a in "$@"; do echo "$a"; done > "$FAKE_BOSSAC_LOG"
case "$FAKE_BOSSAC_MODE" in
  nodevice) echo "No device found on \${1#--port=}"; exit 1 ;;
  unsupported) echo "Device unsupported"; exit 1 ;;
  *) echo "Device       : nRF52840-QIAA"; echo "Erase flash"; echo "Write 6480 bytes to flash (2 pages)"; echo "[==============================] 100% (2/2 pages)"; echo "Done in 0.3 seconds"; exit 0 ;;
esac
`;

describe('bossac flashing (nano33)', () => {
  const temp = makeTempDir('tinyml-bossac-');
  afterAll(() => temp.cleanup());
  const bin = join(temp.dir, 'firmware.bin');
  const binDir = join(temp.dir, 'bin');
  const home = join(temp.dir, 'home');
  const log = join(temp.dir, 'argv.txt');
  let env: Record<string, string>;
  let touched: string[];
  let slept: number[];

  mkdirSync(binDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(binDir, 'bossac'), FAKE_BOSSAC);
  chmodSync(join(binDir, 'bossac'), 0o755);
  writeFileSync(bin, Buffer.alloc(64));

  beforeEach(() => {
    env = { PATH: `${binDir}:/usr/bin:/bin`, HOME: home, FAKE_BOSSAC_LOG: log, FAKE_BOSSAC_MODE: 'ok' };
    touched = [];
    slept = [];
    writeFileSync(log, '');
  });

  /** Deps whose port list follows `lists` (the last one repeats). */
  const deps = (...lists: SerialPortInfo[][]) => {
    let i = 0;
    return {
      env,
      listPorts: async () => lists[Math.min(i++, lists.length - 1)],
      touch1200: async (p: string) => {
        touched.push(p);
      },
      sleep: async (ms: number) => {
        slept.push(ms);
      },
    };
  };
  const argv = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);

  it('parses USB IDs as serialport reports them and classifies ports', () => {
    expect(parseUsbId('2341')).toBe(0x2341);
    expect(parseUsbId('0x805A')).toBe(0x805a);
    expect(parseUsbId('805a')).toBe(0x805a);
    expect(parseUsbId(undefined)).toBeUndefined();
    expect(parseUsbId('xyz')).toBeUndefined();
    const f = board.flasher!;
    expect(portRole(BOOT, f)).toBe('bootloader');
    expect(portRole(APP, f)).toBe('application');
    expect(portRole(APP_UPPER, f)).toBe('application');
    expect(portRole({ ...APP, productId: '025a' }, f)).toBe('application');
    expect(portRole(FTDI, f)).toBe('other');
    expect(portRole(BUILTIN, f)).toBe('other');
    expect(portRole({ ...BOOT, vendorId: '2342' }, f)).toBe('other');
    expect(describePort(FTDI)).toBe('/dev/ttyUSB0 (0403:6001 FTDI)');
    expect(describePort(BUILTIN)).toBe('/dev/ttyS0 (no USB IDs)');
  });

  it('uses the Arduino mbed core recipe: --port=P -U -i -e -w BIN -R', () => {
    expect(bossacArgs(board.flasher!, '/dev/ttyACM0', '/x/fw.bin')).toEqual(['--port=/dev/ttyACM0', '-U', '-i', '-e', '-w', '/x/fw.bin', '-R']);
    expect(bossacArgs(board.flasher!, '/dev/ttyACM0', '/x/fw.bin', { verbose: true })[0]).toBe('-d');
    expect(bossacArgs({ ...board.flasher!, offset: 0x2000 }, 'p', 'b')).toEqual(['--port=p', '-U', '-i', '-e', '-w', '--offset=0x2000', 'b', '-R']);
  });

  it('flashes a board already in its bootloader without a touch', async () => {
    const r = await flashWithBossac(board, bin, deps([FTDI, BOOT]));
    expect(touched).toEqual([]);
    expect(r.port).toBe('/dev/ttyACM0');
    expect(r.touched).toBeUndefined();
    expect(r.bossac).toBe(join(binDir, 'bossac'));
    expect(argv()).toEqual(['--port=/dev/ttyACM0', '-U', '-i', '-e', '-w', bin, '-R']);
    expect(r.output).toContain('nRF52840-QIAA');
  });

  it('touches a running sketch at 1200 bps and waits for the bootloader port', async () => {
    const lines: string[] = [];
    const r = await flashWithBossac(board, bin, { ...deps([FTDI, APP_UPPER], [FTDI], [FTDI], [FTDI, { ...BOOT, path: '/dev/ttyACM1' }]), log: (l) => lines.push(l) });
    expect(touched).toEqual(['/dev/ttyACM1']);
    expect(r).toMatchObject({ port: '/dev/ttyACM1', touched: '/dev/ttyACM1' });
    // Three polls of 250 ms, then the settle pause before bossac opens the port.
    expect(slept).toEqual([250, 250, 250, 500]);
    expect(argv()[0]).toBe('--port=/dev/ttyACM1');
    expect(lines[0]).toBe('/dev/ttyACM1: 1200-bps touch to start the bootloader');
    expect(lines[1]).toContain(`bossac --port=/dev/ttyACM1 -U -i -e -w ${bin} -R`);
  });

  it('prefers the touched path when the bootloader reappears next to another', async () => {
    const other = { ...BOOT, path: '/dev/ttyACM3' };
    const r = await findBootloaderPort(board, deps([APP], [other, BOOT]));
    expect(r).toEqual({ port: '/dev/ttyACM0', touched: '/dev/ttyACM0' });
  });

  it('says what it saw when no board is connected, and how to start the bootloader by hand', async () => {
    const err = await flashWithBossac(board, bin, deps([FTDI, BUILTIN])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    const msg = (err as Error).message;
    expect(msg).toContain('no nano33 found on USB (looked for USB IDs bootloader 2341:005a; sketch 2341:805a, 2341:015a, 2341:025a)');
    expect(msg).toContain('ports seen: /dev/ttyUSB0 (0403:6001 FTDI), /dev/ttyS0 (no USB IDs)');
    expect(msg).toMatch(/double-tap the reset button/);
    expect(argv()).toEqual([]); // bossac never ran
    const none = await flashWithBossac(board, bin, deps([])).catch((e: unknown) => e);
    expect((none as Error).message).toContain('ports seen: none');
  });

  it('refuses to guess between several boards', async () => {
    await expect(flashWithBossac(board, bin, deps([APP, APP_UPPER]))).rejects.toThrow(/several nano33 boards are connected \(\/dev\/ttyACM0 .*\/dev\/ttyACM1/);
    await expect(flashWithBossac(board, bin, deps([BOOT, { ...BOOT, path: '/dev/ttyACM1' }]))).rejects.toThrow(InputError);
    expect(touched).toEqual([]);
  });

  it('times out when the bootloader never appears after the touch', async () => {
    const err = await flashWithBossac(board, bin, { ...deps([APP], [FTDI]), bootloaderWaitMs: 1000, pollMs: 250 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(
      /^after the 1200-bps touch on \/dev\/ttyACM0, no bootloader port \(bootloader 2341:005a\) appeared within 1\.0 s; ports seen: \/dev\/ttyUSB0 \(0403:6001 FTDI\)\. Double-tap the reset button/,
    );
    expect(touched).toEqual(['/dev/ttyACM0']);
    expect(slept).toEqual([250, 250, 250, 250, 250]);
  });

  it('--port overrides detection: a bootloader port is used as is, a sketch port is touched, another device is refused', async () => {
    const boot2 = { ...BOOT, path: '/dev/ttyACM7' };
    expect(await findBootloaderPort(board, { ...deps([BOOT, boot2]), port: '/dev/ttyACM7' })).toEqual({ port: '/dev/ttyACM7' });
    expect(await findBootloaderPort(board, { ...deps([APP], [BOOT]), port: '/dev/ttyACM0' })).toEqual({ port: '/dev/ttyACM0', touched: '/dev/ttyACM0' });
    expect(touched).toEqual(['/dev/ttyACM0']);
    await expect(findBootloaderPort(board, { ...deps([FTDI]), port: '/dev/ttyUSB0' })).rejects.toThrow(
      /^--port \/dev\/ttyUSB0 \(0403:6001 FTDI\) is not a nano33 \(looked for USB IDs bootloader 2341:005a/,
    );
    // A path the OS does not list (e.g. a udev symlink) is touched, then the bootloader is found by ID.
    expect(await findBootloaderPort(board, { ...deps([], [BOOT]), port: '/dev/nano' })).toEqual({ port: '/dev/ttyACM0', touched: '/dev/nano' });
  });

  it('a missing bossac is a ToolMissingError that says where to get the Arduino fork, before touching the board', async () => {
    env.PATH = join(temp.dir, 'empty');
    const err = await flashWithBossac(board, bin, deps([APP], [BOOT])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as ToolMissingError).tool).toBe('bossac');
    const msg = (err as Error).message;
    expect(msg).toContain('arduino-cli core install arduino:mbed_nano');
    expect(msg).toContain('TINYML_BOSSAC');
    expect(msg).toMatch(/apt-get install bossa-cli`\) is upstream BOSSA 1\.9\.1, which does not know this bootloader/);
    expect(touched).toEqual([]);
  });

  it('finds bossac in TINYML_BOSSAC, then the Arduino IDE tools (Arduino fork first), then PATH', () => {
    const ideHome = join(temp.dir, 'ide-home');
    env.HOME = ideHome;
    expect(findBossac(env)).toEqual({ path: join(binDir, 'bossac'), source: 'PATH' });
    const tools = join(ideHome, '.arduino15', 'packages', 'arduino', 'tools', 'bossac');
    for (const v of ['1.7.0', '1.9.1-arduino2', '1.9.1-arduino1']) {
      mkdirSync(join(tools, v), { recursive: true });
      writeFileSync(join(tools, v, 'bossac'), FAKE_BOSSAC);
      chmodSync(join(tools, v, 'bossac'), 0o755);
    }
    expect(findBossac(env)).toEqual({ path: join(tools, '1.9.1-arduino2', 'bossac'), source: 'arduino' });
    expect(findBossac({ ...env, TINYML_BOSSAC: join(binDir, 'bossac') })).toEqual({ path: join(binDir, 'bossac'), source: 'TINYML_BOSSAC' });
    expect(() => findBossac({ ...env, TINYML_BOSSAC: '/nope/bossac' })).toThrow(/TINYML_BOSSAC is '\/nope\/bossac', which is not an executable/);
  });

  it('a failed upload is a ToolFailedError with bossac output, and a hint when bossac is not Arduino\'s fork', async () => {
    env.FAKE_BOSSAC_MODE = 'nodevice';
    env.FAKE_BOSSAC_VERSION = '1.9.1';
    const err = await flashWithBossac(board, bin, deps([BOOT])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailedError);
    const msg = (err as Error).message;
    expect(msg).toContain(`flashing nano33 failed: ${join(binDir, 'bossac')} --port=/dev/ttyACM0 -U -i -e -w ${bin} -R exited with 1:`);
    expect(msg).toContain('No device found on /dev/ttyACM0');
    expect(msg).toContain("this bossac is version 1.9.1, not Arduino's fork");
    env.FAKE_BOSSAC_MODE = 'unsupported';
    env.FAKE_BOSSAC_VERSION = '1.9.1-arduino2';
    const err2 = await flashWithBossac(board, bin, deps([BOOT])).catch((e: unknown) => e);
    expect((err2 as Error).message).toContain('Device unsupported');
    expect((err2 as Error).message).not.toContain("not Arduino's fork");
  });

  it('flashFirmware converts a real nano33 ELF to .bin and hands it to bossac', async () => {
    const dir = join(temp.dir, 'fw');
    const build = await buildStub(dir, 'nano33', 'stub');
    const lines: string[] = [];
    const r = await flashFirmware(board, build.elf, { ...deps([BOOT]), log: (l) => lines.push(l) });
    expect(r.image.bin).toBe(build.elf.replace(/\.elf$/, '.bin'));
    expect(existsSync(r.image.bin)).toBe(true);
    expect(argv()).toEqual(['--port=/dev/ttyACM0', '-U', '-i', '-e', '-w', r.image.bin, '-R']);
    const head = readFileSync(r.image.bin);
    expect(head.readUInt32LE(4) & 1).toBe(1);
    expect(head.readUInt32LE(4)).toBeGreaterThan(0x10000);
    expect(lines[0]).toMatch(/firmware\.bin: [\d,]+ bytes for 0x10000$/);
  });

  it('refuses the board\'s own USB port as the link port', async () => {
    await expect(checkLinkPort(board, '/dev/ttyACM0', async () => [APP, FTDI])).rejects.toThrow(
      /^--port \/dev\/ttyACM0 \(2341:805a Arduino\) is the nano33's own USB port, which only its bootloader uses: tinyml firmware talks over UART on its P1\.03 \(TX\) \/ P1\.10 \(RX\) pins/,
    );
    await expect(checkLinkPort(board, '/dev/ttyUSB0', async () => [APP, FTDI])).resolves.toBeUndefined();
    await expect(
      checkLinkPort(board, '/dev/ttyUSB0', async () => {
        throw new Error('no udev');
      }),
    ).resolves.toBeUndefined();
  });
});
