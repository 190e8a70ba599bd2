/**
 * Issue #18's bar for hybrid (dynamic-range) models: kws_ref_model_float32 (int8 conv weights,
 * float activations; TFLite Micro refuses it) runs through generated firmware on qemu-m4 and
 * agrees with TensorFlow Lite's own interpreter on random inputs: same top class, no softmax
 * output further than 0.06 from TFLite's. So does the KWS variant with every conv, depthwise and
 * dense layer hybrid (test/fixtures/hybrid/), which runs all three hybrid kernels on the board's
 * DSP instructions. Real arm-none-eabi-gcc (-Wall -Wextra -Werror) and
 * qemu-system-arm.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { inferOnDevice } from '../../src/deploy/verify.js';
import { KWS_HYBRID_MODEL, MAX_SOFTMAX_DIFFERENCE, argmax, kwsReferenceCases, largestDifference } from '../helpers/kws-hybrid.js';
import { projectRoot } from '../helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-hybrid-kws-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('kws_ref_model_float32 on qemu-m4 agrees with TensorFlow Lite on random inputs', { timeout: 600_000 }, async () => {
  const cases = kwsReferenceCases();
  expect(cases.length).toBeGreaterThanOrEqual(8);
  const built = await buildModelFirmware(KWS_HYBRID_MODEL, { board: 'qemu-m4', outDir: join(work, 'kws') });
  expect(built.build.log).not.toMatch(/warning:/);
  // The hybrid layers really run the hybrid kernel (not a float copy of the weights).
  expect(built.compiled.generated.kernelFiles).toContain('hybrid_conv2d.c');
  const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 60_000 });
  try {
    let worst = 0;
    for (const [i, c] of cases.entries()) {
      const [bytes] = await inferOnDevice(session.client, [c.input]);
      const got = tensorDataFromBytes('float32', bytes) as Float32Array;
      expect(got.length).toBe(c.output.length);
      expect(argmax(got), `case ${i}: got [${Array.from(got)}], TFLite [${Array.from(c.output)}]`).toBe(argmax(c.output));
      const d = largestDifference(got, c.output);
      expect(d, `case ${i}`).toBeLessThanOrEqual(MAX_SOFTMAX_DIFFERENCE);
      worst = Math.max(worst, d);
    }
    console.log(`[hybrid] kws_ref_model_float32 on qemu-m4: largest softmax difference from TFLite ${worst.toExponential(2)} over ${cases.length} cases`);
  } finally {
    await session.close();
  }
});

it('kws_all_hybrid (conv, depthwise and dense hybrid) on qemu-m4 agrees with TensorFlow Lite', { timeout: 600_000 }, async () => {
  const dir = join(projectRoot(), 'test', 'fixtures', 'hybrid');
  const ref = JSON.parse(readFileSync(join(dir, 'kws_all_hybrid.json'), 'utf8')) as { outputs: number[][] };
  const cases = kwsReferenceCases();
  const built = await buildModelFirmware(join(dir, 'kws_all_hybrid.tflite'), { board: 'qemu-m4', outDir: join(work, 'all') });
  expect(built.build.log).not.toMatch(/warning:/);
  for (const k of ['hybrid_conv2d.c', 'hybrid_depthwise_conv2d.c', 'hybrid_fully_connected.c']) expect(built.compiled.generated.kernelFiles).toContain(k);
  const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 60_000 });
  try {
    for (const [i, c] of cases.entries()) {
      const [bytes] = await inferOnDevice(session.client, [c.input]);
      const got = tensorDataFromBytes('float32', bytes) as Float32Array;
      expect(argmax(got), `case ${i}`).toBe(argmax(ref.outputs[i]));
      expect(largestDifference(got, ref.outputs[i]), `case ${i}`).toBeLessThanOrEqual(MAX_SOFTMAX_DIFFERENCE);
    }
  } finally {
    await session.close();
  }
});
