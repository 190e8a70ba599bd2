/** Add, Sub, Mul, Div (by a constant: MUL by its reciprocal); evaluated at import time on constants. */
import { ModelFormatError } from '../../errors.js';
import { elementCount } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import { broadcastShape } from '../../ops/elementwise-util.js';
import { broadcastTo, constFloat, constNumbers, makeConst, type OnnxConst } from '../tensors.js';
import type { ConstValue, NodeInfo, TensorValue } from '../values.js';

export function binary(cx: OnnxContext, n: NodeInfo): void {
  const a = cx.requireValue(n, 0, 'A');
  const b = cx.requireValue(n, 1, 'B');
  const op = n.opType as 'Add' | 'Sub' | 'Mul' | 'Div';
  if (a.kind === 'const' && b.kind === 'const') {
    cx.setConst(n, constBinary(n, op, a.c, b.c));
    return;
  }
  let type: 'ADD' | 'SUB' | 'MUL' = op === 'Add' ? 'ADD' : op === 'Sub' ? 'SUB' : 'MUL';
  let lhs: TensorValue;
  let rhs: TensorValue;
  if (op === 'Div') {
    if (b.kind !== 'const') cx.unsupported(n, 'Div by a non-constant is not supported (tinyml has no DIV op; division by a constant becomes MUL by its reciprocal)');
    lhs = a as TensorValue;
    const inv = constFloat(b.c).map((v) => 1 / v);
    rhs = cx.operandFor(n, 1, { dtype: 'float32', shape: b.c.shape, data: inv }, lhs);
    type = 'MUL';
  } else if (a.kind === 'tensor' && b.kind === 'tensor') {
    if (a.flatten || b.flatten) cx.unsupported(n, 'elementwise ops on a flattened NCHW tensor are not supported');
    const scalar = (v: TensorValue): boolean => elementCount(v.onnxShape) === 1;
    if ((a.nhwc || b.nhwc) && !(a.nhwc && b.nhwc) && !scalar(a) && !scalar(b)) {
      // ONNX broadcasting aligns trailing axes (W of NCHW); the NHWC layout cannot express it.
      cx.unsupported(n, `cannot broadcast activations of shapes [${a.onnxShape.join(', ')}] and [${b.onnxShape.join(', ')}] in tinyml's NHWC layout`);
    }
    lhs = a;
    rhs = b;
  } else if (a.kind === 'tensor') {
    lhs = a;
    rhs = cx.operandFor(n, 1, (b as ConstValue).c, a);
  } else {
    rhs = b as TensorValue;
    lhs = cx.operandFor(n, 0, a.c, rhs);
  }
  const onnxShape = broadcastShape(a.kind === 'tensor' ? a.onnxShape : a.c.shape, b.kind === 'tensor' ? b.onnxShape : b.c.shape);
  if (!onnxShape) cx.unsupported(n, 'the operand shapes do not broadcast');
  const nhwc = (a.kind === 'tensor' && a.nhwc) || (b.kind === 'tensor' && b.nhwc);
  if (nhwc && onnxShape.length !== 4) cx.unsupported(n, `broadcasting a rank-4 activation to rank ${onnxShape.length} is not supported`);
  const flatten = (a.kind === 'tensor' && a.flatten) || (b.kind === 'tensor' && b.flatten) || undefined;
  const dtype = cx.tensors[lhs.id].dtype === 'float32' || cx.tensors[rhs.id].dtype === 'float32' ? 'float32' : cx.tensors[lhs.id].dtype;
  const out = cx.outputTensor(n, 0, onnxShape, nhwc, dtype, { flatten });
  cx.emit(type, [lhs.id, rhs.id], [out.id], { activation: 'NONE' });
}

function constBinary(n: NodeInfo, op: 'Add' | 'Sub' | 'Mul' | 'Div', a: OnnxConst, b: OnnxConst): OnnxConst {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new ModelFormatError(`${n.label}: constant shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not broadcast`);
  const isFloat = a.dtype === 'float32' || b.dtype === 'float32' || a.dequantized || b.dequantized;
  const av = broadcastTo(isFloat ? constFloat(a) : constNumbers(a), a.shape, shape);
  const bv = broadcastTo(isFloat ? constFloat(b) : constNumbers(b), b.shape, shape);
  const f = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y, Div: (x: number, y: number) => (isFloat ? x / y : Math.trunc(x / y)) }[op];
  return makeConst(isFloat ? 'float32' : a.dtype, shape, av.map((x, i) => f(x, bv[i])));
}
