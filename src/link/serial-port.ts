/** A link over a serial port: a USB-serial adapter, a board's UART, or QEMU's pseudo-terminal. */
import type { Duplex } from 'node:stream';
import { DeviceError } from '../errors.js';
import type { Link } from './link.js';

type ClosableStream = Duplex & { close?: (cb?: (err?: Error | null) => void) => void; isOpen?: boolean };

/** Closes a serial port (or destroys another stream) unless it is closed already. */
export async function closeStream(stream: Duplex): Promise<void> {
  const s = stream as ClosableStream;
  if (typeof s.close === 'function') {
    if (s.isOpen !== false) await new Promise<void>((resolve) => s.close!(() => resolve()));
  } else if (!s.destroyed) {
    s.destroy();
  }
}

/** Opens `path` (e.g. '/dev/ttyUSB0'); `what` names it in the error ("serial port PATH" by default). */
export async function openSerialPort(path: string, baudRate: number, what = `serial port ${path}`): Promise<Duplex> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(new DeviceError(`cannot open ${what}: ${err.message}`, { cause: err })) : resolve())),
  );
  return port;
}

export interface SerialLink extends Link {
  kind: 'serial';
}

/** A link over a serial port: nothing behind it to explain an end, nothing to stop but the port. */
export async function openSerialLink(path: string, baudRate = 115200): Promise<SerialLink> {
  const stream = await openSerialPort(path, baudRate);
  return {
    kind: 'serial',
    stream,
    name: path,
    close: () => closeStream(stream),
  };
}
