/**
 * Ops whose int8 kernels have a fixed output quantization (TFLite's convention, which TFLite
 * Micro's kernels assume without reading the output scale): LOGISTIC and SOFTMAX write scale 1/256
 * with zero point -128, TANH scale 1/128 with zero point 0. A QDQ or QOperator model quantizes their
 * result with whatever its calibration found (ONNX Runtime: the observed range), so
 * `DEQUANTIZE(x_q) → LOGISTIC → QUANTIZE(s, z)` is not one int8 LOGISTIC. This pass lowers it to the
 * int8 op writing its fixed quantization followed by a QUANTIZE (int8 requantization) to (s, z):
 * two roundings where the model has one, so a result can differ from the model's by one step.
 * Islands already quantized the fixed way are left to the QDQ folding pass, which folds them exactly.
 */
import type { Graph, Op, Quantization } from '../ir/types.js';
import { addTensor, consumersOf, lowerQdqIslands, makeOp, producersOf, sameQuant, uniqueConsumers } from './graph-utils.js';
import { rewireIfRunnable } from './runnable.js';

/** The output quantization each op's int8 kernel writes. */
export const FIXED_INT8_OUTPUT: Readonly<Record<string, Quantization>> = {
  LOGISTIC: { scale: [1 / 256], zeroPoint: [-128], quantizedDimension: 0 },
  SOFTMAX: { scale: [1 / 256], zeroPoint: [-128], quantizedDimension: 0 },
  TANH: { scale: [1 / 128], zeroPoint: [0], quantizedDimension: 0 },
};

function lowerOne(g: Graph): boolean {
  const consumers = consumersOf(g);
  const producers = producersOf(g);
  for (const op of g.ops) {
    const fixed = FIXED_INT8_OUTPUT[op.type];
    if (!fixed || op.outputs.length !== 1) continue;
    const y = op.outputs[0];
    if (g.tensors[y].dtype !== 'float32' || g.outputs.includes(y)) continue;
    const dq = producers.get(op.inputs[0]);
    if (!dq || dq.type !== 'DEQUANTIZE') continue;
    const x = g.tensors[dq.inputs[0]];
    if (x.data || x.dtype !== 'int8' || !x.quant || x.quant.scale.length !== 1) continue;
    const readers = uniqueConsumers(consumers, y);
    if (readers.length === 0 || readers.some((r) => r.type !== 'QUANTIZE')) continue;
    const yq = readers[0].outputs[0];
    const yt = g.tensors[yq];
    if (yt.dtype !== 'int8' || !yt.quant || yt.quant.scale.length !== 1) continue;
    if (readers.some((r) => !sameQuant(g.tensors[r.outputs[0]].quant, yt.quant))) continue;
    if (sameQuant(yt.quant, fixed)) continue; // exact: the QDQ folding pass makes it one int8 op
    const mid = addTensor(g, { name: `${yt.name}/${op.type.toLowerCase()}_fixed`, shape: yt.shape, dtype: 'int8', quant: { ...fixed, scale: [...fixed.scale], zeroPoint: [...fixed.zeroPoint] } });
    if (!rewireIfRunnable(g, op, [x.id, ...op.inputs.slice(1)], [mid], [makeOp('QUANTIZE', [mid], [yq], {})])) {
      g.tensors.pop();
      continue;
    }
    // The first QUANTIZE becomes the requantization; the others' readers read its output.
    const keep = readers[0];
    for (const r of readers.slice(1)) {
      for (const o of g.ops) o.inputs = o.inputs.map((i) => (i === r.outputs[0] ? yq : i));
      g.outputs = g.outputs.map((i) => (i === r.outputs[0] ? yq : i));
    }
    g.ops = g.ops.filter((o) => o === keep || !readers.includes(o));
    keep.inputs = [mid];
    return true;
  }
  return false;
}

/** Lowers LOGISTIC/TANH/SOFTMAX islands quantized otherwise than their kernels' fixed output. */
export function lowerFixedRangeIslands(graph: Graph): Graph {
  return lowerQdqIslands(graph, lowerOne);
}
