/**
 * A hardware-in-the-loop test of the MLPerf Tiny keyword-spotting model: copy this file into your
 * project (npm install tinyml vitest) and point MODEL and CASES at your own model and recordings.
 *
 * `useTarget` builds and starts the firmware once for this file: on QEMU's Cortex-M4 by default,
 * on a real board with TINYML_BOARD=nano33 TINYML_PORT=/dev/ttyACM0 npx vitest run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { topClass, useTarget } from 'tinyml/testing';

// In the tinyml repository the model and recordings live in ../shared (shared/README.md).
const SHARED = new URL('../../../shared/', import.meta.url);
const MODEL = fileURLToPath(new URL('models/mlperf-tiny/kws_ref_model.tflite', SHARED));
const golden = (file: string): Int8Array => new Int8Array(Uint8Array.from(readFileSync(new URL(`golden/kws_ref_model/${file}`, SHARED))).buffer);

/**
 * Recorded inputs and the class each must give. Here the class is the top class of TensorFlow
 * Lite Micro's own output for the same input (its golden file), so the test holds the firmware
 * to the reference; with your data it is the label of the recording.
 */
const CASES = [0, 1, 3, 4, 5, 10].map((k) => ({ name: `case${k}`, input: golden(`case${k}.in0.bin`), expected: topClass(golden(`case${k}.out0.bin`)) }));

/** The product's budget: one inference well within the 1 s audio window the model listens to. */
const BUDGET_MS = 500;

const target = useTarget(MODEL);

describe('keyword spotting on the target', () => {
  it.each(CASES)('$name is class $expected', async ({ input, expected }) => {
    const { outputs } = await target.session.invoke(input);
    expect(topClass(outputs[0] as Int8Array)).toBe(expected);
  });

  it(`answers within ${BUDGET_MS} ms`, async () => {
    const { ms } = await target.session.latency();
    expect(ms).toBeLessThan(BUDGET_MS);
  });
});
