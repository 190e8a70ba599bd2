/**
 * Issue #18's bar for float models: the float32 golden cases of ../shared/golden/ (TensorFlow
 * Lite Micro's float reference kernels), run through generated firmware on every emulated board
 * with an FPU, agree with TFLM within a relative error of 1e-4 of each output's range. Builds use
 * the real arm-none-eabi-gcc with -Wall -Wextra -Werror; runs use the real qemu-system-arm.
 *
 * The VWW input is 110 KB of float32 over a ~10 KB/s emulated UART, so each board runs one VWW
 * case (a different one per board, so all three are covered); the small models run every case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { FLOAT_CHECK_TOLERANCE, floatOutputError, inferOnDevice } from '../../src/deploy/verify.js';
import { goldenModels } from '../helpers/golden.js';

const BOARDS = ['qemu-m4', 'qemu-m7', 'qemu-m33', 'qemu-m55'];
const FLOAT_MODELS = ['hello_world_float', 'ad01_fp32', 'vww_96_float'];
const models = goldenModels().filter((m) => !m.integer);
const work = mkdtempSync(join(tmpdir(), 'tinyml-boards-float-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('the shared golden data has every float model this suite covers', () => {
  expect(models.map((m) => m.id).sort()).toEqual([...FLOAT_MODELS].sort());
  for (const m of models) expect(m.cases.length, m.id).toBeGreaterThanOrEqual(3);
});

BOARDS.forEach((board, b) => {
  describe.concurrent(`float golden cases on ${board}`, () => {
    for (const m of models) {
      const cases = m.id === 'vww_96_float' ? [m.cases[b % m.cases.length]] : m.cases;
      it(`${m.id} (cases ${cases.map((c) => c.index).join(', ')})`, { timeout: 600_000 }, async () => {
        const built = await buildModelFirmware(m.modelPath, { board, outDir: join(work, `${board}-${m.id}`) });
        expect(built.build.log).not.toMatch(/warning:/);
        const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 60_000 });
        try {
          expect(session.info.model.hash).toBe(built.compiled.hash.slice(0, 16));
          const graph = built.compiled.graph;
          for (const c of cases) {
            const inputs = c.inputs.map((bytes, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, bytes));
            const outs = await inferOnDevice(session.client, inputs);
            outs.forEach((o, k) => {
              const want = tensorDataFromBytes('float32', c.outputs[k]) as Float32Array;
              const got = tensorDataFromBytes('float32', o) as Float32Array;
              expect(got.length).toBe(want.length);
              const { error } = floatOutputError(want, got, FLOAT_CHECK_TOLERANCE);
              expect(error, `${board} ${m.id} case ${c.index} output ${k}: got [${Array.from(got.slice(0, 4))}...], want [${Array.from(want.slice(0, 4))}...]`).toBeLessThanOrEqual(FLOAT_CHECK_TOLERANCE);
            });
          }
        } finally {
          await session.close();
        }
      });
    }
  });
});
