/**
 * Legacy uint8 TFLite models (`QUANTIZED_UINT8`: TF1 quantization-aware training, Coral, many
 * tutorials) run as int8. A uint8 tensor q with zero point z holds the same real values as the
 * int8 tensor q - 128 with zero point z - 128, activations and weights alike; TFLite's uint8
 * kernels only ever use q - z (and clamp to the type's range, which moves by 128 too), so the
 * int8 kernels compute the same bytes, shifted by 128, provided they subtract the weights' zero
 * point as TFLite's uint8 kernels do (conv, depthwise and fully connected take a weights offset
 * for this). The model's uint8 inputs and outputs stay uint8 (passes/uint8-io.ts puts a shifting
 * QUANTIZE at each).
 *
 * That argument holds op by op only where the int8 kernel is TFLite's uint8 kernel with the
 * offsets moved; the ops below are the ones checked bit-exact against TFLite's uint8 reference
 * kernels (test/fixtures/uint8/) or that only move, compare or pad values. A uint8 model with
 * any other op on uint8 tensors is refused, naming the ops, rather than run inexactly.
 */
import { UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { Graph, Tensor } from '../ir/types.js';
import { UINT8_INPUTS, UINT8_OUTPUTS, uint8Boundaries } from './uint8-io.js';

/** Ops whose int8 kernel on shifted operands is TFLite's uint8 kernel, byte for byte. */
export const UINT8_EXACT_OPS: ReadonlySet<OpType> = new Set<OpType>([
  // Checked against TFLite's uint8 reference kernels on test/fixtures/uint8/legacy_uint8.tflite.
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'FULLY_CONNECTED',
  'ADD',
  'AVERAGE_POOL_2D',
  'MAX_POOL_2D',
  'SOFTMAX',
  'QUANTIZE',
  // Values moved, compared or padded with the zero point, never computed on.
  'DEQUANTIZE',
  'RESHAPE',
  'SQUEEZE',
  'EXPAND_DIMS',
  'PAD',
  'TRANSPOSE',
  'GATHER',
  'STRIDED_SLICE',
]);

const isQuantizedUint8 = (t: Tensor): boolean => t.dtype === 'uint8' && !!t.quant && t.quant.zeroPoint.length > 0;

/**
 * Rewrites a graph's quantized uint8 tensors to int8 (in place; returns it). No-op for a graph
 * without them. Throws UnsupportedOpError when an op outside UINT8_EXACT_OPS touches one.
 */
export function uint8TfliteToInt8(g: Graph): Graph {
  const shifted = new Set(g.tensors.filter(isQuantizedUint8).map((t) => t.id));
  if (shifted.size === 0) return g;
  const inexact = g.ops.filter((op) => !UINT8_EXACT_OPS.has(op.type) && [...op.inputs, ...op.outputs].some((id) => shifted.has(id)));
  if (inexact.length > 0) {
    const list = inexact.map((op) => `op #${op.index} ${op.type}`).join(', ');
    throw new UnsupportedOpError(
      `this is a legacy uint8 (QUANTIZED_UINT8) model; tinyml runs those as int8 with the zero points shifted by 128, which is exact only for ` +
        `${[...UINT8_EXACT_OPS].join(', ')}. Not for: ${list}. Convert the model to int8 (the TFLite converter's full-integer quantization) instead`,
    );
  }
  for (const id of shifted) {
    const t = g.tensors[id];
    const q = t.quant!;
    for (const z of q.zeroPoint) {
      if (z < 0 || z > 255) throw new UnsupportedOpError(`tensor ${t.id} '${t.name}': uint8 zero point ${z} is outside 0..255`);
    }
    t.dtype = 'int8';
    t.quant = { ...q, zeroPoint: q.zeroPoint.map((z) => z - 128) };
    if (t.data) t.data = Int8Array.from(t.data as Uint8Array, (v) => v - 128);
  }
  // The model still takes and gives uint8 bytes.
  const names = (ids: number[]) => ids.filter((id) => shifted.has(id)).map((id) => g.tensors[id].name);
  const ins = names(g.inputs);
  const outs = names(g.outputs);
  g.meta = { ...g.meta, ...(ins.length > 0 ? { [UINT8_INPUTS]: ins.join(',') } : {}), ...(outs.length > 0 ? { [UINT8_OUTPUTS]: outs.join(',') } : {}) };
  uint8Boundaries(g);
  return g;
}
