/**
 * Runs optimized kernel variants on the host: emits each case with the variant (target with
 * dsp: true, constants passed as the generator passes them), compiles the variant's kernels with
 * the portable DSP fallbacks (gcc -Wall -Wextra -Werror), runs the program and returns the
 * outputs, to be compared byte for byte with the op's plain reference. Also: the same programs on an
 * emulated Cortex-M4 (QEMU, semihosting) for the real instructions and assembly paths, and
 * compile-only checks with arm-none-eabi-gcc.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { KernelVariant } from '../../src/codegen/select-kernel.js';
import type { TensorData } from '../../src/ir/types.js';
import type { AnyOpDef, TargetInfo } from '../../src/ops/op-def.js';
import { HOST_PRELUDE, KERNELS_DIR, emitCasesProgram, runOpCasesInTs, splitOutputs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { requireArmToolchain, requireHostCompiler, requireQemu } from '../helpers/tools.js';

/**
 * Runs a program without blocking the event loop (long synchronous compiles would starve
 * vitest's worker RPC); resolves with its stdout, rejects with its stderr.
 */
export function run(cmd: string, args: string[], options: { input?: Buffer; timeoutMs?: number; cwd?: string } = {}): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
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

/**
 * Builds a test program: each source compiled on its own with `cflags` (`-c`: the same code a
 * one-command build gives, and what the test run's compile caches keep, test/helpers/gcc-cache.ts,
 * so each kernel is compiled once per run), then linked into `out` with `cflags`, `link.flags`
 * before the objects and `link.libs` after them. Objects go next to `out`.
 */
export async function buildCProgram(
  gcc: string,
  cflags: string[],
  sources: string[],
  out: string,
  link: { flags?: string[]; libs?: string[]; cwd?: string; flagsFor?: (objects: string[]) => Promise<string[]> } = {},
): Promise<void> {
  const objDir = `${resolve(link.cwd ?? '.', out)}.objects`;
  mkdirSync(objDir, { recursive: true });
  const objects: string[] = [];
  const cwd = link.cwd ? { cwd: link.cwd } : {};
  for (const [k, src] of sources.entries()) {
    const obj = join(objDir, `${k}-${basename(src, '.c')}.o`);
    await run(gcc, [...cflags, '-c', '-o', obj, src], cwd);
    objects.push(obj);
  }
  const flags = [...(link.flags ?? []), ...((await link.flagsFor?.(objects)) ?? [])];
  await run(gcc, [...cflags, ...flags, '-o', out, ...objects, ...(link.libs ?? [])], cwd);
}

/** Flags of the host builds of kernels: warnings are errors, AddressSanitizer and UBSan without recovery. */
export const HOST_ASAN_FLAGS = ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];

export const HOST_DSP_TARGET: TargetInfo = { core: 'host-test', dsp: true, mve: false };
export const M4_TARGET: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };

export const ARM_FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'];

/** A case of an optimized variant: the same as a portable kernel's. */
export type VariantCase = CKernelCase;

const QEMU_PRELUDE = ['void tgt_write_hex(const void *data, uint32_t n);', '#define TINYML_TEST_EMIT(p, n) tgt_write_hex((p), (n))'];

