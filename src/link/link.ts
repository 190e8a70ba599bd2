/**
 * A link: a byte stream to a running target's UART, whatever carries it (QEMU's pseudo-terminal,
 * a USB-serial adapter after flashing, and later a TCP bridge to a remote board), plus what the
 * protocol clients above it need to know about it. The clients (serial/client.ts for the tinyml
 * framed protocol, serial/eembc-client.ts for the EEMBC text protocol) work over any link.
 */
import type { Duplex } from 'node:stream';

export interface Link {
  /** What carries it: 'qemu' (an emulated board's pty), 'serial' (a serial port). */
  readonly kind: 'qemu' | 'serial';
  /** Bytes to and from the target. */
  readonly stream: Duplex;
  /** Where the link is, for messages: '/dev/pts/3', '/dev/ttyUSB0'. */
  readonly name: string;
  /**
   * For links with something behind them (QEMU): why the stream failed or closed on its own,
   * that is the explanation (QEMU exited, with what it printed) and `reason` after it, or
   * `reason` alone.
   */
  explainEnd?(reason: string): Promise<string>;
  /** For links with something behind them: calls `listener` once if it goes away while the link is open. */
  onLost?(listener: (why: string) => void): void;
  /** Releases the stream and whatever runs behind it (QEMU); safe to call more than once. */
  close(): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects. */
export function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([p.then(() => undefined, () => undefined), sleep(ms)]);
}

/**
 * Releases a client's stream: with `closeStream` when the stream's owner gave one; else a serial
 * port is closed (which frees the device for the next user) if it is still open, and any other
 * stream destroyed.
 */
export async function releaseStream(stream: Duplex, closeStream?: () => Promise<void> | void): Promise<void> {
  if (closeStream) {
    await closeStream();
    return;
  }
  const s = stream as Duplex & { close?: (cb?: (err?: Error | null) => void) => void; isOpen?: boolean };
  if (typeof s.close === 'function' && s.isOpen !== false) await new Promise<void>((resolve) => s.close!(() => resolve()));
  else s.destroy();
}

/**
 * Runs `greet`, a protocol client's first exchange over a link it was just connected to (INFO, the
 * EEMBC handshake), passing it `close`, which closes the client (waiting at most a second: the
 * link may be dead) and then the link. When greeting fails, both are closed before the error goes on.
 */
export async function greetOverLink<T>(link: { close(): Promise<void> }, client: { close(): Promise<void> }, greet: (close: () => Promise<void>) => Promise<T>): Promise<T> {
  const close = async (): Promise<void> => {
    await settleWithin(client.close(), 1000);
    await link.close();
  };
  try {
    return await greet(close);
  } catch (e) {
    await close();
    throw e;
  }
}
