/**
 * Reads the named RAM objects of a firmware ELF (.data and .bss symbols with a size), with the
 * real arm-none-eabi-nm next to the arm-none-eabi-gcc the build uses.
 */
import { execFileSync } from 'node:child_process';
import { findArmToolchain } from '../../src/build/toolchain.js';

/**
 * RAM the firmware runtime (firmware/runtime/main.c, protocol 'tinyml') keeps whatever the model:
 * serial frame buffers and the timer calibration, not model memory.
 */
export const RUNTIME_RAM: Record<string, string> = {
  rx_buf: 'request frame payload',
  tx_buf: 'reply frame payload',
  timer_overhead_ticks: 'timer calibration',
};

/** RAM objects that are neither the arena nor the runtime's (a kernel's own buffer, say). */
export function ramBesidesArena(elf: string): RamSymbol[] {
  return ramSymbols(elf).filter((s) => s.name !== 'tinyml_arena' && !(s.name in RUNTIME_RAM));
}

export interface RamSymbol {
  /** As nm prints it: function-local statics carry GCC's suffix, e.g. "buf.0". */
  name: string;
  size: number;
  section: 'data' | 'bss';
}

export function ramSymbols(elf: string): RamSymbol[] {
  const nm = `${findArmToolchain().prefix}nm`;
  const text = execFileSync(nm, ['-S', '--defined-only', elf], { encoding: 'utf8' });
  const out: RamSymbol[] = [];
  for (const line of text.split('\n')) {
    // "20000410 00001750 b tinyml_arena"; linker symbols (__bss_start__...) have no size field.
    const m = /^[0-9a-f]+ ([0-9a-f]+) ([bBdD]) (\S+)$/.exec(line.trim());
    if (m) out.push({ name: m[3], size: parseInt(m[1], 16), section: m[2].toLowerCase() === 'b' ? 'bss' : 'data' });
  }
  return out;
}
