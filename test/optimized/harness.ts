/**
 * Runs optimized kernel variants on the host: emits each case with the variant (target with
 * dsp: true, constants passed as the generator passes them), compiles the variant's kernels with
 * the portable DSP fallbacks (gcc -Wall -Wextra -Werror), runs the program and returns the
 * outputs, to be compared byte for byte with the op's `evaluate`. Also: the same programs on an
 * emulated Cortex-M4 (QEMU, semihosting) for the real instructions and assembly paths, and
 * compile-only checks with arm-none-eabi-gcc.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelVariant } from '../../src/codegen/select-kernel.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { DTYPE_BYTES, allocTensorData, elementCount, tensorDataBytes } from '../../src/ir/types.js';
import type { AnyOpDef, OpContext, TargetInfo } from '../../src/ops/op-def.js';
import { KERNELS_DIR } from '../helpers/c-kernel-harness.js';

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
export function emitVariantProgram(variant: KernelVariant, cases: VariantCase[], target: TargetInfo = HOST_DSP_TARGET, onQemu = false): EmittedProgram {
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
    const em = variant.emitC(c.params, { inputs: inNames, outputs: outNames }, { prefix: `c${ci}op`, target, constants });
    em.kernels.forEach((k) => kernels.add(k));
    em.includes.forEach((h) => includes.add(h));
    decls.push(em.decls);
    // Calls sit directly in main's block, as in tinyml_invoke (the shared scratch is a static there).
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

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-dsp-'));
  try {
    return fn(dir);
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}

function compileError(what: string, e: unknown): Error {
  const err = e as { stderr?: Buffer };
  return new Error(`${what} failed:\n${err.stderr?.toString() ?? String(e)}`);
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

export function qemuAvailable(): boolean {
  try {
    execFileSync('qemu-system-arm', ['--version'], { stdio: 'ignore' });
    return armToolchainAvailable();
  } catch {
    return false;
  }
}

/**
 * Runs the cases on an emulated Cortex-M4 (QEMU mps2-an386): the real DSP instructions and the
 * kernels' assembly paths, built with arm-none-eabi-gcc at `opt`, output over semihosting.
 */
export function runVariantCasesOnQemu(variant: KernelVariant, cases: VariantCase[], opt = '-O2'): TensorData[][] {
  const prog = emitVariantProgram(variant, cases, M4_TARGET, true);
  return withTmp((dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const elf = join(dir, 'test.elf');
    const sources = [mainC, join(TARGET_DIR, 'startup.c'), ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))];
    try {
      execFileSync(
        'arm-none-eabi-gcc',
        [...ARM_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-nostdlib', '-T', join(TARGET_DIR, 'link.ld'), '-I', KERNELS_DIR, '-o', elf, ...sources, '-lgcc'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (e) {
      throw compileError(`arm-none-eabi-gcc (QEMU test program) for ${variant.name}`, e);
    }
    // Semihosting output goes to a file chardev (QEMU's own stdout is not always the pipe).
    const outFile = join(dir, 'out.txt');
    try {
      execFileSync(
        'qemu-system-arm',
        [
          '-M', 'mps2-an386', '-cpu', 'cortex-m4', '-nographic', '-monitor', 'none', '-serial', 'none',
          '-chardev', `file,id=semihost,path=${outFile}`, '-semihosting-config', 'enable=on,target=native,chardev=semihost',
          '-kernel', elf,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
      );
    } catch (e) {
      const err = e as { stdout?: Buffer; stderr?: Buffer; status?: number };
      const out = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
      throw new Error(`QEMU run of ${variant.name} failed (status ${err.status}): ${out.slice(-200)} ${err.stderr?.toString() ?? ''}`);
    }
    const text = readFileSync(outFile, 'utf8');
    const hex = text.replace(/[^0-9a-f]/g, '');
    return splitOutputs(cases, Uint8Array.from(Buffer.from(hex, 'hex')));
  });
}

export function runVariantCasesInC(variant: KernelVariant, cases: VariantCase[], extraFlags: string[] = []): TensorData[][] {
  const prog = emitVariantProgram(variant, cases);
  return withTmp((dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const exe = join(dir, 'a.out');
    const sources = [mainC, ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))];
    try {
      execFileSync('gcc', ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', ...extraFlags, '-I', KERNELS_DIR, '-o', exe, ...sources, '-lm'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      throw compileError(`host compile of ${variant.name}`, e);
    }
    return splitOutputs(cases, execFileSync(exe, { maxBuffer: 1 << 28 }));
  });
}

/** Compiles the cases' program and kernels for Cortex-M4 (compile only, -O2 and -Os, warnings as errors). */
export function compileVariantForArm(variant: KernelVariant, cases: VariantCase[]): void {
  const prog = emitVariantProgram(variant, cases, M4_TARGET);
  withTmp((dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    for (const opt of ['-O2', '-Os']) {
      for (const src of [mainC, ...prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k))]) {
        try {
          execFileSync('arm-none-eabi-gcc', [...ARM_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-I', KERNELS_DIR, '-c', '-o', join(dir, 'x.o'), src], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
        } catch (e) {
          throw compileError(`arm-none-eabi-gcc ${opt} ${src}`, e);
        }
      }
    }
  });
}

export function armToolchainAvailable(): boolean {
  try {
    execFileSync('arm-none-eabi-gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the cases through `evaluate`. */
export function evaluateCases(def: AnyOpDef, cases: VariantCase[]): TensorData[][] {
  return cases.map((c) => {
    const outs = c.ctx.outputs.map((t) => allocTensorData(t.dtype, elementCount(t.shape)));
    def.evaluate(c.params, c.inputs, outs);
    return outs;
  });
}
