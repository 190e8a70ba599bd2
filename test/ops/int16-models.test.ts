/**
 * Issue #13 item 6, 16x8 models: an int16 -> int32 -> int16 QUANTIZE chain and a TRANSPOSE_CONV
 * whose output_shape is a graph input (converter output, test/fixtures/int16) reproduce TensorFlow
 * Lite Micro's goldens in the reference interpreter; the run-time output_shape is checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphError, InputError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { DType, Graph } from '../../src/ir/types.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { requiredInputValues } from '../../src/ops/transpose-conv.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { PROJECT_ROOT } from '../helpers/c-kernel-harness.js';

const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/int16');

interface Manifest {
  inputs: { dtype: DType }[];
  cases: { inputs: string[]; outputs: string[] }[];
}

function goldenCases(name: string) {
  const dir = join(FIXTURE, 'golden', name);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return m.cases.map((c) => ({
    inputs: c.inputs.map((f, k) => tensorDataFromBytes(m.inputs[k].dtype, readFileSync(join(dir, f)))),
    outputs: c.outputs.map((f) => Array.from(readFileSync(join(dir, f)))),
  }));
}

function expectGoldens(g: Graph, name: string): void {
  const prepared = prepareGraph(g);
  const cases = goldenCases(name);
  expect(cases.length).toBeGreaterThanOrEqual(8);
  for (const [k, c] of cases.entries()) {
    const outs = runGraph(prepared, c.inputs);
    outs.forEach((o, j) => expect(Array.from(tensorDataBytes(o)), `case ${k} output ${j}`).toEqual(c.outputs[j]));
  }
}

describe('QUANTIZE int16 -> int32 -> int16 vs TFLite Micro', () => {
  it('every golden case bit-exact (both outputs)', async () => {
    const g = await importTfliteFile(join(FIXTURE, 'quantize_int16_int32.tflite'));
    expect(g.ops.map((o) => `${o.type} ${g.tensors[o.inputs[0]].dtype}>${g.tensors[o.outputs[0]].dtype}`)).toEqual(['QUANTIZE int16>int32', 'QUANTIZE int32>int16']);
    expectGoldens(g, 'quantize_int16_int32');
  });
});

describe('TRANSPOSE_CONV with a run-time output_shape vs TFLite Micro', () => {
  it('every golden case bit-exact (16x8, output_shape a graph input)', async () => {
    const g = await importTfliteFile(join(FIXTURE, 'transpose_conv_shape_input.tflite'));
    expect(g.ops.map((o) => o.type)).toEqual(['TRANSPOSE_CONV']);
    const shapeInput = g.ops[0].inputs[0];
    expect(g.inputs).toContain(shapeInput);
    expect([...requiredInputValues(g)].map(([id, v]) => [id, Array.from(v)])).toEqual([[shapeInput, [1, 16, 1, 4]]]);
    expectGoldens(g, 'transpose_conv_shape_input');
  });

  it('a different output_shape value is a clear InputError', async () => {
    const g = await importTfliteFile(join(FIXTURE, 'transpose_conv_shape_input.tflite'));
    const prepared = prepareGraph(g);
    const [c] = goldenCases('transpose_conv_shape_input');
    const run = () => runGraph(prepared, [c.inputs[0], Int32Array.from([1, 15, 1, 4])]);
    expect(run).toThrow(InputError);
    expect(run).toThrow(/output_shape input holds \[1, 15, 1, 4\], but this model computes an output of shape \[1, 16, 1, 4\]/);
  });

  it('a declared output the input, strides and padding cannot give is refused at load (the converter declares dynamic sizes as 1)', async () => {
    const g = await importTfliteFile(join(FIXTURE, 'transpose_conv_shape_input.tflite'));
    g.tensors[g.ops[0].outputs[0]].shape = [1, 1, 1, 4];
    expect(() => prepareGraph(g)).toThrow(GraphError);
    expect(() => prepareGraph(g)).toThrow(/not what a SAME transpose convolution with strides 2x1 makes of the input \[1, 8, 1, 6\] \(height 15\.\.16, width 1\.\.1\)/);
    // SAME with stride 2 also gives 15 rows from 8: accepted, computed at that declared size.
    g.tensors[g.ops[0].outputs[0]].shape = [1, 15, 1, 4];
    expect(() => prepareGraph(g)).not.toThrow();
  });
});
