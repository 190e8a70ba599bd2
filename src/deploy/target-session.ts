/**
 * A running target, whichever the board: a link (link/: QEMU for emulated boards; for a physical
 * board its serial port, after flashing it when its board.json has a "flasher", e.g. nano33:
 * bossac) with a protocol client on it. openTargetSession() speaks tinyml's framed protocol,
 * openEembcTarget() the EEMBC DUT protocol.
 */
import type { Board } from '../build/board.js';
import { MismatchError } from '../errors.js';
import { openBoardLink, type LinkOptions } from '../link/board.js';
import { greetOverLink } from '../link/link.js';
import { attachDeviceClient, attachEembcClient } from '../runners/qemu.js';
import type { DeviceClient } from '../serial/client.js';
import { connectDevice } from '../serial/client.js';
import { connectEembc, type EembcClient } from '../serial/eembc-client.js';
import type { DeviceInfo } from '../serial/protocol.js';

export interface TargetSession {
  client: DeviceClient;
  info: DeviceInfo;
  board: Board;
  /** Where the link is: a pty path under QEMU, or the serial port. */
  port: string;
  close(): Promise<void>;
}

export interface SessionOptions extends LinkOptions {
  /** Per-attempt request timeout of the protocol client, ms. */
  timeoutMs?: number;
}

export async function openTargetSession(board: Board, elf: string, options: SessionOptions = {}): Promise<TargetSession> {
  const link = await openBoardLink(board, elf, options);
  const timeout = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  if (link.kind === 'qemu') {
    const s = await attachDeviceClient(link, timeout);
    return { client: s.client, info: s.info, board, port: s.ptyPath, close: () => s.close() };
  }
  const client = connectDevice(link, timeout);
  return greetOverLink(link, client, async (close) => ({ client, info: await client.info(), board, port: link.name, close }));
}

export interface EembcTarget {
  client: EembcClient;
  board: Board;
  /** Where the link is: a pty under QEMU, or the serial port. */
  port: string;
  /** m-name content from the handshake. */
  name: string;
  close(): Promise<void>;
}

/** Boots (QEMU) or flashes and connects (a physical board, as openTargetSession) EEMBC-protocol firmware. */
export async function openEembcTarget(board: Board, elf: string, options: SessionOptions = {}): Promise<EembcTarget> {
  const link = await openBoardLink(board, elf, options);
  const timeout = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  if (link.kind === 'qemu') {
    const s = await attachEembcClient(link, timeout);
    return { client: s.client, board, port: s.ptyPath, name: s.name, close: () => s.close() };
  }
  const client = connectEembc(link, timeout);
  return greetOverLink(link, client, async (close) => {
    await client.handshake(10_000);
    return { client, board, port: link.name, name: await client.name(), close };
  });
}

/** How a front end names a physical board's link: the CLI's --port / --flash-port / --no-flash, the API's connect options. */
export type BoardLinkFlags = Pick<LinkOptions, 'port' | 'flashPort' | 'flash'>;

/** Session options from the CLI's --port / --flash-port / --no-flash. */
export function sessionOptionsFromCli(opts: BoardLinkFlags, log?: (line: string) => void): SessionOptions {
  return {
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.flashPort ? { flashPort: opts.flashPort } : {}),
    ...(opts.flash === false ? { flash: false } : {}),
    ...(log ? { log } : {}),
  };
}

/** What a session is about to start, for the progress line: QEMU and its machine, or the board's port. */
export function targetDescription(board: Board, port: string | undefined): string {
  return board.qemu ? `QEMU (${board.qemu.machine})` : `the board on ${port}`;
}

/**
 * Refuses a device that runs another model than the one just built (`hash`: the compiled model's),
 * as when flashing was skipped with --no-flash on a board that holds older firmware.
 */
export function checkDeviceModel(info: DeviceInfo, hash: string): void {
  const expected = hash.slice(0, 16);
  if (info.model.hash !== expected) {
    throw new MismatchError(`the device runs model ${info.model.name} (${info.model.hash}), not the one just built (${expected}): was the upload skipped?`);
  }
}
