/** Links to targets: see link.ts. */
export type { Link } from './link.js';
export { openBoardLink, openPhysicalLink, type LinkOptions } from './board.js';
export { openQemuLink, qemuArgs, type QemuLink, type QemuLinkOptions } from './qemu.js';
export { openSerialLink, type SerialLink } from './serial-port.js';
