/**
 * The single-op fixtures of issue #13's second op list (test/fixtures/ops-d/) deployed to
 * qemu-m4: each model's firmware is built once with the real arm-none-eabi-gcc (-Wall -Wextra
 * -Werror) and run under the real qemu-system-arm, and reproduces every TensorFlow Lite Micro
 * int8 golden byte over the serial link, and float32 outputs within deploy's float tolerance
 * (1e-4 of each output's range: the M4's fused multiply-adds round differently).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { FLOAT_CHECK_TOLERANCE, inferOnDevice } from '../../src/deploy/verify.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { fixtureGoldenModels } from '../helpers/golden.js';
import { expectGoldenOutput } from '../helpers/golden-compare.js';

const board = 'qemu-m4';
const models = fixtureGoldenModels('ops-d');
const work = mkdtempSync(join(tmpdir(), 'tinyml-ops-d-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`issue #13 op fixtures (part D) on ${board}`, () => {
  for (const m of models) {
    it(`${m.id}: every golden case ${m.integer ? 'bit-exact' : 'within 1e-4 of its range'}`, { timeout: 120_000 }, async () => {
      const built = await buildModelFirmware(m.modelPath, { board, outDir: join(work, m.id) });
      expect(built.build.log).not.toMatch(/warning:/);
      const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 20_000 });
      try {
        const graph = built.compiled.graph;
        for (const c of m.cases) {
          const inputs = c.inputs.map((b, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, b));
          const outs = await inferOnDevice(session.client, inputs);
          outs.forEach((o, k) => expectGoldenOutput(m.outputs[k].dtype, o, c.outputs[k], `${board} ${m.id} case ${c.index} output ${k}`, FLOAT_CHECK_TOLERANCE));
        }
      } finally {
        await session.close();
      }
    });
  }
});
