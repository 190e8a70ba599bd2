/**
 * Each ONNX Runtime quantizer fixture deploys to the emulated Cortex-M4 (real arm-none-eabi-gcc
 * with -Werror, real qemu-system-arm) and the firmware's outputs equal the host reference
 * interpreter's byte for byte, on real test images (uint8 models take the uint8 image bytes) and
 * on random inputs over the whole input range.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/dataset.js';
import { makePreprocessor } from '../../src/data/preprocess.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { checkAgainstReference, inferOnDevice, measureLatency } from '../../src/deploy/verify.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes } from '../../src/ir/types.js';
import { FASHION_TEST, requireArmToolchain, requireFashionMnist, requireQemu } from '../helpers/tools.js';
import { ortFixtures } from './ort-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-ort-qemu-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('ONNX Runtime quantizer fixtures on qemu-m4', () => {
  for (const f of ortFixtures()) {
    it(`${f.name}: deploys and matches the host bit for bit`, { timeout: 600_000 }, async () => {
      requireArmToolchain();
      requireQemu();
      requireFashionMnist([FASHION_TEST]);
      const built = await buildModelFirmware(f.path, { board: 'qemu-m4', outDir: join(work, f.name) });
      expect(built.build.log).not.toMatch(/warning:/);
      const graph = built.compiled.graph;
      const prepared = prepareGraph(graph);
      const ds = await openDataset({ data: FASHION_TEST });
      const pre = makePreprocessor({ scale: 1, scaleDivisor: 255 }, graph.tensors[graph.inputs[0]], ds);
      const session = await openTargetSession(built.board, built.build.elf!, { timeoutMs: 30_000 });
      try {
        for (let i = 0; i < 4; i++) {
          const x = pre(ds.sample(i));
          const want = Array.from(tensorDataBytes(runGraph(prepared, [x])[0]));
          const got = Array.from((await inferOnDevice(session.client, [x]))[0]);
          expect(got, `${f.name} test image ${i}`).toEqual(want);
        }
        const random = await checkAgainstReference(session.client, prepared, 3);
        expect(random).toMatchObject({ cases: 3, matched: 3 });
        const t = await measureLatency(session.client, built.board, 1);
        console.log(`${f.name}: qemu-m4 bit-exact on 4 images + 3 random inputs, ${t.perInference} instructions per inference`);
      } finally {
        await session.close();
      }
    });
  }
});
