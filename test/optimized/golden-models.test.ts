/**
 * Every integer golden model generated with the DSP variants (target with dsp: true):
 * compiled for the host with the portable DSP fallbacks and run on every golden case, byte for
 * byte; and compiled for Cortex-M4 with arm-none-eabi-gcc -Wall -Wextra -Werror (compile only),
 * so the real-instruction path builds warning-free.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateModelC } from '../../src/codegen/generate-model.js';
import { selectedKernelName } from '../../src/codegen/select-kernel.js';
import { FIRMWARE_DIR } from '../../src/codegen/templates.js';
import { prepareGraph } from '../../src/interp/interpreter.js';
import { DTYPE_BYTES, elementCount } from '../../src/ir/types.js';
import '../../src/ops/optimized/index.js';
import { planModelMemory } from '../../src/codegen/plan-model.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';
import { ARM_FLAGS, HOST_DSP_TARGET, M4_TARGET, buildCProgram, run } from './harness.js';
import { requireArmToolchain, requireHostCompiler } from '../helpers/tools.js';

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

function writeModel(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

// Compiles run in the model's directory: its own headers by a relative path, so that the flags of
// every model are the same and the run's compile cache compiles each kernel once.
const INCLUDES = ['-I', 'model', '-I', join(FIRMWARE_DIR, 'runtime'), '-I', join(FIRMWARE_DIR, 'kernels')];

describe('golden models with the DSP variants', () => {
  for (const m of goldenModels().filter((g) => g.integer)) {
    it(`${m.id}: host build bit-exact on every golden case`, { timeout: 180_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const gen = generateModelC(prepared, planModelMemory(prepared, HOST_DSP_TARGET), { hash: '0'.repeat(64), target: HOST_DSP_TARGET });
      const optimized = prepared.steps.filter((s) => selectedKernelName(s, HOST_DSP_TARGET) !== 'portable').length;
      expect(optimized, 'layers on optimized kernels').toBeGreaterThan(0);
      const dir = mkdtempSync(join(tmpdir(), 'tinyml-dspmodel-'));
      try {
        writeModel(dir, gen.files);
        writeFileSync(join(dir, 'driver.c'), DRIVER);
        const exe = join(dir, 'model.exe');
        const sources = [join(dir, 'model/model.c'), join(dir, 'driver.c'), ...gen.kernelFiles.filter((f) => f.endsWith('.c')).map((f) => join(FIRMWARE_DIR, 'kernels', f))];
        await buildCProgram(requireHostCompiler('gcc'), ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', ...INCLUDES], sources, exe, { libs: ['-lm'], cwd: dir });
        const stdin = Buffer.concat(m.cases.flatMap((c) => c.inputs.map((b) => Buffer.from(b))));
        const out = await run(exe, [], { input: stdin });
        const sizes = prepared.graph.outputs.map((i) => elementCount(prepared.graph.tensors[i].shape) * DTYPE_BYTES[prepared.graph.tensors[i].dtype]);
        let off = 0;
        m.cases.forEach((c) => {
          c.outputs.forEach((want, k) => {
            const got = out.subarray(off, off + sizes[k]);
            off += sizes[k];
            expect(Array.from(got), `case ${c.index} output ${k}`).toEqual(Array.from(want));
          });
        });
      } finally {
        if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${m.id}: compiles for Cortex-M4 (-O2, -Wall -Wextra -Werror)`, { timeout: 180_000 }, async () => {
      const gcc = requireArmToolchain().gcc;
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const gen = generateModelC(prepared, planModelMemory(prepared, M4_TARGET), { hash: '0'.repeat(64), target: M4_TARGET });
      const dir = mkdtempSync(join(tmpdir(), 'tinyml-dspmodel-arm-'));
      try {
        writeModel(dir, gen.files);
        const sources = [join(dir, 'model/model.c'), ...gen.kernelFiles.filter((f) => f.endsWith('.c')).map((f) => join(FIRMWARE_DIR, 'kernels', f))];
        for (const src of sources) {
          await run(gcc, [...ARM_FLAGS, '-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections', ...INCLUDES, '-c', '-o', join(dir, 'x.o'), src], { cwd: dir });
        }
      } finally {
        if (!process.env.TINYML_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
