/**
 * USB serial ports as flashers see them: listing (serialport's SerialPort.list()), matching a
 * board's USB vendor/product IDs, and the Arduino "1200-bps touch" that restarts a running
 * sketch into its bootloader.
 */
import type { BoardFlasher } from '../build/board.js';

/** What SerialPort.list() reports about a port (the fields flashers use). */
export interface SerialPortInfo {
  path: string;
  /** Hex without a prefix, as serialport reports it (e.g. '2341'); case varies by OS. */
  vendorId?: string | undefined;
  productId?: string | undefined;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
}

export type ListPorts = () => Promise<SerialPortInfo[]>;

/** Every serial port the OS reports. */
export const listSerialPorts: ListPorts = async () => {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
};

/** A USB ID string from serialport ('2341', '0x2341', '805A') as a number; undefined if absent. */
export function parseUsbId(id: string | undefined): number | undefined {
  if (id === undefined) return undefined;
  const s = id.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{1,4}$/.test(s)) return undefined;
  return Number.parseInt(s, 16);
}

export const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export type PortRole = 'bootloader' | 'application' | 'other';

/** Whether a port is the board in its bootloader, the board running a sketch with USB serial, or something else. */
export function portRole(port: SerialPortInfo, flasher: BoardFlasher): PortRole {
  const vid = parseUsbId(port.vendorId);
  const pid = parseUsbId(port.productId);
  if (vid !== flasher.usb.vendorId || pid === undefined) return 'other';
  if (flasher.usb.bootloaderProductIds.includes(pid)) return 'bootloader';
  if (flasher.usb.applicationProductIds.includes(pid)) return 'application';
  return 'other';
}

/** "/dev/ttyACM0 (2341:805a Arduino)" */
export function describePort(port: SerialPortInfo): string {
  const vid = parseUsbId(port.vendorId);
  const pid = parseUsbId(port.productId);
  const ids = vid !== undefined && pid !== undefined ? `${hex4(vid)}:${hex4(pid)}` : 'no USB IDs';
  return `${port.path} (${ids}${port.manufacturer ? ` ${port.manufacturer}` : ''})`;
}

export function describePorts(ports: SerialPortInfo[]): string {
  return ports.length === 0 ? 'none' : ports.map(describePort).join(', ');
}

/**
 * The 1200-bps touch: open the port at 1200 baud, drop DTR, close. A sketch built with the
 * Arduino core watches for this on its USB serial port and restarts into the bootloader (the
 * mbed core sets GPREGRET to 0xb0 and resets). Errors while closing are expected (the device
 * may vanish mid-close) and ignored; failing to open is reported.
 */
export async function touch1200(path: string): Promise<void> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate: 1200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve) => port.set({ dtr: false, rts: true }, () => resolve()));
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
