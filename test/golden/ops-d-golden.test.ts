/**
 * The single-op fixtures of issue #13's fourth op list (test/fixtures/ops-d/, made by
 * make_fixtures.py with the TFLite converter, goldens from TensorFlow Lite Micro's reference
 * kernels): the reference interpreter and the generated C compiled for the host reproduce every
 * int8 golden byte, and float32 outputs within 1e-5 of each output's range (the float tolerance
 * of test/golden/float-golden.test.ts). The firmware side is test/deploy/ops-d-qemu.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { fixtureGoldenModels } from '../helpers/golden.js';
import { expectGoldenOutput } from '../helpers/golden-compare.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';

const models = fixtureGoldenModels('ops-d');

/** The ops each fixture must hold after import (what makes it a test of that op). */
const EXPECTED_OPS: Record<string, string[]> = {
  ops_d_resize_bilinear: ['RESIZE_BILINEAR'],
  ops_d_resize_bilinear_align: ['RESIZE_BILINEAR'],
  ops_d_resize_bilinear_half: ['RESIZE_BILINEAR'],
  ops_d_resize_bilinear_f32: ['RESIZE_BILINEAR'],
  ops_d_batch_matmul: ['BATCH_MATMUL'],
  ops_d_batch_matmul_adj_x: ['BATCH_MATMUL'],
  ops_d_batch_matmul_const: ['BATCH_MATMUL'],
  ops_d_batch_matmul_f32: ['BATCH_MATMUL'],
  ops_d_f32_div_rsqrt: ['MUL', 'ADD', 'RSQRT', 'MUL', 'ADD', 'DIV'],
  ops_d_f32_l2norm_prelu: ['L2_NORMALIZATION', 'PRELU'],
};

describe('issue #13 op fixtures (part D) vs TFLite Micro', () => {
  it('finds every fixture with its golden cases', () => {
    expect(models.map((m) => m.id).sort()).toEqual(Object.keys(EXPECTED_OPS).sort());
    // make_golden adds 2 cases near the zero point to int8 models only.
    for (const m of models) expect(m.cases.length, m.id).toBeGreaterThanOrEqual(m.integer ? 6 : 4);
  });

  for (const m of models) {
    it(`${m.id}: imports to the op under test`, async () => {
      const g = await importTfliteFile(m.modelPath);
      expect(g.ops.map((o) => o.type)).toEqual(EXPECTED_OPS[m.id]);
    });

    it(`${m.id}: reference interpreter reproduces every golden case`, async () => {
      const graph = await importTfliteFile(m.modelPath);
      const prepared = prepareGraph(graph);
      for (const c of m.cases) {
        const inputs = c.inputs.map((bytes, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, bytes));
        runGraph(prepared, inputs).forEach((out, k) => {
          expectGoldenOutput(m.outputs[k].dtype, tensorDataBytes(out), c.outputs[k], `${m.id} case ${c.index} output ${k}`);
        });
      }
    });

    it(`${m.id}: generated C on the host reproduces every golden case`, { timeout: 120_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) => c.outputs.forEach((o, k) => expectGoldenOutput(m.outputs[k].dtype, got[i][k], o, `case ${c.index} out ${k}`)));
    });
  }
});
