/**
 * Runs an op's C kernel on the host: emits the op with `emitC` against static arrays holding
 * the given inputs, compiles the kernel sources with the host's gcc (-Wall -Wextra -Werror),
 * runs it and returns its outputs. Tests compare them byte for byte with the op's plain reference, which pins
 * the firmware kernels to the reference interpreter without booting an emulator.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DType, TensorData } from '../../src/ir/types.js';
import { DTYPE_BYTES, allocTensorData, elementCount, tensorDataBytes } from '../../src/ir/types.js';
import type { AnyOpDef, CEmission, EmitNames, OpContext } from '../../src/ops/op-def.js';
import { assertStructsComplete } from '../../src/codegen/c-structs.js';
import { requireHostCompiler } from './tools.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KERNELS_DIR = join(PROJECT_ROOT, 'firmware/kernels');

export const C_TYPE: Record<DType, string> = {
  int8: 'int8_t',
  uint8: 'uint8_t',
  bool: 'uint8_t',
  int16: 'int16_t',
  int32: 'int32_t',
  int64: 'int64_t',
  float32: 'float',
};

/**
 * One or more cases of the same op run by one compiled program (compiling dominates the cost,
 * so tests should batch cases). Each case: params from `prepare` and the input data.
 */
export interface CKernelCase {
  ctx: OpContext;
  params: unknown;
  /** Input data by position (constants included); undefined for an omitted input. */
  inputs: (TensorData | undefined)[];
}

/** How a test program emits each case: the kernel call and the scratch it gets. */
export interface CaseEmitter {
  /** `constants`: the constant inputs' data by position, for emitters that lay weights out. */
  emit(c: CKernelCase, names: EmitNames, ctx: { prefix: string; constants: (TensorData | undefined)[]; scratch?: string }): CEmission;
  /** Bytes of scratch the case's kernel gets (exactly this many, 16-byte aligned, as the planner places it). */
  scratchBytes(c: CKernelCase, constants: (TensorData | undefined)[]): number;
  /** Lines after the standard includes; they define TINYML_TEST_EMIT(pointer, bytes), which writes an output. */
  prelude: readonly string[];
}

/** Writes outputs to stdout (host programs). */
export const HOST_PRELUDE: readonly string[] = ['#include <stdio.h>', '#define TINYML_TEST_EMIT(p, n) fwrite((p), 1, (n), stdout)'];

/**
 * main.c running every case once and writing its outputs in order: inputs as 16-byte aligned
 * byte arrays viewed with their element type (like the arena), outputs pre-filled with 0x5a.
 */
export function emitCasesProgram(cases: CKernelCase[], e: CaseEmitter): { source: string; kernels: string[] } {
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
      // Not static: a constant an emitter re-lays out is then left unused without a warning.
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
    const scratchBytes = e.scratchBytes(c, constants);
    let scratch: string | undefined;
    if (scratchBytes > 0) {
      scratch = `c${ci}_scratch`;
      decls.push(`static uint8_t ${scratch}[${scratchBytes}] __attribute__((aligned(16)));`);
    }
    const em = e.emit(c, { inputs: inNames, outputs: outNames }, { prefix: `c${ci}op`, constants, ...(scratch ? { scratch } : {}) });
    // As generateModelC does: every params struct sets every member its header declares.
    assertStructsComplete(em.decls, `case ${ci} (${c.ctx.op.type})`);
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
    ...e.prelude,
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

/** The program's output bytes cut into each case's output tensors. */
export function splitOutputs(cases: CKernelCase[], out: Uint8Array): TensorData[][] {
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

/**
 * `sanitize`: build with AddressSanitizer and UBSan (out-of-bounds accesses, scratch included, and
 * undefined behaviour fail the run).
 */
export function runOpCasesInC(def: AnyOpDef, cases: CKernelCase[], options: { sanitize?: boolean } = {}): TensorData[][] {
  const emitC = def.emitC;
  if (!emitC) throw new Error(`${def.type} has no emitC`);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-ckernel-'));
  try {
    const prog = emitCasesProgram(cases, {
      emit: (c, names, ctx) => emitC(c.params, names, { prefix: ctx.prefix, ...(ctx.scratch ? { scratch: ctx.scratch } : {}) }),
      scratchBytes: (c) => def.scratchBytes?.(c.params) ?? 0,
      prelude: HOST_PRELUDE,
    });
    const mainC = join(dir, 'main.c');
    writeFileSync(mainC, prog.source);
    const exe = join(dir, 'a.out');
    const sources = [mainC, ...prog.kernels.map((k) => join(KERNELS_DIR, k))];
    try {
      const sanitize = options.sanitize ? ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'] : [];
      execFileSync(requireHostCompiler('gcc'), ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', ...sanitize, '-I', KERNELS_DIR, '-o', exe, ...sources, '-lm'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(`host compile of ${def.type} kernel failed:\n${err.stderr?.toString() ?? String(e)}\n--- main.c kept at ${mainC}`);
    }
    return splitOutputs(cases, execFileSync(exe, { maxBuffer: 1 << 28 }));
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the same cases through the op's plain reference (`reference`, or `evaluate` where that is
 * the plain one) for comparison: the C kernels are held to the oracle, not to the fast host path.
 */
export function runOpCasesInTs(def: AnyOpDef, cases: CKernelCase[]): TensorData[][] {
  return cases.map((c) => {
    const outs = c.ctx.outputs.map((t) => allocTensorData(t.dtype, elementCount(t.shape)));
    (def.reference ?? def.evaluate)(c.params, c.inputs, outs);
    return outs;
  });
}
