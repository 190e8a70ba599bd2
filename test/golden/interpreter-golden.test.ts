/**
 * The reference interpreter reproduces TensorFlow Lite Micro's outputs byte for byte on every
 * integer golden case in ../shared/golden/.
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';

const models = goldenModels().filter((m) => m.integer);

describe('reference interpreter vs TFLite Micro golden outputs', () => {
  it('finds the integer golden models', () => {
    expect(models.map((m) => m.id)).toEqual(
      expect.arrayContaining(['ad01_int8', 'hello_world_int8', 'kws_ref_model', 'micro_speech_quantized', 'pretrainedResnet_quant', 'vww_96_int8']),
    );
  });
  for (const m of models) {
    it(`${m.id}: every case bit-exact`, { timeout: 120_000 }, async () => {
      const graph = await importTfliteFile(m.modelPath);
      const prepared = prepareGraph(graph);
      expect(m.cases.length).toBeGreaterThanOrEqual(12);
      for (const c of m.cases) {
        const inputs = c.inputs.map((bytes, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, bytes));
        const outputs = runGraph(prepared, inputs);
        outputs.forEach((out, k) => {
          const got = Array.from(tensorDataBytes(out));
          expect(got, `${m.id} case ${c.index} output ${k}`).toEqual(Array.from(c.outputs[k]));
        });
      }
    });
  }
});
