/**
 * Flashing boards with a SAM-BA bootloader on their USB port (board.json "flasher": { "kind":
 * "bossac" }), the way the Arduino IDE does it for the Nano 33 BLE:
 *
 *   1. find the board's USB port by vendor/product ID (SerialPort.list()), or take --port;
 *   2. if it runs a sketch (application product ID), do the 1200-bps touch and wait for the
 *      bootloader's port (bootloader product ID) to appear;
 *   3. bossac --port=<port> -U -i -e -w <firmware.bin> -R
 *      (the Arduino mbed core's platform.txt recipe, tools.bossac.upload.pattern; no --offset:
 *      the Nano 33 BLE bootloader places the image at 0x10000 itself).
 *
 * tinyml's firmware has no USB stack, so once it runs the board has no USB port at all and no
 * touch can reach it: the user double-taps the reset button to start the bootloader (its LED
 * pulses, and the port appears with the bootloader product ID). The errors say so.
 *
 * Which bossac: the Nano 33 BLE bootloader identifies itself through an Arduino extension of
 * SAM-BA that only Arduino's BOSSA fork understands (bossac 1.9.1-arduino2, installed with the
 * board's core by the Arduino IDE or arduino-cli). Upstream BOSSA 1.9.1, which is what Debian's
 * bossa-cli package ships, reports the device as unsupported. Lookup order: TINYML_BOSSAC, the
 * Arduino IDE's tools folder, then PATH.
 *
 * Everything that touches the outside world (port listing, the touch, sleeping, the process
 * environment) can be injected, so the logic is tested without a board.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Board, BoardFlasher } from '../build/board.js';
import type { Env } from '../build/toolchain.js';
import { whichSync } from '../build/toolchain.js';
import { DeviceError, InputError, ToolFailedError, ToolMissingError } from '../errors.js';
import type { ListPorts, SerialPortInfo } from './ports.js';
import { describePort, describePorts, hex4, listSerialPorts, portRole, sleep as realSleep, touch1200 as realTouch } from './ports.js';

export interface BossacDeps {
  listPorts: ListPorts;
  touch1200: (path: string) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  /** Environment for finding bossac (PATH, HOME, TINYML_BOSSAC) and running it. */
  env: Env;
}

export interface BossacOptions extends Partial<BossacDeps> {
  /** The board's USB port (bootloader or sketch); default: found by USB ID. */
  port?: string;
  /** How long to wait for the bootloader's port after the touch, ms (default 10000). */
  bootloaderWaitMs?: number;
  /** Port polling interval, ms (default 250). */
  pollMs?: number;
  /** Pause after the bootloader port appears, before bossac opens it (default 500 ms). */
  settleMs?: number;
  /** Pass -d to bossac (debug output). */
  verbose?: boolean;
  /** Limit on the bossac run, ms (default 180000). */
  timeoutMs?: number;
  /** Progress messages. */
  log?: (line: string) => void;
}

export interface BossacResult {
  /** The bootloader port bossac wrote through. */
  port: string;
  /** The sketch port the 1200-bps touch went to, if one was needed. */
  touched?: string;
  bossac: string;
  args: string[];
  /** bossac's combined output. */
  output: string;
}

export interface FoundBossac {
  path: string;
  /** Where it was found. */
  source: 'TINYML_BOSSAC' | 'arduino' | 'PATH';
}

function sudo(): string {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
}

/** How to get a bossac that can talk to the Nano 33 BLE bootloader. */
export function bossacInstallHint(): string {
  return (
    'install Arduino\'s BOSSA fork (bossac 1.9.1-arduino2) with the board\'s Arduino core: `arduino-cli core install arduino:mbed_nano` ' +
    '(or "Arduino Mbed OS Nano Boards" in the Arduino IDE\'s boards manager); tinyml finds it in ~/.arduino15/packages/arduino/tools/bossac/. ' +
    'Or build arduino/BOSSA (GitHub, branch nrf) and set TINYML_BOSSAC to its bossac. ' +
    `Note: Debian's package (\`${sudo()}apt-get install bossa-cli\`) is upstream BOSSA 1.9.1, which does not know this bootloader`
  );
}

/** Arduino IDE / arduino-cli data folders that may hold packages/arduino/tools/bossac/<version>/bossac. */
function arduinoDataDirs(env: Env): string[] {
  const home = env.HOME ?? homedir();
  const dirs = [env.ARDUINO_DIRECTORIES_DATA, join(home, '.arduino15'), join(home, 'Library', 'Arduino15')];
  if (env.LOCALAPPDATA) dirs.push(join(env.LOCALAPPDATA, 'Arduino15'));
  return dirs.filter((d): d is string => typeof d === 'string' && d.length > 0);
}

