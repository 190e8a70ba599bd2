/** Constant, and the shape arithmetic evaluated at import time: Shape, Gather, Cast, ConstantOfShape. */
import { ModelFormatError } from '../../errors.js';
import { elementCount } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import { int64ToNumber } from '../schema.js';
import { constFloat, constNumbers, decodeTensorProto, irDtypeOf, makeConst } from '../tensors.js';
import type { NodeInfo } from '../values.js';

export function constant(cx: OnnxContext, n: NodeInfo): void {
  const a = n.node.attribute[0];
  if (!a) throw new ModelFormatError(`${n.label}: Constant has no value attribute`);
  switch (a.name) {
    case 'value':
      if (!a.t) throw new ModelFormatError(`${n.label}: Constant value is not a tensor`);
      return cx.setConst(n, decodeTensorProto(a.t, `${n.label} value`));
    case 'value_float':
      return cx.setConst(n, makeConst('float32', [], [a.f ?? 0]));
    case 'value_floats':
      return cx.setConst(n, makeConst('float32', [a.floats.length], a.floats));
    case 'value_int':
      return cx.setConst(n, makeConst('int64', [], [int64ToNumber(a.i)]));
    case 'value_ints':
      return cx.setConst(n, makeConst('int64', [a.ints.length], a.ints.map((v) => int64ToNumber(v))));
    default:
      cx.unsupported(n, `Constant with attribute '${a.name}' is not supported`);
  }
}

export function shapeNode(cx: OnnxContext, n: NodeInfo): void {
  const v = cx.requireValue(n, 0, 'data');
  const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
  const rank = shape.length;
  let start = cx.attrInt(n, 'start', 0);
  let end = cx.attrInt(n, 'end', rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  const dims = shape.slice(Math.max(0, start), Math.min(rank, end));
  cx.setConst(n, makeConst('int64', [dims.length], dims));
}

export function gather(cx: OnnxContext, n: NodeInfo): void {
  const data = cx.constIn(n, 0, 'data');
  const idx = cx.constIn(n, 1, 'indices');
  let axis = cx.attrInt(n, 'axis', 0);
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
  cx.setConst(n, makeConst(data.dtype, [...shape.slice(0, axis), ...idx.shape, ...shape.slice(axis + 1)], out));
}

export function cast(cx: OnnxContext, n: NodeInfo): void {
  const v = cx.requireValue(n, 0, 'input');
  const to = irDtypeOf(cx.attrInt(n, 'to', 1), `${n.label} target type`);
  if (v.kind === 'const') {
    const vals = v.c.dequantized ? Array.from(constFloat(v.c)) : constNumbers(v.c);
    cx.setConst(n, makeConst(to, [...v.c.shape], to === 'float32' ? vals : vals.map((x) => Math.trunc(x))));
    return;
  }
  // A uint8 QuantizeLinear output is held as the equivalent int8 (PyTorch casts it to uint8 again).
  if (cx.tensors[v.id].dtype === to || (to === 'uint8' && cx.uint8HeldSigned.has(v.id))) {
    cx.alias(n, v);
    return;
  }
  cx.unsupported(n, `Cast of an activation from ${cx.tensors[v.id].dtype} to ${to} is not supported`);
}

/**
 * ConstantOfShape of a constant shape (PyTorch's export of a converted quantized model makes the
 * zero points of its int32 biases this way): the `value` tensor's one element repeated, float 0
 * by default.
 */
export function constantOfShape(cx: OnnxContext, n: NodeInfo): void {
  const shape = constNumbers(cx.constIn(n, 0, 'shape'));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelFormatError(`${n.label}: bad shape [${shape.join(', ')}]`);
  const a = cx.attr(n, 'value');
  const v = a?.t ? decodeTensorProto(a.t, `${n.label} value`) : makeConst('float32', [1], [0]);
  if (v.data.length !== 1) throw new ModelFormatError(`${n.label}: value must hold one element, it holds ${v.data.length}`);
  cx.setConst(n, makeConst(v.dtype, shape, new Array<number>(elementCount(shape)).fill(constNumbers(v)[0])));
}
