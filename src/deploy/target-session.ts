/**
 * A running target: QEMU for emulated boards (the UART on a pseudo-terminal), or a physical
 * board on a serial port. Either way the caller gets the same DeviceClient.
 */
import type { Board } from '../build/board.js';
import { InputError } from '../errors.js';
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
  /** Serial port of a physical board (required for boards without a "qemu" section). */
  port?: string;
  baud?: number;
  timeoutMs?: number;
}

export async function openTargetSession(board: Board, elf: string, options: SessionOptions = {}): Promise<TargetSession> {
  if (board.qemu) {
    const s = await startQemu({ board, elf, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    return { client: s.client, info: s.info, board, port: s.ptyPath, close: () => s.close() };
  }
  if (!options.port) throw new InputError(`board ${board.name} is a physical board: give its serial port with --port`);
  const client = await openSerialDevice(options.port, options.baud ?? board.uart.baud, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
  try {
    const info = await client.info();
    return { client, info, board, port: options.port, close: () => client.close() };
  } catch (e) {
    await client.close();
    throw e;
  }
}
