/**
 * Compiles a generated model.c with its kernels for the host (gcc -Wall -Wextra -Werror) and
 * runs it on many inputs through a tiny stdin/stdout driver: a fast check that the generated C
 * as a whole computes what the reference interpreter computes, before any emulator is involved.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateModelC } from '../../src/codegen/generate-model.js';
import { FIRMWARE_DIR } from '../../src/codegen/templates.js';
import type { PreparedGraph } from '../../src/interp/interpreter.js';
import { DTYPE_BYTES, elementCount } from '../../src/ir/types.js';
import { planModelMemory } from '../../src/codegen/plan-model.js';
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

export function runGeneratedModelOnHost(prepared: PreparedGraph, inputs: Uint8Array[][]): Uint8Array[][] {
  const { graph } = prepared;
  const gen = generateModelC(prepared, planModelMemory(prepared), { hash: '0'.repeat(64) });
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-hostmodel-'));
  try {
    for (const [rel, text] of Object.entries(gen.files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    writeFileSync(join(dir, 'driver.c'), DRIVER);
    const exe = join(dir, 'model.exe');
    const sources = [join(dir, 'model/model.c'), join(dir, 'driver.c'), ...gen.kernelFiles.filter((f) => f.endsWith('.c')).map((f) => join(FIRMWARE_DIR, 'kernels', f))];
    try {
      execFileSync(requireHostCompiler('gcc'), ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-I', join(dir, 'model'), '-I', join(FIRMWARE_DIR, 'runtime'), '-I', join(FIRMWARE_DIR, 'kernels'), '-o', exe, ...sources, '-lm'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      throw new Error(`host compile of generated ${graph.name} failed:\n${(e as { stderr?: Buffer }).stderr?.toString()}`);
    }
    const stdin = Buffer.concat(inputs.flatMap((c) => c.map((b) => Buffer.from(b))));
    const out = execFileSync(exe, { input: stdin, maxBuffer: 1 << 28 });
    const sizes = graph.outputs.map((i) => elementCount(graph.tensors[i].shape) * DTYPE_BYTES[graph.tensors[i].dtype]);
    let off = 0;
    return inputs.map(() =>
      sizes.map((n) => {
        const b = new Uint8Array(out.subarray(off, off + n));
        off += n;
        return b;
      }),
    );
  } finally {
    if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
}
