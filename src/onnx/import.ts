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
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { InputError, ModelFormatError, TinymlError, UnsupportedOpError } from '../errors.js';
import type { FusedActivation, OpAttrs, OpType, Padding } from '../ir/attrs.js';
import type { DType, Graph, Op, Quantization, Tensor, TensorData } from '../ir/types.js';
import { elementCount } from '../ir/types.js';
import {
  OnnxAttrType,
  decodeModelProto,
  int64ToNumber,
  type OnnxAttributeProto,
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxValueInfoProto,
} from './schema.js';
import {
  broadcastShapes,
  broadcastTo,
  constFloat,
  constNumbers,
  decodeTensorProto,
  irDtypeOf,
  makeConst,
  quantizeConst,
  transposeConst,
  transposeData,
  type ConstQuant,
  type OnnxConst,
} from './tensors.js';

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
  try {
    return new OnnxImporter(model, name).run();
  } catch (e) {
    if (e instanceof TinymlError) throw e;
    const detail = e instanceof Error ? e.message : String(e);
    throw new ModelFormatError(`could not read ONNX model '${name}': malformed model (${detail})`, { cause: e });
  }
}

/** Read and parse an .onnx file; the graph is named after the file's stem. */
export async function importOnnxFile(path: string): Promise<Graph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new InputError(`cannot read model file '${path}': ${why}`);
  }
  return importOnnx(bytes, basename(path, extname(path)));
}

/** The ONNX op types the importer maps (some only on constants). */
export const SUPPORTED_ONNX_OPS: readonly string[] = [
  'Add',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Clip',
  'Concat',
  'Constant',
  'Conv',
  'DequantizeLinear',
  'Div',
  'Dropout',
  'Flatten',
  'Gather',
  'Gemm',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'HardSwish',
  'Identity',
  'LeakyRelu',
  'MatMul',
  'MaxPool',
  'Mul',
  'Pad',
  'QuantizeLinear',
  'ReduceMean',
  'Relu',
  'Reshape',
  'Shape',
  'Sigmoid',
  'Softmax',
  'Squeeze',
  'Sub',
  'Tanh',
  'Unsqueeze',
];

interface TensorValue {
  kind: 'tensor';
  id: number;
  /** The shape ONNX sees (NCHW for rank-4 activations). */
  onnxShape: number[];
  /** Rank-4 value stored NHWC in the IR. */
  nhwc: boolean;
  /** IR data is [N, H*W*C] in HWC order where ONNX has [N, C*H*W] in CHW order. */
  flatten?: { c: number; h: number; w: number };
  /** Known to be >= 0 (after ReLU and the like): zero padding is then neutral for max pooling. */
  nonNegative?: boolean;
}

interface ConstValue {
  kind: 'const';
  c: OnnxConst;
}

type Value = TensorValue | ConstValue;

/** NCHW shape → NHWC shape. */
const toNhwc = (s: readonly number[]): number[] => [s[0], s[2], s[3], s[1]];
/** ONNX axis of an NCHW tensor → IR axis of the NHWC tensor. */
const NCHW_TO_NHWC_AXIS = [0, 3, 1, 2];

function irShapeOf(v: TensorValue): number[] {
  if (v.flatten) return [v.onnxShape[0], v.onnxShape[1]];
  return v.nhwc ? toNhwc(v.onnxShape) : [...v.onnxShape];
}

/** Data of this value is laid out identically in NCHW and NHWC (one channel or 1x1 spatial). */
function orderEquivalent(v: TensorValue): boolean {
  if (v.flatten) return false;
  if (!v.nhwc) return true;
  const [, c, h, w] = v.onnxShape;
  return c === 1 || h * w === 1;
}

interface NodeInfo {
  node: OnnxNodeProto;
  index: number;
  opType: string;
  label: string;
}

const FLOAT_MAX = 3.4028234663852886e38;

class OnnxImporter {
  private readonly tensors: Tensor[] = [];
  private readonly ops: Op[] = [];
  private readonly values = new Map<string, Value>();
  private readonly usedNames = new Set<string>();
  private readonly opset: number;

  constructor(
    private readonly model: OnnxModelProto,
    private readonly name: string,
  ) {
    const def = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = def ? int64ToNumber(def.version) : 13;
  }

  run(): Graph {
    const g = this.model.graph!;
    g.initializer.forEach((t, i) => {
      const nm = t.name ?? '';
      if (!nm) throw new ModelFormatError(`initializer #${i} has no name`);
      this.values.set(nm, { kind: 'const', c: decodeTensorProto(t, `initializer '${nm}'`) });
    });
    const inputs: number[] = [];
    for (const vi of g.input) {
      const nm = vi.name ?? '';
      if (this.values.has(nm)) continue; // IR < 4 lists initializers as inputs too
      inputs.push(this.graphInput(vi));
    }
    g.node.forEach((node, index) => {
      const opType = node.opType ?? '';
      const label = `ONNX node #${index} ${opType || '(no op type)'}${node.name ? ` '${node.name}'` : ''}`;
      const info: NodeInfo = { node, index, opType, label };
      if (node.domain && node.domain !== 'ai.onnx') {
        throw new UnsupportedOpError(`${label}: op '${opType}' from domain '${node.domain}' is not supported; tinyml imports standard ONNX ops only (${SUPPORTED_ONNX_OPS.join(', ')})`);
      }
      this.importNode(info);
    });
    const outputs = g.output.map((vi) => this.graphOutput(vi));
    const meta: Record<string, string> = {
      format: 'onnx',
      irVersion: String(int64ToNumber(this.model.irVersion)),
      opset: String(this.opset),
      layout: 'NHWC (converted from ONNX NCHW)',
    };
    if (this.model.producerName) meta.producer = `${this.model.producerName} ${this.model.producerVersion ?? ''}`.trim();
    return { name: this.name, tensors: this.tensors, ops: this.ops, inputs, outputs, meta };
  }

  // -------------------------------------------------------------------------------------------
  // Graph building
  // -------------------------------------------------------------------------------------------

  private uniqueName(base: string): string {
    let nm = base || `t${this.tensors.length}`;
    if (this.usedNames.has(nm)) {
      let k = 1;
      while (this.usedNames.has(`${nm}_${k}`)) k++;
      nm = `${nm}_${k}`;
    }
    this.usedNames.add(nm);
    return nm;
  }

  private addTensor(name: string, shape: number[], dtype: DType, extra: { data?: TensorData; quant?: Quantization } = {}): number {
    const id = this.tensors.length;
    const t: Tensor = { id, name: this.uniqueName(name), shape: [...shape], dtype };
    if (extra.quant) t.quant = extra.quant;
    if (extra.data) t.data = extra.data;
    this.tensors.push(t);
    return id;
  }

  private emit<T extends OpType>(type: T, inputs: number[], outputs: number[], attrs: OpAttrs[T]): void {
    this.ops.push({ index: this.ops.length, type, inputs, outputs, attrs } as unknown as Op);
  }

  private int32Const(name: string, values: number[], shape = [values.length]): number {
    return this.addTensor(name, shape, 'int32', { data: Int32Array.from(values) });
  }

  /** An IR constant from an ONNX constant in its current layout (dequantized to float when it is a DequantizeLinear output). */
  private constTensor(name: string, c: OnnxConst, shape = c.shape): number {
    if (c.dequantized) return this.addTensor(name, shape, 'float32', { data: constFloat(c) });
    return this.addTensor(name, shape, c.dtype, { data: c.data, quant: c.quant ? toQuantization(c.quant) : undefined });
  }