/** Finds bossac: TINYML_BOSSAC, then the Arduino IDE's tools (newest Arduino fork first), then PATH. */
export function findBossac(env: Env = process.env): FoundBossac {
  const override = env.TINYML_BOSSAC;
  if (override && override.length > 0) {
    const p = whichSync(override, env);
    if (!p) throw new ToolMissingError('bossac', `TINYML_BOSSAC is '${override}', which is not an executable; fix it or unset it. To get bossac: ${bossacInstallHint()}`);
    return { path: p, source: 'TINYML_BOSSAC' };
  }
  const exe = process.platform === 'win32' ? 'bossac.exe' : 'bossac';
  for (const data of arduinoDataDirs(env)) {
    const tools = join(data, 'packages', 'arduino', 'tools', 'bossac');
    if (!existsSync(tools)) continue;
    const versions = readdirSync(tools)
      .filter((v) => existsSync(join(tools, v, exe)))
      .sort((a, b) => Number(b.includes('arduino')) - Number(a.includes('arduino')) || b.localeCompare(a, 'en', { numeric: true }));
    for (const v of versions) {
      const p = whichSync(join(tools, v, exe), env);
      if (p) return { path: p, source: 'arduino' };
    }
  }
  const onPath = whichSync(exe, env);
  if (onPath) return { path: onPath, source: 'PATH' };
  throw new ToolMissingError('bossac', `bossac (the flasher for the Arduino bootloader) was not found on PATH or in the Arduino IDE's tools: ${bossacInstallHint()}`);
}

/** The bossac arguments for a board (Arduino mbed core recipe: --port=P -U -i -e -w BIN -R). */
export function bossacArgs(flasher: BoardFlasher, port: string, bin: string, options: { verbose?: boolean } = {}): string[] {
  return [
    ...(options.verbose ? ['-d'] : []),
    `--port=${port}`,
    '-U',
    '-i',
    '-e',
    '-w',
    ...(flasher.offset !== undefined ? [`--offset=0x${flasher.offset.toString(16)}`] : []),
    bin,
    '-R',
  ];
}

function flasherOf(board: Board): BoardFlasher {
  if (!board.flasher || board.flasher.kind !== 'bossac') throw new InputError(`board ${board.name} is not flashed with bossac (board.json has no bossac "flasher")`);
  return board.flasher;
}

function idsText(f: BoardFlasher): string {
  const ids = (pids: number[]): string => pids.map((p) => `${hex4(f.usb.vendorId)}:${hex4(p)}`).join(', ');
  return `bootloader ${ids(f.usb.bootloaderProductIds)}${f.usb.applicationProductIds.length ? `; sketch ${ids(f.usb.applicationProductIds)}` : ''}`;
}

const DOUBLE_TAP =
  'tinyml firmware has no USB, so a board running it shows no port: double-tap the reset button to start the bootloader ' +
  '(the LED pulses), then run the command again';

