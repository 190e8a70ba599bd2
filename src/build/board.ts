/**
 * Board definitions: boards/<name>/board.json, validated and typed.
 *
 * A board folder holds board.json plus the board's C support (board.c: UART and timer behind
 * firmware/runtime/tinyml_board.h) and its linker script; code shared by several boards lives in
 * boards/common/ and is referenced from board.json with "../common/..." paths.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { boardsDir as defaultBoardsDir } from './paths.js';

export interface MemoryRegion {
  /** Start address. */
  origin: number;
  /** Size in bytes. */
  size: number;
  description: string;
}

/** What a latency is counted in: executed instructions (QEMU, exact under -icount) or core cycles (hardware). */
export type LatencyUnit = 'instructions' | 'cycles';

export type TimerKind = 'cmsdk-apb-timer' | 'sse-counter' | 'dwt-cyccnt' | 'systick';

export interface BoardTimer {
  kind: TimerKind;
  /** MMIO base of the timer (absent for core timers such as the DWT cycle counter). */
  base?: number;
  /** Tick rate of the raw counter, Hz. */
  hz: number;
  /** Counter width the firmware reports; intervals wrap modulo 2^bits. */
  bits: 32;
  description: string;
  latencyUnit: LatencyUnit;
  /** Raw timer ticks per latency unit: latency = ticks / ticksPerUnit. */
  ticksPerUnit: number;
  note?: string;
}

/** UART peripherals with a driver in boards/: Arm's CMSDK APB UART, Nordic's nRF52 UARTE (EasyDMA). */
export type UartKind = 'cmsdk-apb-uart' | 'nrf52-uarte';

export interface BoardUart {
  kind: UartKind;
  base: number;
  baud: number;
  description: string;
  /** Pins of a physical board's link, e.g. { tx: 'P1.03', rx: 'P1.10' } (documentation). */
  pins?: { tx: string; rx: string };
}

/**
 * How a physical board is programmed. 'bossac': a SAM-BA bootloader on the board's USB port
 * (Arduino boards), entered with a 1200-bps "touch" on the running application's port.
 */
export interface BoardFlasher {
  kind: 'bossac';
  /** USB IDs of the board's serial ports, for auto-detection. */
  usb: {
    vendorId: number;
    /** Product IDs the board has while its bootloader runs (the port bossac talks to). */
    bootloaderProductIds: number[];
    /** Product IDs of an application with a USB serial port (a 1200-bps touch starts the bootloader). */
    applicationProductIds: number[];
  };
  /** Whether opening an application port at 1200 bps and closing it restarts into the bootloader. */
  touch1200: boolean;
  /** bossac --offset, when the bootloader does not place the image itself. */
  offset?: number;
  description: string;
}

export interface BoardQemu {
  /** qemu-system-arm -M value. */
  machine: string;
  /** qemu-system-arm -cpu value. */
  cpu: string;
  /** -icount shift: one instruction takes 2^shift ns of virtual time. */
  icountShift: number;
  /** Further arguments appended to the QEMU command line. */
  extraArgs: string[];
}

export interface Board {
  name: string;
  description: string;
  /** Core, e.g. "cortex-m4". */
  core: string;
  /** Compiler flags selecting the core, FPU and float ABI. */
  cflags: string[];
  /** Non-volatile code/constant memory (.text, .rodata, .data's initial values). */
  flash: MemoryRegion;
  /**
   * Read-only memory holding .rodata (the model's weights) when it is not `flash` (linker.ld
   * aliases CONSTANTS to it); absent: constants are in flash.
   */
  constants?: MemoryRegion;
  /** Read-write memory (.data, .bss, stack). */
  ram: MemoryRegion;
  /** Stack reserve in bytes (counted in RAM used). */
  stackBytes: number;
  /** Core clock of the board (for QEMU boards: of the real board the machine emulates), Hz. */
  clockHz: number;
  clockNote?: string;
  uart: BoardUart;
  timer: BoardTimer;
  /** How to run it under QEMU; absent for physical boards. */
  qemu?: BoardQemu;
  /** How to program a physical board (absent: the user flashes it by other means). */
  flasher?: BoardFlasher;
  /** Board C sources, relative to the board folder (shared ones as "../common/x.c"). */
  sources: string[];
  /** Board headers the sources need, relative to the board folder. */
  headers: string[];
  /** Linker scripts, relative to the board folder; the first is the one passed to the linker. */
  linkerScripts: string[];
  /** Absolute path of the board folder (not in board.json). */
  dir: string;
}

