/**
 * Quantizing the float32 TFLite models of shared/ (MLPerf Tiny visual wake words and anomaly
 * detection), calibrated on their golden float inputs: the result follows the int8 spec, writes
 * and re-imports as .tflite, and its outputs stay close to the float model's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { dequantizeOutput, formatReport, quantizeGraph, quantizeInput, reportJson, type CalibrationSample } from '../../src/quantize/index.js';
import { importTflite, importTfliteFile } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { sharedPath } from '../helpers/shared.js';
import { specViolations } from './helpers.js';

function goldenInputs(id: string): CalibrationSample[] {
  const dir = sharedPath('golden', id);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cases: { inputs: string[] }[] };
  return m.cases.map((c) => c.inputs.map((f) => {
    const b = readFileSync(join(dir, f));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }));
}

function sqnrDb(ref: Float32Array, got: Float32Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i] * ref[i];
    n += (ref[i] - got[i]) ** 2;
  }
  return 10 * Math.log10(s / n);
}

/** SQNR of the quantized graph's dequantized output against the float graph's, per sample. */
function outputSqnr(g: Graph, q: Graph, samples: CalibrationSample[]): number[] {
  const fp = prepareGraph(g);
  const qp = prepareGraph(q);
  return samples.map((s) => {
    const f = runGraph(fp, s)[0] as Float32Array;
    const y = dequantizeOutput(q.tensors[q.outputs[0]], runGraph(qp, [quantizeInput(q.tensors[q.inputs[0]], s[0] as Float32Array)])[0]);
    return sqnrDb(f, y);
  });
}

describe.each([
  // [golden id, model path, minimum output SQNR in dB]
  ['ad01_fp32', 'models/mlperf-tiny/ad01_fp32.tflite', 25],
  ['vww_96_float', 'models/mlperf-tiny/vww_96_float.tflite', 15],
])('%s', (id, path, minSqnr) => {
  it('quantizes to a spec-conforming int8 model close to the float one', async () => {
    const g = await importTfliteFile(sharedPath(path));
    const samples = goldenInputs(id);
    const { graph: q, report } = quantizeGraph(g, samples);
    expect(specViolations(q)).toEqual([]);
    expect(report.layers).toHaveLength(g.ops.length);
    expect(report.outputs[0].sqnrDb).toBeGreaterThan(minSqnr);
    for (const s of outputSqnr(g, q, samples)) expect(s).toBeGreaterThan(minSqnr);
    expect(formatReport(report)).toContain('SQNR');
    expect(JSON.parse(reportJson(report)).layers).toHaveLength(g.ops.length);
    // The written file imports back to the same graph and computes the same outputs.
    const back = importTflite(writeTflite(q), q.name);
    const input = quantizeInput(q.tensors[q.inputs[0]], samples[0][0] as Float32Array);
    expect(runGraph(prepareGraph(back), [input])).toEqual(runGraph(prepareGraph(q), [input]));
  });
});
