/**
 * Firmware running under QEMU with a protocol client attached: startQemu() boots tinyml-protocol
 * firmware and waits for its INFO reply; startEembcQemu() boots EEMBC-protocol firmware and
 * does the EEMBC handshake. QEMU itself, its pty and its process group are the link's business
 * (link/qemu.ts); what is here is the first contact, which can say more on an emulator than on
 * a physical board (QEMU's exit status, the board it emulates).
 */
import { DeviceError, ToolFailedError } from '../errors.js';
import type { Board } from '../build/board.js';
import { greetOverLink } from '../link/link.js';
import { openQemuLink, type QemuLink, type QemuLinkOptions } from '../link/qemu.js';
import { connectDevice, type DeviceClient } from '../serial/client.js';
import { connectEembc, type EembcClient } from '../serial/eembc-client.js';
import type { DeviceInfo } from '../serial/protocol.js';

export interface QemuOptions extends QemuLinkOptions {
  /** How long to wait for the firmware's first INFO reply, ms (default 5000). */
  bootTimeoutMs?: number;
  /** Per-attempt request timeout for the returned client, ms (default 2000). */
  timeoutMs?: number;
  /** Request retries for the returned client (default 2). */
  retries?: number;
  /** Per-attempt timeout of INVOKE/PROFILE for the returned client, ms (default 60000). */
  invokeTimeoutMs?: number;
}

export interface QemuSession {
  client: DeviceClient;
  /** The firmware's INFO reply. */
  info: DeviceInfo;
  board: Board;
  /** Path of the pseudo-terminal the UART is connected to. */
  ptyPath: string;
  /** QEMU's command line. */
  command: string[];
  /** PID of the wrapper (the process group leader). */
  pid: number;
  /** What QEMU has printed so far (stdout and stderr). */
  output(): string;
  /** Closes the serial link and kills QEMU; safe to call more than once. */
  close(): Promise<void>;
}

/** Closes the client (failing what is pending), then the link (QEMU goes). */
/** Starts QEMU for `options.board` with `options.elf` and returns a connected session. */
export async function startQemu(options: QemuOptions): Promise<QemuSession> {
  return attachDeviceClient(await openQemuLink(options), options);
}

/**
 * A tinyml client on a QEMU link, once the firmware has answered INFO and said it was built for
 * the board QEMU emulates. Closes the link if that fails.
 */
export async function attachDeviceClient(
  link: QemuLink,
  options: Pick<QemuOptions, 'bootTimeoutMs' | 'timeoutMs' | 'retries' | 'invokeTimeoutMs' | 'log'> = {},
): Promise<QemuSession> {
  const { board, ptyPath, elf } = link;
  const bootTimeoutMs = options.bootTimeoutMs ?? 5000;
  const client = connectDevice(link, {
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    invokeTimeoutMs: options.invokeTimeoutMs,
    log: options.log,
  });
  return greetOverLink(link, client, async (close) => {
    const attempts = 3;
    let info: DeviceInfo;
    try {
      info = await client.info({ timeoutMs: Math.ceil(bootTimeoutMs / attempts), retries: attempts - 1 });
    } catch (err) {
      const exit = link.exitDescription();
      if (exit) throw new ToolFailedError(exit, { cause: err });
      if (err instanceof DeviceError && /no valid reply/.test(err.message)) {
        throw new DeviceError(
          `no answer from firmware on ${ptyPath} after ${(bootTimeoutMs / 1000).toFixed(0)} s (sent INFO ${attempts} times); ` +
            `is the ELF built for board ${board.name}? (${elf})`,
          { cause: err },
        );
      }
      throw err;
    }
    if (info.board !== board.name) {
      throw new DeviceError(
        `the firmware on ${ptyPath} was built for board '${info.board}', but QEMU is emulating ${board.name} (${board.qemu?.machine}); ` +
          `its timer and clock figures would be wrong: rebuild it for ${board.name}`,
      );
    }
    return { client, info, board, ptyPath, command: link.command, pid: link.pid, output: () => link.output(), close };
  });
}

export interface EembcQemuSession {
  client: EembcClient;
  board: Board;
  ptyPath: string;
  /** The m-name content from the handshake, e.g. "dut-[tinyml]". */
  name: string;
  output(): string;
  close(): Promise<void>;
}

/**
 * Boots EEMBC-protocol firmware (built with protocol 'eembc') on a QEMU board and connects an
 * EembcClient to its UART. startQemu() cannot be used: it greets the firmware with binary INFO
 * frames.
 */
export async function startEembcQemu(options: Pick<QemuLinkOptions, 'board' | 'elf'> & { bootTimeoutMs?: number; timeoutMs?: number; log?: (line: string) => void }): Promise<EembcQemuSession> {
  return attachEembcClient(await openQemuLink({ board: options.board, elf: options.elf }), options);
}

/** An EEMBC client on a QEMU link, after the handshake (name%). Closes the link if that fails. */
export async function attachEembcClient(link: QemuLink, options: { bootTimeoutMs?: number; timeoutMs?: number; log?: (line: string) => void } = {}): Promise<EembcQemuSession> {
  const client = connectEembc(link, { ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.log ? { log: options.log } : {}) });
  return greetOverLink(link, client, async (close) => {
    const name = await client.handshake(options.bootTimeoutMs ?? 10_000).catch((e: unknown) => {
      const exit = link.exitDescription();
      throw exit ? new ToolFailedError(exit, { cause: e }) : e;
    });
    return { client, board: link.board, ptyPath: link.ptyPath, name, output: () => link.output(), close };
  });
}
