/** Conv → CONV_2D or DEPTHWISE_CONV_2D (weights OIHW → OHWI or [1, H, W, C_out]). */
import { ModelFormatError } from '../../errors.js';
import type { FusedActivation } from '../../ir/attrs.js';
import { elementCount } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import type { NodeInfo } from '../values.js';
import { explicitPad, matchPadding, spatialInput, windowPads } from './window.js';

export function conv(cx: OnnxContext, n: NodeInfo): void {
  const x = spatialInput(cx, n);
  const w = cx.constIn(n, 1, 'weights');
  const b = cx.optionalConst(n, 2, 'bias');
  const [N, cIn, inH, inW] = x.onnxShape;
  if (w.shape.length !== 4) cx.unsupported(n, `weights of shape [${w.shape.join(', ')}] are not 4-D (only 2-D convolution is supported)`);
  const [cOut, wIn, kH, kW] = w.shape;
  const ks = cx.attrInts(n, 'kernel_shape');
  if (ks && (ks[0] !== kH || ks[1] !== kW)) throw new ModelFormatError(`${n.label}: kernel_shape [${ks.join(', ')}] does not match the weights [${w.shape.join(', ')}]`);
  const [sH, sW] = cx.attrInts(n, 'strides') ?? [1, 1];
  const [dH, dW] = cx.attrInts(n, 'dilations') ?? [1, 1];
  const group = cx.attrInt(n, 'group', 1);
  let depthwise = false;
  if (group === 1) {
    if (wIn !== cIn) throw new ModelFormatError(`${n.label}: weights expect ${wIn} input channels, the input has ${cIn}`);
  } else if (group === cIn && wIn === 1 && cOut % cIn === 0) {
    depthwise = true;
  } else {
    cx.unsupported(n, `grouped convolution with group=${group} (${cIn} input, ${cOut} output channels) is not supported; tinyml supports group=1 and depthwise (group = input channels)`);
  }
  const pads = windowPads(cx, n, inH, inW, kH, kW, sH, sW, dH, dW);
  let padding = matchPadding(pads, inH, inW, kH, kW, sH, sW, dH, dW);
  let input = x;
  if (!padding) {
    input = explicitPad(cx, n, x, pads);
    padding = 'VALID';
  }
  const outH = Math.floor((inH + pads[0] + pads[2] - ((kH - 1) * dH + 1)) / sH) + 1;
  const outW = Math.floor((inW + pads[1] + pads[3] - ((kW - 1) * dW + 1)) / sW) + 1;
  if (outH <= 0 || outW <= 0) throw new ModelFormatError(`${n.label}: the ${kH}x${kW} window does not fit the ${inH}x${inW} input`);
  const wName = cx.inputName(n, 1)!;
  const weights = cx.weightTensor(wName, w, depthwise ? [1, 2, 3, 0] : [0, 2, 3, 1], n);
  let bias = -1;
  if (b) {
    if (elementCount(b.shape) !== cOut) throw new ModelFormatError(`${n.label}: bias has ${elementCount(b.shape)} values for ${cOut} output channels`);
    bias = cx.constTensor(cx.inputName(n, 2)!, b, [cOut]);
  }
  const out = cx.outputTensor(n, 0, [N, cOut, outH, outW], true, 'float32');
  const common = { padding, strideH: sH, strideW: sW, dilationH: dH, dilationW: dW, activation: 'NONE' as FusedActivation };
  const inputs = bias >= 0 ? [input.id, weights, bias] : [input.id, weights];
  if (depthwise) cx.emit('DEPTHWISE_CONV_2D', inputs, [out.id], { ...common, depthMultiplier: cOut / cIn });
  else cx.emit('CONV_2D', inputs, [out.id], common);
}
