/**
 * The legacy uint8 TFLite fixture (test/fixtures/uint8/) deployed to qemu-m4: built with the real
 * arm-none-eabi-gcc (-Wall -Wextra -Werror), run under the real qemu-system-arm, uint8 bytes in
 * and out over the serial link, and every output byte equal to TensorFlow Lite's uint8 reference
 * kernels. Its convolutions have weights zero points, which the M4's DSP conv and depthwise
 * kernels take as int16 weights minus the zero point (the fully connected layer, whose DSP
 * kernel takes symmetric weights only, runs on the portable kernel): this pins both on the target.
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
const models = fixtureGoldenModels('uint8');
const work = mkdtempSync(join(tmpdir(), 'tinyml-uint8-legacy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`legacy uint8 model on ${board}`, () => {
  for (const m of models) {
    it(`${m.id}: every golden case bit-exact`, { timeout: 120_000 }, async () => {
      const built = await buildModelFirmware(m.modelPath, { board, outDir: join(work, m.id) });
      expect(built.build.log).not.toMatch(/warning:/);
      const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 20_000 });
      try {
        const graph = built.compiled.graph;
        for (const c of m.cases) {
          const inputs = c.inputs.map((b, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, b));
          const outs = await inferOnDevice(session.client, inputs);
          outs.forEach((o, k) => expect(Array.from(o), `${board} ${m.id} case ${c.index} output ${k}`).toEqual(Array.from(c.outputs[k])));
        }
      } finally {
        await session.close();
      }
    });
  }
});
