/**
 * The single-op fixtures of issue #13's third op list (test/fixtures/ops-c/) deployed to
 * qemu-m4: each model's firmware is built once with the real arm-none-eabi-gcc (-Wall -Wextra
 * -Werror) and run under the real qemu-system-arm. Integer outputs reproduce every TensorFlow
 * Lite Micro golden byte over the serial link. float32 outputs (EXP, LOG_SOFTMAX, CUMSUM on
 * float) are within one unit in the last place of TFLM's: the firmware's expf/logf are newlib's,
 * TFLM's host build used glibc's, and the two libms round a few values differently (the host
 * build of the same generated C, with glibc, matches every byte: test/golden/ops-c-golden.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { inferOnDevice } from '../../src/deploy/verify.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { fixtureGoldenModels } from '../helpers/golden.js';

const board = 'qemu-m4';
const models = fixtureGoldenModels('ops-c');
const work = mkdtempSync(join(tmpdir(), 'tinyml-ops-c-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Largest distance in units in the last place between two float32 arrays given as bytes. */
function maxUlps(got: Uint8Array, want: Uint8Array): number {
  const g = new Int32Array(got.slice().buffer);
  const w = new Int32Array(want.slice().buffer);
  // Map the sign-magnitude bit patterns onto a monotonic integer line.
  const line = (b: number): number => (b < 0 ? -2147483648 - b : b);
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(line(g[i]) - line(w[i])));
  return worst;
}

describe(`issue #13 op fixtures (part C) on ${board}`, () => {
  for (const m of models) {
    it(`${m.id}: every golden case ${m.integer ? 'bit-exact' : 'within 1 ulp'}`, { timeout: 120_000 }, async () => {
      const built = await buildModelFirmware(m.modelPath, { board, outDir: join(work, m.id) });
      expect(built.build.log).not.toMatch(/warning:/);
      const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 20_000 });
      try {
        const graph = built.compiled.graph;
        for (const c of m.cases) {
          const inputs = c.inputs.map((b, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, b));
          const outs = await inferOnDevice(session.client, inputs);
          expect(outs.length).toBe(c.outputs.length);
          outs.forEach((o, k) => {
            const what = `${board} ${m.id} case ${c.index} output ${k}`;
            if (m.outputs[k].dtype === 'float32') {
              expect(o.length, what).toBe(c.outputs[k].length);
              expect(maxUlps(o, c.outputs[k]), what).toBeLessThanOrEqual(1);
            } else {
              expect(Array.from(o), what).toEqual(Array.from(c.outputs[k]));
            }
          });
        }
      } finally {
        await session.close();
      }
    });
  }
});
