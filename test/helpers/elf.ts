/**
 * Reads the named RAM objects of a firmware ELF (.data and .bss symbols with a size), with the
 * real arm-none-eabi-nm next to the arm-none-eabi-gcc the build uses.
 */
import { execFileSync } from 'node:child_process';
import { findArmToolchain } from '../../src/build/toolchain.js';

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
