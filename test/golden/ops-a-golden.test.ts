/**
 * Single-op int8 models of issue #13 part A, straight from the TFLite converter: they import with
 * the op under test, and both the reference interpreter and the generated C (compiled for the
 * host) reproduce every TensorFlow Lite Micro golden byte. Fixtures and goldens:
 * test/fixtures/ops-a/ (make_fixtures.py).
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { opsAGoldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';

const models = opsAGoldenModels();

/** The op each fixture exists to test (it must survive import). */
const OP_UNDER_TEST: Record<string, string> = {
  op_maximum: 'MAXIMUM',
  op_minimum: 'MINIMUM',
  op_transpose: 'TRANSPOSE',
  op_transpose_5d: 'TRANSPOSE',
  op_depth_to_space: 'DEPTH_TO_SPACE',
  op_space_to_depth: 'SPACE_TO_DEPTH',
  op_arg_max: 'ARG_MAX',
  op_mirror_pad_reflect: 'MIRROR_PAD',
  op_mirror_pad_symmetric: 'MIRROR_PAD',
};

describe('issue #13 part A single-op models vs TFLite Micro', () => {
  it('finds every fixture with its golden cases', () => {
    expect(models.map((m) => m.id).sort()).toEqual(Object.keys(OP_UNDER_TEST).sort());
    for (const m of models) expect(m.cases.length, m.id).toBeGreaterThanOrEqual(6);
  });

  for (const m of models) {
    it(`${m.id}: holds ${OP_UNDER_TEST[m.id]}; reference interpreter and host C reproduce every golden byte`, { timeout: 60_000 }, async () => {
      const graph = await importTfliteFile(m.modelPath);
      expect(graph.ops.map((o) => o.type)).toContain(OP_UNDER_TEST[m.id]);
      const prepared = prepareGraph(graph);
      for (const c of m.cases) {
        const inputs = c.inputs.map((bytes, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, bytes));
        runGraph(prepared, inputs).forEach((out, k) => {
          expect(Array.from(tensorDataBytes(out)), `${m.id} case ${c.index} output ${k}`).toEqual(Array.from(c.outputs[k]));
        });
      }
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) => c.outputs.forEach((o, k) => expect(Array.from(got[i][k]), `C ${m.id} case ${c.index} out ${k}`).toEqual(Array.from(o))));
    });
  }
});
