/**
 * A tinyml-written int4 .tflite (test/fixtures/subbyte/kws_int4.tflite: KWS with its weights
 * rounded to int4, stored as TFLite INT4 tensors) loads in TensorFlow Lite's own interpreter:
 * check_tflite_int4.py, beside the fixture, ran it with TFLite's reference kernels when the
 * fixture was made and recorded the outputs; tinyml's reference interpreter gives the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { importTfliteFile } from '../../src/tflite/index.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { projectRoot } from '../helpers/shared.js';

const DIR = join(projectRoot(), 'test', 'fixtures', 'subbyte');

it('TFLite ran the tinyml-written INT4 KWS; tinyml computes the same outputs', async () => {
  const graph = await importTfliteFile(join(DIR, 'kws_int4.tflite'));
  const encoded = graph.tensors.filter((t) => t.weightEncoding);
  expect(encoded.length).toBe(10);
  expect(encoded.every((t) => t.weightEncoding!.kind === 'int4')).toBe(true);
  // The file stores them packed: INT4 (type 17) tensors, two weights per byte.
  const bytes = readFileSync(join(DIR, 'kws_int4.tflite'));
  const weights = encoded.reduce((n, t) => n + (t.data as Int8Array).length, 0);
  expect(bytes.length).toBeLessThan(53936 - weights / 2 + 1024);
  const ref = JSON.parse(readFileSync(join(DIR, 'kws_int4.json'), 'utf8')) as { cases: { input: number[]; output: number[] }[] };
  expect(ref.cases.length).toBe(6);
  const prepared = prepareGraph(graph);
  for (const [i, c] of ref.cases.entries()) {
    const [out] = runGraph(prepared, [Int8Array.from(c.input)]);
    expect(Array.from(out as Int8Array), `case ${i}`).toEqual(c.output);
  }
});
