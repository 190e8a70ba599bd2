/**
 * Run by qemu-failures.test.ts in a separate process: starts QEMU, prints the wrapper's pid and
 * then waits to be killed with SIGKILL (so no exit handler of ours runs).
 */
import { startQemu } from '../../src/runners/qemu.js';

const [board, elf] = process.argv.slice(2);
const s = await startQemu({ board, elf });
process.stdout.write(`PID ${s.pid}\n`);
setInterval(() => undefined, 1000);