  /** A weight: float constant, or int8 constant + DEQUANTIZE for a DequantizeLinear'd constant. */
  private weightTensor(name: string, c: OnnxConst, perm: number[] | undefined, n: NodeInfo): number {
    const t = perm ? transposeConst(c, perm) : c;
    if (t.dequantized && t.quant && (t.dtype === 'int8' || t.dtype === 'int16')) {
      const q = this.addTensor(name, t.shape, t.dtype, { data: t.data, quant: toQuantization(t.quant) });
      const f = this.addTensor(`${name}/dequantized`, t.shape, 'float32');
      this.emit('DEQUANTIZE', [q], [f], {});
      return f;
    }
    if (!t.dequantized && t.dtype !== 'float32') {
      throw new UnsupportedOpError(`${n.label}: weights '${name}' are ${t.dtype}; tinyml imports float weights or DequantizeLinear of int8 weights`);
    }
    return this.constTensor(name, t);
  }

  private outputTensor(n: NodeInfo, k: number, onnxShape: number[], nhwc: boolean, dtype: DType, extra: Partial<TensorValue> = {}, quant?: Quantization): TensorValue {
    const outName = n.node.output[k];
    if (!outName) throw new ModelFormatError(`${n.label}: output ${k} has no name`);
    const v: TensorValue = { kind: 'tensor', id: -1, onnxShape, nhwc, ...extra };
    v.id = this.addTensor(outName, irShapeOf(v), dtype, { quant });
    this.values.set(outName, v);
    return v;
  }

  private setConst(n: NodeInfo, c: OnnxConst, k = 0): void {
    const outName = n.node.output[k];
    if (!outName) throw new ModelFormatError(`${n.label}: output ${k} has no name`);
    this.values.set(outName, { kind: 'const', c });
  }

  private alias(n: NodeInfo, v: Value): void {
    const outName = n.node.output[0];
    if (!outName) throw new ModelFormatError(`${n.label}: output 0 has no name`);
    this.values.set(outName, v);
  }

  private graphInput(vi: OnnxValueInfoProto): number {
    const nm = vi.name ?? '';
    const tt = vi.type?.tensorType;
    if (!tt) throw new UnsupportedOpError(`graph input '${nm}' is not a tensor; tinyml supports tensor inputs only`);
    const dtype = irDtypeOf(tt.elemType, `graph input '${nm}'`);
    const dims = tt.shape?.dim ?? [];
    const onnxShape = dims.map((d, i) => {
      if (d.dimValue !== undefined && d.dimValue !== null) {
        const v = int64ToNumber(d.dimValue);
        if (v > 0) return v;
      }
      if (i === 0) return 1; // symbolic batch
      throw new UnsupportedOpError(`graph input '${nm}' has a symbolic or unknown dimension ${i} ('${d.dimParam ?? '?'}'); tinyml needs fixed input shapes (export with a fixed size)`);
    });
    const v: TensorValue = { kind: 'tensor', id: -1, onnxShape, nhwc: onnxShape.length === 4 };
    v.id = this.addTensor(nm, irShapeOf(v), dtype);
    this.values.set(nm, v);
    return v.id;
  }

  private graphOutput(vi: OnnxValueInfoProto): number {
    const nm = vi.name ?? '';
    const v = this.values.get(nm);
    if (!v) throw new ModelFormatError(`graph output '${nm}' is not produced by any node`);
    if (v.kind === 'const') throw new UnsupportedOpError(`graph output '${nm}' is a constant; tinyml needs outputs computed from the inputs`);
    if (v.flatten) {
      throw new UnsupportedOpError(
        `graph output '${nm}' is a flattened NCHW tensor of spatial size ${v.flatten.h}x${v.flatten.w}; its element order differs in tinyml's NHWC layout (flatten before a dense layer, or output the rank-4 tensor)`,
      );
    }
    return v.id;
  }

  // -------------------------------------------------------------------------------------------
  // Node inputs and attributes
  // -------------------------------------------------------------------------------------------

  private inputName(n: NodeInfo, k: number): string | undefined {
    const nm = n.node.input[k];
    return nm ? nm : undefined;
  }

  private value(n: NodeInfo, k: number): Value | undefined {
    const nm = this.inputName(n, k);
    if (nm === undefined) return undefined;
    const v = this.values.get(nm);
    if (!v) throw new ModelFormatError(`${n.label}: input ${k} '${nm}' is not produced by an earlier node, an initializer or a graph input`);
    return v;
  }

  private requireValue(n: NodeInfo, k: number, what: string): Value {
    const v = this.value(n, k);
    if (!v) throw new ModelFormatError(`${n.label}: required input ${k} (${what}) is missing`);
    return v;
  }

  /** An activation input; a constant is turned into an IR constant tensor (plain layout). */
  private tensorIn(n: NodeInfo, k: number, what = 'input'): TensorValue {
    const v = this.requireValue(n, k, what);
    if (v.kind === 'tensor') return v;
    const c = v.c;
    const id = this.constTensor(this.inputName(n, k)!, c);
    return { kind: 'tensor', id, onnxShape: [...c.shape], nhwc: false };
  }

  private constIn(n: NodeInfo, k: number, what: string): OnnxConst {
    const v = this.requireValue(n, k, what);
    if (v.kind !== 'const') {
      throw new UnsupportedOpError(`${n.label}: input ${k} (${what}) '${this.inputName(n, k)}' must be a constant (an initializer or computed from constants)`);
    }
    return v.c;
  }

  private optionalConst(n: NodeInfo, k: number, what: string): OnnxConst | undefined {
    return this.value(n, k) === undefined ? undefined : this.constIn(n, k, what);
  }

  private attr(n: NodeInfo, name: string): OnnxAttributeProto | undefined {
    return n.node.attribute.find((a) => a.name === name);
  }

  private attrInt(n: NodeInfo, name: string, def: number): number {
    const a = this.attr(n, name);
    return a ? int64ToNumber(a.i) : def;
  }

  private attrFloat(n: NodeInfo, name: string, def: number): number {
    const a = this.attr(n, name);
    return a && a.f !== undefined ? a.f : def;
  }

  private attrInts(n: NodeInfo, name: string): number[] | undefined {
    const a = this.attr(n, name);
    return a ? a.ints.map((v) => int64ToNumber(v)) : undefined;
  }

  private attrString(n: NodeInfo, name: string, def: string): string {
    const a = this.attr(n, name);
    return a?.s ? new TextDecoder().decode(a.s) : def;
  }

  private unsupported(n: NodeInfo, why: string): never {
    throw new UnsupportedOpError(`${n.label}: ${why}`);
  }

  /** A constant operand laid out to combine (by broadcasting) with activation `like`. */
  private operandFor(n: NodeInfo, k: number, c: OnnxConst, like: TensorValue): TensorValue {
    const nm = `${this.inputName(n, k) ?? 'const'}`;
    const data = c.dequantized ? constFloat(c) : c.data;
    let shape = [...c.shape];
    let out: TensorData = data;
    if (like.flatten) {
      if (shape.length > 0 && shape[shape.length - 1] !== 1) {
        this.unsupported(n, `constant '${nm}' varies along a flattened NCHW axis, whose element order tinyml (NHWC) does not keep`);
      }
    } else if (like.nhwc) {
      if (shape.length > 4) this.unsupported(n, `constant '${nm}' of rank ${shape.length} cannot broadcast against a rank-4 activation`);
      while (shape.length < 4) shape.unshift(1);
      out = transposeData(out, shape, [0, 2, 3, 1]);
      shape = toNhwc(shape);
      while (shape.length > 1 && shape[0] === 1) shape.shift();
    }
    const dtype: DType = c.dequantized ? 'float32' : c.dtype;
    const id = this.addTensor(nm, shape, dtype, { data: out });
    return { kind: 'tensor', id, onnxShape: [...c.shape], nhwc: false };
  }

