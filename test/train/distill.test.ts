/**
 * Distillation's soft targets are the float model's logits (the model as imported, run by the
 * reference interpreter's float path), not the student network's own unquantized pass: once
 * training starts from GPTQ's int4 weights, the two differ, and only the first is the teacher.
 */
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/dataset.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { loadOnnxModel } from '../../src/onnx/index.js';
import { postTrainingGraph, startFromGraph, teacherLogits } from '../../src/train/finetune.js';
import { lossAndGradient } from '../../src/train/loss.js';
import { buildNetwork, forward } from '../../src/train/network.js';
import { stepGradients } from '../../src/train/step.js';
import { fashionModelPath, FASHION_TEST, requireFashionMnist } from '../quantize/fashion.js';

describe('distillation teacher', () => {
  it('is the float model: the step loss uses its logits', async () => {
    requireFashionMnist([FASHION_TEST]);
    const graph = await loadOnnxModel(fashionModelPath());
    const ds = await openDataset({ data: FASHION_TEST });
    const n = 8;
    const samples = Array.from({ length: 16 }, (_, i) => Float32Array.from(ds.sample(i), (v) => v / 255));
    const net = buildNetwork(graph, { kind: 'int4' });
    startFromGraph(net, postTrainingGraph(net, samples));
    const x = new Float32Array(n * net.inputSize);
    for (let i = 0; i < n; i++) x.set(samples[i], i * net.inputSize);
    const labels = ds.labels.subarray(0, n);

    const prepared = prepareGraph(graph);
    const floatLogits = new Float32Array(n * net.outputSize);
    for (let i = 0; i < n; i++) floatLogits.set(runGraph(prepared, [samples[i]])[0] as Float32Array, i * net.outputSize);
    const student = forward(net, x, n, true).values.get(net.output)!;
    const want = lossAndGradient(student, labels, n, net.outputSize, floatLogits).loss;
    const ownFloat = lossAndGradient(student, labels, n, net.outputSize, forward(net, x, n, false).values.get(net.output)).loss;

    // The teacher's logits as a run computes them, once for all samples (here 16, the step takes 8).
    const data = { count: 16, labels: ds.labels.subarray(0, 16), input: (i: number, o: Float32Array, off: number) => o.set(samples[i], off) };
    const cached = teacherLogits(buildNetwork(graph, { kind: 'int8' }), data, 5);
    const got = stepGradients(net, x, labels, n, n, cached.subarray(0, n * net.outputSize)).loss;
    expect(Math.abs(got - want)).toBeLessThan(1e-4 * Math.abs(want));
    // The student's own float pass would give a measurably different loss.
    expect(Math.abs(ownFloat - want)).toBeGreaterThan(1e-3 * Math.abs(want));
    // Computed in batches of 5 or all 16 at once, in another order: the same bits per sample.
    const teacher = buildNetwork(graph, { kind: 'int8' });
    const order = [9, 3, 15, 0, 7, 12, 1, 4, 14, 2, 11, 5, 8, 13, 6, 10];
    const xs = new Float32Array(16 * net.inputSize);
    order.forEach((s, i) => xs.set(samples[s], i * net.inputSize));
    const shuffled = forward(teacher, xs, 16, false).values.get(teacher.output)!;
    const k = net.outputSize;
    order.forEach((s, i) => expect(Array.from(shuffled.subarray(i * k, (i + 1) * k))).toEqual(Array.from(cached.subarray(s * k, (s + 1) * k))));
  }, 120_000);
});
