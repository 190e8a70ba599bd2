/**
 * Generated C, compiled for the host, reproduces every integer golden case byte for byte, and
 * the float ones within 1e-4 of the output range (the same checks the emulator tests make,
 * minus the emulator).
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph } from '../../src/interp/interpreter.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { FLOAT_CHECK_TOLERANCE, floatOutputError } from '../../src/deploy/verify.js';

describe('generated model.c on the host vs golden outputs', () => {
  for (const m of goldenModels().filter((g) => g.integer)) {
    it(`${m.id}`, { timeout: 120_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) => c.outputs.forEach((o, k) => expect(Array.from(got[i][k]), `case ${c.index} out ${k}`).toEqual(Array.from(o))));
    });
  }
});

describe('generated model.c on the host vs float golden outputs', () => {
  for (const m of goldenModels().filter((g) => !g.integer)) {
    it(`${m.id}: within ${FLOAT_CHECK_TOLERANCE} of each output's range`, { timeout: 120_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) =>
        c.outputs.forEach((o, k) => {
          const want = tensorDataFromBytes('float32', o) as Float32Array;
          const { error } = floatOutputError(want, tensorDataFromBytes('float32', got[i][k]) as Float32Array, FLOAT_CHECK_TOLERANCE);
          expect(error, `case ${c.index} out ${k}`).toBeLessThanOrEqual(FLOAT_CHECK_TOLERANCE);
        }),
      );
    });
  }
});
