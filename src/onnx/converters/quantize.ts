/** QuantizeLinear / DequantizeLinear: QUANTIZE / DEQUANTIZE on activations, evaluated on constants. */
import { ModelFormatError } from '../../errors.js';
import type { DType } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import { sameQuant, toQuantization, toSigned, toSignedQuant } from '../quant.js';
import { constFloat, constNumbers, type ConstQuant, quantizeConst } from '../tensors.js';
import type { NodeInfo } from '../values.js';
import { dequantizeFourBit } from './sub-byte-weights.js';

/**
 * Scale, zero point and axis of a QuantizeLinear/DequantizeLinear node. Blocked quantization
 * (`block_size`) is refused unless `blocked` is set (DequantizeLinear of 4-bit weights).
 */
export function qParams(cx: OnnxContext, n: NodeInfo, rank: number, defaultZpType: DType, blocked = false): { quant: ConstQuant; zpType: DType; blockSize: number; scaleShape: number[] } {
  const scaleConst = cx.constIn(n, 1, 'scale');
  const scale = constFloat(scaleConst);
  const zpc = cx.optionalConst(n, 2, 'zero_point');
  const zp = zpc ? constNumbers(zpc) : new Array<number>(scale.length).fill(0);
  const zpType = zpc ? zpc.dtype : defaultZpType;
  if (zp.length !== scale.length) throw new ModelFormatError(`${n.label}: ${scale.length} scales but ${zp.length} zero points`);
  let axis = cx.attrInt(n, 'axis', 1);
  if (axis < 0) axis += rank;
  const blockSize = cx.attr(n, 'block_size') ? cx.attrInt(n, 'block_size', 0) : 0;
  if (blockSize !== 0 && !blocked) cx.unsupported(n, 'blocked quantization (block_size) is supported only for the DequantizeLinear of INT4/UINT4 weights');
  if (blockSize < 0) cx.unsupported(n, `block_size ${blockSize} is negative`);
  return { quant: { scale: Array.from(scale), zeroPoint: zp, axis: scale.length === 1 && blockSize === 0 ? 0 : axis }, zpType, blockSize, scaleShape: [...scaleConst.shape] };
}

export function quantizeLinear(cx: OnnxContext, n: NodeInfo): void {
  const v = cx.requireValue(n, 0, 'x');
  const rank = v.kind === 'tensor' ? v.onnxShape.length : v.c.shape.length;
  const { quant, zpType } = qParams(cx, n, rank, 'uint8');
  if (!['int8', 'uint8', 'int16', 'int32'].includes(zpType)) cx.unsupported(n, `quantizing to ${zpType} is not supported`);
  if (v.kind === 'const') {
    const x = constFloat(v.c);
    const data = quantizeConst(x, v.c.shape, quant, zpType);
    cx.setConst(n, toSigned({ dtype: zpType, shape: [...v.c.shape], data, quant }));
    return;
  }
  const signed = toSignedQuant(quant, zpType);
  if (zpType === 'uint8' && cx.isGraphInput(n.node.input[0])) cx.markUint8Io('inputs', n.node.input[0]);
  if (signed.quant.scale.length > 1) cx.unsupported(n, 'per-axis quantization of an activation is not supported (TFLite quantizes activations per tensor)');
  const out = cx.outputTensor(n, 0, [...v.onnxShape], v.nhwc, signed.dtype, { flatten: v.flatten, nonNegative: v.nonNegative }, toQuantization(signed.quant));
  cx.emit('QUANTIZE', [v.id], [out.id], {});
  if (zpType === 'uint8') cx.uint8HeldSigned.add(out.id);
}

export function dequantizeLinear(cx: OnnxContext, n: NodeInfo): void {
  const v = cx.requireValue(n, 0, 'x');
  if (v.kind === 'const') {
    const { quant, blockSize, scaleShape } = qParams(cx, n, v.c.shape.length, v.c.dtype, v.c.packedBits === 4);
    if (v.c.packedBits === 4) cx.setConst(n, dequantizeFourBit(cx, n, v.c, quant, blockSize, scaleShape));
    else cx.setConst(n, { ...toSigned({ ...v.c, quant }), dequantized: true });
    return;
  }
  const xt = cx.tensors[v.id];
  const { quant, zpType } = qParams(cx, n, v.onnxShape.length, xt.dtype);
  if (quant.scale.length > 1) cx.unsupported(n, 'per-axis dequantization of an activation is not supported');
  // A uint8 QuantizeLinear output was imported as the equivalent int8 tensor.
  const irQuant = toQuantization(zpType === 'uint8' && xt.dtype === 'int8' ? toSignedQuant(quant, 'uint8').quant : quant);
  if (!xt.quant) {
    xt.quant = irQuant;
  } else if (!sameQuant(xt.quant, irQuant)) {
    cx.unsupported(n, `dequantizes '${xt.name}' with scale ${quant.scale[0]} / zero point ${quant.zeroPoint[0]}, but it was quantized with scale ${xt.quant.scale[0]} / zero point ${xt.quant.zeroPoint[0]}`);
  }
  const out = cx.outputTensor(n, 0, [...v.onnxShape], v.nhwc, 'float32', { flatten: v.flatten, nonNegative: v.nonNegative });
  cx.emit('DEQUANTIZE', [v.id], [out.id], {});
  if (zpType === 'uint8' && cx.isGraphOutput(n.node.output[0])) cx.markUint8Io('outputs', n.node.output[0]);
}
