/** Helpers of the 2-D window ops (Conv, pooling): ONNX pads and auto_pad, TFLite padding, explicit PAD. */
import type { Padding } from '../../ir/attrs.js';
import type { OnnxContext } from '../context.js';
import { irShapeOf, type NodeInfo, type TensorValue } from '../values.js';

/** ONNX pads [begin..., end...] for the spatial axes of a window op, from pads or auto_pad. */
export function windowPads(cx: OnnxContext, n: NodeInfo, inH: number, inW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number): [number, number, number, number] {
  const autoPad = cx.attrString(n, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const p = cx.attrInts(n, 'pads') ?? [0, 0, 0, 0];
    if (p.length !== 4) cx.unsupported(n, `pads [${p.join(', ')}] must have 4 values for a 2-D window`);
    if (p.some((v) => v < 0)) cx.unsupported(n, `negative pads [${p.join(', ')}] are not supported`);
    return [p[0], p[1], p[2], p[3]];
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') cx.unsupported(n, `auto_pad '${autoPad}' is not supported`);
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
export function matchPadding(pads: [number, number, number, number], inH: number, inW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number): Padding | undefined {
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
export function explicitPad(cx: OnnxContext, n: NodeInfo, x: TensorValue, pads: [number, number, number, number]): TensorValue {
  const [N, C, H, W] = x.onnxShape;
  const onnxShape = [N, C, H + pads[0] + pads[2], W + pads[1] + pads[3]];
  const outName = `${n.node.output[0]}_pad`;
  const v: TensorValue = { kind: 'tensor', id: -1, onnxShape, nhwc: true, nonNegative: x.nonNegative };
  v.id = cx.addTensor(outName, irShapeOf(v), cx.tensors[x.id].dtype);
  const paddings = cx.int32Const(`${outName}/paddings`, [0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0], [4, 2]);
  cx.emit('PAD', [x.id, paddings], [v.id], {});
  return v;
}

export function spatialInput(cx: OnnxContext, n: NodeInfo): TensorValue {
  const x = cx.tensorIn(n, 0);
  if (!x.nhwc) {
    const r = x.onnxShape.length;
    cx.unsupported(n, `input has rank ${r} [${x.onnxShape.join(', ')}]; tinyml supports 2-D ${n.opType} on rank-4 NCHW tensors only${r === 3 ? ' (1-D convolutions and pooling are not supported)' : ''}`);
  }
  return x;
}
