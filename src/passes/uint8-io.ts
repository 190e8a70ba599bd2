/**
 * uint8 at the model's boundary, int8 inside. tinyml's kernels are int8 (TFLite Micro dropped its
 * uint8 kernels); a uint8 tensor with zero point z is the same real values as the int8 tensor
 * q - 128 with zero point z - 128 (x_u8 - z == (x_u8 - 128) - (z - 128)), so the importers rewrite
 * uint8 activations to int8 exactly. A model whose quantized input or output is uint8 (ONNX
 * Runtime's QUInt8 activations) must still take and give uint8 bytes: this is the one place that
 * puts a uint8 tensor at such an input or output, joined to the int8 graph by a QUANTIZE
 * (uint8 <-> int8 with the same scale: a shift by 128, exact, as TFLite Micro's QUANTIZE does it).
 *
 * Importers name those inputs/outputs in `graph.meta` (UINT8_INPUTS / UINT8_OUTPUTS, comma-separated
 * tensor names); the pass applies to those that are int8 after QDQ folding.
 */
import type { Graph, Tensor } from '../ir/types.js';
import { addTensor, insertOpAfter, makeOp } from './graph-utils.js';

export const UINT8_INPUTS = 'uint8Inputs';
export const UINT8_OUTPUTS = 'uint8Outputs';

function listed(g: Graph, key: string): Set<string> {
  const v = g.meta?.[key];
  return new Set(v ? v.split(',') : []);
}

function uint8Twin(g: Graph, t: Tensor): number {
  const name = t.name;
  t.name = `${name}/int8`;
  const q = t.quant!;
  return addTensor(g, { name, shape: t.shape, dtype: 'uint8', quant: { scale: [...q.scale], zeroPoint: q.zeroPoint.map((z) => z + 128), quantizedDimension: 0 } });
}

const shiftable = (t: Tensor): boolean => t.dtype === 'int8' && !t.data && !!t.quant && t.quant.scale.length === 1;

/** Makes the listed int8 graph inputs/outputs uint8 (in place). */
export function uint8Boundaries(g: Graph): void {
  const ins = listed(g, UINT8_INPUTS);
  const outs = listed(g, UINT8_OUTPUTS);
  if (ins.size === 0 && outs.size === 0) return;
  g.inputs = g.inputs.map((x) => {
    const t = g.tensors[x];
    if (!ins.has(t.name) || !shiftable(t) || g.outputs.includes(x)) return x;
    const u = uint8Twin(g, t);
    insertOpAfter(g, undefined, makeOp('QUANTIZE', [u], [x], {}));
    return u;
  });
  g.outputs = g.outputs.map((y) => {
    const t = g.tensors[y];
    if (!outs.has(t.name) || !shiftable(t) || g.inputs.includes(y)) return y;
    const u = uint8Twin(g, t);
    g.ops.push(makeOp('QUANTIZE', [y], [u], {}));
    return u;
  });
}
