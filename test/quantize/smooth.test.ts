/**
 * Activation smoothing (src/quantize/smooth.ts) is exact in float, rescales only the layer pairs
 * where it is, and the dynamic-range bias correction (src/quantize/dynamic-bias-correction.ts)
 * removes each hybrid layer's mean output shift on its probes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/types.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { correctHybridBiases, randomProbes } from '../../src/quantize/dynamic-bias-correction.js';
import { dynamicQuantizeGraph } from '../../src/quantize/dynamic.js';
import { equalizeLayers, smoothActivations, smoothablePairs } from '../../src/quantize/smooth.js';
import { importTflite } from '../../src/tflite/import.js';
import { sharedPath } from '../helpers/shared.js';

const load = (dir: string, file: string): Graph => importTflite(readFileSync(sharedPath('models', dir, file)), file);

function largestRelativeDifference(a: Graph, b: Graph, probes: Float32Array[][]): number {
  const pa = prepareGraph(a);
  const pb = prepareGraph(b);
  let worst = 0;
  for (const x of probes) {
    const [ya] = runGraph(pa, x) as Float32Array[];
    const [yb] = runGraph(pb, x) as Float32Array[];
    const range = Math.max(...ya) - Math.min(...ya) || 1;
    for (let i = 0; i < ya.length; i++) worst = Math.max(worst, Math.abs(ya[i] - yb[i]) / range);
  }
  return worst;
}

describe('activation smoothing', () => {
  it('rescales the nine ReLU dense pairs of ad01 and computes the same function in float', () => {
    const g = load('mlperf-tiny', 'ad01_fp32.tflite');
    const probes = randomProbes(g, 4)!;
    const { graph, pairs } = smoothActivations(g, 0.75, probes);
    expect(pairs.map((p) => [p.producer, p.consumer])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => [k, k + 1]));
    expect(pairs.some((p) => p.largest / p.smallest > 2)).toBe(true);
    expect(largestRelativeDifference(g, graph, randomProbes(g, 3, 99)!)).toBeLessThan(1e-5);
    // The input graph is left as it was.
    expect(graph.tensors[graph.ops[0].inputs[1]].data).not.toEqual(g.tensors[g.ops[0].inputs[1]].data);
  });

  it('goes through conv, depthwise and pointwise layers of a real image model and stays exact', () => {
    const g = load('mlperf-tiny', 'vww_96_float.tflite');
    const probes = randomProbes(g, 2)!;
    const { graph, pairs } = smoothActivations(g, 0.5, probes);
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) {
      expect(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']).toContain(g.ops[p.producer].type);
      expect(['CONV_2D', 'FULLY_CONNECTED']).toContain(g.ops[p.consumer].type);
      expect(['NONE', 'RELU']).toContain((g.ops[p.producer].attrs as { activation: string }).activation);
    }
    expect(largestRelativeDifference(g, graph, randomProbes(g, 1, 5)!)).toBeLessThan(1e-4);
  });

  it('leaves a layer alone when its activation is not positively homogeneous (RELU6) or its output has two readers', () => {
    const g = load('mlperf-tiny', 'ad01_fp32.tflite');
    const relu6 = structuredClone(g);
    (relu6.ops[3].attrs as { activation: string }).activation = 'RELU6';
    expect(smoothablePairs(relu6).map((p) => p.producer.index)).not.toContain(3);
    const shared = structuredClone(g);
    // Op 5 also reads op 3's output (a second reader of the same tensor).
    shared.ops[5].inputs = [...shared.ops[5].inputs, shared.ops[3].outputs[0]];
    expect(smoothablePairs(shared).map((p) => p.producer.index)).not.toContain(3);
  });
});

describe('cross-layer equalization', () => {
  /** max |w| per channel of `t` along `dim` (channel = index along dim, or index % channels for flattened inputs). */
  function ranges(g: Graph, tensor: number, dim: number, channels: number): Float64Array {
    const w = g.tensors[tensor];
    const inner = w.shape.slice(dim + 1).reduce((x, y) => x * y, 1);
    const r = new Float64Array(channels);
    (w.data as Float32Array).forEach((v, i) => {
      const c = (Math.floor(i / inner) % w.shape[dim]) % channels;
      r[c] = Math.max(r[c], Math.abs(v));
    });
    return r;
  }

  it('gives each depthwise channel of VWW the range of the pointwise column that reads it (up to one factor per layer), and computes the same function', () => {
    const g = load('mlperf-tiny', 'vww_96_float.tflite');
    const { graph, pairs } = equalizeLayers(g);
    expect(pairs.length).toBeGreaterThan(10);
    let dwPairs = 0;
    for (const p of pairs) {
      const producer = graph.ops[p.producer];
      const consumer = graph.ops[p.consumer];
      const rows = ranges(graph, producer.inputs[1], producer.type === 'DEPTHWISE_CONV_2D' ? 3 : 0, p.channels);
      const cols = ranges(graph, consumer.inputs[1], graph.tensors[consumer.inputs[1]].shape.length - 1, p.channels);
      const before = ranges(g, g.ops[p.producer].inputs[1], producer.type === 'DEPTHWISE_CONV_2D' ? 3 : 0, p.channels);
      const top = Math.max(...before);
      if (producer.type === 'DEPTHWISE_CONV_2D') dwPairs++;
      // The same ratio for every channel not (almost) dead on either side (a common factor keeps the weights' magnitude where it was).
      const colTop = Math.max(...cols);
      const live = [...Array(p.channels).keys()].filter((c) => before[c] > 1e-6 * top && cols[c] > 1e-6 * colTop);
      const ratio = rows[live[0]] / cols[live[0]];
      for (const c of live) expect(rows[c] / cols[c] / ratio).toBeCloseTo(1, 3);
    }
    expect(dwPairs).toBeGreaterThan(5);
    expect(largestRelativeDifference(g, graph, randomProbes(g, 1, 5)!)).toBeLessThan(1e-4);
  });
});

