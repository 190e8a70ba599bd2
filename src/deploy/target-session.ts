/**
 * A running target: QEMU for emulated boards (the UART on a pseudo-terminal), or a physical
 * board on a serial port. Either way the caller gets the same DeviceClient. A physical board
 * with a "flasher" in its board.json (e.g. nano33: bossac) is programmed first.
 */
import type { Board } from '../build/board.js';
import { InputError } from '../errors.js';
import type { FlashOptions } from '../flash/index.js';
import { checkLinkPort, flashFirmware } from '../flash/index.js';
import { sleep } from '../flash/ports.js';
import { startQemu } from '../runners/qemu.js';
import type { DeviceClient } from '../serial/client.js';
import { openSerialDevice } from '../serial/client.js';
import type { DeviceInfo } from '../serial/protocol.js';

export interface TargetSession {
  client: DeviceClient;
  info: DeviceInfo;
  board: Board;
  /** Where the link is: a pty path under QEMU, or the serial port. */
  port: string;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Serial port of a physical board's link (required for boards without a "qemu" section). */
  port?: string;
  baud?: number;
  timeoutMs?: number;
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

export async function openTargetSession(board: Board, elf: string, options: SessionOptions = {}): Promise<TargetSession> {
  if (board.qemu) {
    const s = await startQemu({ board, elf, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    return { client: s.client, info: s.info, board, port: s.ptyPath, close: () => s.close() };
  }
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
  const client = await openSerialDevice(options.port, options.baud ?? board.uart.baud, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
  try {
    const info = await client.info();
    return { client, info, board, port: options.port, close: () => client.close() };
  } catch (e) {
    await client.close();
    throw e;
  }
}

/** Session options from the CLI's --port / --flash-port / --no-flash. */
export function sessionOptionsFromCli(opts: { port?: string; flashPort?: string; flash?: boolean }, log?: (line: string) => void): SessionOptions {
  return {
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.flashPort ? { flashPort: opts.flashPort } : {}),
    ...(opts.flash === false ? { flash: false } : {}),
    ...(log ? { log } : {}),
  };
}