/** Raw timer ticks per latency unit as an exact fraction (what the firmware reports in INFO). */
export interface Ratio {
  num: number;
  den: number;
}

export interface LoadBoardOptions {
  /** Folder that holds the board folders (default: the package's boards/). */
  boardsDir?: string;
}

/** Names of the boards in the boards folder, sorted. */
export function listBoards(options: LoadBoardOptions = {}): string[] {
  const dir = options.boardsDir ?? defaultBoardsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => {
      const p = join(dir, name, 'board.json');
      return existsSync(p) && statSync(p).isFile();
    })
    .sort();
}

/** Loads and validates boards/<name>/board.json. Unknown name: InputError listing the known boards. */
export function loadBoard(name: string, options: LoadBoardOptions = {}): Board {
  const root = options.boardsDir ?? defaultBoardsDir();
  const known = listBoards({ boardsDir: root });
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !known.includes(name)) {
    throw new InputError(
      `unknown board '${name}'; known boards: ${known.length > 0 ? known.join(', ') : '(none found in ' + root + ')'}`,
    );
  }
  const dir = resolve(root, name);
  const file = join(dir, 'board.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const board = parseBoard(raw, file, dir);
  if (board.name !== name) {
    throw new InputError(`${file}: "name" is '${board.name}' but the folder is '${name}'`);
  }
  return board;
}

/**
 * Validates a parsed board.json; `where` names the file in error messages. With `checkFiles`
 * (the default) the listed sources must exist under `dir`; a generated project holds a flattened
 * copy of them, so it reads its board/board.json with checkFiles false.
 */
