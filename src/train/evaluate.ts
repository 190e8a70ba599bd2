/**
 * Accuracy of an int8 graph as deployed: the host reference interpreter (TFLite Micro's integer
 * semantics) on every sample, inputs quantized with the graph input's scale and zero point.
 */
import { prepareGraph, runGraph } from '../interp/interpreter.js';
import type { Graph } from '../ir/types.js';
import { dequantizeOutput, quantizeInput } from '../quantize/index.js';
import type { TrainingData } from './finetune.js';

export interface IntegerAccuracy {
  samples: number;
  correct: number;
  accuracy: number;
  /** Mean cross entropy of the dequantized outputs. */
  loss: number;
}

export function evaluateInteger(graph: Graph, data: TrainingData, inputSize: number): IntegerAccuracy {
  const prepared = prepareGraph(graph);
  const input = graph.tensors[graph.inputs[0]];
  const output = graph.tensors[graph.outputs[0]];
  const x = new Float32Array(inputSize);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < data.count; i++) {
    data.input(i, x, 0);
    const [out] = runGraph(prepared, [quantizeInput(input, x)]);
    const logits = dequantizeOutput(output, out);
    let best = 0;
    let m = -Infinity;
    for (let j = 0; j < logits.length; j++) {
      if (logits[j] > logits[best]) best = j;
      m = Math.max(m, logits[j]);
    }
    let s = 0;
    for (let j = 0; j < logits.length; j++) s += Math.exp(logits[j] - m);
    loss += Math.log(s) + m - logits[data.labels[i]];
    if (best === data.labels[i]) correct++;
  }
  const n = Math.max(1, data.count);
  return { samples: data.count, correct, accuracy: correct / n, loss: loss / n };
}