  // -------------------------------------------------------------------------------------------
  // Ops
  // -------------------------------------------------------------------------------------------

  private importNode(n: NodeInfo): void {
    switch (n.opType) {
      case 'Conv':
        return this.conv(n);
      case 'BatchNormalization':
        return this.batchNorm(n);
      case 'Relu':
        return this.unary(n, 'RELU', true);
      case 'Sigmoid':
        return this.unary(n, 'LOGISTIC', true);
      case 'Tanh':
        return this.unary(n, 'TANH', false);
      case 'HardSwish':
        return this.unary(n, 'HARD_SWISH', false);
      case 'LeakyRelu':
        return this.leakyRelu(n);
      case 'Clip':
        return this.clip(n);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(n);
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        return this.globalPool(n);
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
        return this.binary(n);
      case 'Gemm':
        return this.gemm(n);
      case 'MatMul':
        return this.matmul(n);
      case 'Flatten':
        return this.flatten(n);
      case 'Reshape':
        return this.reshapeNode(n);
      case 'Squeeze':
      case 'Unsqueeze':
        return this.squeezeNode(n);
      case 'Softmax':
        return this.softmax(n);
      case 'Concat':
        return this.concat(n);
      case 'Pad':
        return this.pad(n);
      case 'ReduceMean':
        return this.reduceMean(n);
      case 'Identity':
      case 'Dropout':
        return this.identity(n);
      case 'QuantizeLinear':
        return this.quantizeLinear(n);
      case 'DequantizeLinear':
        return this.dequantizeLinear(n);
      case 'Constant':
        return this.constant(n);
      case 'Shape':
        return this.shapeNode(n);
      case 'Gather':
        return this.gather(n);
      case 'Cast':
        return this.cast(n);
      default:
        throw new UnsupportedOpError(
          `${n.label}: ONNX op '${n.opType}' (node '${n.node.name ?? ''}', index ${n.index}) is not supported by tinyml. Supported ONNX ops: ${SUPPORTED_ONNX_OPS.join(', ')}`,
        );
    }
  }

  private identity(n: NodeInfo): void {
    // Inference-mode Dropout passes its input through (its optional mask output is left undefined).
    this.alias(n, this.requireValue(n, 0, 'input'));
  }

  private unary(n: NodeInfo, type: 'RELU' | 'RELU6' | 'LOGISTIC' | 'TANH' | 'HARD_SWISH', nonNegative: boolean): void {
    const x = this.tensorIn(n, 0);
    const dtype = this.tensors[x.id].dtype;
    const out = this.outputTensor(n, 0, [...x.onnxShape], x.nhwc, dtype, { flatten: x.flatten, nonNegative });
    this.emit(type, [x.id], [out.id], {} as OpAttrs[typeof type]);
  }

  private leakyRelu(n: NodeInfo): void {
    const x = this.tensorIn(n, 0);
    const out = this.outputTensor(n, 0, [...x.onnxShape], x.nhwc, this.tensors[x.id].dtype, { flatten: x.flatten });
    this.emit('LEAKY_RELU', [x.id], [out.id], { alpha: this.attrFloat(n, 'alpha', 0.01) });
  }

  private clip(n: NodeInfo): void {
    let lo: number | undefined;
    let hi: number | undefined;
    if (this.opset < 11) {
      const a = this.attr(n, 'min');
      const b = this.attr(n, 'max');
      lo = a ? a.f : undefined;
      hi = b ? b.f : undefined;
    } else {
      const a = this.optionalConst(n, 1, 'min');
      const b = this.optionalConst(n, 2, 'max');
      lo = a ? constNumbers(a)[0] : undefined;
      hi = b ? constNumbers(b)[0] : undefined;
    }
    const noMax = hi === undefined || hi >= FLOAT_MAX;
    let type: 'RELU' | 'RELU6';
    if (lo === 0 && noMax) type = 'RELU';
    else if (lo === 0 && hi === 6) type = 'RELU6';
    else this.unsupported(n, `Clip(min=${lo ?? '-inf'}, max=${hi ?? 'inf'}) is not supported; tinyml maps Clip(0, 6) to RELU6 and Clip(0, inf) to RELU`);
    this.unary(n, type, true);
  }

  /** ONNX pads [begin..., end...] for the spatial axes of a window op, from pads or auto_pad. */
  private windowPads(n: NodeInfo, inH: number, inW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number): [number, number, number, number] {
    const autoPad = this.attrString(n, 'auto_pad', 'NOTSET');
    if (autoPad === 'NOTSET') {
      const p = this.attrInts(n, 'pads') ?? [0, 0, 0, 0];
      if (p.length !== 4) this.unsupported(n, `pads [${p.join(', ')}] must have 4 values for a 2-D window`);
      if (p.some((v) => v < 0)) this.unsupported(n, `negative pads [${p.join(', ')}] are not supported`);
      return [p[0], p[1], p[2], p[3]];
    }
    if (autoPad === 'VALID') return [0, 0, 0, 0];
    if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') this.unsupported(n, `auto_pad '${autoPad}' is not supported`);
    const axis = (inSize: number, k: number, s: number, d: number): [number, number] => {
      const out = Math.ceil(inSize / s);
      const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - inSize);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    const [t, b] = axis(inH, kH, sH, dH);
    const [l, r] = axis(inW, kW, sW, dW);
    return [t, l, b, r];
  }

  /** VALID when there is no padding, SAME when the pads are exactly TFLite's SAME padding, else undefined. */
  private matchPadding(pads: [number, number, number, number], inH: number, inW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number): Padding | undefined {
    if (pads.every((p) => p === 0)) return 'VALID';
    const same = (inSize: number, k: number, s: number, d: number, before: number, after: number): boolean => {
      const out = Math.ceil(inSize / s);
      const eff = (k - 1) * d + 1;
      const total = Math.max(0, (out - 1) * s + eff - inSize);
      const onnxOut = Math.floor((inSize + before + after - eff) / s) + 1;
      return before === Math.floor(total / 2) && after === total - Math.floor(total / 2) && onnxOut === out;
    };
    if (same(inH, kH, sH, dH, pads[0], pads[2]) && same(inW, kW, sW, dW, pads[1], pads[3])) return 'SAME';
    return undefined;
  }

  /** Emits an explicit PAD (zeros) of an NHWC activation; returns the padded value. */
  private explicitPad(n: NodeInfo, x: TensorValue, pads: [number, number, number, number]): TensorValue {
    const [N, C, H, W] = x.onnxShape;
    const onnxShape = [N, C, H + pads[0] + pads[2], W + pads[1] + pads[3]];
    const outName = `${n.node.output[0]}_pad`;
    const v: TensorValue = { kind: 'tensor', id: -1, onnxShape, nhwc: true, nonNegative: x.nonNegative };
    v.id = this.addTensor(outName, irShapeOf(v), this.tensors[x.id].dtype);
    const paddings = this.int32Const(`${outName}/paddings`, [0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0], [4, 2]);
    this.emit('PAD', [x.id, paddings], [v.id], {});
    return v;
  }

  private spatialInput(n: NodeInfo): TensorValue {
    const x = this.tensorIn(n, 0);
    if (!x.nhwc) {
      const r = x.onnxShape.length;
      this.unsupported(n, `input has rank ${r} [${x.onnxShape.join(', ')}]; tinyml supports 2-D ${n.opType} on rank-4 NCHW tensors only${r === 3 ? ' (1-D convolutions and pooling are not supported)' : ''}`);
    }
    return x;
  }

