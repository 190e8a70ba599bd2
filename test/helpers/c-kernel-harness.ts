/**
 * Runs an op's C kernel on the host: emits the op with `emitC` against static arrays holding
 * the given inputs, compiles the kernel sources with the host's gcc (-Wall -Wextra -Werror),
 * runs it and returns its outputs. Tests compare them byte for byte with `evaluate`, which pins
 * the firmware kernels to the reference interpreter without booting an emulator.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DType, TensorData } from '../../src/ir/types.js';
import { DTYPE_BYTES, allocTensorData, elementCount, tensorDataBytes } from '../../src/ir/types.js';
import type { AnyOpDef, OpContext } from '../../src/ops/op-def.js';
import { requireHostCompiler } from './tools.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KERNELS_DIR = join(PROJECT_ROOT, 'firmware/kernels');

const C_TYPE: Record<DType, string> = {
  int8: 'int8_t',
  uint8: 'uint8_t',
  bool: 'uint8_t',
  int16: 'int16_t',
  int32: 'int32_t',
  int64: 'int64_t',
  float32: 'float',
};

function byteArrayLiteral(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => String(b)).join(',');
}

/**
 * One or more cases of the same op run by one compiled program (compiling dominates the cost,
 * so tests should batch cases). Each case: params from `prepare` and the input data.
 */
export interface CKernelCase {
  ctx: OpContext;
  params: unknown;
  inputs: (TensorData | undefined)[];
}

/**
 * `sanitize`: build with AddressSanitizer and UBSan (out-of-bounds accesses, scratch included, and
 * undefined behaviour fail the run).
 */
export function runOpCasesInC(def: AnyOpDef, cases: CKernelCase[], options: { sanitize?: boolean } = {}): TensorData[][] {
  if (!def.emitC) throw new Error(`${def.type} has no emitC`);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-ckernel-'));
  try {
    const kernels = new Set<string>();
    const includes = new Set<string>();
    const decls: string[] = [];
    const body: string[] = [];
    cases.forEach((c, ci) => {
      const inNames: (string | undefined)[] = [];
      c.inputs.forEach((data, i) => {
        const t = c.ctx.inputs[i];
        if (!data || !t) {
          inNames.push(undefined);
          return;
        }
        const name = `c${ci}_in${i}`;
        const bytes = tensorDataBytes(data);
        // Stored as bytes with 16-byte alignment, then viewed with the element type (like the arena).
        // Not static: a constant the kernel does not read (folded into its params) is then no warning.
        decls.push(`const uint8_t ${name}_bytes[${Math.max(1, bytes.length)}] __attribute__((aligned(16))) = {${bytes.length ? byteArrayLiteral(bytes) : '0'}};`);
        inNames.push(`((const ${C_TYPE[t.dtype]} *)${name}_bytes)`);
      });
      const outNames = c.ctx.outputs.map((t, i) => {
        const name = `c${ci}_out${i}`;
        const bytes = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
        decls.push(`static uint8_t ${name}_bytes[${Math.max(1, bytes)}] __attribute__((aligned(16)));`);
        body.push(`  memset(${name}_bytes, 0x5a, sizeof ${name}_bytes);`);
        return `((${C_TYPE[t.dtype]} *)${name}_bytes)`;
      });
      // Kernel scratch of exactly the announced size, 16-byte aligned like the planned arena.
      const scratchBytes = def.scratchBytes?.(c.params) ?? 0;
      if (scratchBytes > 0) decls.push(`static uint8_t c${ci}_scratch[${scratchBytes}] __attribute__((aligned(16)));`);
      const em = def.emitC!(c.params, { inputs: inNames, outputs: outNames }, { prefix: `c${ci}op`, ...(scratchBytes > 0 ? { scratch: `c${ci}_scratch` } : {}) });
      em.kernels.forEach((k) => kernels.add(k));
      em.includes.forEach((h) => includes.add(h));
      decls.push(em.decls);
      body.push(`  {\n${em.call}\n  }`);
      c.ctx.outputs.forEach((t, i) => {
        const bytes = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
        body.push(`  fwrite(c${ci}_out${i}_bytes, 1, ${bytes}, stdout);`);
      });
    });
    const src = [
      '#include <stdint.h>',
      '#include <stdio.h>',
      '#include <string.h>',
      ...[...includes].map((h) => `#include "${h}"`),
      ...decls,
      'int main(void) {',
      ...body,
      '  return 0;',
      '}',
      '',
    ].join('\n');
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, src);
    const exe = join(dir, 'a.out');
    const sources = [mainC, ...[...kernels].map((k) => join(KERNELS_DIR, k))];
    try {
      const sanitize = options.sanitize ? ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'] : [];
      execFileSync(requireHostCompiler('gcc'), ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', ...sanitize, '-I', KERNELS_DIR, '-o', exe, ...sources, '-lm'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(`host compile of ${def.type} kernel failed:\n${err.stderr?.toString() ?? String(e)}\n--- main.c kept at ${mainC}`);
    }
    const out = execFileSync(exe, { maxBuffer: 1 << 28 });
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
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the same cases through `evaluate` (the reference) for comparison. */
export function runOpCasesInTs(def: AnyOpDef, cases: CKernelCase[]): TensorData[][] {
  return cases.map((c) => {
    const outs = c.ctx.outputs.map((t) => allocTensorData(t.dtype, elementCount(t.shape)));
    def.evaluate(c.params, c.inputs, outs);
    return outs;
  });
}
