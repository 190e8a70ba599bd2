/**
 * Building a firmware project written by writeFirmwareProject(): runs make, then reports section
 * sizes and checks that the image fits the board.
 *
 * The linker is deliberately not the first to object to an oversized model: we link with
 * generous region limits and compare the sizes with board.json ourselves, so the user gets
 * "does not fit qemu-m3: flash needs 4,300,000 bytes, the board has 4,194,304 (over by
 * 105,696 bytes)" rather than a linker error. (Should the linker still overflow, its "region
 * `FLASH' overflowed by N bytes" message is turned into the same error.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { DoesNotFitError, InputError, ToolFailedError, ToolMissingError } from '../errors.js';
import { type Board, parseBoard } from './board.js';
import { type Env, findArmToolchain, findMake, INSTALL_HINTS } from './toolchain.js';

export type OptLevel = '-O0' | '-O1' | '-O2' | '-O3' | '-Os';

export interface BuildOptions {
  /** Optimization level (default -O2). */
  opt?: OptLevel;
  /** Build with the per-layer timing hook (-DTINYML_PROFILE) so PROFILE works. */
  profile?: boolean;
  /** Parallel make jobs (default 2). */
  jobs?: number;
  /** Environment for tool lookup and make (default process.env). */
  env?: Env;
  /** Skip the fit check (still reports sizes). */
  skipFitCheck?: boolean;
}

/** Bytes per output section, as `size -A` reports them. */
export interface SectionSizes {
  text: number;
  rodata: number;
  data: number;
  bss: number;
  /** Stack reserve (the linker script's .stack section). */
  stack: number;
  /** Any other allocated section, by name (e.g. .ARM.exidx), counted where its address lies. */
  other: Record<string, { size: number; region: 'flash' | 'ram' }>;
}