  private conv(n: NodeInfo): void {
    const x = this.spatialInput(n);
    const w = this.constIn(n, 1, 'weights');
    const b = this.optionalConst(n, 2, 'bias');
    const [N, cIn, inH, inW] = x.onnxShape;
    if (w.shape.length !== 4) this.unsupported(n, `weights of shape [${w.shape.join(', ')}] are not 4-D (only 2-D convolution is supported)`);
    const [cOut, wIn, kH, kW] = w.shape;
    const ks = this.attrInts(n, 'kernel_shape');
    if (ks && (ks[0] !== kH || ks[1] !== kW)) throw new ModelFormatError(`${n.label}: kernel_shape [${ks.join(', ')}] does not match the weights [${w.shape.join(', ')}]`);
    const [sH, sW] = this.attrInts(n, 'strides') ?? [1, 1];
    const [dH, dW] = this.attrInts(n, 'dilations') ?? [1, 1];
    const group = this.attrInt(n, 'group', 1);
    let depthwise = false;
    if (group === 1) {
      if (wIn !== cIn) throw new ModelFormatError(`${n.label}: weights expect ${wIn} input channels, the input has ${cIn}`);
    } else if (group === cIn && wIn === 1 && cOut % cIn === 0) {
      depthwise = true;
    } else {
      this.unsupported(n, `grouped convolution with group=${group} (${cIn} input, ${cOut} output channels) is not supported; tinyml supports group=1 and depthwise (group = input channels)`);
    }
    const pads = this.windowPads(n, inH, inW, kH, kW, sH, sW, dH, dW);
    let padding = this.matchPadding(pads, inH, inW, kH, kW, sH, sW, dH, dW);
    let input = x;
    if (!padding) {
      input = this.explicitPad(n, x, pads);
      padding = 'VALID';
    }
    const outH = Math.floor((inH + pads[0] + pads[2] - ((kH - 1) * dH + 1)) / sH) + 1;
    const outW = Math.floor((inW + pads[1] + pads[3] - ((kW - 1) * dW + 1)) / sW) + 1;
    if (outH <= 0 || outW <= 0) throw new ModelFormatError(`${n.label}: the ${kH}x${kW} window does not fit the ${inH}x${inW} input`);
    const wName = this.inputName(n, 1)!;
    const weights = this.weightTensor(wName, w, depthwise ? [1, 2, 3, 0] : [0, 2, 3, 1], n);
    let bias = -1;
    if (b) {
      if (elementCount(b.shape) !== cOut) throw new ModelFormatError(`${n.label}: bias has ${elementCount(b.shape)} values for ${cOut} output channels`);
      bias = this.constTensor(this.inputName(n, 2)!, b, [cOut]);
    }
    const out = this.outputTensor(n, 0, [N, cOut, outH, outW], true, 'float32');
    const common = { padding, strideH: sH, strideW: sW, dilationH: dH, dilationW: dW, activation: 'NONE' as FusedActivation };
    const inputs = bias >= 0 ? [input.id, weights, bias] : [input.id, weights];
    if (depthwise) this.emit('DEPTHWISE_CONV_2D', inputs, [out.id], { ...common, depthMultiplier: cOut / cIn });
    else this.emit('CONV_2D', inputs, [out.id], common);
  }

