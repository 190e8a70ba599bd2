/**
 * The 16x8 fixtures of issue #13 item 6 (test/fixtures/int16) deployed to qemu-m4 reproduce
 * TensorFlow Lite Micro's goldens byte for byte; a TRANSPOSE_CONV output_shape input that differs
 * from the model's output shape makes the firmware's invoke fail instead of computing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DType } from '../../src/ir/types.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { inferOnDevice } from '../../src/deploy/verify.js';
import { PROJECT_ROOT } from '../helpers/c-kernel-harness.js';

const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/int16');
const work = mkdtempSync(join(tmpdir(), 'tinyml-int16-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function goldenCases(name: string) {
  const dir = join(FIXTURE, 'golden', name);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { inputs: { dtype: DType }[]; cases: { inputs: string[]; outputs: string[] }[] };
  return m.cases.map((c) => ({
    inputs: c.inputs.map((f, k) => tensorDataFromBytes(m.inputs[k].dtype, readFileSync(join(dir, f)))),
    outputs: c.outputs.map((f) => Array.from(readFileSync(join(dir, f)))),
  }));
}

describe.concurrent('16x8 fixtures on qemu-m4', () => {
  for (const name of ['quantize_int16_int32', 'transpose_conv_shape_input']) {
    it(`${name}: every golden case bit-exact`, { timeout: 300_000 }, async () => {
      const built = await buildModelFirmware(join(FIXTURE, `${name}.tflite`), { board: 'qemu-m4', outDir: join(work, name) });
      expect(built.build.log).not.toMatch(/warning:/);
      const cases = goldenCases(name);
      expect(cases.length).toBeGreaterThanOrEqual(8);
      const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 20_000 });
      try {
        for (const [k, c] of cases.entries()) {
          const outs = await inferOnDevice(session.client, c.inputs);
          outs.forEach((o, j) => expect(Array.from(o), `case ${k} output ${j}`).toEqual(c.outputs[j]));
        }
        if (name === 'transpose_conv_shape_input') {
          const [c] = cases;
          await expect(inferOnDevice(session.client, [c.inputs[0], Int32Array.from([1, 16, 2, 4])])).rejects.toThrow(/tinyml_invoke\(\) returned 2 on run 1: a TRANSPOSE_CONV output_shape input is wrong \(INVOKE_FAILED\)/);
          // The firmware keeps working after the refused inference.
          expect(Array.from((await inferOnDevice(session.client, c.inputs))[0])).toEqual(c.outputs[0]);
        }
      } finally {
        await session.close();
      }
    });
  }
});
