/**
 * Split (SPLIT_V with constant sizes, along the IR axis of the ONNX axis) and CumSum (CUMSUM with
 * a constant axis, its exclusive and reverse attributes).
 */
import type { OnnxContext } from '../context.js';
import { constNumbers } from '../tensors.js';
import type { NodeInfo } from '../values.js';

export function split(cx: OnnxContext, n: NodeInfo): void {
  const x = cx.tensorIn(n, 0);
  if (x.flatten) cx.unsupported(n, 'Split of a flattened NCHW activation is not supported');
  const rank = x.onnxShape.length;
  const axisAttr = cx.attrInt(n, 'axis', 0);
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const irAxis = cx.irAxis(n, x, axisAttr);
  const dim = x.onnxShape[axis];
  const outputs = n.node.output.length;
  // The sizes: an input from opset 13, an attribute before; absent, equal parts (the last one
  // smaller when num_outputs does not divide the axis, opset 18).
  const given = cx.opset >= 13 ? cx.optionalConst(n, 1, 'split') : undefined;
  let sizes = given ? constNumbers(given) : cx.attrInts(n, 'split');
  if (!sizes || sizes.length === 0) {
    const part = Math.ceil(dim / outputs);
    sizes = Array.from({ length: outputs }, (_, i) => Math.max(0, Math.min(part, dim - i * part)));
  }
  if (sizes.length !== outputs || sizes.some((s) => !(s >= 0)) || sizes.reduce((a, b) => a + b, 0) !== dim) {
    cx.unsupported(n, `Split sizes [${sizes.join(', ')}] do not cut axis ${axis} (${dim}) into ${outputs} outputs`);
  }
  const dtype = cx.tensors[x.id].dtype;
  const outs = sizes.map((s, k) => {
    const shape = [...x.onnxShape];
    shape[axis] = s;
    return cx.outputTensor(n, k, shape, x.nhwc, dtype, { nonNegative: x.nonNegative }).id;
  });
  const name = n.node.name || n.node.output[0];
  const sizesId = cx.int32Const(`${name}/size_splits`, sizes);
  const axisId = cx.int32Const(`${name}/axis`, [irAxis], []);
  cx.emit('SPLIT_V', [x.id, sizesId, axisId], outs, { numSplits: outs.length });
}

export function cumSum(cx: OnnxContext, n: NodeInfo): void {
  const x = cx.tensorIn(n, 0);
  const axisValues = constNumbers(cx.constIn(n, 1, 'axis'));
  if (axisValues.length !== 1) cx.unsupported(n, `CumSum's axis must hold one value, got ${axisValues.length}`);
  const irAxis = cx.irAxis(n, x, axisValues[0]);
  if (x.flatten) cx.unsupported(n, 'CumSum of a flattened NCHW activation is not supported');
  const out = cx.outputTensor(n, 0, [...x.onnxShape], x.nhwc, cx.tensors[x.id].dtype);
  const axisId = cx.int32Const(`${n.node.name || n.node.output[0]}/axis`, [irAxis], []);
  cx.emit('CUMSUM', [x.id, axisId], [out.id], { exclusive: cx.attrInt(n, 'exclusive', 0) !== 0, reverse: cx.attrInt(n, 'reverse', 0) !== 0 });
}
