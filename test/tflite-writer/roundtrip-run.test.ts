/**
 * The int8 shared models, written by the TFLite writer and re-imported, compute exactly what the
 * originals compute in the reference interpreter on random inputs.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { importTflite } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { sharedModels } from '../helpers/shared.js';
import { mulberry32 as rng } from '../../src/random.js';

const stem = (p: string): string => basename(p, '.tflite');

function randomInputs(g: Graph, seed: number): TensorData[] {
  const r = rng(seed);
  return g.inputs.map((id) => {
    const t = g.tensors[id];
    const data = allocTensorData(t.dtype, elementCount(t.shape));
    for (let i = 0; i < data.length; i++) {
      if (data instanceof Int8Array) data[i] = Math.floor(r() * 256) - 128;
      else if (data instanceof Float32Array) data[i] = r() * 2 - 1;
      else if (data instanceof Int16Array) data[i] = Math.floor(r() * 65536) - 32768;
    }
    return data;
  });
}

describe('TFLite writer: written int8 models run like the originals', () => {
  const int8Models = sharedModels().filter((p) => {
    const g = importTflite(readFileSync(p), stem(p));
    return g.inputs.every((i) => g.tensors[i].dtype === 'int8');
  });

  it('finds the int8 models', () => {
    expect(int8Models.length).toBeGreaterThanOrEqual(5);
  });

  it.each(int8Models.map((p) => [stem(p), p]))('%s computes what the original computes', (name, path) => {
    const original = importTflite(readFileSync(path), name);
    const written = importTflite(writeTflite(original), name);
    const a = prepareGraph(original);
    const b = prepareGraph(written);
    for (const seed of [1, 2, 3]) {
      const inputs = randomInputs(original, seed);
      expect(runGraph(b, inputs)).toEqual(runGraph(a, inputs));
    }
  });
});