  private batchNorm(n: NodeInfo): void {
    const x = this.tensorIn(n, 0);
    if (this.attrInt(n, 'training_mode', 0) !== 0) this.unsupported(n, 'training_mode=1 is not supported (export the model in eval mode)');
    if (n.node.output.slice(1).some((o) => o)) this.unsupported(n, 'the running statistics outputs of training-mode BatchNormalization are not supported');
    const gamma = constFloat(this.constIn(n, 1, 'scale'));
    const beta = constFloat(this.constIn(n, 2, 'bias'));
    const mean = constFloat(this.constIn(n, 3, 'mean'));
    const variance = constFloat(this.constIn(n, 4, 'var'));
    const eps = this.attrFloat(n, 'epsilon', 1e-5);
    const rank = x.onnxShape.length;
    if (!(x.nhwc || rank === 2) || x.flatten) this.unsupported(n, `input of shape [${x.onnxShape.join(', ')}]: tinyml supports BatchNormalization on NCHW (rank 4) and [N, C] inputs`);
    const C = x.onnxShape[1];
    for (const [nm, a] of [['scale', gamma], ['bias', beta], ['mean', mean], ['var', variance]] as const) {
      if (a.length !== C) throw new ModelFormatError(`${n.label}: ${nm} has ${a.length} values for ${C} channels`);
    }
    const s = new Float32Array(C);
    const t = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const sc = gamma[c] / Math.sqrt(Math.fround(variance[c] + eps));
      s[c] = sc;
      t[c] = beta[c] - mean[c] * sc;
    }
    const outName = n.node.output[0];
    const sId = this.addTensor(`${outName}/bn_scale`, [C], 'float32', { data: s });
    const tId = this.addTensor(`${outName}/bn_offset`, [C], 'float32', { data: t });
    const mid: TensorValue = { kind: 'tensor', id: -1, onnxShape: [...x.onnxShape], nhwc: x.nhwc };
    mid.id = this.addTensor(`${outName}/bn_mul`, irShapeOf(mid), 'float32');
    this.emit('MUL', [x.id, sId], [mid.id], { activation: 'NONE' });
    const out = this.outputTensor(n, 0, [...x.onnxShape], x.nhwc, 'float32');
    this.emit('ADD', [mid.id, tId], [out.id], { activation: 'NONE' });
  }

  private pool(n: NodeInfo): void {
    const x = this.spatialInput(n);
    const [N, C, inH, inW] = x.onnxShape;
    const ks = this.attrInts(n, 'kernel_shape');
    if (!ks || ks.length !== 2) this.unsupported(n, `kernel_shape [${ks?.join(', ') ?? ''}] must have 2 values`);
    const [kH, kW] = ks;
    const [sH, sW] = this.attrInts(n, 'strides') ?? [1, 1];
    const dil = this.attrInts(n, 'dilations') ?? [1, 1];
    if (dil.some((d) => d !== 1)) this.unsupported(n, `dilated pooling (dilations [${dil.join(', ')}]) is not supported`);
    if (n.node.output.length > 1 && n.node.output[1]) this.unsupported(n, 'the Indices output of MaxPool is not supported');
    const pads = this.windowPads(n, inH, inW, kH, kW, sH, sW, 1, 1);
    const ceil = this.attrInt(n, 'ceil_mode', 0) === 1;
    const size = (inSize: number, k: number, s: number, b: number, e: number, round: (v: number) => number): number => round((inSize + b + e - k) / s) + 1;
    const outH = size(inH, kH, sH, pads[0], pads[2], Math.floor);
    const outW = size(inW, kW, sW, pads[1], pads[3], Math.floor);
    if (ceil && (size(inH, kH, sH, pads[0], pads[2], Math.ceil) !== outH || size(inW, kW, sW, pads[1], pads[3], Math.ceil) !== outW)) {
      this.unsupported(n, 'ceil_mode=1 with a window that does not tile the input exactly is not supported');
    }
    const isMax = n.opType === 'MaxPool';
    let padding = this.matchPadding(pads, inH, inW, kH, kW, sH, sW, 1, 1);
    let input = x;
    if (padding === 'SAME' && !isMax && this.attrInt(n, 'count_include_pad', 0) === 1) padding = undefined;
    if (!padding) {
      const zeroNeutral = isMax ? x.nonNegative : this.attrInt(n, 'count_include_pad', 0) === 1;
      if (!zeroNeutral) {
        this.unsupported(
          n,
          `padding [${pads.join(', ')}] differs from TFLite's SAME padding${isMax ? ' and the input is not known to be non-negative, so zero padding would change the maximum' : ' and count_include_pad=0'}; tinyml cannot express it`,
        );
      }
      input = this.explicitPad(n, x, pads);
      padding = 'VALID';
    }
    const out = this.outputTensor(n, 0, [N, C, outH, outW], true, this.tensors[x.id].dtype, { nonNegative: x.nonNegative });
    const attrs = { padding, strideH: sH, strideW: sW, filterH: kH, filterW: kW, activation: 'NONE' as FusedActivation };
    this.emit(isMax ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', [input.id], [out.id], attrs);
  }

  private globalPool(n: NodeInfo): void {
    const x = this.spatialInput(n);
    const [N, C, H, W] = x.onnxShape;
    const dtype = this.tensors[x.id].dtype;
    const out = this.outputTensor(n, 0, [N, C, 1, 1], true, dtype, { nonNegative: x.nonNegative });
    if (n.opType === 'GlobalAveragePool') {
      const axes = this.int32Const(`${n.node.output[0]}/axes`, [1, 2]);
      this.emit('MEAN', [x.id, axes], [out.id], { keepDims: true });
    } else {
      this.emit('MAX_POOL_2D', [x.id], [out.id], { padding: 'VALID', strideH: 1, strideW: 1, filterH: H, filterW: W, activation: 'NONE' });
    }
  }

  private binary(n: NodeInfo): void {
    const a = this.requireValue(n, 0, 'A');
    const b = this.requireValue(n, 1, 'B');
    const op = n.opType as 'Add' | 'Sub' | 'Mul' | 'Div';
    if (a.kind === 'const' && b.kind === 'const') {
      this.setConst(n, constBinary(n, op, a.c, b.c));
      return;
    }
    let type: 'ADD' | 'SUB' | 'MUL' = op === 'Add' ? 'ADD' : op === 'Sub' ? 'SUB' : 'MUL';
    let lhs: TensorValue;
    let rhs: TensorValue;
    if (op === 'Div') {
      if (b.kind !== 'const') this.unsupported(n, 'Div by a non-constant is not supported (tinyml has no DIV op; division by a constant becomes MUL by its reciprocal)');
      lhs = a as TensorValue;
      const inv = constFloat(b.c).map((v) => 1 / v);
      rhs = this.operandFor(n, 1, { dtype: 'float32', shape: b.c.shape, data: inv }, lhs);
      type = 'MUL';
    } else if (a.kind === 'tensor' && b.kind === 'tensor') {
      if (a.flatten || b.flatten) this.unsupported(n, 'elementwise ops on a flattened NCHW tensor are not supported');
      const scalar = (v: TensorValue): boolean => elementCount(v.onnxShape) === 1;
      if ((a.nhwc || b.nhwc) && !(a.nhwc && b.nhwc) && !scalar(a) && !scalar(b)) {
        // ONNX broadcasting aligns trailing axes (W of NCHW); the NHWC layout cannot express it.
        this.unsupported(n, `cannot broadcast activations of shapes [${a.onnxShape.join(', ')}] and [${b.onnxShape.join(', ')}] in tinyml's NHWC layout`);
      }
      lhs = a;
      rhs = b;
    } else if (a.kind === 'tensor') {
      lhs = a;
      rhs = this.operandFor(n, 1, (b as ConstValue).c, a);
    } else {
      rhs = b as TensorValue;
      lhs = this.operandFor(n, 0, a.c, rhs);
    }
    const onnxShape = broadcastShapes(a.kind === 'tensor' ? a.onnxShape : a.c.shape, b.kind === 'tensor' ? b.onnxShape : b.c.shape);
    if (!onnxShape) this.unsupported(n, 'the operand shapes do not broadcast');
    const nhwc = (a.kind === 'tensor' && a.nhwc) || (b.kind === 'tensor' && b.nhwc);
    if (nhwc && onnxShape.length !== 4) this.unsupported(n, `broadcasting a rank-4 activation to rank ${onnxShape.length} is not supported`);
    const flatten = (a.kind === 'tensor' && a.flatten) || (b.kind === 'tensor' && b.flatten) || undefined;
    const dtype = this.tensors[lhs.id].dtype === 'float32' || this.tensors[rhs.id].dtype === 'float32' ? 'float32' : this.tensors[lhs.id].dtype;
    const out = this.outputTensor(n, 0, onnxShape, nhwc, dtype, { flatten });
    this.emit(type, [lhs.id, rhs.id], [out.id], { activation: 'NONE' });
  }

  /** FULLY_CONNECTED from weights [out, in] (ONNX orientation of Gemm with transB=1). */
  private dense(n: NodeInfo, x: TensorValue, w: OnnxConst, wName: string, bias: { name: string; data: Float32Array } | undefined, keepNumDims: boolean): void {
    const [units, inDim] = w.shape;
    const xIn = x.onnxShape[x.onnxShape.length - 1];
    if (xIn !== inDim) throw new ModelFormatError(`${n.label}: input has ${xIn} features, weights expect ${inDim}`);
    let wc = w;
    if (x.flatten) {
      // IR column j (HWC order) must read ONNX column (CHW order) of the same element.
      const { c: C, h: H, w: W } = x.flatten;
      const perm = new Int32Array(inDim);
      for (let h = 0; h < H; h++) for (let ww = 0; ww < W; ww++) for (let c = 0; c < C; c++) perm[(h * W + ww) * C + c] = c * H * W + h * W + ww;
      if (wc.quant && wc.quant.scale.length > 1 && wc.quant.axis === 1) this.unsupported(n, 'weights quantized per input feature cannot be permuted');
      const data = wc.data.slice() as TensorData;
      for (let o = 0; o < units; o++) for (let j = 0; j < inDim; j++) (data as Float32Array)[o * inDim + j] = (wc.data as Float32Array)[o * inDim + perm[j]];
      wc = { ...wc, data };
    }
    const weights = this.weightTensor(wName, wc, undefined, n);
    const inputs = [x.id, weights];
    if (bias) inputs.push(this.addTensor(bias.name, [units], 'float32', { data: bias.data }));
    const outShape = keepNumDims ? [...x.onnxShape.slice(0, -1), units] : [elementCount(x.onnxShape) / inDim, units];
    const out = this.outputTensor(n, 0, outShape, false, 'float32');
    this.emit('FULLY_CONNECTED', inputs, [out.id], { activation: 'NONE', keepNumDims });
  }

  private gemm(n: NodeInfo): void {
    const a = this.tensorIn(n, 0, 'A');
    if (a.onnxShape.length !== 2) this.unsupported(n, `A has shape [${a.onnxShape.join(', ')}]; Gemm needs a 2-D input`);
    if (this.attrInt(n, 'transA', 0) !== 0) this.unsupported(n, 'transA=1 is not supported');
    let w = this.constIn(n, 1, 'B');
    if (w.shape.length !== 2) throw new ModelFormatError(`${n.label}: B has shape [${w.shape.join(', ')}], expected 2-D`);
    if (this.attrInt(n, 'transB', 0) === 0) w = transposeConst(w, [1, 0]);
    const alpha = this.attrFloat(n, 'alpha', 1);
    const beta = this.attrFloat(n, 'beta', 1);
    if (alpha !== 1) {
      if (w.dequantized) this.unsupported(n, `alpha=${alpha} with quantized weights is not supported`);
      w = { ...w, dtype: 'float32', data: constFloat(w).map((v) => v * alpha) };
    }
    const units = w.shape[0];
    const c = this.optionalConst(n, 2, 'C');
    let bias: { name: string; data: Float32Array } | undefined;
    if (c) {
      const cs = c.shape;
      if (elementCount(cs) !== 1 && cs[cs.length - 1] !== units) this.unsupported(n, `bias C of shape [${cs.join(', ')}] is not a per-output vector of ${units}`);
      if (cs.length === 2 && cs[0] !== 1) this.unsupported(n, `bias C of shape [${cs.join(', ')}] varies per row`);
      bias = { name: this.inputName(n, 2)!, data: Float32Array.from(broadcastTo(constFloat(c), cs.length ? [elementCount(cs)] : [1], [units]), (v) => v * beta) };
    }
    this.dense(n, a, w, this.inputName(n, 1)!, bias, false);
  }

  private matmul(n: NodeInfo): void {
    const a = this.tensorIn(n, 0, 'A');
    const bv = this.requireValue(n, 1, 'B');
    if (bv.kind !== 'const') this.unsupported(n, 'MatMul of two activations is not supported; B must be a constant weight matrix');
    if (bv.c.shape.length !== 2) this.unsupported(n, `B has shape [${bv.c.shape.join(', ')}]; tinyml supports a 2-D weight matrix`);
    if (a.onnxShape.length < 2) this.unsupported(n, `A has shape [${a.onnxShape.join(', ')}]; MatMul needs at least 2-D`);
    if (a.nhwc && !orderEquivalent(a)) this.unsupported(n, 'MatMul on a rank-4 NCHW activation is not supported');
    this.dense(n, a, transposeConst(bv.c, [1, 0]), this.inputName(n, 1)!, undefined, a.onnxShape.length > 2);
  }

  /** Reshape of an activation to `target` (ONNX shape, fully resolved). */
  private reshapeTo(n: NodeInfo, x: TensorValue, target: number[]): void {
    const dtype = this.tensors[x.id].dtype;
    const same = target.length === x.onnxShape.length && target.every((d, i) => d === x.onnxShape[i]);
    if (same) {
      this.alias(n, x);
      return;
    }
    const emitReshape = (v: TensorValue): void => {
      const out = this.outputTensor(n, 0, target, v.nhwc, dtype, { flatten: v.flatten, nonNegative: x.nonNegative });
      const irShape = irShapeOf(out);
      const shapeId = this.int32Const(`${n.node.output[0]}/shape`, irShape);
      this.emit('RESHAPE', [x.id, shapeId], [out.id], { newShape: irShape });
    };
    if (x.flatten) this.unsupported(n, `reshaping a flattened NCHW tensor (spatial ${x.flatten.h}x${x.flatten.w}) again is not supported`);
    const plainInput = orderEquivalent(x);
    if (target.length === 4) {
      const [, c, h, w] = target;
      if (plainInput && (c === 1 || h * w === 1)) {
        emitReshape({ kind: 'tensor', id: -1, onnxShape: target, nhwc: true });
        return;
      }
      this.unsupported(n, `reshape of [${x.onnxShape.join(', ')}] to NCHW [${target.join(', ')}] would reorder elements in tinyml's NHWC layout`);
    }
    if (plainInput) {
      emitReshape({ kind: 'tensor', id: -1, onnxShape: target, nhwc: false });
      return;
    }
    const [N, C, H, W] = x.onnxShape;
    if (target.length === 2 && target[0] === N && target[1] === C * H * W) {
      emitReshape({ kind: 'tensor', id: -1, onnxShape: target, nhwc: false, flatten: { c: C, h: H, w: W } });
      return;
    }
    this.unsupported(
      n,
      `reshape of the NCHW activation [${x.onnxShape.join(', ')}] to [${target.join(', ')}] changes the element order in tinyml's NHWC layout; tinyml supports flattening to [N, C*H*W] before a Gemm/MatMul, and reshapes of 1x1-spatial or single-channel tensors`,
    );
  }

  private flatten(n: NodeInfo): void {
    const v = this.requireValue(n, 0, 'input');
    const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
    let axis = this.attrInt(n, 'axis', 1);
    if (axis < 0) axis += shape.length;
    const target = [elementCount(shape.slice(0, axis)), elementCount(shape.slice(axis))];
    if (v.kind === 'const') this.setConst(n, { ...v.c, shape: target });
    else this.reshapeTo(n, v, target);
  }

  private reshapeNode(n: NodeInfo): void {
    const v = this.requireValue(n, 0, 'data');
    let target: number[];
    if (this.opset >= 5) target = constNumbers(this.constIn(n, 1, 'shape'));
    else target = this.attrInts(n, 'shape') ?? [];
    const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
    const allowZero = this.attrInt(n, 'allowzero', 0) === 1;
    target = target.map((d, i) => (d === 0 && !allowZero ? shape[i] : d));
    const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const count = elementCount(shape);
    if (target.filter((d) => d === -1).length > 1) throw new ModelFormatError(`${n.label}: shape [${target.join(', ')}] has more than one -1`);
    target = target.map((d) => (d === -1 ? count / known : d));
    if (elementCount(target) !== count || target.some((d) => !Number.isInteger(d))) {
      throw new ModelFormatError(`${n.label}: cannot reshape [${shape.join(', ')}] to [${target.join(', ')}]`);
    }
    if (v.kind === 'const') this.setConst(n, { ...v.c, shape: target });
    else this.reshapeTo(n, v, target);
  }

  private squeezeNode(n: NodeInfo): void {
    const v = this.requireValue(n, 0, 'data');
    const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
    let axes = this.opset >= 13 ? (this.value(n, 1) ? constNumbers(this.constIn(n, 1, 'axes')) : undefined) : this.attrInts(n, 'axes');
    let target: number[];
    if (n.opType === 'Squeeze') {
      axes = (axes ?? shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => (a < 0 ? a + shape.length : a));
      target = shape.filter((_, i) => !axes!.includes(i));
    } else {
      if (!axes) throw new ModelFormatError(`${n.label}: Unsqueeze needs axes`);
      const rank = shape.length + axes.length;
      const norm = axes.map((a) => (a < 0 ? a + rank : a));
      target = [];
      let k = 0;
      for (let i = 0; i < rank; i++) target.push(norm.includes(i) ? 1 : shape[k++]);
    }
    if (v.kind === 'const') this.setConst(n, { ...v.c, shape: target });
    else this.reshapeTo(n, v, target);
  }

  /** ONNX axis (possibly negative) of a value → IR axis. */
  private irAxis(n: NodeInfo, x: TensorValue, axis: number): number {
    const rank = x.onnxShape.length;
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) throw new ModelFormatError(`${n.label}: axis ${axis} is out of range for rank ${rank}`);
    if (x.flatten && a === 1) this.unsupported(n, 'an op along a flattened NCHW axis is not supported');
    return x.nhwc ? NCHW_TO_NHWC_AXIS[a] : a;
  }

  private softmax(n: NodeInfo): void {
    const x = this.tensorIn(n, 0);
    const rank = x.onnxShape.length;
    let axis = this.attrInt(n, 'axis', this.opset >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    if (this.opset < 13 && x.onnxShape.slice(axis + 1).some((d) => d !== 1)) {
      this.unsupported(n, `Softmax (opset ${this.opset}) over the flattened axes ${axis}..${rank - 1} is not supported`);
    }
    const ir = this.irAxis(n, x, axis);
    if (ir !== irShapeOf(x).length - 1) this.unsupported(n, `Softmax along axis ${axis} is not the innermost axis in tinyml's NHWC layout (TFLite's SOFTMAX works on the last axis)`);
    const out = this.outputTensor(n, 0, [...x.onnxShape], x.nhwc, 'float32', { nonNegative: true });
    this.emit('SOFTMAX', [x.id], [out.id], { beta: 1 });
  }

  private concat(n: NodeInfo): void {
    const vals = n.node.input.map((_, k) => this.requireValue(n, k, `input ${k}`));
    const axisAttr = this.attrInt(n, 'axis', 0);
    if (vals.every((v) => v.kind === 'const')) {
      this.setConst(n, constConcat(n, vals.map((v) => (v as ConstValue).c), axisAttr));
      return;
    }
    const like = vals.find((v): v is TensorValue => v.kind === 'tensor')!;
    const rank = like.onnxShape.length;
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    const ids: number[] = [];
    const shapes: number[][] = [];
    vals.forEach((v, k) => {
      let t: TensorValue;
      if (v.kind === 'const') {
        if (like.nhwc) {
          const c = v.c;
          const id = this.addTensor(this.inputName(n, k)!, toNhwc(c.shape), constFloat(c) === c.data ? c.dtype : 'float32', {
            data: transposeData(constFloat(c), c.shape, [0, 2, 3, 1]),
          });
          t = { kind: 'tensor', id, onnxShape: c.shape, nhwc: true };
        } else t = this.tensorIn(n, k);
      } else t = v;
      if (t.nhwc !== like.nhwc || t.flatten) this.unsupported(n, 'Concat of activations in different layouts is not supported');
      ids.push(t.id);
      shapes.push(t.onnxShape);
    });
    const outShape = [...shapes[0]];
    outShape[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
    const out = this.outputTensor(n, 0, outShape, like.nhwc, this.tensors[like.id].dtype, { nonNegative: vals.every((v) => v.kind === 'tensor' && v.nonNegative) });
    this.emit('CONCATENATION', ids, [out.id], { axis: this.irAxis(n, like, axis), activation: 'NONE' });
  }

  private pad(n: NodeInfo): void {
    const x = this.tensorIn(n, 0);
    const mode = this.attrString(n, 'mode', 'constant');
    if (mode !== 'constant') this.unsupported(n, `Pad mode '${mode}' is not supported (only 'constant')`);
    let pads: number[];
    let value = 0;
    if (this.opset >= 11) {
      pads = constNumbers(this.constIn(n, 1, 'pads'));
      const cv = this.optionalConst(n, 2, 'constant_value');
      if (cv) value = constFloat(cv)[0] ?? 0;
      if (this.value(n, 3)) this.unsupported(n, 'the axes input of Pad is not supported');
    } else {
      pads = this.attrInts(n, 'pads') ?? [];
      value = this.attrFloat(n, 'value', 0);
    }
    if (value !== 0) this.unsupported(n, `padding with ${value} is not supported (only 0)`);
    const rank = x.onnxShape.length;
    if (pads.length !== 2 * rank) throw new ModelFormatError(`${n.label}: pads has ${pads.length} values for a rank-${rank} input`);
    if (pads.some((p) => p < 0)) this.unsupported(n, 'negative pads (cropping) are not supported');
    if (x.flatten) this.unsupported(n, 'padding a flattened NCHW tensor is not supported');
    const onnxShape = x.onnxShape.map((d, i) => d + pads[i] + pads[i + rank]);
    const irPairs: number[] = [];
    for (let irA = 0; irA < rank; irA++) {
      const a = x.nhwc ? [0, 2, 3, 1][irA] : irA;
      irPairs.push(pads[a], pads[a + rank]);
    }
    const paddings = this.int32Const(`${n.node.output[0]}/paddings`, irPairs, [rank, 2]);
    const out = this.outputTensor(n, 0, onnxShape, x.nhwc, this.tensors[x.id].dtype, { nonNegative: x.nonNegative });
    this.emit('PAD', [x.id, paddings], [out.id], {});
  }

  private reduceMean(n: NodeInfo): void {
    const x = this.tensorIn(n, 0);
    const rank = x.onnxShape.length;
    let axes = this.opset >= 18 ? (this.value(n, 1) ? constNumbers(this.constIn(n, 1, 'axes')) : undefined) : this.attrInts(n, 'axes');
    const keepDims = this.attrInt(n, 'keepdims', 1) === 1;
    if (!axes || axes.length === 0) {
      if (this.attrInt(n, 'noop_with_empty_axes', 0) === 1) {
        this.alias(n, x);
        return;
      }
      axes = x.onnxShape.map((_, i) => i);
    }
    const norm = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
    const onnxShape = keepDims ? x.onnxShape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.onnxShape.filter((_, i) => !norm.includes(i));
    let nhwc = x.nhwc;
    if (x.nhwc && !keepDims) {
      const dropsC = norm.includes(1);
      const dropsHW = norm.includes(2) && norm.includes(3);
      if (!dropsC && !dropsHW && !(x.onnxShape[2] * x.onnxShape[3] === 1) && !(x.onnxShape[1] === 1)) {
        this.unsupported(n, `ReduceMean over axes [${norm.join(', ')}] without keepdims reorders the NCHW result in tinyml's NHWC layout`);
      }
      nhwc = false;
    }
    const irAxes = norm.map((a) => this.irAxis(n, x, a)).sort((p, q) => p - q);
    const axesId = this.int32Const(`${n.node.output[0]}/axes`, irAxes);
    const out = this.outputTensor(n, 0, onnxShape, nhwc, this.tensors[x.id].dtype, { nonNegative: x.nonNegative });
    this.emit('MEAN', [x.id, axesId], [out.id], { keepDims });
  }

  /** Scale, zero point and axis of a QuantizeLinear/DequantizeLinear node. */
  private qParams(n: NodeInfo, rank: number, defaultZpType: DType): { quant: ConstQuant; zpType: DType } {
    const scale = constFloat(this.constIn(n, 1, 'scale'));
    const zpc = this.optionalConst(n, 2, 'zero_point');
    const zp = zpc ? constNumbers(zpc) : new Array<number>(scale.length).fill(0);
    const zpType = zpc ? zpc.dtype : defaultZpType;
    if (zp.length !== scale.length) throw new ModelFormatError(`${n.label}: ${scale.length} scales but ${zp.length} zero points`);
    let axis = this.attrInt(n, 'axis', 1);
    if (axis < 0) axis += rank;
    if (this.attr(n, 'block_size') && this.attrInt(n, 'block_size', 0) !== 0) this.unsupported(n, 'blocked quantization is not supported');
    return { quant: { scale: Array.from(scale), zeroPoint: zp, axis: scale.length === 1 ? 0 : axis }, zpType };
  }

  private quantizeLinear(n: NodeInfo): void {
    const v = this.requireValue(n, 0, 'x');
    const rank = v.kind === 'tensor' ? v.onnxShape.length : v.c.shape.length;
    const { quant, zpType } = this.qParams(n, rank, 'uint8');
    if (!['int8', 'uint8', 'int16', 'int32'].includes(zpType)) this.unsupported(n, `quantizing to ${zpType} is not supported`);
    if (v.kind === 'const') {
      const x = constFloat(v.c);
      const data = quantizeConst(x, v.c.shape, quant, zpType);
      this.setConst(n, toSigned({ dtype: zpType, shape: [...v.c.shape], data, quant }));
      return;
    }
    const signed = toSignedQuant(quant, zpType);
    if (signed.quant.scale.length > 1) this.unsupported(n, 'per-axis quantization of an activation is not supported (TFLite quantizes activations per tensor)');
    const out = this.outputTensor(n, 0, [...v.onnxShape], v.nhwc, signed.dtype, { flatten: v.flatten, nonNegative: v.nonNegative }, toQuantization(signed.quant));
    this.emit('QUANTIZE', [v.id], [out.id], {});
  }

  private dequantizeLinear(n: NodeInfo): void {
    const v = this.requireValue(n, 0, 'x');
    if (v.kind === 'const') {
      const { quant } = this.qParams(n, v.c.shape.length, v.c.dtype);
      this.setConst(n, { ...toSigned({ ...v.c, quant }), dequantized: true });
      return;
    }
    const xt = this.tensors[v.id];
    const { quant, zpType } = this.qParams(n, v.onnxShape.length, xt.dtype);
    if (quant.scale.length > 1) this.unsupported(n, 'per-axis dequantization of an activation is not supported');
    // A uint8 QuantizeLinear output was imported as the equivalent int8 tensor.
    const irQuant = toQuantization(zpType === 'uint8' && xt.dtype === 'int8' ? toSignedQuant(quant, 'uint8').quant : quant);
    if (!xt.quant) {
      xt.quant = irQuant;
    } else if (!sameQuant(xt.quant, irQuant)) {
      this.unsupported(n, `dequantizes '${xt.name}' with scale ${quant.scale[0]} / zero point ${quant.zeroPoint[0]}, but it was quantized with scale ${xt.quant.scale[0]} / zero point ${xt.quant.zeroPoint[0]}`);
    }
    const out = this.outputTensor(n, 0, [...v.onnxShape], v.nhwc, 'float32', { flatten: v.flatten, nonNegative: v.nonNegative });
    this.emit('DEQUANTIZE', [v.id], [out.id], {});
  }

  private constant(n: NodeInfo): void {
    const a = n.node.attribute[0];
    if (!a) throw new ModelFormatError(`${n.label}: Constant has no value attribute`);
    switch (a.name) {
      case 'value':
        if (!a.t) throw new ModelFormatError(`${n.label}: Constant value is not a tensor`);
        return this.setConst(n, decodeTensorProto(a.t, `${n.label} value`));
      case 'value_float':
        return this.setConst(n, makeConst('float32', [], [a.f ?? 0]));
      case 'value_floats':
        return this.setConst(n, makeConst('float32', [a.floats.length], a.floats));
      case 'value_int':
        return this.setConst(n, makeConst('int64', [], [int64ToNumber(a.i)]));
      case 'value_ints':
        return this.setConst(n, makeConst('int64', [a.ints.length], a.ints.map((v) => int64ToNumber(v))));
      default:
        this.unsupported(n, `Constant with attribute '${a.name}' is not supported`);
    }
  }

  private shapeNode(n: NodeInfo): void {
    const v = this.requireValue(n, 0, 'data');
    const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
    const rank = shape.length;
    let start = this.attrInt(n, 'start', 0);
    let end = this.attrInt(n, 'end', rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    const dims = shape.slice(Math.max(0, start), Math.min(rank, end));
    this.setConst(n, makeConst('int64', [dims.length], dims));
  }

  private gather(n: NodeInfo): void {
    const data = this.constIn(n, 0, 'data');
    const idx = this.constIn(n, 1, 'indices');
    let axis = this.attrInt(n, 'axis', 0);
    if (axis < 0) axis += data.shape.length;
    const vals = constNumbers(data);
    const indices = constNumbers(idx);
    const shape = data.shape;
    const outer = elementCount(shape.slice(0, axis));
    const inner = elementCount(shape.slice(axis + 1));
    const dim = shape[axis];
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (let ii of indices) {
        if (ii < 0) ii += dim;
        for (let k = 0; k < inner; k++) out.push(vals[(o * dim + ii) * inner + k]);
      }
    }
    this.setConst(n, makeConst(data.dtype, [...shape.slice(0, axis), ...idx.shape, ...shape.slice(axis + 1)], out));
  }

  private cast(n: NodeInfo): void {
    const v = this.requireValue(n, 0, 'input');
    const to = irDtypeOf(this.attrInt(n, 'to', 1), `${n.label} target type`);
    if (v.kind === 'const') {
      const vals = v.c.dequantized ? Array.from(constFloat(v.c)) : constNumbers(v.c);
      this.setConst(n, makeConst(to, [...v.c.shape], to === 'float32' ? vals : vals.map((x) => Math.trunc(x))));
      return;
    }
    if (this.tensors[v.id].dtype === to) {
      this.alias(n, v);
      return;
    }
    this.unsupported(n, `Cast of an activation from ${this.tensors[v.id].dtype} to ${to} is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function toQuantization(q: ConstQuant): Quantization {
  return { scale: q.scale.map((s) => Math.fround(s)), zeroPoint: [...q.zeroPoint], quantizedDimension: q.scale.length > 1 ? q.axis : 0 };
}

function sameQuant(a: Quantization, b: Quantization): boolean {
  return a.scale.length === b.scale.length && a.scale.every((s, i) => Math.fround(s) === Math.fround(b.scale[i]) && a.zeroPoint[i] === b.zeroPoint[i]);
}

/** uint8 quantization → the equivalent int8 quantization (values and zero points - 128). */
function toSignedQuant(q: ConstQuant, dtype: DType): { quant: ConstQuant; dtype: DType } {
  if (dtype !== 'uint8') return { quant: q, dtype };
  return { quant: { ...q, zeroPoint: q.zeroPoint.map((z) => z - 128) }, dtype: 'int8' };
}

function toSigned(c: OnnxConst): OnnxConst {
  if (c.dtype !== 'uint8' || !c.quant) return c;
  const data = Int8Array.from(c.data as Uint8Array, (v) => v - 128);
  return { ...c, dtype: 'int8', data, quant: toSignedQuant(c.quant, 'uint8').quant };
}

function constBinary(n: NodeInfo, op: 'Add' | 'Sub' | 'Mul' | 'Div', a: OnnxConst, b: OnnxConst): OnnxConst {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) throw new ModelFormatError(`${n.label}: constant shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not broadcast`);
  const isFloat = a.dtype === 'float32' || b.dtype === 'float32' || a.dequantized || b.dequantized;
  const av = broadcastTo(isFloat ? constFloat(a) : constNumbers(a), a.shape, shape);
  const bv = broadcastTo(isFloat ? constFloat(b) : constNumbers(b), b.shape, shape);
  const f = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y, Div: (x: number, y: number) => (isFloat ? x / y : Math.trunc(x / y)) }[op];
  return makeConst(isFloat ? 'float32' : a.dtype, shape, av.map((x, i) => f(x, bv[i])));
}

function constConcat(n: NodeInfo, cs: OnnxConst[], axisAttr: number): OnnxConst {
  const rank = cs[0].shape.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const outShape = [...cs[0].shape];
  outShape[axis] = cs.reduce((s, c) => s + c.shape[axis], 0);
  const outer = elementCount(outShape.slice(0, axis));
  const vals: number[] = [];
  const isFloat = cs.some((c) => c.dtype === 'float32' || c.dequantized);
  const datas = cs.map((c) => (isFloat ? Array.from(constFloat(c)) : constNumbers(c)));
  for (let o = 0; o < outer; o++) {
    cs.forEach((c, k) => {
      const chunk = elementCount(c.shape.slice(axis));
      for (let i = 0; i < chunk; i++) vals.push(datas[k][o * chunk + i]);
    });
  }
  if (cs.some((c) => c.shape.length !== rank)) throw new ModelFormatError(`${n.label}: Concat inputs have different ranks`);
  return makeConst(isFloat ? 'float32' : cs[0].dtype, outShape, vals);
}
