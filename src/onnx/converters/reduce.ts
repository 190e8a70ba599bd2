/** ReduceMean → MEAN. */
import type { OnnxContext } from '../context.js';
import { constNumbers } from '../tensors.js';
import type { NodeInfo } from '../values.js';

export function reduceMean(cx: OnnxContext, n: NodeInfo): void {
  const x = cx.tensorIn(n, 0);
  const rank = x.onnxShape.length;
  let axes = cx.opset >= 18 ? (cx.value(n, 1) ? constNumbers(cx.constIn(n, 1, 'axes')) : undefined) : cx.attrInts(n, 'axes');
  const keepDims = cx.attrInt(n, 'keepdims', 1) === 1;
  if (!axes || axes.length === 0) {
    if (cx.attrInt(n, 'noop_with_empty_axes', 0) === 1) {
      cx.alias(n, x);
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
      cx.unsupported(n, `ReduceMean over axes [${norm.join(', ')}] without keepdims reorders the NCHW result in tinyml's NHWC layout`);
    }
    nhwc = false;
  }
  const irAxes = norm.map((a) => cx.irAxis(n, x, a)).sort((p, q) => p - q);
  const axesId = cx.int32Const(`${n.node.output[0]}/axes`, irAxes);
  const out = cx.outputTensor(n, 0, onnxShape, nhwc, cx.tensors[x.id].dtype, { nonNegative: x.nonNegative });
  cx.emit('MEAN', [x.id, axesId], [out.id], { keepDims });
}
