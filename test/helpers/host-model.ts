/**
 * Compiles a generated model.c with its kernels for the host (gcc -Wall -Wextra -Werror) and
 * runs it on many inputs through a tiny stdin/stdout driver: a fast check that the generated C
 * as a whole computes what the reference interpreter computes, before any emulator is involved.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateModelC } from '../../src/codegen/generate-model.js';
import { FIRMWARE_DIR } from '../../src/codegen/templates.js';
import type { PreparedGraph } from '../../src/interp/interpreter.js';
import { DTYPE_BYTES, elementCount } from '../../src/ir/types.js';
import { planModelMemory } from '../../src/codegen/plan-model.js';
import type { MemoryPlan } from '../../src/plan/memory-plan.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { requireHostCompiler } from './tools.js';

const DRIVER = `
#include <stdio.h>
#include <stdint.h>
#include "model.h"
int main(void) {
  tinyml_init();
  for (;;) {
    for (int i = 0; i < TINYML_NUM_INPUTS; i++) {
      const tinyml_tensor_info_t *t = &tinyml_model_info.inputs[i];
      if (fread(tinyml_input(i), 1, t->bytes, stdin) != t->bytes) return 0;
    }
    if (tinyml_invoke() != 0) return 1;
    for (int i = 0; i < TINYML_NUM_OUTPUTS; i++) {
      fwrite(tinyml_output(i), 1, tinyml_model_info.outputs[i].bytes, stdout);
    }
  }
}
`;

interface HostModelOptions {
  /** Generate with this plan (default: the host's plan). */
  plan?: MemoryPlan;
  /** Generate for this target (default: the host). */
  target?: TargetInfo;
  /** Build with AddressSanitizer and UBSan at -O1 (out-of-arena accesses fail). */
  sanitize?: boolean;
}

/** Writes the generated model and the driver to a fresh folder: the compiler's arguments and how to split the outputs. */
function hostProgram(prepared: PreparedGraph, options: HostModelOptions) {
  const { graph } = prepared;
  const gen = generateModelC(prepared, options.plan ?? planModelMemory(prepared), { hash: '0'.repeat(64), ...(options.target ? { target: options.target } : {}) });
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-hostmodel-'));
  for (const [rel, text] of Object.entries(gen.files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  writeFileSync(join(dir, 'driver.c'), DRIVER);
  const exe = join(dir, 'model.exe');
  const sources = [join(dir, 'model/model.c'), join(dir, 'driver.c'), ...gen.kernelFiles.filter((f) => f.endsWith('.c')).map((f) => join(FIRMWARE_DIR, 'kernels', f))];
  const flags = options.sanitize ? ['-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'] : ['-O2'];
  const args = ['-std=c99', ...flags, '-Wall', '-Wextra', '-Werror', '-I', join(dir, 'model'), '-I', join(FIRMWARE_DIR, 'runtime'), '-I', join(FIRMWARE_DIR, 'kernels'), '-o', exe, ...sources, '-lm'];
  const sizes = graph.outputs.map((i) => elementCount(graph.tensors[i].shape) * DTYPE_BYTES[graph.tensors[i].dtype]);
  const split = (out: Buffer, cases: number): Uint8Array[][] => {
    let off = 0;
    return Array.from({ length: cases }, () =>
      sizes.map((n) => {
        const b = new Uint8Array(out.subarray(off, off + n));
        off += n;
        return b;
      }),
    );
  };
  const cleanup = () => {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  };
  return { name: graph.name, exe, args, split, cleanup };
}

export function runGeneratedModelOnHost(prepared: PreparedGraph, inputs: Uint8Array[][], options: HostModelOptions = {}): Uint8Array[][] {
  const prog = hostProgram(prepared, options);
  try {
    try {
      execFileSync(requireHostCompiler('gcc'), prog.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      throw new Error(`host compile of generated ${prog.name} failed:\n${(e as { stderr?: Buffer }).stderr?.toString()}`);
    }
    const out = execFileSync(prog.exe, { input: Buffer.concat(inputs.flatMap((c) => c.map((b) => Buffer.from(b)))), maxBuffer: 1 << 28 });
    return prog.split(out, inputs.length);
  } finally {
    prog.cleanup();
  }
}

/** The same without blocking the test worker (long sanitized builds). */
export async function runGeneratedModelOnHostAsync(prepared: PreparedGraph, inputs: Uint8Array[][], options: HostModelOptions = {}): Promise<Uint8Array[][]> {
  const prog = hostProgram(prepared, options);
  const run = (file: string, args: string[], input?: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${file} exited with ${code}:\n${Buffer.concat(err).toString()}`))));
      child.stdin.end(input ?? Buffer.alloc(0));
    });
  try {
    await run(requireHostCompiler('gcc'), prog.args).catch((e: Error) => {
      throw new Error(`host compile of generated ${prog.name} failed:\n${e.message}`);
    });
    return prog.split(await run(prog.exe, [], Buffer.concat(inputs.flatMap((c) => c.map((b) => Buffer.from(b))))), inputs.length);
  } finally {
    prog.cleanup();
  }
}
