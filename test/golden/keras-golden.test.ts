/**
 * Keras 3 models straight from the TFLite converter (unfixed batch: shape_signature -1, Flatten as
 * SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, Conv1D and 1-D pooling as EXPAND_DIMS around the 2-D
 * ops, MobileNetV3's HARD_SWISH and squeeze-excite, an int8 PACK from keras.ops.stack): they
 * import, the shape arithmetic folds away, and both the reference interpreter and the generated C
 * (compiled for the host) reproduce every TensorFlow Lite Micro golden byte. Fixtures and goldens: test/fixtures/keras/ (make_fixtures.py).
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { kerasGoldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';

const models = kerasGoldenModels();

/** Ops each converted model must contain after import (what makes it a test of this path). */
const EXPECTED_OPS: Record<string, string[]> = {
  keras_fashion_cnn: ['CONV_2D', 'MAX_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX'],
  keras_mobilenet_v3_small: ['MUL', 'ADD', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'HARD_SWISH', 'MEAN', 'RESHAPE', 'SOFTMAX'],
  keras_conv1d: ['EXPAND_DIMS', 'CONV_2D', 'RESHAPE', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'MEAN', 'FULLY_CONNECTED', 'SOFTMAX'],
  // PACK on int8 activations stays: it runs (as a concatenation) on the target.
  keras_stack: ['FULLY_CONNECTED', 'TANH', 'QUANTIZE', 'PACK', 'RESHAPE'],
};

describe('Keras 3 (unfixed batch) models vs TFLite Micro', () => {
  it('finds the four fixtures with their golden cases', () => {
    expect(models.map((m) => m.id).sort()).toEqual(Object.keys(EXPECTED_OPS).sort());
    for (const m of models) expect(m.cases.length, m.id).toBeGreaterThanOrEqual(10);
  });

  for (const m of models) {
    it(`${m.id}: imports with batch 1 and no shape ops left`, async () => {
      const g = await importTfliteFile(m.modelPath);
      expect(g.dynamicBatchInputs).toEqual([g.tensors[g.inputs[0]].name]);
      expect(g.tensors[g.inputs[0]].shape).toEqual(m.inputs[0].shape);
      // Every shape computation (SHAPE, STRIDED_SLICE and PACK on int32) is folded away: what is
      // left computes int8 activations only.
      const left = g.ops.filter((o) => o.outputs.some((i) => g.tensors[i].dtype !== 'int8'));
      expect(left.map((o) => o.type)).toEqual([]);
      expect([...new Set(g.ops.map((o) => o.type))].sort()).toEqual([...EXPECTED_OPS[m.id]].sort());
    });

    it(`${m.id}: reference interpreter reproduces every golden byte`, { timeout: 120_000 }, async () => {
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
