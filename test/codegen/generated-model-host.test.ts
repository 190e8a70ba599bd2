/**
 * Generated C, compiled for the host, reproduces every integer golden case byte for byte (the
 * same check the emulator tests make, minus the emulator).
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph } from '../../src/interp/interpreter.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';

describe('generated model.c on the host vs golden outputs', () => {
  for (const m of goldenModels().filter((g) => g.integer)) {
    it(`${m.id}`, { timeout: 120_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) => c.outputs.forEach((o, k) => expect(Array.from(got[i][k]), `case ${c.index} out ${k}`).toEqual(Array.from(o))));
    });
  }
});
