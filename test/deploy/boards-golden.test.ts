/**
 * Issue #4's bar: every integer golden case, run through generated firmware on every emulated
 * board over the serial protocol, is bit-exact with TensorFlow Lite Micro (and the firmware's
 * only RAM besides the runtime's serial buffers is the planned arena). Builds use the real
 * arm-none-eabi-gcc with -Wall -Wextra -Werror; runs use the real qemu-system-arm.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { inferOnDevice } from '../../src/deploy/verify.js';
import { ramBesidesArena } from '../helpers/elf.js';
import { goldenModels } from '../helpers/golden.js';

const BOARDS = ['qemu-m4', 'qemu-m3', 'qemu-m7', 'qemu-m33', 'qemu-m55'];
const models = goldenModels().filter((m) => m.integer);
const work = mkdtempSync(join(tmpdir(), 'tinyml-boards-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

for (const board of BOARDS) {
  describe.concurrent(`golden cases on ${board}`, () => {
    for (const m of models) {
      it(`${m.id}`, { timeout: 300_000 }, async () => {
        const built = await buildModelFirmware(m.modelPath, { board, outDir: join(work, `${board}-${m.id}`) });
        expect(built.build.log).not.toMatch(/warning:/);
        // Kernels keep no RAM of their own: their scratch is in the planned arena.
        expect(ramBesidesArena(built.build.elf), 'RAM objects besides the arena and the runtime buffers').toEqual([]);
        const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 20_000 });
        try {
          expect(session.info.model.hash).toBe(built.compiled.hash.slice(0, 16));
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
}
