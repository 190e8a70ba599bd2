/** Softmax and LogSoftmax along the innermost IR axis. */
import type { OnnxContext } from '../context.js';
import { irShapeOf, type NodeInfo } from '../values.js';

export function softmax(cx: OnnxContext, n: NodeInfo): void {
  softmaxLike(cx, n, 'Softmax');
}

export function logSoftmax(cx: OnnxContext, n: NodeInfo): void {
  softmaxLike(cx, n, 'LogSoftmax');
}

function softmaxLike(cx: OnnxContext, n: NodeInfo, op: 'Softmax' | 'LogSoftmax'): void {
  const x = cx.tensorIn(n, 0);
  const rank = x.onnxShape.length;
  let axis = cx.attrInt(n, 'axis', cx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  if (cx.opset < 13 && x.onnxShape.slice(axis + 1).some((d) => d !== 1)) {
    cx.unsupported(n, `${op} (opset ${cx.opset}) over the flattened axes ${axis}..${rank - 1} is not supported`);
  }
  const ir = cx.irAxis(n, x, axis);
  if (ir !== irShapeOf(x).length - 1) cx.unsupported(n, `${op} along axis ${axis} is not the innermost axis in tinyml's NHWC layout (TFLite's ${op === 'Softmax' ? 'SOFTMAX' : 'LOG_SOFTMAX'} works on the last axis)`);
  if (op === 'LogSoftmax') {
    const out = cx.outputTensor(n, 0, [...x.onnxShape], x.nhwc, 'float32');
    cx.emit('LOG_SOFTMAX', [x.id], [out.id], {});
    return;
  }
  const out = cx.outputTensor(n, 0, [...x.onnxShape], x.nhwc, 'float32', { nonNegative: true });
  cx.emit('SOFTMAX', [x.id], [out.id], { beta: 1 });
}
