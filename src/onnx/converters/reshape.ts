/** Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze: RESHAPE where the NHWC element order allows it. */
import { ModelFormatError } from '../../errors.js';
import { elementCount } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import { constNumbers } from '../tensors.js';
import { irShapeOf, type NodeInfo, orderEquivalent, type TensorValue } from '../values.js';

export function identity(cx: OnnxContext, n: NodeInfo): void {
  // Inference-mode Dropout passes its input through (its optional mask output is left undefined).
  cx.alias(n, cx.requireValue(n, 0, 'input'));
}

/** Reshape of an activation to `target` (ONNX shape, fully resolved). */
export function reshapeTo(cx: OnnxContext, n: NodeInfo, x: TensorValue, target: number[]): void {
  const dtype = cx.tensors[x.id].dtype;
  const same = target.length === x.onnxShape.length && target.every((d, i) => d === x.onnxShape[i]);
  if (same) {
    cx.alias(n, x);
    return;
  }
  const emitReshape = (v: TensorValue): void => {
    const out = cx.outputTensor(n, 0, target, v.nhwc, dtype, { flatten: v.flatten, nonNegative: x.nonNegative });
    const irShape = irShapeOf(out);
    const shapeId = cx.int32Const(`${n.node.output[0]}/shape`, irShape);
    cx.emit('RESHAPE', [x.id, shapeId], [out.id], { newShape: irShape });
  };
  if (x.flatten) cx.unsupported(n, `reshaping a flattened NCHW tensor (spatial ${x.flatten.h}x${x.flatten.w}) again is not supported`);
  const plainInput = orderEquivalent(x);
  if (target.length === 4) {
    const [, c, h, w] = target;
    if (plainInput && (c === 1 || h * w === 1)) {
      emitReshape({ kind: 'tensor', id: -1, onnxShape: target, nhwc: true });
      return;
    }
    cx.unsupported(n, `reshape of [${x.onnxShape.join(', ')}] to NCHW [${target.join(', ')}] would reorder elements in tinyml's NHWC layout`);
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
  cx.unsupported(
    n,
    `reshape of the NCHW activation [${x.onnxShape.join(', ')}] to [${target.join(', ')}] changes the element order in tinyml's NHWC layout; tinyml supports flattening to [N, C*H*W] before a Gemm/MatMul, and reshapes of 1x1-spatial or single-channel tensors`,
  );
}

export function flatten(cx: OnnxContext, n: NodeInfo): void {
  const v = cx.requireValue(n, 0, 'input');
  const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
  let axis = cx.attrInt(n, 'axis', 1);
  if (axis < 0) axis += shape.length;
  const target = [elementCount(shape.slice(0, axis)), elementCount(shape.slice(axis))];
  if (v.kind === 'const') cx.setConst(n, { ...v.c, shape: target });
  else reshapeTo(cx, n, v, target);
}

export function reshapeNode(cx: OnnxContext, n: NodeInfo): void {
  const v = cx.requireValue(n, 0, 'data');
  let target: number[];
  if (cx.opset >= 5) target = constNumbers(cx.constIn(n, 1, 'shape'));
  else target = cx.attrInts(n, 'shape') ?? [];
  const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
  const allowZero = cx.attrInt(n, 'allowzero', 0) === 1;
  target = target.map((d, i) => (d === 0 && !allowZero ? shape[i] : d));
  const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const count = elementCount(shape);
  if (target.filter((d) => d === -1).length > 1) throw new ModelFormatError(`${n.label}: shape [${target.join(', ')}] has more than one -1`);
  target = target.map((d) => (d === -1 ? count / known : d));
  if (elementCount(target) !== count || target.some((d) => !Number.isInteger(d))) {
    throw new ModelFormatError(`${n.label}: cannot reshape [${shape.join(', ')}] to [${target.join(', ')}]`);
  }
  if (v.kind === 'const') cx.setConst(n, { ...v.c, shape: target });
  else reshapeTo(cx, n, v, target);
}

export function squeezeNode(cx: OnnxContext, n: NodeInfo): void {
  const v = cx.requireValue(n, 0, 'data');
  const shape = v.kind === 'tensor' ? v.onnxShape : v.c.shape;
  let axes = cx.opset >= 13 ? (cx.value(n, 1) ? constNumbers(cx.constIn(n, 1, 'axes')) : undefined) : cx.attrInts(n, 'axes');
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
  if (v.kind === 'const') cx.setConst(n, { ...v.c, shape: target });
  else reshapeTo(cx, n, v, target);
}
