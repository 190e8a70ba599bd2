/**
 * Multiply-accumulates of each op, from its tensor shapes alone: an oracle for reports that take
 * their MACs from the ops' own `macs()` (inspect, profile), written without that code. Counts
 * convolution, depthwise convolution and dense layers, as shared/README.md does (pooling and
 * softmax excluded). TFLite layouts: CONV_2D filters OHWI, DEPTHWISE_CONV_2D filters 1HWC,
 * FULLY_CONNECTED weights [units, depth].
 */
import type { Graph } from '../../src/ir/types.js';

const product = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

export function macsFromShapes(graph: Graph): number[] {
  return graph.ops.map((op) => {
    const outputs = product(graph.tensors[op.outputs[0]].shape);
    const weights = graph.tensors[op.inputs[1]]?.shape ?? [];
    switch (op.type) {
      case 'CONV_2D':
        // Every output element sums kh * kw * input channels products.
        return outputs * weights[1] * weights[2] * weights[3];
      case 'DEPTHWISE_CONV_2D':
        // One input channel per output channel: kh * kw products per output element.
        return outputs * weights[1] * weights[2];
      case 'FULLY_CONNECTED':
        return outputs * weights[1];
      default:
        return 0;
    }
  });
}
