/**
 * ELF → raw binary for bootloaders that take a flat image (bossac writes a .bin). The image
 * starts at the board's flash origin, so its first two words are the vector table's initial
 * stack pointer and reset handler; they are checked here, since a .bin placed at the wrong
 * address bricks nothing but boots nothing either.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Board } from '../build/board.js';
import type { Env } from '../build/toolchain.js';
import { findArmToolchain, INSTALL_HINTS, whichSync } from '../build/toolchain.js';
import { DoesNotFitError, InputError, ToolFailedError, ToolMissingError } from '../errors.js';

export interface BinImage {
  /** Absolute path of the .bin (next to the ELF, same stem). */
  bin: string;
  bytes: number;
  /** Load address of the first byte (the board's flash origin). */
  address: number;
  /** Vector table word 0: the initial stack pointer. */
  initialSp: number;
  /** Vector table word 1: the reset handler (Thumb bit set). */
  resetHandler: number;
}

/** Path of arm-none-eabi-objcopy (next to the gcc the build used). */
export function findObjcopy(env: Env = process.env): string {
  const { prefix, gcc } = findArmToolchain(env);
  const objcopy = whichSync(`${prefix}objcopy`, env);
  if (!objcopy) {
    throw new ToolMissingError('arm-none-eabi-objcopy', `found ${gcc} but not ${prefix}objcopy next to it; install binutils with: ${INSTALL_HINTS.gcc()}`);
  }
  return objcopy;
}

/** Writes `<elf stem>.bin` next to the ELF with objcopy -O binary and checks it. */
export async function elfToBin(board: Board, elf: string, options: { env?: Env; out?: string } = {}): Promise<BinImage> {
  if (!existsSync(elf)) throw new InputError(`firmware ELF not found: ${elf}`);
  const objcopy = findObjcopy(options.env ?? process.env);
  const bin = options.out ?? join(dirname(elf), `${elf.replace(/^.*[\\/]/, '').replace(/\.elf$/i, '')}.bin`);
  const run = await execa(objcopy, ['-O', 'binary', elf, bin], { all: true, reject: false });
  if (run.exitCode !== 0) throw new ToolFailedError(`${objcopy} -O binary ${elf} failed:\n${run.all ?? ''}`);
  return checkBinImage(board, bin);
}

/** Checks that a flat image fits the board's flash and starts with a plausible vector table. */
export function checkBinImage(board: Board, bin: string): BinImage {
  const bytes = statSync(bin).size;
  if (bytes > board.flash.size) {
    // A section with a load address outside flash makes objcopy pad the gap: say so.
    throw new DoesNotFitError(
      `${bin} is ${bytes.toLocaleString('en-US')} bytes, more than the ${board.flash.size.toLocaleString('en-US')} bytes of flash of ${board.name}` +
        ' (is some section loaded outside flash?)',
    );
  }
  if (bytes < 8) throw new ToolFailedError(`${bin} is only ${bytes} bytes: not a firmware image`);
  const head = readFileSync(bin).subarray(0, 8);
  const initialSp = head.readUInt32LE(0);
  const resetHandler = head.readUInt32LE(4);
  const inRam = initialSp > board.ram.origin && initialSp <= board.ram.origin + board.ram.size && initialSp % 8 === 0;
  const inFlash = resetHandler >= board.flash.origin && resetHandler < board.flash.origin + bytes && (resetHandler & 1) === 1;
  if (!inRam || !inFlash) {
    const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
    throw new ToolFailedError(
      `${bin} does not start with a vector table for ${board.name} linked at ${hex(board.flash.origin)}: ` +
        `initial SP ${hex(initialSp)} (expected 8-byte aligned, within RAM ${hex(board.ram.origin)}-${hex(board.ram.origin + board.ram.size)}), ` +
        `reset handler ${hex(resetHandler)} (expected a Thumb address within the image)`,
    );
  }
  return { bin, bytes, address: board.flash.origin, initialSp, resetHandler };
}
