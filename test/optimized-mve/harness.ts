/**
 * Runs Helium (MVE) kernel variants on an emulated Cortex-M55 (QEMU mps3-an547, semihosting):
 * the same test programs as test/optimized/ (emitVariantProgram), built with
 * arm-none-eabi-gcc -mcpu=cortex-m55 (MVE on), outputs compared byte for byte with the op's
 * `evaluate`. There is no host run: the MVE kernels have no portable fallback.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelVariant } from '../../src/ops/kernel-variants.js';
import type { TensorData } from '../../src/ir/types.js';
import { DTYPE_BYTES, allocTensorData, elementCount, tensorDataBytes } from '../../src/ir/types.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { KERNELS_DIR } from '../helpers/c-kernel-harness.js';
import { generateModelC } from '../../src/codegen/generate-model.js';
import { FIRMWARE_DIR } from '../../src/codegen/templates.js';
import type { PreparedGraph } from '../../src/interp/interpreter.js';
import type { MemoryPlan } from '../../src/plan/memory-plan.js';
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
  requireQemu();
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
    const text = await runOnM55(elf, dir, variant.name);
    return splitOutputs(cases, Uint8Array.from(Buffer.from(text.replace(/[^0-9a-f]/g, ''), 'hex')));
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}

/** Boots QEMU mps3-an547 on `elf` and returns what the program wrote over semihosting (hex text). */
async function runOnM55(elf: string, dir: string, what: string): Promise<string> {
  const outFile = join(dir, 'out.txt');
  try {
    await run(
      requireQemu(),
      [
        '-M', 'mps3-an547', '-cpu', 'cortex-m55', '-nographic', '-monitor', 'none', '-serial', 'none',
        '-chardev', `file,id=semihost,path=${outFile}`, '-semihosting-config', 'enable=on,target=native,chardev=semihost',
        '-kernel', elf,
      ],
      { timeoutMs: 120_000 },
    );
  } catch (e) {
    const out = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
    throw new Error(`QEMU (mps3-an547) run of ${what} failed: ${out.slice(-200)} ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = readFileSync(outFile, 'utf8');
  if (text.includes('FAULT')) throw new Error(`${what} faulted on the M55`);
  return text;
}

/**
 * A whole generated model (generateModelC with `plan`, for the M55) built with `opt` (warnings
 * are errors) and run on QEMU mps3-an547 on each case's inputs (embedded in the program): each
 * case's outputs, in the graph's order.
 */
export async function runGeneratedModelOnM55(prepared: PreparedGraph, plan: MemoryPlan, cases: Uint8Array[][], opt = '-O2'): Promise<Uint8Array[][]> {
  const gcc = requireArmToolchain().gcc;
  const { graph } = prepared;
  const gen = generateModelC(prepared, plan, { hash: '0'.repeat(64), target: M55_TARGET });
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-mve-model-'));
  try {
    for (const [rel, text] of Object.entries(gen.files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    const bytes = (b: Uint8Array) => `{${Array.from(b).join(', ')}}`;
    const arrays = cases.flatMap((ins, i) => ins.map((b, k) => `static const uint8_t in_${i}_${k}[${Math.max(1, b.length)}] = ${bytes(b)};`));
    const runs = cases.map(
      (ins, i) =>
        `  ${ins.map((b, k) => `copy(tinyml_input(${k}), in_${i}_${k}, ${b.length});`).join(' ')}\n` +
        `  if (tinyml_invoke() != 0) return 1;\n` +
        `  for (int k = 0; k < TINYML_NUM_OUTPUTS; k++) tgt_write_hex(tinyml_output(k), tinyml_model_info.outputs[k].bytes);`,
    );
    const main = [
      '#include <stdint.h>',
      '#include "model.h"',
      'void tgt_write_hex(const void *data, uint32_t n);',
      'static void copy(void *dst, const uint8_t *src, uint32_t n) { uint8_t *d = (uint8_t *)dst; while (n--) *d++ = *src++; }',
      ...arrays,
      'int main(void) {',
      '  tinyml_init();',
      ...runs,
      '  return 0;',
      '}',
    ].join('\n');
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, main);
    const elf = join(dir, 'model.elf');
    const sources = [mainC, join(dir, 'model/model.c'), STARTUP, ...gen.kernelFiles.filter((f) => f.endsWith('.c')).map((f) => join(FIRMWARE_DIR, 'kernels', f))];
    const cflags = [...M55_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections', '-I', join(dir, 'model'), '-I', join(FIRMWARE_DIR, 'runtime'), '-I', join(FIRMWARE_DIR, 'kernels')];
    try {
      await buildCProgram(gcc, cflags, sources, elf, { flags: ['-nostdlib', '-T', LINK, '-Wl,--gc-sections'], libs: ['-lgcc'] });
    } catch (e) {
      throw new Error(`arm-none-eabi-gcc (M55 model ${graph.name}) failed:\n${e instanceof Error ? e.message : String(e)}`);
    }
    const out = Uint8Array.from(Buffer.from((await runOnM55(elf, dir, graph.name)).replace(/[^0-9a-f]/g, ''), 'hex'));
    const sizes = graph.outputs.map((id) => elementCount(graph.tensors[id].shape) * DTYPE_BYTES[graph.tensors[id].dtype]);
    let offset = 0;
    const got = cases.map(() =>
      sizes.map((n) => {
        const b = out.slice(offset, offset + n);
        offset += n;
        return b;
      }),
    );
    if (offset !== out.length) throw new Error(`the M55 model wrote ${out.length} bytes, not the cases' ${offset}`);
    return got;
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}
