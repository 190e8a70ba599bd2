/**
 * A link to a board, whichever kind: an emulated board boots `elf` under QEMU; a physical board
 * is programmed with `elf` first when its board.json has a "flasher" (e.g. nano33: bossac), then
 * its serial port is opened.
 */
import type { Board } from '../build/board.js';
import { InputError } from '../errors.js';
import type { FlashOptions } from '../flash/index.js';
import { checkLinkPort, flashFirmware } from '../flash/index.js';
import { sleep } from '../flash/ports.js';
import { openQemuLink, type QemuLink } from './qemu.js';
import { openSerialLink, type SerialLink } from './serial-port.js';

export interface LinkOptions {
  /** Serial port of a physical board's link (required for boards without a "qemu" section). */
  port?: string;
  baud?: number;
  /**
   * Program a physical board that has a "flasher" in board.json with `elf` before connecting
   * (default true). False: the board already runs the firmware.
   */
  flash?: boolean;
  /** The board's USB port for the flasher (default: $TINYML_FLASH_PORT, else found by USB ID). */
  flashPort?: string;
  /** Progress messages (flashing). */
  log?: (line: string) => void;
  /** Flasher options and injected dependencies (tests). */
  flashOptions?: FlashOptions;
  /** Replaces flashFirmware (tests). */
  flasher?: (board: Board, elf: string, options: FlashOptions) => Promise<unknown>;
  /** Pause between flashing and connecting while the board restarts, ms (default 1500). */
  bootDelayMs?: number;
}

/** Opens a link to `board` running `elf`: QEMU for emulated boards, else flash (if it has a flasher) and open its port. */
export async function openBoardLink(board: Board, elf: string, options: LinkOptions = {}): Promise<QemuLink | SerialLink> {
  if (board.qemu) return openQemuLink({ board, elf });
  return openPhysicalLink(board, elf, options);
}

/** A physical board: flashed first when board.json has a flasher (unless `flash` is false), then its serial port. */
export async function openPhysicalLink(board: Board, elf: string, options: LinkOptions = {}): Promise<SerialLink> {
  if (!options.port) {
    const pins = board.uart.pins ? ` (the USB-serial adapter on its ${board.uart.pins.tx} TX / ${board.uart.pins.rx} RX pins)` : '';
    throw new InputError(`board ${board.name} is a physical board: give its serial port${pins} with --port`);
  }
  if (board.flasher && options.flash !== false) {
    await checkLinkPort(board, options.port, options.flashOptions?.listPorts);
    const flashPort = options.flashPort ?? process.env.TINYML_FLASH_PORT;
    await (options.flasher ?? flashFirmware)(board, elf, {
      ...options.flashOptions,
      ...(flashPort ? { port: flashPort } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    await (options.flashOptions?.sleep ?? sleep)(options.bootDelayMs ?? 1500);
  }
  return openSerialLink(options.port, options.baud ?? board.uart.baud);
}