export function parseBoard(raw: unknown, where: string, dir: string, options: { checkFiles?: boolean } = {}): Board {
  const v = new Validator(where);
  const o = v.object(raw, '');
  const timerObj = v.object(o.timer, 'timer');
  const uartObj = v.object(o.uart, 'uart');
  const board: Board = {
    name: v.string(o.name, 'name'),
    description: v.string(o.description, 'description'),
    core: v.string(o.core, 'core'),
    cflags: v.stringArray(o.cflags, 'cflags'),
    flash: v.region(o.flash, 'flash'),
    ram: v.region(o.ram, 'ram'),
    stackBytes: v.uint(o.stackBytes, 'stackBytes'),
    clockHz: v.positive(o.clockHz, 'clockHz'),
    clockNote: v.optionalString(o.clockNote, 'clockNote'),
    uart: {
      kind: v.oneOf(uartObj.kind, 'uart.kind', ['cmsdk-apb-uart', 'nrf52-uarte'] as const),
      base: v.address(uartObj.base, 'uart.base'),
      baud: v.positive(uartObj.baud, 'uart.baud'),
      description: v.string(uartObj.description, 'uart.description'),
    },
    timer: {
      kind: v.oneOf(timerObj.kind, 'timer.kind', ['cmsdk-apb-timer', 'sse-counter', 'dwt-cyccnt', 'systick'] as const),
      base: timerObj.base === undefined ? undefined : v.address(timerObj.base, 'timer.base'),
      hz: v.positive(timerObj.hz, 'timer.hz'),
      bits: v.oneOf(timerObj.bits, 'timer.bits', [32] as const),
      description: v.string(timerObj.description, 'timer.description'),
      latencyUnit: v.oneOf(timerObj.latencyUnit, 'timer.latencyUnit', ['instructions', 'cycles'] as const),
      ticksPerUnit: v.positive(timerObj.ticksPerUnit, 'timer.ticksPerUnit'),
      note: v.optionalString(timerObj.note, 'timer.note'),
    },
    sources: v.stringArray(o.sources, 'sources'),
    headers: o.headers === undefined ? [] : v.stringArray(o.headers, 'headers'),
    linkerScripts: v.stringArray(o.linkerScripts, 'linkerScripts'),
    dir,
  };
  if (uartObj.pins !== undefined) {
    const pins = v.object(uartObj.pins, 'uart.pins');
    board.uart.pins = { tx: v.string(pins.tx, 'uart.pins.tx'), rx: v.string(pins.rx, 'uart.pins.rx') };
  }
  if (o.constants !== undefined) board.constants = v.region(o.constants, 'constants');
  if (o.flasher !== undefined) board.flasher = parseFlasher(v, o.flasher);
  if (o.qemu !== undefined) {
    const q = v.object(o.qemu, 'qemu');
    board.qemu = {
      machine: v.string(q.machine, 'qemu.machine'),
      cpu: v.string(q.cpu, 'qemu.cpu'),
      icountShift: v.uint(q.icountShift, 'qemu.icountShift'),
      extraArgs: q.extraArgs === undefined ? [] : v.stringArray(q.extraArgs, 'qemu.extraArgs'),
    };
    if (board.timer.latencyUnit !== 'instructions') {
      v.fail('timer.latencyUnit', 'must be "instructions" for a QEMU board (QEMU counts instructions, not cycles)');
    }
    // Under -icount shift=S an instruction lasts 2^S ns, so a timer at hz advances hz*2^S/1e9 ticks.
    const expected = (board.timer.hz * 2 ** board.qemu.icountShift) / 1e9;
    if (Math.abs(expected - board.timer.ticksPerUnit) > 1e-9 * expected) {
      v.fail(
        'timer.ticksPerUnit',
        `is ${board.timer.ticksPerUnit} but a ${board.timer.hz} Hz timer under -icount shift=${board.qemu.icountShift} ` +
          `advances ${expected} ticks per instruction`,
      );
    }
  } else if (board.timer.latencyUnit !== 'cycles') {
    v.fail('timer.latencyUnit', 'must be "cycles" for a physical board');
  }
  if (board.sources.length === 0) v.fail('sources', 'must list at least the board support C file');
  if (board.linkerScripts.length === 0) v.fail('linkerScripts', 'must list the linker script');
  for (const rel of options.checkFiles === false ? [] : [...board.sources, ...board.headers, ...board.linkerScripts]) {
    if (!existsSync(resolve(dir, rel))) v.fail('sources', `lists '${rel}', which does not exist in ${dir}`);
  }
  ticksPerUnitRatio(board); // validates that it is a usable fraction
  return board;
}

function parseFlasher(v: Validator, raw: unknown): BoardFlasher {
  const f = v.object(raw, 'flasher');
  const kind = v.oneOf(f.kind, 'flasher.kind', ['bossac'] as const);
  const usb = v.object(f.usb, 'flasher.usb');
  const usbId = (x: unknown, field: string): number => {
    const n = v.uint(x, field);
    if (n > 0xffff) v.fail(field, 'must be a 16-bit USB ID');
    return n;
  };
  const ids = (x: unknown, field: string): number[] => {
    if (!Array.isArray(x)) v.fail(field, 'must be an array of USB product IDs');
    return x.map((e, i) => usbId(e, `${field}[${i}]`));
  };
  if (f.touch1200 !== undefined && typeof f.touch1200 !== 'boolean') v.fail('flasher.touch1200', 'must be true or false');
  const flasher: BoardFlasher = {
    kind,
    usb: {
      vendorId: usbId(usb.vendorId, 'flasher.usb.vendorId'),
      bootloaderProductIds: ids(usb.bootloaderProductIds, 'flasher.usb.bootloaderProductIds'),
      applicationProductIds: usb.applicationProductIds === undefined ? [] : ids(usb.applicationProductIds, 'flasher.usb.applicationProductIds'),
    },
    touch1200: f.touch1200 === true,
    description: v.string(f.description, 'flasher.description'),
  };
  if (flasher.usb.bootloaderProductIds.length === 0) v.fail('flasher.usb.bootloaderProductIds', 'must list at least one product ID');
  if (f.offset !== undefined) flasher.offset = v.uint(f.offset, 'flasher.offset');
  return flasher;
}

