/** MaxPool, AveragePool, GlobalAveragePool (MEAN over H, W), GlobalMaxPool. */
import type { FusedActivation } from '../../ir/attrs.js';
import type { OnnxContext } from '../context.js';
import type { NodeInfo } from '../values.js';
import { explicitPad, matchPadding, spatialInput, windowPads } from './window.js';

export function pool(cx: OnnxContext, n: NodeInfo): void {
  const x = spatialInput(cx, n);
  const [N, C, inH, inW] = x.onnxShape;
  const ks = cx.attrInts(n, 'kernel_shape');
  if (!ks || ks.length !== 2) cx.unsupported(n, `kernel_shape [${ks?.join(', ') ?? ''}] must have 2 values`);
  const [kH, kW] = ks;
  const [sH, sW] = cx.attrInts(n, 'strides') ?? [1, 1];
  const dil = cx.attrInts(n, 'dilations') ?? [1, 1];
  if (dil.some((d) => d !== 1)) cx.unsupported(n, `dilated pooling (dilations [${dil.join(', ')}]) is not supported`);
  if (n.node.output.length > 1 && n.node.output[1]) cx.unsupported(n, 'the Indices output of MaxPool is not supported');
  const pads = windowPads(cx, n, inH, inW, kH, kW, sH, sW, 1, 1);
  const ceil = cx.attrInt(n, 'ceil_mode', 0) === 1;
  const size = (inSize: number, k: number, s: number, b: number, e: number, round: (v: number) => number): number => round((inSize + b + e - k) / s) + 1;
  const outH = size(inH, kH, sH, pads[0], pads[2], Math.floor);
  const outW = size(inW, kW, sW, pads[1], pads[3], Math.floor);
  if (ceil && (size(inH, kH, sH, pads[0], pads[2], Math.ceil) !== outH || size(inW, kW, sW, pads[1], pads[3], Math.ceil) !== outW)) {
    cx.unsupported(n, 'ceil_mode=1 with a window that does not tile the input exactly is not supported');
  }
  const isMax = n.opType === 'MaxPool';
  let padding = matchPadding(pads, inH, inW, kH, kW, sH, sW, 1, 1);
  let input = x;
  if (padding === 'SAME' && !isMax && cx.attrInt(n, 'count_include_pad', 0) === 1) padding = undefined;
  if (!padding) {
    const zeroNeutral = isMax ? x.nonNegative : cx.attrInt(n, 'count_include_pad', 0) === 1;
    if (!zeroNeutral) {
      cx.unsupported(
        n,
        `padding [${pads.join(', ')}] differs from TFLite's SAME padding${isMax ? ' and the input is not known to be non-negative, so zero padding would change the maximum' : ' and count_include_pad=0'}; tinyml cannot express it`,
      );
    }
    input = explicitPad(cx, n, x, pads);
    padding = 'VALID';
  }
  const out = cx.outputTensor(n, 0, [N, C, outH, outW], true, cx.tensors[x.id].dtype, { nonNegative: x.nonNegative });
  const attrs = { padding, strideH: sH, strideW: sW, filterH: kH, filterW: kW, activation: 'NONE' as FusedActivation };
  cx.emit(isMax ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', [input.id], [out.id], attrs);
}

export function globalPool(cx: OnnxContext, n: NodeInfo): void {
  const x = spatialInput(cx, n);
  const [N, C, H, W] = x.onnxShape;
  const dtype = cx.tensors[x.id].dtype;
  const out = cx.outputTensor(n, 0, [N, C, 1, 1], true, dtype, { nonNegative: x.nonNegative });
  if (n.opType === 'GlobalAveragePool') {
    const axes = cx.int32Const(`${n.node.output[0]}/axes`, [1, 2]);
    cx.emit('MEAN', [x.id, axes], [out.id], { keepDims: true });
  } else {
    cx.emit('MAX_POOL_2D', [x.id], [out.id], { padding: 'VALID', strideH: 1, strideW: 1, filterH: H, filterW: W, activation: 'NONE' });
  }
}
