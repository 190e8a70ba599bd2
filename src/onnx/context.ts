/**
 * The state of one ONNX import and the helpers every converter uses: IR tensors and ops being
 * built, the value each ONNX name stands for, typed access to node inputs and attributes.
 */
import { ModelFormatError, UnsupportedOpError } from '../errors.js';
import type { OpAttrs, OpType } from '../ir/attrs.js';
import type { DType, Op, Quantization, Tensor, TensorData } from '../ir/types.js';
import type { SubByteKind, WeightEncoding } from '../ir/weight-encoding.js';
import { narrowestSubByteKind } from '../ir/weight-packing.js';
import { fourBitWeights } from './converters/sub-byte-weights.js';
import { toQuantization } from './quant.js';
import { int64ToNumber, type OnnxAttributeProto, type OnnxModelProto, type OnnxValueInfoProto } from './schema.js';
import { constFloat, irDtypeOf, transposeConst, transposeData, type OnnxConst } from './tensors.js';
import { irShapeOf, NCHW_TO_NHWC_AXIS, toNhwc, type NodeInfo, type TensorValue, type Value } from './values.js';

export class OnnxContext {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  readonly values = new Map<string, Value>();
  private readonly usedNames = new Set<string>();
  /** The default-domain opset version (13 when the model does not say). */
  readonly opset: number;

  constructor(readonly model: OnnxModelProto) {
    const def = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = def ? int64ToNumber(def.version) : 13;
  }

  /** Graph inputs quantized to uint8 and graph outputs dequantized from uint8 (ONNX names). */
  readonly uint8Io = { inputs: new Set<string>(), outputs: new Set<string>() };
  /** Activations that are uint8 in the model and held as the equivalent int8 (QuantizeLinear to uint8). */
  readonly uint8HeldSigned = new Set<number>();
  /**
   * int8 weights whose values all lie in a narrower width (a QAT export of a 4-bit or ternary
   * fake-quant range), stored packed: weight name → kind.
   */
  readonly narrowedWeights = new Map<string, SubByteKind>();

  isGraphInput(name: string | undefined): boolean {
    return !!name && (this.model.graph?.input ?? []).some((vi) => vi.name === name);
  }

  isGraphOutput(name: string | undefined): boolean {
    return !!name && (this.model.graph?.output ?? []).some((vi) => vi.name === name);
  }

  /** Records that a graph input/output is uint8 in the model's quantized domain. */
  markUint8Io(side: 'inputs' | 'outputs', name: string): void {
    this.uint8Io[side].add(name);
  }

  uniqueName(base: string): string {
    let nm = base || `t${this.tensors.length}`;
    if (this.usedNames.has(nm)) {
      let k = 1;
      while (this.usedNames.has(`${nm}_${k}`)) k++;
      nm = `${nm}_${k}`;
    }
    this.usedNames.add(nm);
    return nm;
  }

  addTensor(name: string, shape: number[], dtype: DType, extra: { data?: TensorData; quant?: Quantization } = {}): number {
    const id = this.tensors.length;
    const t: Tensor = { id, name: this.uniqueName(name), shape: [...shape], dtype };
    if (extra.quant) t.quant = extra.quant;
    if (extra.data) t.data = extra.data;
    this.tensors.push(t);
    return id;
  }

  emit<T extends OpType>(type: T, inputs: number[], outputs: number[], attrs: OpAttrs[T]): void {
    this.ops.push({ index: this.ops.length, type, inputs, outputs, attrs } as unknown as Op);
  }

  int32Const(name: string, values: number[], shape = [values.length]): number {
    return this.addTensor(name, shape, 'int32', { data: Int32Array.from(values) });
  }

  /** An IR constant from an ONNX constant in its current layout (dequantized to float when it is a DequantizeLinear output). */
  constTensor(name: string, c: OnnxConst, shape = c.shape): number {
    if (c.dequantized) return this.addTensor(name, shape, 'float32', { data: constFloat(c) });
    return this.addTensor(name, shape, c.dtype, { data: c.data, quant: c.quant ? toQuantization(c.quant) : undefined });
  }

  /** A weight: float constant, or int8 constant + DEQUANTIZE for a DequantizeLinear'd constant. */
  /** An integer weight constant followed by its DEQUANTIZE (the pattern QDQ folding turns into an int8 layer). */
  private quantizedWeight(name: string, shape: number[], dtype: DType, w: { data: TensorData; quant: Quantization; encoding?: WeightEncoding }): number {
    const q = this.addTensor(name, shape, dtype, { data: w.data, quant: w.quant });
    if (w.encoding) this.tensors[q].weightEncoding = w.encoding;
    const f = this.addTensor(`${name}/dequantized`, shape, 'float32');
    this.emit('DEQUANTIZE', [q], [f], {});
    return f;
  }