/** main.c running every case once and writing the outputs (stdout on the host, semihosting hex on QEMU). */
export function emitVariantProgram(
  variant: KernelVariant,
  cases: VariantCase[],
  target: TargetInfo = HOST_DSP_TARGET,
  onQemu = false,
  plannedScratch?: (c: VariantCase) => number,
): { source: string; kernels: string[] } {
  return emitCasesProgram(cases, {
    emit: (c, names, ctx) => variant.emitC(c.params, names, { ...ctx, target }),
    // The layer's scratch as the planner gives it, or as the variant announces it.
    scratchBytes: (c, constants) => (plannedScratch ? plannedScratch(c) : (variant.scratchBytes?.(c.params, constants) ?? 0)),
    prelude: onQemu ? QEMU_PRELUDE : HOST_PRELUDE,
  });
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

const TARGET_DIR = join(dirname(fileURLToPath(import.meta.url)), 'target');

/**
 * A linker script, target/link.ld with each function section of `objects` (compiled with
 * -ffunction-sections) placed first and at 2 mod 4 wherever its own alignment allows (a
 * 4-aligned section goes to the next multiple of 4 still): the worst place the firmware's link
 * can give a function built at -Os, where gcc aligns functions to 2 bytes.
 */
async function misalignedLinkScript(objdump: string, objects: string[], dir: string): Promise<string> {
  const placed: string[] = [];
  for (const obj of objects) {
    const headers = (await run(objdump, ['-h', obj])).toString();
    for (const m of headers.matchAll(/^\s*\d+\s+(\.text\.\S+)\s/gm)) placed.push(`. = ALIGN(4) + 2; KEEP(${JSON.stringify(obj)}(${m[1]}))`);
  }
  const script = join(dir, 'link-misaligned.ld');
  const base = readFileSync(join(TARGET_DIR, 'link.ld'), 'utf8');
  writeFileSync(script, base.replace('KEEP(*(.vectors))', `KEEP(*(.vectors)) ${placed.join(' ')}`));
  return script;
}

/**
 * Runs the cases on an emulated Cortex-M4 (QEMU mps2-an386): the real DSP instructions and the
 * kernels' assembly paths, built with arm-none-eabi-gcc at `opt`, output over semihosting.
 * `misaligned`: the kernels built with one section per function (as the firmware's Makefile and
 * the Arduino IDE build them), each linked at 2 mod 4 where its alignment allows it. `timeoutMs`:
 * how long QEMU may run (default 120 s).
 */
export async function runVariantCasesOnQemu(
  variant: KernelVariant,
  cases: VariantCase[],
  opt = '-O2',
  { misaligned = false, timeoutMs = 120_000 }: { misaligned?: boolean; timeoutMs?: number } = {},
): Promise<TensorData[][]> {
  const { gcc, prefix } = requireArmToolchain();
  const qemu = requireQemu();
  const prog = emitVariantProgram(variant, cases, M4_TARGET, true);
  return withTmp(async (dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const elf = join(dir, 'test.elf');
    const kernels = prog.kernels.filter((k) => k.endsWith('.c')).map((k) => join(KERNELS_DIR, k));
    const sources = [mainC, join(TARGET_DIR, 'startup.c'), ...kernels];
    const cflags = [...ARM_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', ...(misaligned ? ['-ffunction-sections'] : []), '-I', KERNELS_DIR];
    const script = async (objects: string[]): Promise<string[]> => ['-T', misaligned ? await misalignedLinkScript(`${prefix}objdump`, objects.slice(2), dir) : join(TARGET_DIR, 'link.ld')];
    try {
      await buildCProgram(gcc, cflags, sources, elf, { flags: ['-nostdlib'], flagsFor: script, libs: ['-lgcc'] });
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
        { timeoutMs },
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
      await buildCProgram(gcc, [...HOST_ASAN_FLAGS, '-I', KERNELS_DIR], sources, exe, { libs: ['-lm'] });
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

/** Runs the cases through the op's plain reference (as the portable kernels' tests do). */
export function evaluateCases(def: AnyOpDef, cases: VariantCase[]): TensorData[][] {
  return runOpCasesInTs(def, cases);
}

/**
 * Runs the cases through `variant` on an emulated Cortex-M4 and expects each one's first output
 * to equal the op's plain reference, byte for byte (`label` names a failing case).
 */
export async function expectBitExactOnQemu(variant: KernelVariant, def: AnyOpDef, cases: VariantCase[], label: (c: VariantCase, i: number) => string): Promise<void> {
  const want = evaluateCases(def, cases);
  const got = await runVariantCasesOnQemu(variant, cases);
  cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
}
