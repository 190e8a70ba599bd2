/**
 * The single-op fixtures of issue #13's third op list (test/fixtures/ops-c/, made by
 * make_fixtures.py with the TFLite converter, goldens from TensorFlow Lite Micro's reference
 * kernels; the converter keeps CUMSUM float inside int8 models, so the two ops_c_cumsum_int8*
 * models are its float model quantized by `tinyml quantize`, the second with its input moved to
 * zero point 25 to pin TFLite Micro's running sum that starts at -zero point): the reference interpreter and the generated C compiled for the host reproduce every
 * golden byte. The float32 fixtures too: their ops compute TFLite Micro's formula step by step
 * in single precision and in its order, and the host C calls the same glibc expf/logf as TFLM's
 * host build (libm functions are the only place a value could round differently: one ulp at
 * most, see test/ops/exp.test.ts). The firmware side is
 * test/deploy/ops-c-qemu.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { fixtureGoldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';

const models = fixtureGoldenModels('ops-c');

/** The ops each fixture must hold after import (what makes it a test of that op). */
const EXPECTED_OPS: Record<string, string[]> = {
  ops_c_split: ['SPLIT'],
  ops_c_split_v: ['SPLIT_V'],
  ops_c_unpack: ['UNPACK'],
  ops_c_squared_difference: ['SQUARED_DIFFERENCE'],
  ops_c_squared_difference_broadcast: ['SQUARED_DIFFERENCE'],
  ops_c_int16: ['SPLIT', 'SQUARED_DIFFERENCE', 'SPLIT_V', 'UNPACK'],
  ops_c_exp_float: ['MUL', 'EXP'],
  ops_c_log_softmax: ['LOG_SOFTMAX'],
  ops_c_log_softmax_float: ['MUL', 'LOG_SOFTMAX'],
  ops_c_cumsum: ['DEQUANTIZE', 'CUMSUM', 'QUANTIZE'],
  ops_c_cumsum_exclusive_reverse: ['DEQUANTIZE', 'CUMSUM', 'QUANTIZE'],
  ops_c_cumsum_float: ['CUMSUM'],
  ops_c_cumsum_int8: ['CUMSUM'],
  ops_c_cumsum_int8_exclusive_reverse: ['CUMSUM'],
};

describe('issue #13 op fixtures (part C) vs TFLite Micro', () => {
  it('finds every fixture with its golden cases', () => {
    expect(models.map((m) => m.id).sort()).toEqual(Object.keys(EXPECTED_OPS).sort());
    for (const m of models) expect(m.cases.length, m.id).toBeGreaterThanOrEqual(4);
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
        const outs = runGraph(prepared, inputs);
        expect(outs.length).toBe(c.outputs.length);
        outs.forEach((out, k) => {
          expect(Array.from(tensorDataBytes(out)), `${m.id} case ${c.index} output ${k}`).toEqual(Array.from(c.outputs[k]));
        });
      }
    });

    it(`${m.id}: generated C on the host reproduces every golden byte`, { timeout: 120_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) => {
        expect(got[i].length).toBe(c.outputs.length);
        c.outputs.forEach((o, k) => expect(Array.from(got[i][k]), `case ${c.index} out ${k}`).toEqual(Array.from(o)));
      });
    });
  }
});
