/**
 * ONNX (protobuf) → Graph IR.
 *
 * Layout: ONNX activations are NCHW; the IR (like TFLite) is NHWC. Every rank-4 activation,
 * graph inputs included, is stored NHWC in the IR: a model input declared [1, 1, 28, 28] becomes
 * an IR input [1, 28, 28, 1], and a rank-4 graph output comes out NHWC too. Constants stay in ONNX
 * layout until an op consumes them and are then permuted: convolution weights OIHW → OHWI
 * (CONV_2D) or [1, H, W, C_out] (DEPTHWISE_CONV_2D), per-channel operands [1, C, 1, 1] → [C]
 * (broadcast over the last axis), channel axes of Concat, Softmax, ReduceMean, Pad and per-axis
 * quantization remapped.
 *
 * Flatten/Reshape of an NHWC activation whose spatial size is > 1 changes the element order
 * relative to ONNX (CHW vs HWC). The importer handles it when the flattened tensor feeds a
 * Gemm/MatMul (it permutes that layer's weight columns) and when the reshape is provably
 * order-equivalent (1x1 spatial or a single channel); anything else is an UnsupportedOpError.
 *
 * BatchNormalization becomes MUL + ADD by per-channel constants; the passes in src/passes/ fold
 * them into the preceding convolution. QuantizeLinear/DequantizeLinear on activations become
 * QUANTIZE/DEQUANTIZE ops (uint8 is rewritten to the equivalent int8 with zero point - 128); on
 * constants they are evaluated here (ONNX rounding: half to even) and a dequantized weight becomes
 * an int8 constant with its (per-axis) quantization followed by a DEQUANTIZE op, the pattern the
 * QDQ folding pass turns into int8 layers.
 *
 * Shape-computing subgraphs on constants (Shape, Gather, Unsqueeze, Concat, Cast, arithmetic) are
 * evaluated at import time. Symbolic dimensions of graph inputs are taken as 1.
 *
 * This file is the driver: it reads the initializers and graph inputs, checks that every node has
 * a converter (one error lists all that do not), and runs them in order. Each op's converter lives
 * in converters/ and is found through the one table in converters/index.ts; ONNX Runtime's
 * QOperator ops (converters/qlinear.ts) are imported as DequantizeLinear → float op →
 * QuantizeLinear, so they reach the int8 IR through the same QDQ folding as QDQ models.
 */
import { ModelFormatError, UnsupportedOpError } from '../errors.js';
import { parseModel, readModelFile } from '../io/model-file.js';
import type { Graph } from '../ir/types.js';
import { UINT8_INPUTS, UINT8_OUTPUTS } from '../passes/uint8-io.js';
import { OnnxContext } from './context.js';
import { converterFor, SUPPORTED_ONNX_OPS } from './converters/index.js';
import { decodeModelProto, int64ToNumber, type OnnxModelProto } from './schema.js';
import { decodeTensorProto } from './tensors.js';
import type { NodeInfo } from './values.js';

export { SUPPORTED_ONNX_OPS } from './converters/index.js';

/**
 * Graph.meta key listing the int8 weights whose values all fit a narrower width and are stored
 * packed (`name=kind,...`): what a QAT export of a 4-bit or ternary fake-quant range gives.
 */
export const NARROWED_WEIGHTS = 'narrowedWeights';

/** Parse an ONNX model. `name` becomes `Graph.name` and is used in error messages. */
export function importOnnx(bytes: Uint8Array, name: string): Graph {
  let model: OnnxModelProto;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ModelFormatError(`could not read ONNX model '${name}': not a valid ONNX protobuf (${detail})`, { cause: e });
  }
  if (!model.graph || (model.graph.node.length === 0 && model.graph.input.length === 0 && model.graph.output.length === 0)) {
    throw new ModelFormatError(`could not read ONNX model '${name}': the file holds no graph (is it an ONNX model?)`);
  }
  return parseModel('ONNX', name, () => importGraph(model, name));
}

/** Read and parse an .onnx file; the graph is named after the file's stem. */
export async function importOnnxFile(path: string): Promise<Graph> {
  const { bytes, name } = await readModelFile(path);
  return importOnnx(bytes, name);
}

function importGraph(model: OnnxModelProto, name: string): Graph {
  const cx = new OnnxContext(model);
  const g = model.graph!;
  g.initializer.forEach((t, i) => {
    const nm = t.name ?? '';
    if (!nm) throw new ModelFormatError(`initializer #${i} has no name`);
    cx.values.set(nm, { kind: 'const', c: decodeTensorProto(t, `initializer '${nm}'`) });
  });
  const inputs: number[] = [];
  for (const vi of g.input) {
    const nm = vi.name ?? '';
    if (cx.values.has(nm)) continue; // IR < 4 lists initializers as inputs too
    inputs.push(cx.graphInput(vi));
  }
  const nodes: NodeInfo[] = g.node.map((node, index) => {
    const opType = node.opType ?? '';
    const label = `ONNX node #${index} ${opType || '(no op type)'}${node.name ? ` '${node.name}'` : ''}`;
    return { node, index, opType, label };
  });
  const missing = nodes.filter((n) => !converterFor(n.node.domain, n.opType));
  if (missing.length > 0) throw unsupportedOps(missing);
  for (const n of nodes) converterFor(n.node.domain, n.opType)!(cx, n);
  const outputs = g.output.map((vi) => cx.graphOutput(vi));
  const meta: Record<string, string> = {
    format: 'onnx',
    irVersion: String(int64ToNumber(model.irVersion)),
    opset: String(cx.opset),
    layout: 'NHWC (converted from ONNX NCHW)',
  };
  // The QDQ folding pass keeps these inputs/outputs uint8 at the model's boundary (src/passes/uint8-io.ts).
  if (cx.uint8Io.inputs.size > 0) meta[UINT8_INPUTS] = [...cx.uint8Io.inputs].join(',');
  if (cx.uint8Io.outputs.size > 0) meta[UINT8_OUTPUTS] = [...cx.uint8Io.outputs].join(',');
  if (cx.narrowedWeights.size > 0) meta[NARROWED_WEIGHTS] = [...cx.narrowedWeights].map(([w, kind]) => `${w}=${kind}`).join(',');
  if (model.producerName) meta.producer = `${model.producerName} ${model.producerVersion ?? ''}`.trim();
  return { name, tensors: cx.tensors, ops: cx.ops, inputs, outputs, meta };
}

/** One error naming every node whose op tinyml does not import. */
function unsupportedOps(missing: NodeInfo[]): UnsupportedOpError {
  const qualified = (n: NodeInfo): string => (n.node.domain && n.node.domain !== 'ai.onnx' ? `${n.node.domain}.${n.opType}` : n.opType);
  const kinds = [...new Set(missing.map(qualified))];
  const list = missing.map((n) => `  node #${n.index}${n.node.name ? ` '${n.node.name}'` : ''}: op '${qualified(n)}'`).join('\n');
  return new UnsupportedOpError(
    `${missing.length} ONNX node${missing.length === 1 ? '' : 's'} use${missing.length === 1 ? 's' : ''} ${kinds.length === 1 ? 'an op' : 'ops'} tinyml does not support (${kinds.join(', ')}):\n${list}\nSupported ONNX ops: ${SUPPORTED_ONNX_OPS.join(', ')}`,
  );
}
