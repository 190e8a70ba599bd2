/**
 * A legacy uint8 TFLite model (QUANTIZED_UINT8, made by TF1's converter from a fake-quant graph:
 * test/fixtures/uint8/make_uint8.py) runs as the equivalent int8 model, uint8 at its input and
 * output: the reference interpreter and the generated C on the host reproduce every byte of
 * TensorFlow Lite's uint8 reference kernels (TFLite Micro has no uint8 convolution). The
 * firmware side is test/deploy/uint8-legacy-qemu.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { uint8TfliteToInt8 } from '../../src/passes/uint8-tflite.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { fixtureGoldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';

const models = fixtureGoldenModels('uint8');

describe('legacy uint8 TFLite model vs TFLite uint8 reference kernels', () => {
  it('finds the fixture and its cases', () => {
    expect(models.map((m) => m.id)).toEqual(['legacy_uint8']);
    expect(models[0].cases.length).toBe(10);
  });

  for (const m of models) {
    it(`${m.id}: imports as int8 inside, uint8 at the input and output, weights with their zero points`, async () => {
      const g = await importTfliteFile(m.modelPath);
      expect(g.ops.map((o) => o.type)).toEqual(['QUANTIZE', 'CONV_2D', 'CONV_2D', 'ADD', 'MAX_POOL_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'FULLY_CONNECTED', 'SOFTMAX', 'QUANTIZE', 'QUANTIZE']);
      expect(g.inputs.map((i) => g.tensors[i].dtype)).toEqual(['uint8']);
      expect(g.outputs.map((i) => g.tensors[i].dtype)).toEqual(['uint8']);
      const inner = g.tensors.filter((t) => !g.inputs.includes(t.id) && !g.outputs.includes(t.id) && t.quant);
      expect(inner.filter((t) => t.dtype === 'uint8')).toEqual([]);
      // The first conv's weights: uint8 zero point 102 -> int8 -26.
      const conv = g.ops[1];
      expect(g.tensors[conv.inputs[1]].quant!.zeroPoint).toEqual([102 - 128]);
    });

    it(`${m.id}: reference interpreter reproduces every golden byte`, async () => {
      const graph = await importTfliteFile(m.modelPath);
      const prepared = prepareGraph(graph);
      for (const c of m.cases) {
        const inputs = c.inputs.map((bytes, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, bytes));
        runGraph(prepared, inputs).forEach((out, k) => {
          expect(Array.from(tensorDataBytes(out)), `case ${c.index} output ${k}`).toEqual(Array.from(c.outputs[k]));
        });
      }
    });

    it(`${m.id}: generated C on the host reproduces every golden byte`, { timeout: 120_000 }, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      const got = runGeneratedModelOnHost(prepared, m.cases.map((c) => c.inputs));
      m.cases.forEach((c, i) => c.outputs.forEach((o, k) => expect(Array.from(got[i][k]), `case ${c.index} out ${k}`).toEqual(Array.from(o))));
    });
  }

  it('refuses a uint8 model with an op whose shifted int8 kernel is not checked exact, naming it', async () => {
    const g = await importTfliteFile(models[0].modelPath);
    // Rebuild a uint8 graph: turn the first conv's output back to uint8 and feed it to a LOGISTIC.
    const t = g.tensors[g.ops[1].outputs[0]];
    g.tensors.forEach((x) => {
      if (x.dtype === 'int8' && x.quant) {
        x.dtype = 'uint8';
        x.quant = { ...x.quant, zeroPoint: x.quant.zeroPoint.map((z) => z + 128) };
      }
    });
    g.ops[2] = { ...g.ops[2], type: 'LOGISTIC', inputs: [t.id], attrs: {} } as (typeof g.ops)[number];
    expect(() => uint8TfliteToInt8(g)).toThrow(UnsupportedOpError);
    expect(() => uint8TfliteToInt8(g)).toThrow(/Not for: op #\d+ LOGISTIC\. Convert the model to int8/);
  });
});
