/**
 * Runs optimized kernel variants on the host: emits each case with the variant (target with
 * dsp: true, constants passed as the generator passes them), compiles the variant's kernels with
 * the portable DSP fallbacks (gcc -Wall -Wextra -Werror), runs the program and returns the
 * outputs, to be compared byte for byte with the op's `evaluate`. Also: the same programs on an
 * emulated Cortex-M4 (QEMU, semihosting) for the real instructions and assembly paths, and
 * compile-only checks with arm-none-eabi-gcc.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelVariant } from '../../src/codegen/select-kernel.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { DTYPE_BYTES, allocTensorData, elementCount, tensorDataBytes } from '../../src/ir/types.js';
import type { AnyOpDef, OpContext, TargetInfo } from '../../src/ops/op-def.js';
import { KERNELS_DIR } from '../helpers/c-kernel-harness.js';
import { requireArmToolchain, requireHostCompiler, requireQemu } from '../helpers/tools.js';

/**
 * Runs a program without blocking the event loop (long synchronous compiles would starve
 * vitest's worker RPC); resolves with its stdout, rejects with its stderr.
 */
export function run(cmd: string, args: string[], options: { input?: Buffer; timeoutMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolvePromise(Buffer.concat(out));
      else reject(new Error(`${cmd} exited with ${code ?? signal}:\n${Buffer.concat(err).toString()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

export const HOST_DSP_TARGET: TargetInfo = { core: 'host-test', dsp: true, mve: false };
export const M4_TARGET: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };

export const ARM_FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'];

const C_TYPE: Record<DType, string> = {
  int8: 'int8_t',
  uint8: 'uint8_t',
  bool: 'uint8_t',
  int16: 'int16_t',
  int32: 'int32_t',
  int64: 'int64_t',
  float32: 'float',
};

export interface VariantCase {
  ctx: OpContext;
  params: unknown;
  /** Input data by position (constants included); undefined for an omitted input. */
  inputs: (TensorData | undefined)[];
}

export interface EmittedProgram {
  source: string;
  kernels: string[];
}

const HOST_PRELUDE = ['#include <stdio.h>', '#define TINYML_TEST_EMIT(p, n) fwrite((p), 1, (n), stdout)'];
const QEMU_PRELUDE = ['void tgt_write_hex(const void *data, uint32_t n);', '#define TINYML_TEST_EMIT(p, n) tgt_write_hex((p), (n))'];

/** main.c running every case once and writing the outputs (stdout on the host, semihosting hex on QEMU). */
export function emitVariantProgram(
  variant: KernelVariant,
  cases: VariantCase[],
  target: TargetInfo = HOST_DSP_TARGET,
  onQemu = false,
  plannedScratch?: (c: VariantCase) => number,
): EmittedProgram {
  const kernels = new Set<string>();
  const includes = new Set<string>();
  const decls: string[] = [];
  const body: string[] = [];
  cases.forEach((c, ci) => {
    const inNames: (string | undefined)[] = [];
    const constants: (TensorData | undefined)[] = [];
    c.inputs.forEach((data, i) => {
      const t = c.ctx.inputs[i];
      if (!data || !t) {
        inNames.push(undefined);
        constants.push(undefined);
        return;
      }
      const name = `c${ci}_in${i}`;
      const bytes = tensorDataBytes(data);
      // Not static: a constant the variant re-lays out is then left unused without a warning.
      decls.push(`const uint8_t ${name}_bytes[${Math.max(1, bytes.length)}] __attribute__((aligned(16))) = {${bytes.length ? Array.from(bytes).join(',') : '0'}};`);
      inNames.push(`((const ${C_TYPE[t.dtype]} *)${name}_bytes)`);
      constants.push(t.data ? data : undefined);
    });
    const outNames = c.ctx.outputs.map((t, i) => {
      const name = `c${ci}_out${i}`;
      const bytes = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
      decls.push(`static uint8_t ${name}_bytes[${Math.max(1, bytes)}] __attribute__((aligned(16)));`);
      body.push(`  memset(${name}_bytes, 0x5a, sizeof ${name}_bytes);`);
      return `((${C_TYPE[t.dtype]} *)${name}_bytes)`;
    });
    // The layer's scratch as the planner gives it: exactly the announced size, 16-byte aligned.
    const scratchBytes = plannedScratch ? plannedScratch(c) : (variant.scratchBytes?.(c.params, constants) ?? 0);
    let scratch: string | undefined;
    if (scratchBytes > 0) {
      scratch = `c${ci}_scratch`;
      decls.push(`static uint8_t ${scratch}[${scratchBytes}] __attribute__((aligned(16)));`);
    }
    const em = variant.emitC(c.params, { inputs: inNames, outputs: outNames }, { prefix: `c${ci}op`, target, constants, ...(scratch ? { scratch } : {}) });
    em.kernels.forEach((k) => kernels.add(k));
    em.includes.forEach((h) => includes.add(h));
    decls.push(em.decls);
    // Calls sit directly in main's block, as in tinyml_invoke.
    body.push(em.call);
    c.ctx.outputs.forEach((t, i) => {
      const bytes = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
      body.push(`  TINYML_TEST_EMIT(c${ci}_out${i}_bytes, ${bytes});`);
    });
  });
  const source = [
    '#include <stdint.h>',
    '#include <string.h>',
    ...(onQemu ? QEMU_PRELUDE : HOST_PRELUDE),
    ...[...includes].map((h) => `#include "${h}"`),
    ...decls,
    'int main(void) {',
    ...body,
    '  return 0;',
    '}',
    '',
  ].join('\n');
  return { source, kernels: [...kernels] };
}

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-dsp-'));
  try {
    return await fn(dir);
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}

function compileError(what: string, e: unknown): Error {
  return new Error(`${what} failed:\n${e instanceof Error ? e.message : String(e)}`);
}

function splitOutputs(cases: VariantCase[], out: Uint8Array): TensorData[][] {
  let offset = 0;
  return cases.map((c) =>
    c.ctx.outputs.map((t) => {
      const n = elementCount(t.shape);
      const bytes = n * DTYPE_BYTES[t.dtype];
      const data = allocTensorData(t.dtype, n);
      tensorDataBytes(data).set(out.subarray(offset, offset + bytes));
      offset += bytes;
      return data;
    }),
  );
}

const TARGET_DIR = join(dirname(fileURLToPath(import.meta.url)), 'target');

/**
 * Runs the cases on an emulated Cortex-M4 (QEMU mps2-an386): the real DSP instructions and the
 * kernels' assembly paths, built with arm-none-eabi-gcc at `opt`, output over semihosting.
 */
export async function runVariantCasesOnQemu(variant: KernelVariant, cases: VariantCase[], opt = '-O2'): Promise<TensorData[][]> {
  const gcc = requireArmToolchain().gcc;
  const qemu = requireQemu();
  const prog = emitVariantProgram(variant, cases, M4_TARGET, true);
  return withTmp(async (dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const elf = join(dir, 'test.elf');
    const sources = [mainC, join(TARGET_DIR, 'startup.c'), ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))];
    try {
      await run(gcc, [...ARM_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-nostdlib', '-T', join(TARGET_DIR, 'link.ld'), '-I', KERNELS_DIR, '-o', elf, ...sources, '-lgcc']);
    } catch (e) {
      throw compileError(`arm-none-eabi-gcc (QEMU test program) for ${variant.name}`, e);
    }
    // Semihosting output goes to a file chardev (QEMU's own stdout is not always the pipe).
    const outFile = join(dir, 'out.txt');
    try {
      await run(
        qemu,
        [
          '-M', 'mps2-an386', '-cpu', 'cortex-m4', '-nographic', '-monitor', 'none', '-serial', 'none',
          '-chardev', `file,id=semihost,path=${outFile}`, '-semihosting-config', 'enable=on,target=native,chardev=semihost',
          '-kernel', elf,
        ],
        { timeoutMs: 120_000 },
      );
    } catch (e) {
      const out = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
      throw new Error(`QEMU run of ${variant.name} failed: ${out.slice(-200)} ${e instanceof Error ? e.message : String(e)}`);
    }
    const hex = readFileSync(outFile, 'utf8').replace(/[^0-9a-f]/g, '');
    return splitOutputs(cases, Uint8Array.from(Buffer.from(hex, 'hex')));
  });
}

export async function runVariantCasesInC(variant: KernelVariant, cases: VariantCase[], plannedScratch?: (c: VariantCase) => number): Promise<TensorData[][]> {
  const gcc = requireHostCompiler('gcc');
  const prog = emitVariantProgram(variant, cases, HOST_DSP_TARGET, false, plannedScratch);
  return withTmp(async (dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const exe = join(dir, 'a.out');
    const sources = [mainC, ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))];
    try {
      // AddressSanitizer and UBSan: out-of-bounds accesses (scratch included) and undefined behaviour fail the run.
      await run(gcc, ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-I', KERNELS_DIR, '-o', exe, ...sources, '-lm']);
    } catch (e) {
      throw compileError(`host compile of ${variant.name}`, e);
    }
    return splitOutputs(cases, await run(exe, []));
  });
}

/** Compiles the cases' program and kernels for Cortex-M4 (compile only, -O2 and -Os, warnings as errors). */
export async function compileVariantForArm(variant: KernelVariant, cases: VariantCase[]): Promise<void> {
  const gcc = requireArmToolchain().gcc;
  const prog = emitVariantProgram(variant, cases, M4_TARGET);
  await withTmp(async (dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    for (const opt of ['-O2', '-Os']) {
      for (const src of [mainC, ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))]) {
        try {
          await run(gcc, [...ARM_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-I', KERNELS_DIR, '-c', '-o', join(dir, 'x.o'), src]);
        } catch (e) {
          throw compileError(`arm-none-eabi-gcc ${opt} ${src}`, e);
        }
      }
    }
  });
}

/** An integer tensor's values as plain numbers (for toEqual). */
export function values(t: TensorData): number[] {
  return Array.from(t as ArrayLike<number>);
}

/** Runs the cases through `evaluate`. */
export function evaluateCases(def: AnyOpDef, cases: VariantCase[]): TensorData[][] {
  return cases.map((c) => {
    const outs = c.ctx.outputs.map((t) => allocTensorData(t.dtype, elementCount(t.shape)));
    def.evaluate(c.params, c.inputs, outs);
    return outs;
  });
}
