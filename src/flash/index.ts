/**
 * Programming physical boards. board.json's "flasher" says how; today the only kind is bossac
 * (Arduino boards with a SAM-BA bootloader on USB, e.g. the Nano 33 BLE). openBoardLink()
 * (link/board.ts) calls flashFirmware() for such boards before it opens the serial link.
 */
import type { Board } from '../build/board.js';
import { InputError } from '../errors.js';
import type { SerialPortInfo } from './ports.js';
import { describePort, listSerialPorts, portRole } from './ports.js';
import type { BinImage } from './bin.js';
import { elfToBin } from './bin.js';
import type { BossacOptions, BossacResult } from './bossac.js';
import { flashWithBossac } from './bossac.js';

export type FlashOptions = BossacOptions;

export interface FlashResult {
  image: BinImage;
  bossac: BossacResult;
}

/** Converts the ELF to the flasher's format and programs the board. */
export async function flashFirmware(board: Board, elf: string, options: FlashOptions = {}): Promise<FlashResult> {
  if (!board.flasher) throw new InputError(`board ${board.name} has no "flasher" in its board.json: flash ${elf} by other means`);
  switch (board.flasher.kind) {
    case 'bossac': {
      const image = await elfToBin(board, elf, options.env ? { env: options.env } : {});
      options.log?.(`${image.bin}: ${image.bytes.toLocaleString('en-US')} bytes for 0x${image.address.toString(16)}`);
      const bossac = await flashWithBossac(board, image.bin, options);
      return { image, bossac };
    }
  }
}

/**
 * Refuses a link port that is the board's own USB port: on boards whose firmware talks over
 * UART pins (the Nano 33 BLE), that port belongs to the bootloader or a sketch, never to tinyml.
 */
export async function checkLinkPort(board: Board, linkPort: string, listPorts: () => Promise<SerialPortInfo[]> = listSerialPorts): Promise<void> {
  if (!board.flasher) return;
  let ports: SerialPortInfo[];
  try {
    ports = await listPorts();
  } catch {
    return; // listing is a courtesy check only
  }
  const p = ports.find((x) => x.path === linkPort);
  if (p && portRole(p, board.flasher) !== 'other') {
    const pins = board.uart.pins ? ` on its ${board.uart.pins.tx} (TX) / ${board.uart.pins.rx} (RX) pins` : '';
    throw new InputError(
      `--port ${describePort(p)} is the ${board.name}'s own USB port, which only its bootloader uses: tinyml firmware talks over UART${pins}. ` +
        'Connect a 3.3 V USB-serial adapter there and pass the adapter\'s port',
    );
  }
}

export { elfToBin, checkBinImage } from './bin.js';
export { findBossac, flashWithBossac, findBootloaderPort, bossacArgs } from './bossac.js';
export type { SerialPortInfo, ListPorts } from './ports.js';
