/**
 * Runs Helium (MVE) kernel variants on an emulated Cortex-M55 (QEMU mps3-an547, semihosting):
 * the same test programs as test/optimized/ (emitVariantProgram), built with
 * arm-none-eabi-gcc -mcpu=cortex-m55 (MVE on), outputs compared byte for byte with the op's
 * `evaluate`. There is no host run: the MVE kernels have no portable fallback.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelVariant } from '../../src/ops/kernel-variants.js';
import type { TensorData } from '../../src/ir/types.js';
import { DTYPE_BYTES, allocTensorData, elementCount, tensorDataBytes } from '../../src/ir/types.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { KERNELS_DIR } from '../helpers/c-kernel-harness.js';
import { requireArmToolchain, requireQemu } from '../helpers/tools.js';
import { buildCProgram, emitVariantProgram, run, type VariantCase } from '../optimized/harness.js';

export const M55_TARGET: TargetInfo = { core: 'cortex-m55', dsp: true, mve: true };
export const M55_FLAGS = ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'];

const HERE = dirname(fileURLToPath(import.meta.url));
const STARTUP = join(HERE, '..', 'optimized', 'target', 'startup.c');
const LINK = join(HERE, 'target', 'link.ld');

function splitOutputs(cases: VariantCase[], out: Uint8Array): TensorData[][] {
  let offset = 0;
  return cases.map((c) =>
    c.ctx.outputs.map((t) => {
      const n = elementCount(t.shape);
      const bytes = n * DTYPE_BYTES[t.dtype];
      if (offset + bytes > out.length) throw new Error(`the M55 program wrote ${out.length} bytes, fewer than the cases' outputs`);
      const data = allocTensorData(t.dtype, n);
      tensorDataBytes(data).set(out.subarray(offset, offset + bytes));
      offset += bytes;
      return data;
    }),
  );
}

/** Builds the cases with `opt` (warnings are errors) and runs them on QEMU mps3-an547. */
export async function runVariantCasesOnM55(variant: KernelVariant, cases: VariantCase[], opt = '-O2'): Promise<TensorData[][]> {
  const gcc = requireArmToolchain().gcc;
  const qemu = requireQemu();
  const prog = emitVariantProgram(variant, cases, M55_TARGET, true);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-mve-'));
  try {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const elf = join(dir, 'test.elf');
    const sources = [mainC, STARTUP, ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))];
    try {
      await buildCProgram(gcc, [...M55_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-I', KERNELS_DIR], sources, elf, { flags: ['-nostdlib', '-T', LINK], libs: ['-lgcc'] });
    } catch (e) {
      throw new Error(`arm-none-eabi-gcc (M55 test program) for ${variant.name} failed:\n${e instanceof Error ? e.message : String(e)}`);
    }
    const outFile = join(dir, 'out.txt');
    try {
      await run(
        qemu,
        [
          '-M', 'mps3-an547', '-cpu', 'cortex-m55', '-nographic', '-monitor', 'none', '-serial', 'none',
          '-chardev', `file,id=semihost,path=${outFile}`, '-semihosting-config', 'enable=on,target=native,chardev=semihost',
          '-kernel', elf,
        ],
        { timeoutMs: 120_000 },
      );
    } catch (e) {
      const out = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
      throw new Error(`QEMU (mps3-an547) run of ${variant.name} failed: ${out.slice(-200)} ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = readFileSync(outFile, 'utf8');
    if (text.includes('FAULT')) throw new Error(`${variant.name} faulted on the M55`);
    return splitOutputs(cases, Uint8Array.from(Buffer.from(text.replace(/[^0-9a-f]/g, ''), 'hex')));
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}