/** Picks the port to flash through, doing the 1200-bps touch when the board runs a sketch. */
export async function findBootloaderPort(board: Board, options: BossacOptions = {}): Promise<{ port: string; touched?: string }> {
  const flasher = flasherOf(board);
  const listPorts = options.listPorts ?? listSerialPorts;
  const touch = options.touch1200 ?? realTouch;
  const sleep = options.sleep ?? realSleep;
  const log = options.log ?? (() => {});
  const ports = await listPorts();
  const byRole = (role: string): SerialPortInfo[] => ports.filter((p) => portRole(p, flasher) === role);

  let appPort: string;
  if (options.port) {
    const given = ports.find((p) => p.path === options.port);
    if (given && portRole(given, flasher) === 'bootloader') return { port: given.path };
    if (!given && !flasher.touch1200) return { port: options.port }; // not listed (e.g. a symlink): take it as given
    if (given && portRole(given, flasher) === 'other') {
      throw new InputError(
        `--port ${describePort(given)} is not a ${board.name} (looked for USB IDs ${idsText(flasher)}); ` +
          `ports seen: ${describePorts(ports)}`,
      );
    }
    appPort = options.port;
  } else {
    const boot = byRole('bootloader');
    if (boot.length === 1) return { port: boot[0].path };
    if (boot.length > 1) {
      throw new InputError(`several ${board.name} boards are in their bootloader (${describePorts(boot)}); choose one with its port`);
    }
    const apps = byRole('application');
    if (apps.length > 1) {
      throw new InputError(`several ${board.name} boards are connected (${describePorts(apps)}); choose one with its port`);
    }
    if (apps.length === 0 || !flasher.touch1200) {
      throw new DeviceError(
        `no ${board.name} found on USB (looked for USB IDs ${idsText(flasher)}); ports seen: ${describePorts(ports)}. ` +
          `Is the board plugged in with a data cable? ${DOUBLE_TAP}`,
      );
    }
    appPort = apps[0].path;
  }

  // The board runs a sketch with USB serial: ask it to restart into the bootloader.
  log(`${appPort}: 1200-bps touch to start the bootloader`);
  try {
    await touch(appPort);
  } catch (e) {
    throw new DeviceError(`cannot open ${appPort} for the 1200-bps touch: ${(e as Error).message}`, { cause: e });
  }
  const waitMs = options.bootloaderWaitMs ?? 10_000;
  const pollMs = options.pollMs ?? 250;
  let seen: SerialPortInfo[] = [];
  for (let waited = 0; waited <= waitMs; waited += pollMs) {
    await sleep(pollMs);
    seen = await listPorts();
    const boot = seen.filter((p) => portRole(p, flasher) === 'bootloader');
    if (boot.length > 0) {
      // Prefer the same path (Linux usually reuses /dev/ttyACMn), else the only new one.
      const pick = boot.find((p) => p.path === appPort) ?? boot[0];
      if (boot.length > 1 && !boot.some((p) => p.path === appPort)) {
        throw new InputError(`after the touch several bootloader ports are present (${describePorts(boot)}); choose one with its port`);
      }
      await sleep(options.settleMs ?? 500);
      return { port: pick.path, touched: appPort };
    }
  }
  throw new DeviceError(
    `after the 1200-bps touch on ${appPort}, no bootloader port (${idsText(flasher).split(';')[0]}) appeared within ${(waitMs / 1000).toFixed(1)} s; ` +
      `ports seen: ${describePorts(seen)}. Double-tap the reset button to start the bootloader by hand (the LED pulses), then run the command again`,
  );
}

/** bossac's version line ("... Version 1.9.1-arduino2"), or undefined. */
export async function bossacVersion(bossac: string, env: Env = process.env): Promise<string | undefined> {
  const r = await execa(bossac, ['--help'], { all: true, reject: false, env: env as NodeJS.ProcessEnv, extendEnv: false, timeout: 10_000 });
  return /Version\s+(\S+)/.exec(r.all ?? '')?.[1];
}

/** Flashes `bin` (a flat image from elfToBin) onto the board; see the module comment. */
export async function flashWithBossac(board: Board, bin: string, options: BossacOptions = {}): Promise<BossacResult> {
  const flasher = flasherOf(board);
  if (!existsSync(bin)) throw new InputError(`firmware image not found: ${bin}`);
  const env = options.env ?? process.env;
  const bossac = findBossac(env); // before touching the board: a missing tool should not leave it in its bootloader
  const log = options.log ?? (() => {});
  const { port, touched } = await findBootloaderPort(board, options);
  const args = bossacArgs(flasher, port, bin, options);
  log(`${bossac.path} ${args.join(' ')}`);
  const run = await execa(bossac.path, args, {
    all: true,
    reject: false,
    env: env as NodeJS.ProcessEnv,
    extendEnv: false,
    timeout: options.timeoutMs ?? 180_000,
  });
  const output = run.all ?? '';
  if ((run as { code?: string }).code === 'ENOENT') {
    throw new ToolMissingError('bossac', `cannot run ${bossac.path}: ${bossacInstallHint()}`);
  }
  if (run.exitCode !== 0 || run.timedOut) {
    const why = run.timedOut ? `timed out after ${((options.timeoutMs ?? 180_000) / 1000).toFixed(0)} s` : `exited with ${run.exitCode ?? run.signal}`;
    const hints: string[] = [];
    if (/unsupported|No device found/i.test(output)) {
      const version = await bossacVersion(bossac.path, env).catch(() => undefined);
      if (version !== undefined && !/arduino/i.test(version)) {
        hints.push(`this bossac is version ${version}, not Arduino's fork: ${bossacInstallHint()}`);
      }
      if (/No device found/i.test(output)) hints.push(`is the board still in its bootloader? ${DOUBLE_TAP}`);
    }
    throw new ToolFailedError(
      `flashing ${board.name} failed: ${bossac.path} ${args.join(' ')} ${why}:\n${output.trim() || '(no output)'}` +
        (hints.length ? `\n${hints.join('\n')}` : ''),
    );
  }
  return { port, ...(touched ? { touched } : {}), bossac: bossac.path, args, output };
}