export interface BuildResult {
  /** Absolute path of the ELF. */
  elf: string;
  /** The project directory. */
  dir: string;
  board: Board;
  opt: OptLevel;
  profile: boolean;
  sections: SectionSizes;
  /** Flash used: .text + .rodata + .data (initial values) + other flash sections. */
  flashBytes: number;
  /** RAM used: .data + .bss + stack reserve + other RAM sections. There is no heap. */
  ramBytes: number;
  /** The board's flash and RAM sizes. */
  flashSize: number;
  ramSize: number;
  /** make's combined output. */
  log: string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Reads the board description a project carries (board/board.json). */
export function loadProjectBoard(dir: string): Board {
  const file = join(dir, 'board', 'board.json');
  if (!existsSync(file)) {
    throw new InputError(`${resolve(dir)} is not a tinyml firmware project (no board/board.json); write one with writeFirmwareProject() first`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseBoard(raw, file, join(dir, 'board'), { checkFiles: false });
}

/** Builds the project in `dir` and checks the result fits its board. */
export async function buildFirmware(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const root = resolve(dir);
  const board = loadProjectBoard(root);
  const env = options.env ?? process.env;
  const tools = findArmToolchain(env);
  const make = findMake(env);
  const opt = options.opt ?? '-O2';
  const profile = options.profile === true;
  const limits = linkLimits(board);
  const args = [
    '-C',
    root,
    `-j${options.jobs ?? 2}`,
    `OPT=${opt}`,
    `PROFILE=${profile ? 1 : 0}`,
    `PREFIX=${tools.prefix}`,
    `FLASH_LIMIT=${limits.flash}`,
    `RAM_LIMIT=${limits.ram}`,
  ];
  const run = await execa(make, args, { all: true, reject: false, env: env as NodeJS.ProcessEnv, extendEnv: false });
  const log = run.all ?? '';
  if (run.exitCode !== 0) {
    throw buildError(board, log, `${make} ${args.join(' ')}`, run.exitCode);
  }
  const config = `${opt.replace(/-/g, '')}${profile ? '-profile' : ''}`;
  const elf = join(root, 'build', config, 'firmware.elf');
  if (!existsSync(elf)) throw new ToolFailedError(`make succeeded but ${elf} was not produced:\n${tail(log)}`);

  const size = await execa(tools.size, ['-A', '-d', elf], { reject: false });
  if (size.exitCode !== 0) throw new ToolFailedError(`${tools.size} -A ${elf} failed: ${size.stderr}`);
  const sections = classifySections(board, parseSizeOutput(size.stdout));
  const result: BuildResult = {
    elf,
    dir: root,
    board,
    opt,
    profile,
    sections,
    ...usage(sections),
    flashSize: board.flash.size,
    ramSize: board.ram.size,
    log,
  };
  if (!options.skipFitCheck) checkFit(board, result);
  return result;
}

/** Parses `size -A -d` output into (name, size, address) rows. */
export function parseSizeOutput(text: string): Array<{ name: string; size: number; addr: number }> {
  const rows: Array<{ name: string; size: number; addr: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^(\.\S+|\S+)\s+(\d+)\s+(\d+)\s*$/.exec(line.trim());
    if (m && m[1] !== 'Total') rows.push({ name: m[1], size: Number(m[2]), addr: Number(m[3]) });
  }
  return rows;
}

const NON_ALLOC = /^\.(debug|comment|ARM\.attributes|note|stab|gnu_debug|GCC\.command\.line)/;

/** The linker script's output sections that SectionSizes counts by name. */
const NAMED_SECTIONS = new Map<string, 'text' | 'rodata' | 'data' | 'bss' | 'stack'>([
  ['.text', 'text'],
  ['.rodata', 'rodata'],
  ['.data', 'data'],
  ['.bss', 'bss'],
  ['.stack', 'stack'],
]);

export function classifySections(board: Board, rows: Array<{ name: string; size: number; addr: number }>): SectionSizes {
  const s: SectionSizes = { text: 0, rodata: 0, data: 0, bss: 0, stack: 0, other: {} };
  for (const r of rows) {
    const named = NAMED_SECTIONS.get(r.name);
    if (named) {
      s[named] += r.size;
      continue;
    }
    if (NON_ALLOC.test(r.name) || r.size === 0) continue;
    // Between the RAM origin and the flash origin (when flash lies above RAM) is RAM.
    const inRam = r.addr >= board.ram.origin && !(board.flash.origin > board.ram.origin && r.addr >= board.flash.origin);
    s.other[r.name] = { size: r.size, region: inRam ? 'ram' : 'flash' };
  }
  return s;
}

function usage(s: SectionSizes): { flashBytes: number; ramBytes: number } {
  let flash = s.text + s.rodata + s.data;
  let ram = s.data + s.bss + s.stack;
  for (const o of Object.values(s.other)) {
    if (o.region === 'flash') flash += o.size;
    else ram += o.size;
  }
  return { flashBytes: flash, ramBytes: ram };
}

/** Throws DoesNotFitError when the image exceeds the board's flash or RAM. */
export function checkFit(board: Board, r: { flashBytes: number; ramBytes: number; sections: SectionSizes }): void {
  const problems: string[] = [];
  const s = r.sections;
  // With a separate constants region, .rodata is checked against it rather than against flash.
  const flashBytes = board.constants ? r.flashBytes - s.rodata : r.flashBytes;
  if (flashBytes > board.flash.size) {
    problems.push(
      `flash needs ${fmt(flashBytes)} bytes, the board has ${fmt(board.flash.size)} (over by ${fmt(flashBytes - board.flash.size)} bytes; ` +
        `.text ${fmt(s.text)}${board.constants ? '' : ` + .rodata ${fmt(s.rodata)}`} + .data ${fmt(s.data)})`,
    );
  }
  if (board.constants && s.rodata > board.constants.size) {
    problems.push(
      `constants need ${fmt(s.rodata)} bytes, the board's ${board.constants.description.split(/[,(:]/)[0]} has ${fmt(board.constants.size)} ` +
        `(over by ${fmt(s.rodata - board.constants.size)} bytes of .rodata)`,
    );
  }
  if (r.ramBytes > board.ram.size) {
    problems.push(
      `RAM needs ${fmt(r.ramBytes)} bytes, the board has ${fmt(board.ram.size)} (over by ${fmt(r.ramBytes - board.ram.size)} bytes; ` +
        `.data ${fmt(s.data)} + .bss ${fmt(s.bss)} + stack ${fmt(s.stack)})`,
    );
  }
  if (problems.length > 0) {
    throw new DoesNotFitError(`does not fit ${board.name}: ${problems.join('; ')}`);
  }
}

/**
 * Region limits for tinyml's own link: as large as the address map allows (up to the other
 * region, at most 1 GiB), so that the linker accepts an oversized image and checkFit() can
 * report it precisely.
 */
export function linkLimits(board: Board): { flash: number; ram: number } {
  const cap = 0x4000_0000;
  const room = (origin: number, other: number): number => Math.min(cap, other > origin ? other - origin : 0x1_0000_0000 - origin);
  return {
    flash: Math.max(board.flash.size, room(board.flash.origin, board.ram.origin)),
    ram: Math.max(board.ram.size, Math.min(room(board.ram.origin, board.flash.origin), 0xe000_0000 - board.ram.origin)),
  };
}

function tail(log: string, lines = 40): string {
  const all = log.trimEnd().split('\n');
  return all.slice(Math.max(0, all.length - lines)).join('\n');
}

function buildError(board: Board, log: string, command: string, exitCode: number | undefined): Error {
  if (/nano\.specs: (No such file|attempt to rename)|cannot find -lc_nano|cannot read spec file 'nano\.specs'/.test(log)) {
    return new ToolMissingError('libnewlib-arm-none-eabi', `the Arm toolchain has no newlib C library (nano.specs not found); install it with: ${INSTALL_HINTS.newlib()}`);
  }
  // The linker's own overflow message (a plain `make` link, or limits we could not raise).
  const over = [...log.matchAll(/region [`'](FLASH|RAM|CONSTANTS)' overflowed by (\d+) bytes?/g)];
  if (over.length > 0) {
    const parts = over.map(([, region, n]) => {
      const r = region === 'FLASH' ? board.flash : region === 'RAM' ? board.ram : (board.constants ?? board.flash);
      const by = Number(n);
      const what = region === 'FLASH' ? 'flash' : region === 'RAM' ? 'RAM' : 'constants';
      return `${what} need${what === 'constants' ? '' : 's'} at least ${fmt(r.size + by)} bytes, the board has ${fmt(r.size)} (over by ${fmt(by)} bytes)`;
    });
    return new DoesNotFitError(`does not fit ${board.name}: ${parts.join('; ')}`);
  }
  // Show the compiler's diagnostics (error lines with their context), not make's noise.
  const lines = log.split('\n');
  const firstError = lines.findIndex((l) => /\berror\b|undefined reference|No rule to make target/i.test(l));
  const excerpt = firstError >= 0 ? lines.slice(Math.max(0, firstError - 3), firstError + 25).join('\n') : tail(log);
  return new ToolFailedError(`building the firmware for ${board.name} failed (${command} exited with ${exitCode}):\n${excerpt}`);
}
