/**
 * The single-op fixtures of issue #13's second op list (test/fixtures/ops-b/, made by
 * make_fixtures.py with the TFLite converter, goldens from TensorFlow Lite Micro's reference
 * kernels): the reference interpreter and the generated C compiled for the host reproduce every
 * golden byte. The firmware side is test/deploy/ops-b-qemu.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { fixtureGoldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';

const models = fixtureGoldenModels('ops-b');

/** The ops each fixture must hold after import (what makes it a test of that op). */
const EXPECTED_OPS: Record<string, string[]> = {
  ops_b_gather: ['GATHER', 'GATHER'],
  ops_b_rsqrt: ['MUL', 'ADD', 'RSQRT'],
  ops_b_l2_normalization: ['L2_NORMALIZATION'],
  ops_b_prelu: ['PRELU'],
};

describe('issue #13 op fixtures (part B) vs TFLite Micro', () => {
  it('finds every fixture with its golden cases', () => {
    expect(models.map((m) => m.id).sort()).toEqual(Object.keys(EXPECTED_OPS).sort());
    for (const m of models) expect(m.cases.length, m.id).toBeGreaterThanOrEqual(6);
  });

  for (const m of models) {
    it(`${m.id}: imports to the op under test`, async () => {
      const g = await importTfliteFile(m.modelPath);
      expect(g.ops.map((o) => o.type)).toEqual(EXPECTED_OPS[m.id]);
    });

    it(`${m.id}: reference interpreter reproduces every golden byte`, async () => {
      const graph = await importTfliteFile(m.modelPath);
      const prepared = prepareGraph(graph);
      for (const c of m.cases) {
        const inputs = c.inputs.map((bytes, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, bytes));
        runGraph(prepared, inputs).forEach((out, k) => {
          expect(Array.from(tensorDataBytes(out)), `${m.id} case ${c.index} output ${k}`).toEqual(Array.from(c.outputs[k]));
        });
      }
    });

    it(`${m.id}: generated C on the host reproduces every golden byte`, { timeout: 120_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) => c.outputs.forEach((o, k) => expect(Array.from(got[i][k]), `case ${c.index} out ${k}`).toEqual(Array.from(o))));
    });
  }
});