  weightTensor(name: string, c: OnnxConst, perm: number[] | undefined, n: NodeInfo): number {
    const t = perm ? transposeConst(c, perm) : c;
    if (t.dequantized && t.packedBits === 4) return this.quantizedWeight(name, t.shape, 'int8', fourBitWeights(this, n, name, t));
    if (t.dequantized && t.quant && (t.dtype === 'int8' || t.dtype === 'int16')) {
      const quant = toQuantization(t.quant);
      // Symmetric int8 weights whose every value fits a narrower width (PyTorch exports a 4-bit or
      // ternary fake-quant range as int8): the same values, stored packed.
      const kind = t.dtype === 'int8' && quant.zeroPoint.every((z) => z === 0) ? narrowestSubByteKind(t.data as Int8Array) : undefined;
      if (kind) this.narrowedWeights.set(name, kind);
      return this.quantizedWeight(name, t.shape, t.dtype, { data: t.data, quant, ...(kind ? { encoding: { kind } } : {}) });
    }
    if (!t.dequantized && t.dtype !== 'float32') {
      throw new UnsupportedOpError(`${n.label}: weights '${name}' are ${t.dtype}; tinyml imports float weights or DequantizeLinear of int8 or INT4/UINT4 weights`);
    }
    return this.constTensor(name, t);
  }

  outputTensor(n: NodeInfo, k: number, onnxShape: number[], nhwc: boolean, dtype: DType, extra: Partial<TensorValue> = {}, quant?: Quantization): TensorValue {
    const outName = n.node.output[k];
    if (!outName) throw new ModelFormatError(`${n.label}: output ${k} has no name`);
    const v: TensorValue = { kind: 'tensor', id: -1, onnxShape, nhwc, ...extra };
    v.id = this.addTensor(outName, irShapeOf(v), dtype, { quant });
    this.values.set(outName, v);
    return v;
  }

  setConst(n: NodeInfo, c: OnnxConst, k = 0): void {
    const outName = n.node.output[k];
    if (!outName) throw new ModelFormatError(`${n.label}: output ${k} has no name`);
    this.values.set(outName, { kind: 'const', c });
  }

  alias(n: NodeInfo, v: Value): void {
    const outName = n.node.output[0];
    if (!outName) throw new ModelFormatError(`${n.label}: output 0 has no name`);
    this.values.set(outName, v);
  }

  graphInput(vi: OnnxValueInfoProto): number {
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

  graphOutput(vi: OnnxValueInfoProto): number {
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

  inputName(n: NodeInfo, k: number): string | undefined {
    const nm = n.node.input[k];
    return nm ? nm : undefined;
  }

  value(n: NodeInfo, k: number): Value | undefined {
    const nm = this.inputName(n, k);
    if (nm === undefined) return undefined;
    const v = this.values.get(nm);
    if (!v) throw new ModelFormatError(`${n.label}: input ${k} '${nm}' is not produced by an earlier node, an initializer or a graph input`);
    return v;
  }

  requireValue(n: NodeInfo, k: number, what: string): Value {
    const v = this.value(n, k);
    if (!v) throw new ModelFormatError(`${n.label}: required input ${k} (${what}) is missing`);
    return v;
  }

  /** An activation input; a constant is turned into an IR constant tensor (plain layout). */
  tensorIn(n: NodeInfo, k: number, what = 'input'): TensorValue {
    const v = this.requireValue(n, k, what);
    if (v.kind === 'tensor') return v;
    const c = v.c;
    const id = this.constTensor(this.inputName(n, k)!, c);
    return { kind: 'tensor', id, onnxShape: [...c.shape], nhwc: false };
  }

  constIn(n: NodeInfo, k: number, what: string): OnnxConst {
    const v = this.requireValue(n, k, what);
    if (v.kind !== 'const') {
      throw new UnsupportedOpError(`${n.label}: input ${k} (${what}) '${this.inputName(n, k)}' must be a constant (an initializer or computed from constants)`);
    }
    return v.c;
  }

  optionalConst(n: NodeInfo, k: number, what: string): OnnxConst | undefined {
    return this.value(n, k) === undefined ? undefined : this.constIn(n, k, what);
  }

  attr(n: NodeInfo, name: string): OnnxAttributeProto | undefined {
    return n.node.attribute.find((a) => a.name === name);
  }

  attrInt(n: NodeInfo, name: string, def: number): number {
    const a = this.attr(n, name);
    return a ? int64ToNumber(a.i) : def;
  }

  attrFloat(n: NodeInfo, name: string, def: number): number {
    const a = this.attr(n, name);
    return a && a.f !== undefined ? a.f : def;
  }

  attrInts(n: NodeInfo, name: string): number[] | undefined {
    const a = this.attr(n, name);
    return a ? a.ints.map((v) => int64ToNumber(v)) : undefined;
  }

  attrString(n: NodeInfo, name: string, def: string): string {
    const a = this.attr(n, name);
    return a?.s ? new TextDecoder().decode(a.s) : def;
  }

  unsupported(n: NodeInfo, why: string): never {
    throw new UnsupportedOpError(`${n.label}: ${why}`);
  }

  /** A constant operand laid out to combine (by broadcasting) with activation `like`. */
  operandFor(n: NodeInfo, k: number, c: OnnxConst, like: TensorValue): TensorValue {
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

  /** ONNX axis (possibly negative) of a value → IR axis. */
  irAxis(n: NodeInfo, x: TensorValue, axis: number): number {
    const rank = x.onnxShape.length;
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) throw new ModelFormatError(`${n.label}: axis ${axis} is out of range for rank ${rank}`);
    if (x.flatten && a === 1) this.unsupported(n, 'an op along a flattened NCHW axis is not supported');
    return x.nhwc ? NCHW_TO_NHWC_AXIS[a] : a;
  }
}