describe('dynamic-range bias correction', () => {
  it("after correction each hybrid layer's mean output before its activation equals the float model's on the probes", () => {
    const g = load('mlperf-tiny', 'ad01_fp32.tflite');
    const probes = randomProbes(g, 4)!;
    const uncorrected = dynamicQuantizeGraph(g, { smooth: false, biasCorrection: false }).graph;
    const hybrid = structuredClone(uncorrected);
    const ops = hybrid.ops.map((o) => o.index);
    const shifts = correctHybridBiases(g, hybrid, ops, probes);
    expect(shifts.map((s) => s.op)).toEqual(ops);
    expect(Math.max(...shifts.map((s) => s.largestShift))).toBeGreaterThan(0);
    // A second pass finds (almost) nothing left to correct.
    const again = correctHybridBiases(g, hybrid, ops, probes);
    for (let k = 0; k < ops.length; k++) expect(again[k].largestShift).toBeLessThan(1e-3 * Math.max(1e-3, shifts[k].largestShift) + 1e-5);
  });

  it('the data-free probes are seeded uniform values in [-1, 1]: the same model always gets the same probes', () => {
    const g = load('mlperf-tiny', 'ad01_fp32.tflite');
    const a = randomProbes(g)!;
    expect(a.length).toBe(16);
    expect(randomProbes(g)).toEqual(a);
    expect(randomProbes(g, 16, 1)).not.toEqual(a);
    const values = a.flatMap((p) => Array.from(p[0]));
    expect(values.length).toBe(16 * 640);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    // Spread over the whole range, not clustered: the mean is near 0 and both ends are reached.
    expect(Math.abs(values.reduce((x, y) => x + y, 0) / values.length)).toBeLessThan(0.05);
    expect(Math.min(...values)).toBeLessThan(-0.99);
    // An integer input leaves nothing to probe with.
    const intInput = structuredClone(g);
    intInput.tensors[intInput.inputs[0]].dtype = 'int8';
    expect(randomProbes(intInput)).toBeUndefined();
  });
});
