/**
 * Runs a small C test program against firmware/kernels/ and returns the bytes it emits with
 * TINYML_TEST_EMIT(pointer, count): on the host (gcc, -Wall -Wextra -Werror, AddressSanitizer and
 * UBSan with no recovery, so undefined behaviour fails the run) and on an emulated Cortex-M4
 * (arm-none-eabi-gcc, QEMU mps2-an386, output over semihosting; test/optimized/target/). A
 * missing compiler or emulator throws ToolMissingError with the command that installs it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolMissingError } from '../../src/errors.js';
import { findArmToolchain, findQemu } from '../../src/build/toolchain.js';
import { ARM_FLAGS, HOST_ASAN_FLAGS, buildCProgram, run } from '../optimized/harness.js';
import { KERNELS_DIR, PROJECT_ROOT } from './c-kernel-harness.js';
import { hostCompilerPath } from './tools.js';

const TARGET_DIR = join(PROJECT_ROOT, 'test/optimized/target');

function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-cprog-'));
  return fn(dir).finally(() => {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });
}

function hostGcc(): string {
  const gcc = hostCompilerPath('gcc');
  if (!gcc) throw new ToolMissingError('gcc', `gcc (the host C compiler) was not found on PATH; install it with: sudo apt-get install gcc`);
  return gcc;
}

/** `body` is a whole translation unit that defines main() and uses TINYML_TEST_EMIT. */
export async function runCProgramOnHost(body: string, kernelSources: string[] = []): Promise<Buffer> {
  const gcc = hostGcc();
  return withTmp(async (dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, ['#include <stdio.h>', '#define TINYML_TEST_EMIT(p, n) fwrite((p), 1, (n), stdout)', body].join('\n'));
    const exe = join(dir, 'a.out');
    const sources = [mainC, ...kernelSources.map((k) => join(KERNELS_DIR, k))];
    await buildCProgram(gcc, [...HOST_ASAN_FLAGS, '-I', KERNELS_DIR], sources, exe, { libs: ['-lm'] });
    return run(exe, []);
  });
}

/** The same program built for Cortex-M4 at `opt` and run under QEMU. */
export async function runCProgramOnM4(body: string, kernelSources: string[] = [], opt = '-O2'): Promise<Buffer> {
  const gcc = findArmToolchain().gcc;
  const qemu = findQemu();
  return withTmp(async (dir) => {
    const mainC = join(dir, 'main.c');
    writeFileSync(
      mainC,
      ['#include <stdint.h>', 'void tgt_write_hex(const void *data, uint32_t n);', '#define TINYML_TEST_EMIT(p, n) tgt_write_hex((p), (n))', body].join('\n'),
    );
    const elf = join(dir, 'test.elf');
    const sources = [mainC, join(TARGET_DIR, 'startup.c'), ...kernelSources.map((k) => join(KERNELS_DIR, k))];
    await buildCProgram(gcc, [...ARM_FLAGS, opt, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-I', KERNELS_DIR], sources, elf, { flags: ['-nostdlib', '-T', join(TARGET_DIR, 'link.ld')], libs: ['-lgcc'] });
    const outFile = join(dir, 'out.txt');
    await run(
      qemu,
      [
        '-M', 'mps2-an386', '-cpu', 'cortex-m4', '-nographic', '-monitor', 'none', '-serial', 'none',
        '-chardev', `file,id=semihost,path=${outFile}`, '-semihosting-config', 'enable=on,target=native,chardev=semihost',
        '-kernel', elf,
      ],
      { timeoutMs: 120_000 },
    );
    return Buffer.from(readFileSync(outFile, 'utf8').replace(/[^0-9a-f]/g, ''), 'hex');
  });
}
