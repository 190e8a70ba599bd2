/**
 * The float32 path of the reference interpreter agrees with TensorFlow Lite Micro's float
 * outputs within a relative error of 1e-5 of each output's range (summation order differs).
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';

describe('reference interpreter float path vs TFLite Micro float golden outputs', () => {
  for (const m of goldenModels().filter((g) => !g.integer)) {
    it(`${m.id}: every case within tolerance`, { timeout: 120_000 }, async () => {
      const graph = await importTfliteFile(m.modelPath);
      const prepared = prepareGraph(graph);
      for (const c of m.cases) {
        const inputs = c.inputs.map((bytes, k) => tensorDataFromBytes(graph.tensors[graph.inputs[k]].dtype, bytes));
        const outputs = runGraph(prepared, inputs);
        outputs.forEach((out, k) => {
          const want = tensorDataFromBytes('float32', c.outputs[k]) as Float32Array;
          const got = out as Float32Array;
          const range = Math.max(1e-6, Math.max(...want) - Math.min(...want), ...Array.from(want, Math.abs));
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / range);
          expect(worst, `${m.id} case ${c.index} output ${k}`).toBeLessThan(1e-5);
        });
      }
    });
  }
});