/** The board's ticks-per-unit as an exact fraction num/den (both fit in uint32). */
export function ticksPerUnitRatio(board: Board): Ratio {
  if (board.qemu) {
    return reduce(board.timer.hz * 2 ** board.qemu.icountShift, 1e9);
  }
  const x = board.timer.ticksPerUnit;
  for (let den = 1; den <= 1_000_000; den *= 10) {
    const num = Math.round(x * den);
    if (Math.abs(num / den - x) < 1e-12 * Math.max(1, x)) return reduce(num, den);
  }
  throw new InputError(`board ${board.name}: timer.ticksPerUnit ${x} is not a decimal with at most 6 digits after the point`);
}

/** Converts raw timer ticks to the board's latency unit (instructions or cycles). */
export function ticksToUnits(board: Board, ticks: number): number {
  const r = ticksPerUnitRatio(board);
  return (ticks * r.den) / r.num;
}

/** Milliseconds for a latency in the board's unit, at the board's clock. */
export function unitsToMs(board: Board, units: number): number {
  return (units / board.clockHz) * 1000;
}

function reduce(num: number, den: number): Ratio {
  let a = num;
  let b = den;
  while (b !== 0) [a, b] = [b, a % b];
  const r = { num: num / a, den: den / a };
  if (r.num > 0xffffffff || r.den > 0xffffffff) throw new InputError(`ticks-per-unit fraction ${num}/${den} does not fit 32 bits`);
  return r;
}

/** Small structural validator with messages naming the file and the field. */
class Validator {
  constructor(private readonly where: string) {}

  fail(field: string, message: string): never {
    throw new InputError(`${this.where}: ${field ? `"${field}" ` : ''}${message}`);
  }

  object(x: unknown, field: string): Record<string, unknown> {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(field, 'must be an object');
    return x as Record<string, unknown>;
  }

  string(x: unknown, field: string): string {
    if (typeof x !== 'string' || x.length === 0) this.fail(field, 'must be a non-empty string');
    return x;
  }

  optionalString(x: unknown, field: string): string | undefined {
    return x === undefined ? undefined : this.string(x, field);
  }

  stringArray(x: unknown, field: string): string[] {
    if (!Array.isArray(x) || x.some((e) => typeof e !== 'string')) this.fail(field, 'must be an array of strings');
    return [...(x as string[])];
  }

  /** A number, or a "0x..." string (JSON has no hex literals; addresses read better in hex). */
  number(x: unknown, field: string): number {
    if (typeof x === 'number' && Number.isFinite(x)) return x;
    if (typeof x === 'string' && /^0x[0-9a-fA-F]+$/.test(x)) return Number.parseInt(x.slice(2), 16);
    if (typeof x === 'string' && /^[0-9]+$/.test(x)) return Number.parseInt(x, 10);
    this.fail(field, 'must be a number (or a "0x..." hex string)');
  }

  uint(x: unknown, field: string): number {
    const n = this.number(x, field);
    if (!Number.isInteger(n) || n < 0) this.fail(field, 'must be a non-negative integer');
    return n;
  }

  positive(x: unknown, field: string): number {
    const n = this.number(x, field);
    if (!(n > 0)) this.fail(field, 'must be positive');
    return n;
  }

  address(x: unknown, field: string): number {
    const n = this.uint(x, field);
    if (n > 0xffffffff) this.fail(field, 'must be a 32-bit address');
    return n;
  }

  region(x: unknown, field: string): MemoryRegion {
    const o = this.object(x, field);
    const region = {
      origin: this.address(o.origin, `${field}.origin`),
      size: this.uint(o.size, `${field}.size`),
      description: this.string(o.description, `${field}.description`),
    };
    if (region.size === 0 || region.origin + region.size > 0x1_0000_0000) this.fail(field, 'must lie within the 32-bit address space');
    return region;
  }

  oneOf<T extends string | number>(x: unknown, field: string, allowed: readonly T[]): T {
    if (!allowed.includes(x as T)) this.fail(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return x as T;
  }
}
